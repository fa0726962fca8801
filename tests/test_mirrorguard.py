"""Which folders may become a mirror: someone else's repository is refused, never reset."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from notion_syncd.cli import main
from notion_syncd.errors import ForeignRepository
from notion_syncd.gitstore import Author, open_mirror
from notion_syncd.logs import reset_logging

AUTHOR = Author("test", "test@example.invalid")


def _git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(path), *args], check=True, capture_output=True, text=True
    ).stdout


def _user_repository(path: Path) -> None:
    """A repository of someone's own: a commit, an uncommitted edit, an untracked file."""
    path.mkdir()
    _git(path, "init", "--quiet", "--initial-branch=master")
    (path / "thesis.md").write_text("chapter 1\n")
    _git(path, "add", "thesis.md")
    _git(path, "-c", "user.name=u", "-c", "user.email=u@example.invalid", "commit", "-qm", "c1")
    (path / "thesis.md").write_text("chapter 1, edited\n")
    (path / "notes.txt").write_text("untracked\n")


def _snapshot(path: Path) -> dict[str, bytes]:
    return {
        item.relative_to(path).as_posix(): item.read_bytes()
        for item in path.rglob("*")
        if item.is_file() and ".git" not in item.relative_to(path).parts
    }


def test_open_mirror_refuses_foreign_repository_untouched(tmp_path: Path) -> None:
    """A repository with commits but no .notion-syncd/ is refused; its files and HEAD stay."""
    path = tmp_path / "work"
    _user_repository(path)
    before, head = _snapshot(path), _git(path, "rev-parse", "HEAD")
    with pytest.raises(ForeignRepository, match=str(path)) as refused:
        open_mirror(path)
    assert refused.value.exit_code == 2
    assert _snapshot(path) == before
    assert _git(path, "rev-parse", "HEAD") == head
    assert _git(path, "symbolic-ref", "HEAD").strip() == "refs/heads/master"
    assert not (path / ".git" / "notion-syncd.lock").exists()


def test_open_mirror_refuses_unborn_repository_with_files(tmp_path: Path) -> None:
    """A `git init` with files staged or untracked (no commit yet) is refused, files kept."""
    path = tmp_path / "work"
    path.mkdir()
    _git(path, "init", "--quiet")
    (path / "draft.md").write_text("draft\n")
    (path / "staged.md").write_text("staged\n")
    _git(path, "add", "staged.md")
    with pytest.raises(ForeignRepository, match="no commit"):
        open_mirror(path)
    assert _snapshot(path) == {"draft.md": b"draft\n", "staged.md": b"staged\n"}


def test_open_mirror_adopts_empty_new_repository(tmp_path: Path) -> None:
    """A fresh `git init` with nothing in it becomes the mirror."""
    path = tmp_path / "m"
    path.mkdir()
    _git(path, "init", "--quiet")
    with open_mirror(path) as mirror:
        mirror.write(".notion-syncd/state.json", b"{}\n")
        assert mirror.commit("first", AUTHOR)


def test_open_mirror_reopens_clone_of_a_mirror(tmp_path: Path) -> None:
    """A clone of a mirror (HEAD has .notion-syncd/, never opened here) is adopted."""
    with open_mirror(tmp_path / "m") as mirror:
        mirror.write(".notion-syncd/state.json", b"{}\n")
        mirror.commit("first", AUTHOR)
    subprocess.run(
        ["git", "clone", "--quiet", str(tmp_path / "m"), str(tmp_path / "clone")], check=True
    )
    with open_mirror(tmp_path / "clone") as clone:
        assert clone.read(".notion-syncd/state.json") == b"{}\n"


def test_cli_sync_into_foreign_repository_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`sync` pointed at someone's repository exits 2 naming the path, and deletes nothing."""
    path = tmp_path / "work"
    _user_repository(path)
    before = _snapshot(path)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[notion]\ntoken = "secret_x"\nbase_url = "http://127.0.0.1:9"\n'
        f'[export]\nrepo = "{path}"\n'
    )
    try:
        assert main(["sync", "--config", str(config)]) == 2
    finally:
        reset_logging()
    assert str(path) in capsys.readouterr().err
    assert _snapshot(path) == before


def test_open_mirror_recreates_after_kill_during_git_init(tmp_path: Path) -> None:
    """A half-made .git and libgit2's symlink probe file (a kill inside `git init`) are
    recognised as unfinished: the next open creates the repository afresh."""
    path = tmp_path / "m"
    (path / ".git" / "objects").mkdir(parents=True)
    (path / ".git" / "config").write_text("[core]\n\trepositoryformatversion = 0\n")
    (path / "_git2_5a76e2f42da49670").write_bytes(b"")
    with open_mirror(path) as mirror:
        mirror.write("a.md", b"a\n")
        assert mirror.commit("first", AUTHOR)
    assert sorted(item.name for item in path.iterdir()) == [".git", "a.md"]


def test_open_mirror_recreates_when_only_the_probe_is_left(tmp_path: Path) -> None:
    """libgit2's probe symlink alone (the half-made .git already gone) does not block init."""
    path = tmp_path / "m"
    path.mkdir()
    (path / "_git2_a1b2c3d4e5f60718").symlink_to("testing")
    with open_mirror(path) as mirror:
        assert mirror.head_commit() is None
    assert sorted(item.name for item in path.iterdir()) == [".git"]

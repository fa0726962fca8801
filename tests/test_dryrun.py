"""``sync --dry-run``: lists what a sync would do, writes nothing, and the real sync agrees."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pygit2
import pytest
from synchelpers import TOKEN, TestClock, serve

from notion_syncd.cli import main
from notion_syncd.errors import ForeignRepository, GitStoreError
from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.logs import reset_logging
from notion_syncd.sync.snapshot import CommittedTree


@pytest.fixture(autouse=True)
def _logging() -> Iterator[None]:
    yield
    reset_logging()


def _config(tmp_path: Path, base_url: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[notion]\ntoken = "{TOKEN}"\nbase_url = "{base_url}"\n'
        "requests_per_second = 200\nburst = 10\n"
        f'[export]\nrepo = "{tmp_path / "mirror"}"\n[log]\nformat = "json"\n'
    )
    return config


def _snapshot(mirror: Path) -> dict[str, bytes]:
    """Every file of the working tree and the git directory's refs, HEAD and run record."""
    files = {
        str(path.relative_to(mirror)): path.read_bytes()
        for path in sorted(mirror.rglob("*"))
        if path.is_file() and (".git" not in path.relative_to(mirror).parts[:1])
    }
    git = mirror / ".git"
    for path in [git / "HEAD", *sorted((git / "refs").rglob("*"))]:
        if path.is_file():
            files[str(path.relative_to(mirror))] = path.read_bytes()
    for path in sorted((git / "notion-syncd").glob("*")):
        if path.is_file():
            files[str(path.relative_to(mirror))] = path.read_bytes()
    return files


def _actions(summary: dict[str, Any]) -> set[tuple[str, str, str, str | None]]:
    return {(c["kind"], c["id"], c["path"], c["old_path"]) for c in summary["changes"]}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().out


def test_dry_run_of_a_first_sync_creates_nothing_and_lists_every_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a mirror that does not exist yet, every object is 'added'; no folder appears."""
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=5)
    generate_workspace(workspace, pages=5, depth=2, databases=1, rows_per_database=3)
    clock.tick = timedelta(0)
    with serve(workspace) as server:
        config = _config(tmp_path, server.base_url)
        status, out = _run(capsys, "sync", "--dry-run", "--json", "--config", str(config))
        assert status == 0
        planned = json.loads(out)
        assert not (tmp_path / "mirror").exists()
        status, out = _run(capsys, "sync", "--json", "--config", str(config))
        assert status == 0
    done = json.loads(out)
    assert planned["dry_run"] is True and planned["commit"] is None
    assert planned["added"] == done["added"] > 5
    assert _actions(planned) == _actions(done)
    assert planned["watermark"] == done["watermark"]


def test_dry_run_sweep_writes_nothing_and_matches_the_real_sync(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After an edit, a rename, a move, a new page and a trashed page, `sync --sweep
    --dry-run` leaves HEAD, the working tree, state.json and the run record byte-identical,
    and lists exactly the changes the real `sync --sweep` then makes."""
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    generate_workspace(ws, pages=4, depth=2, databases=1, rows_per_database=2)
    handbook = ws.add_page(None, "Handbook", [rt.paragraph("handbook")])
    holidays = ws.add_page(handbook, "Holidays", [rt.paragraph("holidays")])
    onboarding = ws.add_page(handbook, "Onboarding", [rt.paragraph("onboarding")])
    laptop = ws.add_page(onboarding, "Laptop setup", [rt.paragraph("laptop")])
    loose = ws.add_page(None, "Loose notes", [rt.paragraph("loose")])
    old = ws.add_page(None, "Old page", [rt.paragraph("old")])
    ws.add_page(old, "Old child", [rt.paragraph("old child")])
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    with serve(ws) as server:
        config = _config(tmp_path, server.base_url)
        assert _run(capsys, "sync", "--config", str(config))[0] == 0
        clock.advance(minutes=10)
        ws.append_blocks(loose, [rt.paragraph("an edit")])
        ws.set_title(holidays, "Vacations")
        ws.move(laptop, loose)
        added = ws.add_page(handbook, "New hire FAQ", [rt.paragraph("faq")])
        ws.trash(old)
        clock.advance(minutes=10)

        mirror = tmp_path / "mirror"
        before = _snapshot(mirror)
        status, text = _run(capsys, "sync", "--sweep", "--dry-run", "--config", str(config))
        assert status == 0
        status, out = _run(
            capsys, "sync", "--sweep", "--dry-run", "--json", "--config", str(config)
        )
        assert status == 0
        assert _snapshot(mirror) == before
        planned = json.loads(out)

        status, out = _run(capsys, "sync", "--sweep", "--json", "--config", str(config))
        assert status == 0
    done = json.loads(out)
    assert done["commit"] and _snapshot(mirror) != before
    assert _actions(planned) == _actions(done)
    kinds = {change["id"]: change["kind"] for change in planned["changes"]}
    assert kinds[loose] == "updated" and kinds[added] == "added"
    assert kinds[holidays] == "moved" and kinds[laptop] == "moved"
    assert kinds[old] == "deleted"
    assert (planned["deleted"], planned["moved"]) == (2, 2)  # the old page and its child
    assert planned["watermark"] == done["watermark"] != planned["previous_watermark"]
    lines = text.splitlines()
    assert lines[0].startswith("dry run, nothing written: 1 added, 3 updated, 2 moved, 2 deleted, ")
    assert "moved    Vacations (Handbook " in text and "deleted  Old page (Old page " in text
    assert lines[-1].startswith("watermark would move: ")


def test_dry_run_sweep_reports_a_mass_deletion_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sweep that would delete too much says so and exits 1, as the real sync would."""
    clock = TestClock()
    ws = Workspace(clock)
    pages = [ws.add_page(None, f"Page {n}", [rt.paragraph("text")]) for n in range(4)]
    clock.advance(minutes=10)
    with serve(ws) as server:
        config = _config(tmp_path, server.base_url)
        assert _run(capsys, "sync", "--config", str(config))[0] == 0
        for page in pages[:3]:
            ws.trash(page)
        argv = ["sync", "--sweep", "--dry-run", "--json", "--config", str(config)]
        status, out = _run(capsys, *argv)
        assert status == 1
        planned = json.loads(out)
        assert planned["deleted"] == 0
        assert planned["sweep_refused"].startswith("sweep refused to delete 3 of 4 mirrored")
        status, out = _run(capsys, *argv, "--allow-mass-delete")
    assert status == 0 and json.loads(out)["deleted"] == 3


def test_committed_tree_reads_the_branch_head_and_refuses_writes(tmp_path: Path) -> None:
    """The dry run's view of the mirror: HEAD's files, not the working tree; writes raise."""
    assert CommittedTree(tmp_path / "missing", "main").read("a") is None
    repo = pygit2.init_repository(str(tmp_path / "m"), initial_head="main")
    (tmp_path / "m" / "d").mkdir()
    (tmp_path / "m" / "d" / "b.txt").write_text("b")
    (tmp_path / "m" / "a.txt").write_text("a")
    (tmp_path / "m" / ".notion-syncd").mkdir()
    (tmp_path / "m" / ".notion-syncd" / "state.json").write_text("{}")
    repo.index.add_all()
    repo.index.write()
    signature = pygit2.Signature("t", "t@example.com")
    repo.create_commit("HEAD", signature, signature, "m", repo.index.write_tree(), [])
    (tmp_path / "m" / "a.txt").write_text("changed, not committed")
    tree = CommittedTree(tmp_path / "m", "main")
    assert tree.read("a.txt") == b"a" and tree.read("d") is None and tree.exists("d")
    assert list(tree.walk_files("")) == [".notion-syncd/state.json", "a.txt", "d/b.txt"]
    assert list(tree.walk_files("d")) == ["d/b.txt"]
    with pytest.raises(GitStoreError, match="dry run"):
        tree.write("a.txt", b"x")
    with pytest.raises(GitStoreError, match="dry run"):
        tree.delete("a.txt")


def test_committed_tree_refuses_what_a_real_sync_refuses(tmp_path: Path) -> None:
    """A non-empty folder without .git, or someone else's repository, is refused."""
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine")
    with pytest.raises(GitStoreError, match="is not empty and is not a git repository"):
        CommittedTree(tmp_path / "notes", "main")
    repo = pygit2.init_repository(str(tmp_path / "code"), initial_head="main")
    (tmp_path / "code" / "main.py").write_text("print()")
    repo.index.add_all()
    repo.index.write()
    signature = pygit2.Signature("t", "t@example.com")
    repo.create_commit("HEAD", signature, signature, "m", repo.index.write_tree(), [])
    with pytest.raises(ForeignRepository):
        CommittedTree(tmp_path / "code", "main")
    (tmp_path / "empty").mkdir()
    assert CommittedTree(tmp_path / "empty", "main").head is None

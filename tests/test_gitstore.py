"""The mirror repository: atomic writes, commits only on change, crash recovery, locking."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pygit2
import pytest

from notion_syncd import gitpack
from notion_syncd.errors import GitStoreError, RepositoryLocked
from notion_syncd.gitstore import UNCOMMITTED_MARKER, Author, CommitStep, open_mirror

AUTHOR = Author("test", "test@example.invalid")


def _git_status(path: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=all"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_mirror_commit_only_when_changed(tmp_path: Path) -> None:
    """A commit is made when bytes change, none when they are the same."""
    with open_mirror(tmp_path / "m") as mirror:
        assert mirror.write("a/b.md", b"hello\n")
        first = mirror.commit("one", AUTHOR)
        assert first is not None
        assert not mirror.write("a/b.md", b"hello\n")
        assert mirror.commit("two", AUTHOR) is None
        assert mirror.write("a/b.md", b"changed\n")
        assert mirror.commit("three", AUTHOR) not in (None, first)
    assert _git_status(tmp_path / "m") == ""


def test_mirror_delete_prunes_empty_folders(tmp_path: Path) -> None:
    """Deleting the last file of a folder removes the folder, and the commit records it."""
    with open_mirror(tmp_path / "m") as mirror:
        mirror.write("x/y/z.md", b"z\n")
        mirror.commit("add", AUTHOR)
        assert mirror.delete("x/y/z.md")
        mirror.commit("delete", AUTHOR)
    assert not (tmp_path / "m" / "x").exists()
    assert _git_status(tmp_path / "m") == ""


def test_mirror_recovers_dirty_tree_and_stale_locks(tmp_path: Path) -> None:
    """Uncommitted files and stale lock files from a killed process are cleaned up."""
    path = tmp_path / "m"
    with open_mirror(path) as mirror:
        mirror.write("keep.md", b"kept\n")
        mirror.commit("base", AUTHOR)
        mirror.write("keep.md", b"written, never committed\n")  # then the process dies
    assert (path / ".git" / UNCOMMITTED_MARKER).exists()
    (path / "keep.md").write_bytes(b"torn write")
    (path / "new folder").mkdir()
    (path / "new folder" / "half.md").write_bytes(b"half")
    (path / ".git" / "index.lock").write_bytes(b"")
    (path / ".git" / "refs" / "heads" / "main.lock").write_bytes(b"")
    with open_mirror(path) as mirror:
        assert mirror.read("keep.md") == b"kept\n"
        mirror.write("more.md", b"more\n")
        assert mirror.commit("after recovery", AUTHOR)
    assert not (path / "new folder").exists()
    assert not (path / ".git" / UNCOMMITTED_MARKER).exists()
    assert _git_status(path) == ""
    subprocess.run(
        ["git", "-C", str(path), "fsck", "--full", "--strict"], check=True, capture_output=True
    )


KILLED_AFTER_TEMPORARY_FILE = """
import os, signal, sys
from pathlib import Path
from notion_syncd.gitstore import open_mirror
mirror = open_mirror(Path(sys.argv[1]))
os.fdopen = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
mirror.write("a.md", b"never finished\\n")
"""


def test_mirror_kill_after_temporary_file_leaves_no_file_behind(tmp_path: Path) -> None:
    """SIGKILL right after a write's temporary file is made: the next open removes it."""
    path = tmp_path / "m"
    with open_mirror(path) as mirror:
        mirror.write("a.md", b"a\n")
        mirror.commit("base", AUTHOR)
    died = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_TEMPORARY_FILE, str(path)], check=False
    )
    assert died.returncode == -signal.SIGKILL
    assert [p.name for p in path.iterdir() if p.name.endswith(".tmp")]  # the kill left it
    with open_mirror(path) as mirror:
        assert mirror.read("a.md") == b"a\n"
    assert _git_status(path) == ""
    refs = subprocess.run(
        ["git", "-C", str(path), "for-each-ref", "refs/notion-syncd/"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert refs == ""  # the dead process's half write is not kept as somebody's edit


KILLED_AFTER_ITS_OWN_WRITES = """
import os, signal, sys
from pathlib import Path
from notion_syncd.gitstore import open_mirror
mirror = open_mirror(Path(sys.argv[1]))
mirror.write("page.md", b"first version of this sync\\n")
mirror.write("page.md", b"second version of this sync\\n")
mirror.write("new/child.md", b"added by this sync\\n")
mirror.move("moved.md", "elsewhere/moved.md")
mirror.delete("gone.md")
mirror.write("rewritten.md", b"the sync's version\\n")
print("written", flush=True)
sys.stdin.readline()  # the test edits files now, as a person would
os.kill(os.getpid(), signal.SIGKILL)
"""


def _kill_after_its_own_writes(
    path: Path, names: tuple[str, ...], person: Callable[[], None] | None = None
) -> None:
    """Commit ``names``, let a process write, move and delete, call ``person`` while it
    waits, then SIGKILL it."""
    with open_mirror(path) as mirror:
        for name in names:
            mirror.write(name, f"committed {name}\n".encode())
        mirror.commit("base", AUTHOR)
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_AFTER_ITS_OWN_WRITES, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    assert process.stdout.readline() == "written\n"
    if person is not None:
        person()
    process.stdin.write("go\n")
    process.stdin.close()
    assert process.wait() == -signal.SIGKILL
    process.stdout.close()


def test_mirror_kill_keeps_only_a_persons_edits_not_its_own_writes(tmp_path: Path) -> None:
    """SIGKILL after writes, a move and a delete: the next open discards the dead process's
    own changes (no side ref for them) and keeps a person's edits beside them on one."""
    path = tmp_path / "m"

    def person() -> None:  # edits during the sync
        (path / "notes.md").write_bytes(b"my notes\n")
        (path / "rewritten.md").write_bytes(b"my version after the sync wrote\n")
        (path / "mine.txt").write_bytes(b"my file\n")

    names = ("page.md", "moved.md", "gone.md", "rewritten.md", "notes.md")
    _kill_after_its_own_writes(path, names, person)
    with open_mirror(path) as mirror:
        assert mirror.read("page.md") == b"committed page.md\n"
        assert mirror.read("new/child.md") is None
    assert _git_status(path) == ""
    repo = pygit2.Repository(str(path))
    refs = [name for name in repo.references if name.startswith("refs/notion-syncd/local/")]
    assert len(refs) == 1
    kept = repo.revparse_single(refs[0]).peel(pygit2.Commit)
    diff = kept.parents[0].tree.diff_to_tree(kept.tree)
    assert sorted(delta.new_file.path for delta in diff.deltas) == [
        "mine.txt",
        "notes.md",
        "rewritten.md",
    ]
    assert kept.tree["rewritten.md"].data == b"my version after the sync wrote\n"


def test_mirror_kill_with_only_its_own_writes_leaves_no_side_ref(tmp_path: Path) -> None:
    """Nobody edited anything: the dead process's changes leave no local-edits ref."""
    path = tmp_path / "m"
    _kill_after_its_own_writes(path, ("page.md", "moved.md", "gone.md", "rewritten.md"))
    with open_mirror(path) as mirror:
        assert mirror.read("moved.md") == b"committed moved.md\n"
    assert _git_status(path) == ""
    assert not [n for n in pygit2.Repository(str(path)).references if "notion-syncd" in n]


def test_mirror_crash_after_building_on_an_adopted_edit_keeps_it(tmp_path: Path) -> None:
    """A person's edit the sync adopted and then wrote on top of stays a local edit after
    a crash (it holds their change), while the sync's other writes are just reset."""
    path = tmp_path / "m"
    with open_mirror(path) as mirror:
        mirror.write("authors.txt", b"committed\n")
        mirror.write("page.md", b"committed\n")
        mirror.commit("base", AUTHOR)
    (path / "authors.txt").write_bytes(b"committed\nmine\n")
    mirror = open_mirror(path)
    assert mirror.adopt("authors.txt")
    mirror.write("authors.txt", b"committed\nmine\nlearned\n")
    mirror.write("page.md", b"the sync's\n")
    mirror.close()  # no commit: the marker stays, as after a kill
    with open_mirror(path):
        pass
    repo = pygit2.Repository(str(path))
    refs = [name for name in repo.references if name.startswith("refs/notion-syncd/local/")]
    assert len(refs) == 1
    kept = repo.revparse_single(refs[0]).peel(pygit2.Commit)
    assert kept.tree["authors.txt"].data == b"committed\nmine\nlearned\n"
    assert kept.tree["page.md"].data == b"committed\n"
    assert (path / "page.md").read_bytes() == b"committed\n"


def test_mirror_lock_is_exclusive(tmp_path: Path) -> None:
    """A second writer is refused while the first holds the mirror."""
    with open_mirror(tmp_path / "m"), pytest.raises(RepositoryLocked):
        open_mirror(tmp_path / "m")


def test_mirror_refuses_unsafe_paths(tmp_path: Path) -> None:
    """Paths that climb out of the mirror or into .git are refused."""
    with open_mirror(tmp_path / "m") as mirror:
        for bad in ["../x.md", "a/../../x.md", ".git/config", "/etc/passwd", "a//b"]:
            with pytest.raises(GitStoreError):
                mirror.write(bad, b"x")


def test_mirror_refuses_symlink_escape(tmp_path: Path) -> None:
    """A symlinked folder inside the mirror cannot be used to write outside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    with open_mirror(tmp_path / "m") as mirror:
        (tmp_path / "m" / "link").symlink_to(outside)
        with pytest.raises(GitStoreError):
            mirror.write("link/x.md", b"x")
    assert not (outside / "x.md").exists()


def test_open_mirror_refuses_non_empty_folder(tmp_path: Path) -> None:
    """An existing folder with other files is not turned into a mirror."""
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "notes.txt").write_text("mine")
    with pytest.raises(GitStoreError, match="not empty"):
        open_mirror(tmp_path / "m")


def test_mirror_move_keeps_history_as_rename(tmp_path: Path) -> None:
    """A moved file is staged as delete+add, which git shows as a rename."""
    path = tmp_path / "m"
    with open_mirror(path) as mirror:
        mirror.write("a/page.md", b"content that stays the same\n" * 5)
        mirror.commit("add", AUTHOR)
        mirror.move("a/page.md", "b/page.md")
        mirror.commit("move", AUTHOR)
    repo = pygit2.Repository(str(path))
    head = repo.head.peel(pygit2.Commit)
    diff = head.parents[0].tree.diff_to_tree(head.tree)
    diff.find_similar()
    assert [d.status_char() for d in diff.deltas] == ["R"]


def test_mirror_commit_follows_changed_paths(tmp_path: Path) -> None:
    """A commit shares every untouched subtree with its parent and keeps git status clean."""
    path = tmp_path / "m"
    with open_mirror(path) as mirror:
        for folder in ("a", "b", "c/d"):
            mirror.write(f"{folder}/page.md", f"{folder}\n".encode())
        mirror.commit("base", AUTHOR)
        mirror.write("c/d/page.md", b"changed\n")
        mirror.write("c/new.md", b"new\n")
        mirror.delete("b/page.md")
        mirror.commit("change", AUTHOR)
    repo = pygit2.Repository(str(path))
    head = repo.head.peel(pygit2.Commit)
    before = head.parents[0].tree
    assert head.tree["a"].id == before["a"].id
    assert "b" not in head.tree
    assert head.tree["c/d/page.md"].data == b"changed\n"
    assert head.tree["c/new.md"].data == b"new\n"
    assert not (path / ".git" / UNCOMMITTED_MARKER).exists()
    assert _git_status(path) == ""


def test_mirror_builds_on_the_tree_it_built_before(tmp_path: Path) -> None:
    """Changes after ``has_staged_changes`` are built on its tree: the commit equals a
    build of all the changes at once, and the second build adds only the trees along
    the paths changed since (a checkpoint's state files, not its every page)."""
    trees: dict[str, pygit2.Oid] = {}
    packed: dict[str, int] = {}
    for way in ("at once", "in two builds"):
        path = tmp_path / way.replace(" ", "-")
        with open_mirror(path) as mirror:
            for folder in ("a", "b/c", "d"):
                mirror.write(f"{folder}/page.md", f"{folder}\n".encode())
            mirror.commit("base", AUTHOR)
            for number in range(20):
                mirror.write(f"pages/p{number}/page.md", f"page {number}\n".encode())
            mirror.delete("d/page.md")
            if way == "in two builds":
                assert mirror.has_staged_changes()
            mirror.write("pages/p3/page.md", b"again\n")  # changed after the first build
            mirror.delete("pages/p4/page.md")
            mirror.write("state/state.json", b"{}\n")
            mirror.delete("b/c/page.md")
            mirror.commit("change", AUTHOR)
            packs = gitpack.pack_files(path / ".git" / "objects")
            packed[way] = sum(gitpack.objects_in_pack(pack) for pack in packs)
        repo = pygit2.Repository(str(path))
        trees[way] = repo.head.peel(pygit2.Commit).tree.id
        assert _git_status(path) == ""
    assert trees["at once"] == trees["in two builds"]
    # Only the first build's trees that the commit does not keep are extra: the root,
    # pages, pages/p3 and pages/p4. Built again from HEAD, the 20 page folders' trees
    # went into a second pack as well (22 extra).
    assert packed["in two builds"] - packed["at once"] == 4


def test_mirror_open_without_marker_keeps_local_files(tmp_path: Path) -> None:
    """A mirror closed after a commit is not scanned on open: no reset, no status."""
    path = tmp_path / "m"
    with open_mirror(path) as mirror:
        mirror.write("a.md", b"a\n")
        mirror.commit("base", AUTHOR)
    (path / "local.txt").write_bytes(b"someone's file\n")
    with open_mirror(path) as mirror:
        assert mirror.read("local.txt") == b"someone's file\n"
        mirror.write("b.md", b"b\n")
        mirror.commit("more", AUTHOR)
    assert _git_status(path) == "?? local.txt\n"


def test_mirror_without_git_index_commits_and_leaves_index(tmp_path: Path) -> None:
    """With keep_git_index off, commits land and .git/index is not touched."""
    path = tmp_path / "m"
    with open_mirror(path) as mirror:
        mirror.write("a.md", b"a\n")
        mirror.commit("base", AUTHOR)
    index_before = (path / ".git" / "index").read_bytes()
    with open_mirror(path, keep_git_index=False) as mirror:
        mirror.write("b.md", b"b\n")
        assert mirror.commit("more", AUTHOR)
    assert (path / ".git" / "index").read_bytes() == index_before
    repo = pygit2.Repository(str(path))
    assert sorted(e.name for e in repo.head.peel(pygit2.Commit).tree) == ["a.md", "b.md"]
    subprocess.run(["git", "-C", str(path), "reset", "-q"], check=True)
    assert _git_status(path) == ""


def test_mirror_commit_steps_chain_with_one_branch_move(tmp_path: Path) -> None:
    """Steps commit their paths first, each by its author; an empty step is no commit."""
    ada, grace = Author("Ada", "a@x.invalid"), Author("Grace", "g@x.invalid")
    with open_mirror(tmp_path / "m") as mirror:
        mirror.write("base.md", b"base\n")
        base = mirror.commit("base", AUTHOR)
        mirror.write("a.md", b"a\n")
        mirror.write("g.md", b"g\n")
        mirror.write("state.json", b"{}\n")
        steps = (
            CommitStep(frozenset({"a.md"}), ada, 1_700_000_000, "by Ada\n"),
            CommitStep(frozenset({"gone.md"}), grace, None, "nothing\n"),
            CommitStep(frozenset({"g.md"}), grace, None, "by Grace\n"),
        )
        tip = mirror.commit("rest", AUTHOR, steps=steps)
        repo = mirror.repo
        chain = [repo[tip], repo[tip].parents[0], repo[tip].parents[0].parents[0]]
        assert [c.author.name for c in chain] == ["test", "Grace", "Ada"]
        assert [c.committer.name for c in chain] == ["test"] * 3
        assert chain[2].author.time == 1_700_000_000
        assert str(chain[2].parents[0].id) == base
        assert sorted(e.name for e in chain[2].tree) == ["a.md", "base.md"]
        assert len(list(repo.references["refs/heads/main"].log())) == 2
        mirror.write("last.md", b"l\n")
        only = CommitStep(frozenset({"last.md"}), ada, None, "all of it\n")
        assert repo[mirror.commit("unused", AUTHOR, steps=(only,))].message == "all of it\n"


def test_mirror_commit_step_contents_are_intermediate_versions(tmp_path: Path) -> None:
    """A step's own bytes for a path; a later step naming it, or the last commit, has the final."""
    ada, grace = Author("Ada", "a@x.invalid"), Author("Grace", "g@x.invalid")
    with open_mirror(tmp_path / "m") as mirror:
        mirror.write("p.md", b"one\ntwo\n")
        mirror.write("same.md", b"same\n")
        mirror.commit("base", AUTHOR)
        mirror.write("p.md", b"ONE\nTWO\n")
        mirror.write("state.json", b"{}\n")
        steps = (
            CommitStep(frozenset(), ada, None, "Ada\n", {"p.md": b"ONE\ntwo\n", "same.md": b"x\n"}),
            CommitStep(frozenset({"p.md", "same.md"}), grace, None, "Grace\n"),
        )
        tip = mirror.repo[mirror.commit("rest", AUTHOR, steps=steps)]
        by_grace = tip.parents[0]
        by_ada = by_grace.parents[0]
        assert by_ada.tree["p.md"].data == b"ONE\ntwo\n"
        assert by_ada.tree["same.md"].data == b"x\n"
        assert by_grace.tree["p.md"].data == b"ONE\nTWO\n"
        assert by_grace.tree["same.md"].data == b"same\n"  # unchanged by the sync: restored
        assert sorted(e.name for e in tip.tree) == ["p.md", "same.md", "state.json"]
        mirror.write("p.md", b"three\n")
        early = CommitStep(frozenset(), ada, None, "Ada\n", {"p.md": b"3\n"})
        last = mirror.repo[mirror.commit("last", AUTHOR, steps=(early,))]
        assert last.parents[0].tree["p.md"].data == b"3\n"
        assert last.tree["p.md"].data == b"three\n"


def test_mirror_commit_moves_first_unless_told_not_to(tmp_path: Path) -> None:
    """A moved and edited file: moves commit, then edits; moves_first=False: one commit."""
    with open_mirror(tmp_path / "m") as mirror:
        mirror.write("a/p.md", b"old\n")
        first = mirror.commit("base", AUTHOR)
        mirror.move("a/p.md", "b/p.md")
        mirror.write("b/p.md", b"new\n")
        split = mirror.repo[mirror.commit("split", AUTHOR)]
        assert str(split.parents[0].parents[0].id) == first
        assert split.parents[0].tree["b/p.md"].data == b"old\n"
        mirror.move("b/p.md", "c/p.md")
        mirror.write("c/p.md", b"newer\n")
        single = mirror.repo[mirror.commit("single", AUTHOR, moves_first=False)]
        assert single.parents[0].id == split.id

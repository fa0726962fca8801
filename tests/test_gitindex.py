"""The streaming index update (notion_syncd.gitindex) against git's own index code."""

from __future__ import annotations

import subprocess
import tracemalloc
from pathlib import Path

import pytest

from notion_syncd import gitindex
from notion_syncd.gitstore import Author, open_mirror

BOT = Author("notion-syncd", "bot@example.invalid")


def _git(repo: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, input=stdin
    ).stdout


def _repo(tmp_path: Path, name: str, paths: list[str]) -> tuple[Path, str]:
    """A repository whose index lists ``paths`` (one blob for all); the blob's hex id."""
    repo = tmp_path / name
    _git(tmp_path, "init", "-q", str(repo))
    blob = _git(repo, "hash-object", "-w", "--stdin", stdin="x\n").strip()
    listing = "".join(f"100644 {blob}\t{path}\n" for path in paths)
    _git(repo, "update-index", "--add", "--index-info", stdin=listing)
    return repo, blob


def _twin(tmp_path: Path, paths: list[str]) -> tuple[Path, Path, str]:
    """Two repositories with the same index and objects: ours and git's."""
    ours, blob = _repo(tmp_path, "ours", paths)
    theirs, _ = _repo(tmp_path, "theirs", paths)
    return ours, theirs, blob


def _apply_with_git(repo: Path, changes: dict[str, str | None]) -> None:
    lines = []
    for path, blob in changes.items():
        lines.append(f"0 {'0' * 40}\t{path}\n" if blob is None else f"100644 {blob}\t{path}\n")
    _git(repo, "update-index", "--add", "--force-remove", "--index-info", stdin="".join(lines))


def _raw(changes: dict[str, str | None]) -> dict[str, bytes | None]:
    return {path: bytes.fromhex(blob) if blob else None for path, blob in changes.items()}


PATHS = [f"pages/p{i:04d}/page.{ext}" for i in range(0, 2000, 3) for ext in ("json", "md")]


def test_update_index_matches_git_for_adds_replacements_and_removals(tmp_path: Path) -> None:
    """Paths added before, between and after the entries, replaced and removed: as git does it."""
    ours, theirs, blob = _twin(tmp_path, PATHS)
    other = _git(ours, "hash-object", "-w", "--stdin", stdin="y\n").strip()
    _git(theirs, "hash-object", "-w", "--stdin", stdin="y\n")
    changes: dict[str, str | None] = {
        "README.md": other,  # before every entry
        "pages/p0001/page.md": blob,  # between entries
        "pages/p0003/page.md": other,  # replaced
        "pages/p0006/page.json": None,  # removed
        "pages/p0007/page.json": None,  # removal of a path that is not there
        "zz/last.csv": other,  # after every entry
    }
    assert gitindex.update_index(ours / ".git" / "index", _raw(changes))
    _apply_with_git(theirs, changes)
    assert _git(ours, "ls-files", "-s") == _git(theirs, "ls-files", "-s")
    assert not (ours / ".git" / "index.lock").exists()
    _git(ours, "fsck", "--no-dangling")  # checks the index's checksum and entries too


def test_update_index_keeps_git_status_clean_in_a_checkout(tmp_path: Path) -> None:
    """After a commit of the changed files, git status of the checkout shows nothing."""
    repo, _blob = _repo(tmp_path, "co", [])
    (repo / "a.md").write_text("a\n")
    (repo / "b.md").write_text("b\n")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    (repo / "a.md").write_text("a2\n")
    (repo / "b.md").unlink()
    (repo / "c.md").write_text("c\n")
    new_a = _git(repo, "hash-object", "-w", "a.md").strip()
    new_c = _git(repo, "hash-object", "-w", "c.md").strip()
    changes = {"a.md": new_a, "b.md": None, "c.md": new_c}
    assert gitindex.update_index(repo / ".git" / "index", _raw(changes))
    assert _git(repo, "status", "--porcelain") == "M  a.md\nD  b.md\nA  c.md\n"


def test_update_index_drops_the_cache_tree_and_keeps_other_extensions(tmp_path: Path) -> None:
    """The TREE extension (stale after a change) is dropped; git still writes the right tree."""
    ours, theirs, blob = _twin(tmp_path, PATHS)
    _git(ours, "write-tree")  # gives the index a TREE extension
    assert b"TREE" in (ours / ".git" / "index").read_bytes()
    changes: dict[str, str | None] = {"pages/p0000/page.md": None, "new.md": blob}
    assert gitindex.update_index(ours / ".git" / "index", _raw(changes))
    assert b"TREE" not in (ours / ".git" / "index").read_bytes()
    _apply_with_git(theirs, changes)
    assert _git(ours, "write-tree") == _git(theirs, "write-tree")


def test_update_index_reads_version_3_and_conflict_stages(tmp_path: Path) -> None:
    """Extended flags (intent-to-add, version 3) parse; a conflicted path's stages collapse."""
    ours, theirs, blob = _twin(tmp_path, PATHS[:40])
    for repo in (ours, theirs):
        (repo / "intent.md").write_text("i\n")
        _git(repo, "add", "-N", "intent.md")  # an extended-flag entry: version 3
        stages = "".join(f"100644 {blob} {stage}\tpages/p0003/page.md\n" for stage in (1, 2, 3))
        _git(repo, "update-index", "--index-info", stdin=stages)
    assert "\t" in _git(ours, "ls-files", "-s", "pages/p0003/page.md")
    changes: dict[str, str | None] = {"pages/p0003/page.md": blob, "pages/p0000/page.md": None}
    assert gitindex.update_index(ours / ".git" / "index", _raw(changes))
    _apply_with_git(theirs, changes)
    ours_entries = _git(ours, "ls-files", "-s").splitlines()
    theirs_entries = _git(theirs, "ls-files", "-s").splitlines()
    conflicted = [line for line in ours_entries if line.endswith("\tpages/p0003/page.md")]
    assert conflicted == [f"100644 {blob} 0\tpages/p0003/page.md"]  # as a commit's add does
    assert [line for line in ours_entries if line not in conflicted] == [
        line for line in theirs_entries if not line.endswith("\tpages/p0003/page.md")
    ]
    assert "intent.md" in _git(ours, "ls-files")


def test_update_index_reads_a_path_of_4095_bytes_or_more(tmp_path: Path) -> None:
    """A path too long for the flags' 12-bit length is found by its terminating NUL."""
    long_path = "/".join(["d" * 200] * 24) + "/page.md"  # 4,831 bytes
    ours, theirs, _blob = _twin(tmp_path, [*PATHS[:10], long_path, "zz.md"])
    changes: dict[str, str | None] = {"zz.md": None, "pages/p0000/page.md": None}
    assert gitindex.update_index(ours / ".git" / "index", _raw(changes))
    _apply_with_git(theirs, changes)
    assert _git(ours, "ls-files", "-s") == _git(theirs, "ls-files", "-s")
    assert long_path in _git(ours, "ls-files")


def test_update_index_leaves_formats_it_does_not_write(tmp_path: Path) -> None:
    """Version 4 (compressed paths) is left untouched (False) for the caller's fallback."""
    repo, blob = _repo(tmp_path, "r", PATHS[:20])
    _git(repo, "update-index", "--index-version", "4")
    before = (repo / ".git" / "index").read_bytes()
    assert not gitindex.update_index(repo / ".git" / "index", _raw({"x.md": blob}))
    assert (repo / ".git" / "index").read_bytes() == before
    assert not (repo / ".git" / "index.lock").exists()


def test_update_index_refuses_a_damaged_index_and_removes_its_lock(tmp_path: Path) -> None:
    """A truncated index raises IndexFormatError, the old file stays, no lock is left."""
    repo, blob = _repo(tmp_path, "r", PATHS[:50])
    index = repo / ".git" / "index"
    index.write_bytes(index.read_bytes()[:1000])
    with pytest.raises(gitindex.IndexFormatError):
        gitindex.update_index(index, _raw({"x.md": blob}))
    assert len(index.read_bytes()) == 1000
    assert not (repo / ".git" / "index.lock").exists()
    assert not gitindex.update_index(tmp_path / "none" / "index", _raw({"x.md": blob}))


def test_update_index_memory_stays_bounded_on_a_large_index(tmp_path: Path) -> None:
    """Updating a 7 MB index allocates a few MiB at most: the file is streamed, not loaded."""
    paths = [
        f"pages/section-{i // 500:03d}/a-page-with-a-long-title-{i:06d}/page.md"
        for i in range(60_000)
    ]
    repo, blob = _repo(tmp_path, "big", paths)
    index = repo / ".git" / "index"
    assert index.stat().st_size > 6_000_000
    changes = _raw({paths[5]: None, paths[40_000]: blob, "pages/zz.md": blob})
    tracemalloc.start()
    try:
        assert gitindex.update_index(index, changes)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * gitindex.CHUNK
    assert _git(repo, "ls-files").count("\n") == 60_000


def test_mirror_commit_rebuilds_a_damaged_index_from_the_commit(tmp_path: Path) -> None:
    """A damaged .git/index is rebuilt from the new commit's tree: git status is clean."""
    path = tmp_path / "m"
    with open_mirror(path) as mirror:
        mirror.write("a.md", b"a\n")
        mirror.write("b.md", b"b\n")
        mirror.commit("one", BOT)
    (path / ".git" / "index").write_bytes(b"DIRC\x00\x00\x00\x02\x00\x00\x00\x05garbage")
    with open_mirror(path) as mirror:
        mirror.write("c.md", b"c\n")
        mirror.commit("two", BOT)
    assert _git(path, "status", "--porcelain", "--untracked-files=all") == ""
    assert _git(path, "ls-files") == "a.md\nb.md\nc.md\n"


def test_mirror_commit_waits_out_a_users_index_lock(tmp_path: Path) -> None:
    """A user's git command holding index.lock does not fail the commit; it lands."""
    path = tmp_path / "m"
    with open_mirror(path) as mirror:
        mirror.write("a.md", b"a\n")
        mirror.commit("one", BOT)
        (path / ".git" / "index.lock").write_bytes(b"")  # held by someone else's git
        mirror.write("b.md", b"b\n")
        assert mirror.commit("two", BOT) is not None
    assert _git(path, "log", "--format=%s") == "two\none\n"
    assert (path / ".git" / "index.lock").exists()  # not ours to remove while open

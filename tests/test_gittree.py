"""Commit trees built from the previous tree plus the changed paths."""

from __future__ import annotations

import gc
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pygit2
import pytest

from notion_syncd import gittree
from notion_syncd.gittree import blob_at, entry_at, entry_named, moves_first


def build_tree(repo: Any, base: Any | None, changes: gittree.Changes) -> pygit2.Oid:
    """``gittree.build_tree`` writing its trees as loose objects (the mirror packs them)."""
    return gittree.build_tree(repo, base, changes, lambda data: repo.odb.write(TREE, data))


TREE = pygit2.enums.ObjectType.TREE


def _files(repo: Any, tree_id: pygit2.Oid) -> dict[str, bytes]:
    found: dict[str, bytes] = {}

    def walk(tree: Any, prefix: str) -> None:
        for entry in tree:
            if entry.type_str == "tree":
                walk(entry, f"{prefix}{entry.name}/")
            else:
                found[prefix + entry.name] = entry.data

    walk(repo[tree_id], "")
    return found


def test_gittree_applies_writes_and_deletes(tmp_path: Path) -> None:
    """Written paths get their blobs, deleted ones vanish, folders left empty go too."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    a, b = repo.create_blob(b"a\n"), repo.create_blob(b"b\n")
    base = build_tree(repo, None, {"x/y/a.md": a, "x/b.md": b, "top.md": a})
    changed = build_tree(repo, repo[base], {"x/y/a.md": None, "x/c.md": a, "top.md": b})
    assert _files(repo, changed) == {"x/b.md": b"b\n", "x/c.md": b"a\n", "top.md": b"b\n"}
    assert blob_at(repo[changed], "x/c.md") == a
    assert blob_at(repo[changed], "x/y/a.md") is None
    assert blob_at(repo[changed], "x") is None


def test_gittree_shares_untouched_subtrees(tmp_path: Path) -> None:
    """A change in one folder leaves the ids of every other folder as they were."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    a, b = repo.create_blob(b"a\n"), repo.create_blob(b"b\n")
    base = repo[build_tree(repo, None, {"one/a.md": a, "two/deep/a.md": a})]
    changed = repo[build_tree(repo, base, {"one/a.md": b})]
    assert changed["two"].id == base["two"].id
    assert changed["one"].id != base["one"].id


def test_gittree_replaces_a_file_by_a_folder_and_empties(tmp_path: Path) -> None:
    """A path that was a file can become a folder; deleting everything gives the empty tree."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    a = repo.create_blob(b"a\n")
    base = build_tree(repo, None, {"name": a})
    folder = build_tree(repo, repo[base], {"name/inner.md": a})
    assert _files(repo, folder) == {"name/inner.md": b"a\n"}
    empty = build_tree(repo, repo[folder], {"name/inner.md": None})
    assert len(repo[empty]) == 0


def test_gittree_moves_first_when_a_moved_file_changed(tmp_path: Path) -> None:
    """A moved and edited file: a moves-only step with every moved file's old blob."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    old, new, kept = repo.create_blob(b"old\n"), repo.create_blob(b"new\n"), repo.create_blob(b"k")
    base = repo[build_tree(repo, None, {"a/p.md": old, "a/q.md": kept})]
    changes = {"a/p.md": None, "a/q.md": None, "b/p.md": new, "b/q.md": kept}
    origins = {"b/p.md": "a/p.md", "b/q.md": "a/q.md"}
    step = moves_first(base, origins, changes)
    assert step is not None
    assert _files(repo, build_tree(repo, base, step)) == {"b/p.md": b"old\n", "b/q.md": b"k"}


def test_gittree_moves_first_none_when_moves_kept_their_bytes(tmp_path: Path) -> None:
    """Moves whose bytes did not change (and files moved back) need no step of their own."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    blob, edited = repo.create_blob(b"same\n"), repo.create_blob(b"edited\n")
    base = repo[build_tree(repo, None, {"a.md": blob, "c.md": blob})]
    moved = {"a.md": None, "b.md": blob, "c.md": edited}
    assert moves_first(base, {"b.md": "a.md", "c.md": "c.md"}, moved) is None
    assert moves_first(base, {}, moved) is None
    assert moves_first(base, {"x.md": "gone.md"}, {"x.md": edited}) is None


def test_gittree_entry_named_finds_names_in_git_order(tmp_path: Path) -> None:
    """Files and folders are found among names that sort between ``name`` and ``name/``."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    blob = repo.create_blob(b"x")
    names = ["a", "a-b", "a.md", "a0", "b", "bb/x", "é.md", "a b/x", "a/inner"]
    tree = repo[build_tree(repo, None, {f"p/{name}": blob for name in names if name != "a"})]
    folder = tree["p"]
    for entry in folder:  # every name there, file or folder, in git's order
        found = entry_named(folder, entry.name)
        assert found is not None and found.id == entry.id
    for missing in ["", "a.", "a/", "c", "bb/x", "a-", "é"]:
        assert entry_named(folder, missing) is None
    assert entry_named(None, "a") is None
    assert entry_at(tree, "p/a/inner").id == blob
    assert entry_at(tree, "p/a").type_str == "tree"
    assert entry_at(tree, "p/a.md/x") is None


def test_gittree_keeps_no_path_alive(tmp_path: Path) -> None:
    """Lookups and commits of fresh paths leave no string behind (pygit2 1.21 would leak them)."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    blob = repo.create_blob(b"x")
    tree = repo[build_tree(repo, None, {f"f/{n}/p.md": blob for n in range(50)})]
    rel = "".join(["f/7/", "p.md"])
    held = sys.getrefcount(rel)
    assert blob_at(tree, rel) == blob
    assert blob_at(tree, rel + "x") is None
    assert sys.getrefcount(rel) == held

    def churn(rounds: int) -> None:
        for n in range(rounds):  # a new file, a deleted file and a deleted folder each time
            changes = {f"f/new {n}.md": blob, f"f/{n % 50}/p.md": None, f"g/{n}.md": None}
            build_tree(repo, tree, changes)

    churn(20)
    gc.collect()
    before = sys.getallocatedblocks()
    churn(500)
    gc.collect()
    assert sys.getallocatedblocks() - before < 100  # a leak keeps 3+ strings per round


def test_gittree_writes_the_trees_libgit2_writes(tmp_path: Path) -> None:
    """Raw trees equal libgit2's tree builders' (git's order: a folder sorts as ``name/``)."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    blob = repo.create_blob(b"x")
    names = ["a-b", "a.md", "a0", "b", "é.md", "a b", "Z", "~"]
    changes = {f"p/{name}": blob for name in names} | {"p/a/inner": blob, "p/a b/c": blob}
    changes.pop("p/a b")
    expected_inner = repo.TreeBuilder()
    expected_inner.insert("inner", blob, pygit2.enums.FileMode.BLOB)
    inner = expected_inner.write()
    expected_ab = repo.TreeBuilder()
    expected_ab.insert("c", blob, pygit2.enums.FileMode.BLOB)
    folder = repo.TreeBuilder()
    for name in names:
        if name != "a b":
            folder.insert(name, blob, pygit2.enums.FileMode.BLOB)
    folder.insert("a", inner, pygit2.enums.FileMode.TREE)
    folder.insert("a b", expected_ab.write(), pygit2.enums.FileMode.TREE)
    root = repo.TreeBuilder()
    root.insert("p", folder.write(), pygit2.enums.FileMode.TREE)
    assert build_tree(repo, None, changes) == root.write()


def test_gittree_keeps_other_modes_of_untouched_entries(tmp_path: Path) -> None:
    """An executable or a link someone committed keeps its mode when a sibling changes."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    blob = repo.create_blob(b"x")
    builder = repo.TreeBuilder()
    builder.insert("run.sh", blob, pygit2.enums.FileMode.BLOB_EXECUTABLE)
    builder.insert("link", blob, pygit2.enums.FileMode.LINK)
    changed = repo[build_tree(repo, repo[builder.write()], {"new.md": blob})]
    modes = {entry.name: entry.filemode for entry in changed}
    assert modes == {
        "run.sh": pygit2.enums.FileMode.BLOB_EXECUTABLE,
        "link": pygit2.enums.FileMode.LINK,
        "new.md": pygit2.enums.FileMode.BLOB,
    }


@pytest.mark.parametrize("rel", ["a/.git/x", ".GIT", "a//b", "a/../b", "./a"])
def test_gittree_refuses_names_git_cannot_check_out(tmp_path: Path, rel: str) -> None:
    """A name libgit2's tree builder refused is refused, nothing written."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    with pytest.raises(ValueError, match="not a file name git can store"):
        build_tree(repo, None, {rel: repo.create_blob(b"x")})


def test_gittree_tree_reader_finds_what_blob_at_finds(tmp_path: Path) -> None:
    """Every path, folder, missing name and submodule: the reader agrees with blob_at."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    blob = repo.create_blob(b"x")
    names = ["a", "a-b", "a.md", "a0", "b", "bb/x", "é.md", "a b/x", "deep/er/still/p.md"]
    tree = repo[build_tree(repo, None, {f"p/{name}": blob for name in names})]
    builder = repo.TreeBuilder(tree)
    builder.insert("module", blob, pygit2.enums.FileMode.COMMIT)  # a submodule's commit
    tree = repo[builder.write()]
    # forgets folders as it goes: answers stay the same
    reader = gittree.TreeReader(repo, tree.id, gittree.TreeCache(max_entries=4))
    asked = [f"p/{name}" for name in names] + ["p", "p/bb", "p/deep/er", "p/c", "q/a", "module"]
    for rel in [*asked, "p/a.md/x", "p/a/b", "p/deep/er/still/p.md/z"]:
        assert reader.blob_at(rel) == blob_at(tree, rel), rel
    assert reader.blob_at("p/a") == blob and reader.blob_at("module") is None


class _CountingRepo:
    """A repository whose object reads are counted (the reader's only use of it)."""

    def __init__(self, repo: pygit2.Repository) -> None:
        self._repo = repo
        self.reads: Counter[pygit2.Oid] = Counter()
        self.frees = 0

    def free(self) -> None:
        self.frees += 1
        self._repo.free()

    @property
    def odb(self) -> _CountingRepo:
        return self

    def read(self, oid: pygit2.Oid) -> tuple[int, bytes]:
        self.reads[oid] += 1
        kind, data = self._repo.odb.read(oid)
        return kind, data


def test_gittree_tree_reader_keeps_a_big_folder_between_other_lookups(tmp_path: Path) -> None:
    """Rows of a 3,000-row folder, each followed by a lookup elsewhere (its index entry):
    the big folder is read once, not once per row."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    blob = repo.create_blob(b"x")
    rows = {f"db/row {number}.json": blob for number in range(3_000)}
    entries = [repo.create_blob(b"%d" % number) for number in range(256)]  # folders differ
    others = {f"index/{number:02x}/e.json": entries[number] for number in range(256)}
    tree = repo[build_tree(repo, None, {**rows, **others})]
    counting = _CountingRepo(repo)
    # the small folders are forgotten over and over
    reader = gittree.TreeReader(counting, tree.id, gittree.TreeCache(max_entries=300))
    for number in range(0, 3_000, 10):
        assert reader.blob_at(f"db/row {number}.json") == blob
        assert reader.blob_at(f"index/{number % 256:02x}/e.json") == entries[number % 256]
        assert reader.blob_at(f"db/row {number}.md") is None
    assert counting.reads[tree["db"].id] == 1
    small = tree["index"]["00"].id  # looked up 3 times, 127 other index folders apart
    assert counting.reads[small] > 1  # the bound still holds for the others
    assert counting.reads[tree.id] == 1  # used by every lookup: never the one forgotten
    # libgit2's mapped packs are dropped every READS_PER_RELEASE reads, and reads go on
    reads = sum(counting.reads.values())
    assert reads > 3 * gittree.TreeCache.READS_PER_RELEASE
    assert counting.frees == reads // gittree.TreeCache.READS_PER_RELEASE


def test_gittree_tree_cache_learns_the_trees_a_build_writes(tmp_path: Path) -> None:
    """After a build, looking up its paths reads nothing from the object database, and
    the next build reads only the folders it had not seen: a commit's lookups and build
    do not send libgit2 through the packs for folders it wrote itself."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    blob = repo.create_blob(b"x")
    counting = _CountingRepo(repo)
    cache = gittree.TreeCache()

    def write(data: bytes) -> pygit2.Oid:
        return repo.odb.write(TREE, data)

    first = gittree.build_tree(counting, None, {"a/b/p.md": blob, "c/q.md": blob}, write, cache)
    reader = gittree.TreeReader(counting, first, cache)
    assert reader.blob_at("a/b/p.md") == blob and reader.blob_at("c/q.md") == blob
    assert reader.blob_at("a/b/missing.md") is None
    second = gittree.build_tree(counting, repo[first], {"a/b/r.md": blob}, write, cache)
    assert not counting.reads  # every folder came from the cache
    assert _files(repo, second) == {"a/b/p.md": b"x", "a/b/r.md": b"x", "c/q.md": b"x"}

    cold = gittree.TreeReader(counting, second, gittree.TreeCache())
    assert cold.blob_at("a/b/r.md") == blob
    assert set(counting.reads) == {second, repo[second]["a"].id, repo[second]["a"]["b"].id}

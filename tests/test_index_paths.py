"""Index.path_of keeps paths between writes and forgets exactly the ones a write changes."""

from __future__ import annotations

from pathlib import Path

from notion_syncd.gitstore import open_mirror
from notion_syncd.sync.state import Index, IndexEntry

PARENT = "00000000-0000-0000-0000-0000000000a1"
CHILD = "00000000-0000-0000-0000-0000000000c1"
OTHER = "00000000-0000-0000-0000-0000000000b1"


def _entry(object_id: str, name: str, parent: str | None, title: str = "T") -> IndexEntry:
    edited = "2026-01-01T00:00:00.000Z"
    return IndexEntry(
        id=object_id, kind="page", title=title, parent=parent, name=name, last_edited_time=edited
    )


class CountingReads:
    """The mirror's files, counting the index entries read (a seam, not our code)."""

    def __init__(self, mirror: object) -> None:
        self._mirror = mirror
        self.reads = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._mirror, name)

    def read(self, rel: str) -> bytes | None:
        self.reads += 1
        return self._mirror.read(rel)  # type: ignore[attr-defined,no-any-return]


def test_index_paths_appear_when_a_missing_parent_is_added(tmp_path: Path) -> None:
    """A child indexed before its parent has no path, then the right one once it comes."""
    with open_mirror(tmp_path / "m") as mirror:
        index = Index(mirror)
        index.put(_entry(CHILD, "Child", PARENT))
        assert index.path_of(CHILD) is None
        index.put(_entry(PARENT, "Parent", None))
        assert index.path_of(CHILD) == "Parent/Child"


def test_index_paths_follow_a_rename_of_an_ancestor(tmp_path: Path) -> None:
    """Renaming or moving an entry changes its descendants' paths at once."""
    with open_mirror(tmp_path / "m") as mirror:
        index = Index(mirror)
        index.put(_entry(PARENT, "Parent", None))
        index.put(_entry(CHILD, "Child", PARENT))
        index.put(_entry(OTHER, "Other", None))
        assert index.path_of(CHILD) == "Parent/Child"
        index.put(_entry(PARENT, "Renamed", None))
        assert index.path_of(CHILD) == "Renamed/Child"
        index.put(_entry(PARENT, "Renamed", OTHER))
        assert index.path_of(CHILD) == "Other/Renamed/Child"
        index.remove(OTHER)
        assert index.path_of(CHILD) is None


def test_index_paths_are_kept_across_writes_that_move_nothing(tmp_path: Path) -> None:
    """A new title or a new object elsewhere does not make known paths be walked again."""
    with open_mirror(tmp_path / "m") as mirror:
        files = CountingReads(mirror)
        index = Index(files)  # type: ignore[arg-type]
        index.put(_entry(PARENT, "Parent", None))
        index.put(_entry(CHILD, "Child", PARENT))
        assert index.path_of(CHILD) == "Parent/Child"
        index = Index(files, cache_size=1)  # type: ignore[arg-type]
        assert index.path_of(CHILD) == "Parent/Child"
        reads = files.reads
        index.put(_entry(CHILD, "Child", PARENT, title="New title"))
        index.put(_entry(OTHER, "Other", None))
        assert index.path_of(CHILD) == "Parent/Child"
        # Only the entries put were read (to compare), no walk up the parents again.
        assert files.reads - reads == 2

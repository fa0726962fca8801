"""The mirror writer on a real repository: placement carried out, relocation, removal."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from notion_syncd.export.paths import safe_name
from notion_syncd.gitstore import Mirror, open_mirror
from notion_syncd.sync.fetch import FetchedRecord, FetchReport
from notion_syncd.sync.removals import TRASHED, Removal, RemovalPlan
from notion_syncd.sync.report import Change
from notion_syncd.sync.writer import MirrorWriter

SMALL = "00000000-0000-4000-8000-0000000000a1"
LARGE = "ffffffff-0000-4000-8000-0000000000a1"
"""Ids whose last 8 hex digits collide: equal titles share the short name."""
CHILD = "12345678-0000-4000-8000-00000000c0de"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _page(page_id: str, title: str, parent: str | None = None) -> FetchedRecord:
    parent_ref: dict[str, Any] = (
        {"type": "page_id", "page_id": parent} if parent else {"type": "workspace"}
    )
    page = {
        "object": "page",
        "id": page_id,
        "parent": parent_ref,
        "created_time": "2026-03-01T10:00:00.000Z",
        "last_edited_time": "2026-03-01T10:00:00.000Z",
        "properties": {"title": {"id": "title", "type": "title", "title": [{"plain_text": title}]}},
    }
    return FetchedRecord({"page": page, "blocks": []}, {}, FetchReport())


def _writer(mirror: Mirror, changes: list[Change]) -> MirrorWriter:
    return MirrorWriter(mirror, ("markdown", "json"), lambda: NOW, changes.append)


def _files(repo: Path) -> set[str]:
    return {
        str(path.relative_to(repo))
        for path in repo.rglob("*")
        if path.is_file() and not path.relative_to(repo).parts[0].startswith(".")
    }


def _export(repo: Path, order: list[str]) -> tuple[set[str], list[Change]]:
    changes: list[Change] = []
    with open_mirror(repo) as mirror:
        writer = _writer(mirror, changes)
        for page_id in order:
            writer.write(_page(page_id, "Notes"), None)
        writer.views.flush()
    return _files(repo), changes


def test_writer_collision_same_names_in_any_order(tmp_path: Path) -> None:
    """Colliding siblings get the same names whichever is written first; the holder makes way."""
    first, _ = _export(tmp_path / "a", [SMALL, LARGE])
    second, changes = _export(tmp_path / "b", [LARGE, SMALL])
    assert first == second
    long_name = safe_name("Notes", LARGE, long_suffix=True)
    assert first == {
        "Notes 000000a1.json",
        "Notes 000000a1.md",
        f"{long_name}.json",
        f"{long_name}.md",
    }
    moved = [change for change in changes if change.kind == "moved"]
    assert [change.id for change in moved] == [LARGE]


def test_writer_rename_moves_descendants(tmp_path: Path) -> None:
    """A renamed page takes its folder of descendants along, and the index follows."""
    changes: list[Change] = []
    with open_mirror(tmp_path) as mirror:
        writer = _writer(mirror, changes)
        writer.write(_page(SMALL, "Notes"), None)
        writer.write(_page(CHILD, "Child"), SMALL)
        writer.write(_page(SMALL, "Renamed"), None)
        writer.views.flush()
        assert writer.index.path_of(CHILD) == "Renamed 000000a1/Child 0000c0de"
    assert _files(tmp_path) == {
        "Renamed 000000a1.json",
        "Renamed 000000a1.md",
        "Renamed 000000a1/Child 0000c0de.json",
        "Renamed 000000a1/Child 0000c0de.md",
    }
    assert [change.kind for change in changes] == ["added", "added", "moved"]


def test_writer_remove_deletes_files_and_entries(tmp_path: Path) -> None:
    """A removal plan deletes files and index entries and reports each with its reason."""
    changes: list[Change] = []
    with open_mirror(tmp_path) as mirror:
        writer = _writer(mirror, changes)
        writer.write(_page(SMALL, "Notes"), None)
        writer.write(_page(CHILD, "Child"), SMALL)
        plan = RemovalPlan((Removal(CHILD, TRASHED), Removal(SMALL, TRASHED)), total=2)
        writer.remove(plan)
        assert writer.index.mirrored() == []
    assert _files(tmp_path) == set()
    assert [(c.kind, c.reason) for c in changes[2:]] == [("deleted", TRASHED)] * 2

"""The mirror writer: index, views, backlinks and relocation. Mirror I/O only, no network.

The writer turns a fetched record into files: it collects the facts placement needs
(the object's index entry, who holds its name under the new parent), lets the pure
``placement.place`` decide, and carries the decision out: index entries, moving the
files and folder of an object whose path changed (and of a sibling that makes way),
the record's JSON and views, and the backlinks index. Objects whose rendering depends
on what just changed are queued on ``views`` and re-rendered from stored JSON at the
next flush (``_after_write`` is the one place that decides what depends on a write).
Every change is reported through ``note``; the caller owns the report.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from notion_syncd import jsoncodec, terms
from notion_syncd.export.htmlsiblings import NAV_SUFFIX
from notion_syncd.gitstore import Mirror
from notion_syncd.sync import backlinks, databases, planner
from notion_syncd.sync.authors import Edit, edit_of, page_edit
from notion_syncd.sync.fetch import FetchedRecord, known_files
from notion_syncd.sync.idset import IdMap
from notion_syncd.sync.placement import (
    Placement,
    change_kind,
    displaced_name,
    keeps_name,
    place,
    short_name,
)
from notion_syncd.sync.refresh import DerivedRefresh
from notion_syncd.sync.removals import UNSHARED, RemovalPlan
from notion_syncd.sync.report import Change
from notion_syncd.sync.rerender import Views, shown_in_index_html
from notion_syncd.sync.state import Index, IndexEntry, Kind
from notion_syncd.sync.views import record_json
from notion_syncd.sync.waitingviews import WAITING_FILE, WaitingViews, ends_complete_sync
from notion_syncd.terms import dashed_id

log = structlog.get_logger()

SUFFIXES = (".json", ".md", ".html", ".csv", NAV_SUFFIX)
"""An object's files beside its folder: its record, its views, its children's list."""


class MirrorWriter:
    """Writes records into the mirror's working tree (the commit step commits them)."""

    def __init__(
        self,
        mirror: Mirror,
        formats: tuple[str, ...],
        now: Callable[[], datetime],
        note: Callable[[Change], None],
    ) -> None:
        self.mirror = mirror
        self.index = Index(mirror)
        waiting = WaitingViews(Path(mirror.repo.path) / WAITING_FILE)
        self.views = Views(mirror, self.index, formats, waiting)
        head = mirror.head_commit()
        self.index_html_due = head is not None and not ends_complete_sync(head)
        """index.html must be written again: an object it may show was added, moved,
        renamed or removed (``rerender.shown_in_index_html``), or a sync stopped after a
        checkpoint that may have done so (its final commit writes index.html)."""
        self.written = IdMap()
        """Objects written by this sync, with the ``last_edited_time`` written."""
        self.edits: dict[str, Edit] = {}
        """Object id -> its last edit (who, when), for the next commit's authors."""
        self.co_edited: dict[str, dict[str, Any]] = {}
        """Mirrored pages whose blocks others than their last editor changed: id -> the
        record before this sync (for their intermediate versions, ``sync.pageversions``)."""
        self.derived = DerivedRefresh(mirror, self.index, self.views, self.written)
        """Content of other records that depends on what is written (``refresh.py``)."""
        self._now = now
        self._note = note

    # -- facts for the rest of the sync ----------------------------------------------

    def is_mirrored(self, object_id: str) -> bool:
        return self.index.get(object_id) is not None

    def kind_of(self, object_id: str) -> str | None:
        entry = self.index.get(object_id)
        return entry.kind if entry is not None else None

    def previous(self, object_id: str) -> tuple[dict[str, str], frozenset[str]]:
        """The files and link targets of the mirrored version of an object."""
        record = self.views.stored(self.index.path_of(object_id))
        links = frozenset(backlinks.link_targets(record)) if record else frozenset()
        return known_files(record), links

    def already_written(self, object_id: str, edited: str) -> bool:
        return self.written.get(object_id) == edited

    # -- writing ---------------------------------------------------------------------

    def write(self, fetched: FetchedRecord, parent_id: str | None) -> bool:
        """Write a fetched object under ``parent_id``; True for a new data source."""
        record = fetched.record
        for path, data in sorted(fetched.files.items()):
            self.mirror.write(path, data)
        if "data_source" in record:
            return self._write_data_source(record, parent_id)
        self._write_page(record, parent_id, fetched.links_before)
        return False

    def _write_page(
        self, record: dict[str, Any], parent_id: str | None, links_before: frozenset[str]
    ) -> None:
        page = record["page"]
        object_id = dashed_id(page["id"])
        title = terms.page_title(page)
        placement, old_stem, previous = self._place(object_id, title, parent_id)
        self._index(object_id, "page", title, parent_id, placement.name, page)
        since = previous.last_edited_time if previous else None
        if (last_edit := page_edit(record, since)) is not None:
            self.edits[object_id] = last_edit  # with the editors of its blocks
            old = self.views.stored(old_stem) if last_edit.co_editors else None
            if old is not None:
                self.co_edited.setdefault(object_id, old)
        stem = self.index.path_of(object_id) or placement.name
        self._relocate(old_stem, stem)
        links = backlinks.link_targets(record)
        backlinks.update(self.mirror, object_id, links_before, links)
        self.views.write_record(record, stem, object_id, links)  # views at the next flush
        parent = page.get("parent") or {}
        if parent.get("type") == "data_source_id":
            self.views.data_sources.add(dashed_id(parent["data_source_id"]))
        self.derived.written(record, previous)  # mentions, child blocks, synced copies
        self._after_write(object_id, previous, placement, old_stem, stem)

    def _write_data_source(self, record: dict[str, Any], parent_id: str | None) -> bool:
        data_source, database = record["data_source"], record["database"]
        object_id = dashed_id(data_source["id"])
        title = terms.data_source_title(data_source, database)
        placement, old_stem, previous = self._place(object_id, title, parent_id)
        self._index(object_id, "data_source", title, parent_id, placement.name, data_source)
        retargeted = self._index_database(database, object_id)
        stem = self.index.path_of(object_id) or placement.name
        self._relocate(old_stem, stem)
        self.mirror.write(f"{stem}.json", record_json(record))
        self.views.data_sources.add(object_id)
        self.derived.written(record, previous)  # mentions, child block, rows (schema)
        self._after_write(object_id, previous, placement, old_stem, stem)
        if database.get("id") and (previous is None or retargeted):
            # The pages holding the database list its sources and link its first one.
            linkers = backlinks.sources_of(self.mirror, dashed_id(database["id"]))
            self.views.pending.update(s for s in linkers if s not in self.written)
        return previous is None

    def _index_database(self, database: dict[str, Any], object_id: str) -> bool:
        """Point the database id at its first mirrored source and give every sibling
        source's record this newest database object; True when the target changed."""
        if not database.get("id"):
            return False
        database_id = dashed_id(database["id"])
        alias = self.index.get(database_id)
        current = alias.alias_of if alias is not None else None
        target = databases.alias_target(
            database, object_id, current, lambda source: self.index.get(source) is not None
        )
        entry = self.index.get(target)
        if entry is not None:
            self.index.put(entry.alias(database_id))
        for sibling in databases.source_ids(database):
            stem = self.index.path_of(sibling) if sibling != object_id else None
            refreshed = databases.refreshed_database(self.views.stored(stem) or {}, database)
            if stem is not None and refreshed is not None:
                self.mirror.write(f"{stem}.json", record_json(refreshed))
                self.views.data_sources.add(sibling)
        return current is not None and current != target

    def _place(
        self, object_id: str, title: str, parent_id: str | None
    ) -> tuple[Placement, str | None, IndexEntry | None]:
        """Collect the facts, decide the placement, make way for it; and the old stem."""
        entry = self.index.get(object_id)
        old_stem = self.index.path_of(object_id) if entry else None
        holder = None
        if not keeps_name(entry, title, parent_id):
            parent_stem = self.index.path_of(parent_id) if parent_id else ""
            name = short_name(title, object_id)
            holder = self._owner_of(f"{parent_stem}/{name}" if parent_stem else name)
        placement = place(object_id, entry, title, parent_id, holder)
        if placement.displaced is not None:
            self._make_way(placement.displaced)
        return placement, old_stem, entry

    def _make_way(self, sibling_id: str) -> None:
        """Move a sibling that holds a short name to its long name (it keeps its parent)."""
        entry = self.index.get(sibling_id)
        old_stem = self.index.path_of(sibling_id)
        if entry is None or old_stem is None:
            return
        name = displaced_name(entry)
        database = (self.views.stored(old_stem) or {}).get("database") or {}
        self.index.put(entry.with_changes(name=name))
        if entry.kind == "data_source" and database.get("id"):
            alias = self.index.get(str(database["id"]))
            if alias is not None:
                self.index.put(alias.with_changes(name=name))
        stem = self.index.path_of(sibling_id) or name
        self._relocate(old_stem, stem)
        self._shown_changed(entry.parent, stem)  # same parent: same level
        label = terms.display_title(entry.title)
        self._note(Change("moved", entry.id, label, stem, old_path=old_stem))

    def _index(
        self,
        object_id: str,
        kind: Kind,
        title: str,
        parent_id: str | None,
        name: str,
        obj: dict[str, Any],
    ) -> None:
        edited = str(obj.get("last_edited_time") or "")
        self.index.put(
            IndexEntry(
                id=object_id,
                kind=kind,
                title=title,
                parent=parent_id,
                name=name,
                last_edited_time=edited,
                created_time=str(obj.get("created_time") or ""),
                settled=bool(edited) and planner.is_settled(edited, self._now()),
            )
        )
        self.written[object_id] = edited
        if (last_edit := edit_of(obj)) is not None:
            self.edits[object_id] = last_edit

    def _after_write(
        self,
        object_id: str,
        previous: IndexEntry | None,
        placement: Placement,
        old_stem: str | None,
        stem: str,
    ) -> None:
        """Queue what depends on this write, and report it.

        A new object (a restore, a newly shared page) makes links to it resolve in the
        pages that already link to it; pages written in this sync are covered by the
        unresolved-link tracking of ``views``.
        """
        entry = self.index.get(object_id)
        title = terms.display_title(entry.title if entry else "")
        kind = change_kind(placement, old_stem, stem)
        if previous is not None and entry is not None and previous.title != entry.title:
            self._shown_changed(entry.parent, stem)  # index.html and the top nav show titles
        if previous is not None and old_stem is not None and old_stem != stem:
            self._shown_changed(previous.parent, old_stem)  # and, below, where it went
            self._shown_changed(entry.parent if entry else None, stem)
        if previous is None:
            self._shown_changed(entry.parent if entry else None, stem)
            linkers = backlinks.sources_of(self.mirror, object_id)
            self.views.pending.update(s for s in linkers if s not in self.written)
        old_path = old_stem if kind == "moved" else None
        self._note(Change(kind, object_id, title, stem, old_path=old_path))

    def _shown_changed(self, parent_id: str | None, stem: str) -> None:
        """An object at ``stem`` under ``parent_id`` changed its place, name or title."""
        if not self.index_html_due:
            self.index_html_due = shown_in_index_html(self.index, parent_id, stem)

    def _owner_of(self, stem: str) -> str | None:
        """The id in the JSON stored at ``stem``, or None when there is none."""
        raw = self.mirror.read(f"{stem}.json")
        if raw is None:
            return None
        with contextlib.suppress(ValueError, AttributeError, KeyError, TypeError):
            data = jsoncodec.loads(raw)
            holder = data.get("page") or data.get("data_source") or {}
            return dashed_id(str(holder["id"]))
        return None

    def _relocate(self, old_stem: str | None, new_stem: str) -> None:
        """Move an object's files and its folder of descendants to a new path stem.

        Every moved object, and every object linking to one, is re-rendered from its
        stored JSON at the next flush, so relative links keep resolving (no API call).
        """
        if old_stem is None or old_stem == new_stem:
            return
        moved_ids = []
        for suffix in SUFFIXES:
            if self.mirror.exists(old_stem + suffix):
                self.mirror.move(old_stem + suffix, new_stem + suffix)
        if owner := self._owner_of(new_stem):
            moved_ids.append(owner)
        for rel in list(self.mirror.walk_files(old_stem)):
            target = new_stem + rel[len(old_stem) :]
            self.mirror.move(rel, target)
            if target.endswith(".json") and (child := self._owner_of(target[: -len(".json")])):
                moved_ids.append(child)
        for moved in moved_ids:
            self.views.pending.add(moved)
            self.views.pending.update(backlinks.sources_of(self.mirror, moved))

    # -- removing (the sweep) --------------------------------------------------------

    def remove(self, plan: RemovalPlan) -> None:
        """Delete the files, index entries and backlinks of removed objects; queue re-renders.

        Links *to* a removed object stay in the backlinks index (the sources' JSON still
        holds them), so a restore re-renders those sources and their links resolve again.
        """
        gone = {removal.id for removal in plan.removals}
        stems = {removal.id: self.index.path_of(removal.id) for removal in plan.removals}
        for removal in plan.removals:
            entry = self.index.get(removal.id)
            stem = stems[removal.id]
            if entry is not None and stem is not None:
                self._shown_changed(entry.parent, stem)
            record = self.views.stored(stem)
            if record is not None:
                backlinks.update(self.mirror, removal.id, backlinks.link_targets(record), ())
            self.derived.removed(record, unshared=removal.reason == UNSHARED, gone=gone)
            self.views.pending.update(set(backlinks.sources_of(self.mirror, removal.id)) - gone)
            parent = self.index.get(entry.parent) if entry and entry.parent else None
            if parent is not None and parent.kind == "data_source" and parent.id not in gone:
                self.views.data_sources.add(parent.id)
            if stem is not None:
                for suffix in SUFFIXES:
                    self.mirror.delete(stem + suffix)
            self.views.search_changes[removal.id] = None
            title = terms.display_title(entry.title if entry else "")
            self._note(Change("deleted", removal.id, title, stem or "", reason=removal.reason))
            log.info("sweep.removed", id=removal.id, path=stem, reason=removal.reason)
        for alias in plan.aliases:
            self.index.remove(alias)
        for removal in plan.removals:
            self.index.remove(removal.id)

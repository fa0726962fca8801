"""Keep derived content current where Notion does not move ``last_edited_time``.

The decisions are pure (``derived.py``); this module reads the linking records found
through the backlinks index, writes back those that change, and queues their views
for re-rendering (``Views``), with no API request:

- an object written with a new title (or newly added): the mentions of it show the new
  title; views of every linking object are re-rendered (``link_to_page`` and relation
  titles come from the index), and so are the data sources of linking rows;
- any object written: its ``child_page``/``child_database`` block in its parent page
  shows its title, last edit and content flag (batched per parent, at the next flush);
- a page written with synced-block originals: every copy of them elsewhere lists the
  originals' current children;
- an object removed because it is no longer shared: mentions of it read ``Untitled``.

What needs Notion is collected as follow-ups (``take_followups``) for the exporter:
data sources to fetch again (a database moved into a page), pages to fetch again (they
show a synced copy of a removed page's original), data sources whose rows show another
schema (``requery.py`` queries them again).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from functools import partial

from notion_syncd.gitstore import Mirror
from notion_syncd.sync import backlinks, derived
from notion_syncd.sync.rerender import Views
from notion_syncd.sync.state import Index, IndexEntry
from notion_syncd.sync.views import record_json
from notion_syncd.terms import dashed_id, page_title

Transform = Callable[[derived.Record], derived.Record | None]


@dataclass
class Followups:
    """Work a write or removal made necessary that needs Notion (the exporter does it)."""

    fetch_again: list[tuple[str, str]] = field(default_factory=list)
    """``(kind, id)`` of objects to fetch again: ``("data_source", id)`` or ``("page", id)``."""
    rows_to_query: list[str] = field(default_factory=list)
    """Data sources whose stored rows show another schema than theirs."""


class DerivedRefresh:
    """Rewrites linking records from what was just written or removed (mirror I/O only)."""

    def __init__(self, mirror: Mirror, index: Index, views: Views, fetched: Container[str]) -> None:
        """``fetched``: ids of the objects written by this sync (their records are fresh)."""
        self.mirror = mirror
        self.index = index
        self.views = views
        self.fetched = fetched
        self.followups = Followups()
        self.child_blocks: dict[str, dict[str, derived.Record]] = {}
        """Parent page id → its child blocks to refresh (block id → facts), at the next flush."""
        views.before_flush.append(self.flush_child_blocks)

    # -- during a sync -----------------------------------------------------------------

    def written(self, record: derived.Record, previous: IndexEntry | None) -> None:
        """``record`` was just stored; ``previous`` is a page's index entry before that.

        Linkers are refreshed when a page is new or its title changed; a data source's
        are refreshed on every write (data sources are few, their titles two-fold).
        Follow-ups: the data sources of databases whose block is now in this page but
        which are mirrored elsewhere (a database moved here: only the database and the
        pages move in Notion, not the data source); a data source whose stored rows show
        another schema.
        """
        own_id = _own_id(record)
        titles = derived.shown_titles(record)
        renamed = (
            "data_source" in record
            or previous is None
            or previous.title != page_title(record.get("page") or {})
        )
        if renamed and titles:
            for linker in self._linkers([own_id, *titles]):
                if linker != own_id:
                    self._rewrite(linker, partial(derived.refresh_titles, titles=titles))
                    # Titles in link_to_page blocks and relation cells come from the index.
                    self.views.pending.add(linker)
        self._note_child_block(own_id, record)
        if "data_source" in record and self._rows_disagree(own_id, record):
            self.followups.rows_to_query.append(own_id)
        for original_id, original in derived.synced_originals(record).items():
            copies = partial(derived.refresh_synced_copies, originals={original_id: original})
            for linker in self._linkers([original_id]):
                if linker != own_id:
                    self._rewrite(linker, copies)
        if "page" in record:
            moved = self._moved_here(own_id, record)
            self.followups.fetch_again += [("data_source", source) for source in moved]

    def _rows_disagree(self, data_source_id: str, record: derived.Record) -> bool:
        schema = (record.get("data_source") or {}).get("properties") or {}
        stem = self.index.path_of(data_source_id)
        return stem is not None and any(
            derived.disagrees_with_schema(schema, row)
            for row in self.views.rows_on_disk(stem, data_source_id)
        )

    def take_followups(self) -> Followups:
        """The follow-ups collected so far (and forget them)."""
        followups, self.followups = self.followups, Followups()
        return followups

    def _note_child_block(self, own_id: str, record: derived.Record) -> None:
        """Queue the refresh of the block showing this object in its parent page."""
        facts = derived.child_block_facts(record)
        entry = self.index.get(own_id)
        parent = self.index.get(entry.parent) if entry is not None and entry.parent else None
        if facts is None or parent is None or parent.kind != "page" or parent.id in self.fetched:
            return  # a parent fetched by this sync lists its child blocks as they are now
        block_id, fields = facts
        self.child_blocks.setdefault(parent.id, {})[block_id] = fields

    def flush_child_blocks(self) -> None:
        """Rewrite the parents queued by ``_note_child_block`` (each record read once)."""
        for parent_id, facts in sorted(self.child_blocks.items()):
            self._rewrite(parent_id, partial(derived.refresh_child_blocks, facts=facts))
        self.child_blocks.clear()

    def _moved_here(self, page_id: str, record: derived.Record) -> list[str]:
        moved = []
        for database_id in sorted(derived.child_database_ids(record)):
            entry = self.index.get(database_id)
            if entry is not None and entry.alias_of and entry.parent != page_id:
                moved.append(dashed_id(entry.alias_of))
        return moved

    def removed(
        self, record: derived.Record | None, *, unshared: bool, gone: Container[str]
    ) -> None:
        """An object left the mirror; pages showing its synced originals are fetched again.

        Mentions of an unshared object read ``Untitled``; a trashed one keeps its title in
        mentions (Notion still shows it); the block of an unshared child page in its parent
        keeps its title too. Pages showing copies of synced blocks the removed page held
        are follow-ups: what a copy lists now (trashed children, or an error) is the API's
        to say, and this is rare.
        """
        if record is None:
            return
        copies = {
            linker
            for original_id in derived.synced_originals(record)
            for linker in self._linkers([original_id])
            if linker not in gone and linker != _own_id(record)
        }
        titles = dict.fromkeys(derived.shown_titles(record), derived.UNSHARED_TITLE)
        untitled = partial(derived.refresh_titles, titles=titles)
        for linker in self._linkers([_own_id(record), *titles]):
            if linker in gone:
                continue
            # Links to it (a data source's through its database id too) no longer resolve.
            self.views.pending.add(linker)
            if unshared:
                self._rewrite(linker, untitled)
        self.followups.fetch_again += [("page", page_id) for page_id in sorted(copies)]

    def _linkers(self, targets: Iterable[str]) -> list[str]:
        """Ids of the objects whose records link to any of ``targets``, sorted."""
        return sorted({s for target in targets for s in backlinks.sources_of(self.mirror, target)})

    def _rewrite(self, object_id: str, transform: Transform) -> bool:
        return rewrite(self.mirror, self.index, self.views, object_id, transform)


def _own_id(record: derived.Record) -> str:
    own = record.get("page") or record.get("data_source") or {}
    return dashed_id(str(own.get("id", "")))


def rewrite(
    mirror: Mirror, index: Index, views: Views, object_id: str, transform: Transform
) -> bool:
    """Apply ``transform`` to a stored record; write it (and its backlinks) if it changed.

    The object's views are queued for re-rendering at the next flush.
    """
    stem = index.path_of(object_id)
    record = views.stored(stem)
    if stem is None or record is None:
        return False
    refreshed = transform(record)
    if refreshed is None:
        return False
    mirror.write(f"{stem}.json", record_json(refreshed))
    before, after = backlinks.link_targets(record), backlinks.link_targets(refreshed)
    backlinks.update(mirror, object_id, before, after)
    views.pending.add(object_id)
    return True

"""Derived files (Markdown, HTML, CSV) written from the JSON stored in the mirror.

``Views`` is used by every sync (a page's views after it is fetched; pages re-rendered
because something they link to moved; data sources whose rows changed) and by
``notion-syncd render`` (:mod:`notion_syncd.commands.render`), which rebuilds every view
offline with no API call.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Collection, Iterator
from typing import Any

import structlog

from notion_syncd import jsoncodec
from notion_syncd.errors import GitStoreError
from notion_syncd.export import search, searchwords
from notion_syncd.export.html import TABLE_SCRIPT, IndexItem, document, render_index_html
from notion_syncd.export.htmlcode import code_stylesheet
from notion_syncd.export.htmlnav import INDEX_DEPTH, StemSet, index_level
from notion_syncd.export.htmlsiblings import (
    NAV_SUFFIX,
    SIBLINGS_SCRIPT,
    TOP_NAV,
    nav_path,
    nav_script,
    top_entries,
)
from notion_syncd.export.links import RenderContext
from notion_syncd.gitstore import Mirror
from notion_syncd.sync import searchwrite
from notion_syncd.sync.idset import IdSet
from notion_syncd.sync.state import Index, IndexEntry
from notion_syncd.sync.views import data_source_views, page_views, record_json
from notion_syncd.sync.waitingviews import WaitingViews
from notion_syncd.terms import dashed_id, data_source_title, display_title, page_title

log = structlog.get_logger()

STYLESHEET = "_assets/style.css"
SEARCH_HELD_LIMIT = 2_500
"""Search entries a sync's flush keeps for a later one (``Views._search_due``; about
0.75 KB each): a large sync changes thousands of entries, and each write of the
search's shards rewrites nearly all of them. In the final phase (stop 25), 5,000 held: the
10,000-page export peaked at 99.7 MB (274 s); with 2,500 at 98.5 and 98.1 MB (312 s
and 288 s: runs on this machine vary by a tenth)."""


class Views:
    """Writes the views of mirrored objects and remembers what must be redone."""

    def __init__(
        self,
        mirror: Mirror,
        index: Index,
        formats: tuple[str, ...],
        waiting: WaitingViews | None = None,
    ) -> None:
        self.mirror = mirror
        self.index = index
        self.formats = formats
        self.unresolved: dict[str, set[str]] = {}
        self.pending: set[str] = set()
        self.links: dict[str, Collection[str]] = {}
        """Pending pages written by this sync -> the objects their records link to."""
        self._waiting_file = waiting
        self.waiting = IdSet(waiting.load(mirror.head_commit()) if waiting is not None else ())
        """Pages whose views wait for the final flush (``sync.waitingviews``); with no
        file to keep them in (``render``), nothing waits. Most of a first export's pages
        wait (about 70 %): 16 bytes each here, 110 as a set of strings."""
        self.data_sources: set[str] = set()
        self.search_changes: dict[str, search.SearchEntry | None] = {}
        """Search entries to write (None: remove) at a later flush, by object id."""
        self.search_words: dict[str, tuple[str, ...]] = {}
        """The words of the changed entries (full text), by object id."""
        self._search_recorded: set[str] = set()
        """Ids of held search entries already in the waiting file."""
        self.before_flush: list[Callable[[], None]] = []
        """Called at the start of every flush (records to rewrite before views are redone)."""
        if waiting is not None and "html" in formats and searchwrite.outdated(mirror):
            self._rebuild_search()

    def context(self, owner_id: str) -> Callable[[str], RenderContext]:
        """Render contexts for files of ``owner_id``; misses are remembered for later.

        A link or title that cannot be resolved yet (its target comes later in the same
        sync) is remembered, and the owner is re-rendered at the next flush once the
        target is mirrored, so the result does not depend on the listing order.
        """

        def resolve(target: str) -> str | None:
            stem = self.index.path_of(target)
            if stem is None:
                self.unresolved.setdefault(owner_id, set()).add(dashed_id(target))
            return stem

        def title_of(target: str) -> str | None:
            title = self.index.title_of(target)
            if title is None:
                self.unresolved.setdefault(owner_id, set()).add(dashed_id(target))
            return title

        def factory(path: str) -> RenderContext:
            return RenderContext(
                path=path,
                resolve=resolve,
                title_of=title_of,
                data_sources_of=self.data_sources_of,
            )

        return factory

    def write_page(self, record: dict[str, Any], stem: str, owner_id: str) -> None:
        """Write a page's views from ``record``, its stored JSON (left as it is).

        Encoding a record again (sorted, indented: Python's slow encoder) was a third of
        the CPU of ``render``, for bytes that cannot differ from the stored ones.
        """
        self.unresolved.pop(owner_id, None)
        context = self.context(owner_id)
        files = page_views(record, stem, self.formats, context, with_json=False)
        self._write_files(stem, files)
        if "html" in self.formats:
            title = display_title(page_title(record.get("page") or {}))
            blocks = record.get("blocks") or []
            excerpt = search.excerpt(blocks)
            self.search_changes[owner_id] = search.SearchEntry(owner_id, stem, title, excerpt)
            self.search_words[owner_id] = searchwords.page_words(title, blocks)

    def write_record(
        self, record: dict[str, Any], stem: str, owner_id: str, links: Collection[str] = ()
    ) -> None:
        """Write a page's JSON now and its views at the next flush (``links``: the
        objects it links to; while one is not mirrored, its views wait, see ``flush``).

        By then the objects written with it are mirrored too. A first export writes a
        parent before its children, so rendering it at once rendered it twice: once with
        its children unresolved, again at the flush (a third of the writer's time at
        2,000 pages, issue 10). The flush renders from the stored JSON, as for every
        other re-render, so the views cannot depend on when they were made.
        """
        self.mirror.write(f"{stem}.json", record_json(record))
        self.pending.add(owner_id)
        self.links[owner_id] = links

    def page_files(self, record: dict[str, Any], stem: str) -> dict[str, bytes]:
        """A page's files as ``write_page`` would write them, neither written nor
        remembered (an intermediate version of a page, ``sync.pageversions``)."""

        def context(path: str) -> RenderContext:
            return RenderContext(
                path=path,
                resolve=self.index.path_of,
                title_of=self.index.title_of,
                data_sources_of=self.data_sources_of,
            )

        return page_views(record, stem, self.formats, context)

    def write_data_source(self, data_source_id: str) -> None:
        stem = self.index.path_of(data_source_id)
        record = self.stored(stem)
        if stem is None or record is None:
            return
        self.unresolved.pop(data_source_id, None)
        rows = self.rows_on_disk(stem, data_source_id)
        context = self.context(data_source_id)
        files = data_source_views(record, rows, stem, self.formats, context, with_json=False)
        self._write_files(stem, files)
        if "html" in self.formats:
            source = record.get("data_source") or record.get("database") or {}
            title = display_title(data_source_title(source, record.get("database") or {}))
            entry = search.SearchEntry(data_source_id, stem, title, "")
            self.search_changes[data_source_id] = entry
            self.search_words[data_source_id] = searchwords.page_words(title, [])

    def _write_files(self, stem: str, files: dict[str, bytes]) -> None:
        """Write an object's files; its children's script goes when it has none left."""
        for path, data in files.items():
            self.mirror.write(path, data)
        if nav_path(stem) not in files:
            self.mirror.delete(nav_path(stem))

    def data_sources_of(self, database_id: str) -> list[tuple[str, str]]:
        """A database's data sources as the newest written of them saw it (the database
        id's index entry points to the data source written last)."""
        entry = self.index.get(database_id)
        if entry is None or not entry.alias_of:
            return []
        record = self.stored(self.index.path_of(entry.alias_of)) or {}
        sources = (record.get("database") or {}).get("data_sources") or []
        return [
            (dashed_id(str(source["id"])), str(source.get("name") or ""))
            for source in sources
            if isinstance(source, dict) and source.get("id")
        ]

    def stored(self, stem: str | None) -> dict[str, Any] | None:
        if stem is None:
            return None
        raw = self.mirror.read(f"{stem}.json")
        if raw is None:
            return None
        with contextlib.suppress(ValueError):
            value = jsoncodec.loads(raw)
            return value if isinstance(value, dict) else None
        return None

    def rows_on_disk(self, stem: str, data_source_id: str) -> list[dict[str, Any]]:
        """The page objects of a data source's rows, oldest first (a stable CSV order)."""
        rows = []
        for name in self.mirror.listdir(stem):
            if not name.endswith(".json"):
                continue
            record = self.stored(f"{stem}/{name[: -len('.json')]}")
            page = (record or {}).get("page") or {}
            parent = page.get("parent") or {}
            if dashed_id(str(parent.get("data_source_id", ""))) == data_source_id:
                rows.append(page)
        rows.sort(key=lambda page: (str(page.get("created_time", "")), str(page.get("id", ""))))
        return rows

    def rerender(self, object_id: str) -> None:
        """Rewrite an object's views from its stored JSON (no API call)."""
        entry = self.index.get(object_id)
        if entry is None:
            return
        if entry.kind == "data_source":
            self.data_sources.add(entry.id)
            return
        if entry.kind == "database" and entry.alias_of:
            self.data_sources.add(entry.alias_of)
            return
        stem = self.index.path_of(object_id)
        record = self.stored(stem)
        if stem is not None and record is not None:
            self.write_page(record, stem, entry.id)
            # A row's titles and links also show in its data source's tables.
            parent = (record.get("page") or {}).get("parent") or {}
            if parent.get("type") == "data_source_id":
                self.data_sources.add(dashed_id(str(parent["data_source_id"])))

    def flush(self, *, final: bool = False) -> None:
        """Redo everything pending: re-renders, newly resolvable links, data sources.

        A page written by this sync that links to an object not mirrored yet waits for
        the final flush (``final``), which renders it once with its targets in place.
        """
        for callback in self.before_flush:
            callback()
        for owner_id, targets in sorted(self.unresolved.items()):
            if any(self.index.path_of(target) for target in targets):
                self.pending.add(owner_id)
        if final:
            self.pending.update(self.waiting)
            self.waiting.clear()
        else:
            self._hold_back_waiting()
        for object_id in sorted(self.pending):
            self.rerender(object_id)
        self.pending.clear()
        self.links.clear()
        for data_source_id in sorted(self.data_sources):
            self.write_data_source(data_source_id)
        self.data_sources.clear()
        if final or self._search_due():
            self.write_search_shards()
        else:
            self._record_held_search()

    def _rebuild_search(self) -> None:
        """A search index of an older layout goes, and every object waits for its views:
        the final phase of this sync renders them all, in batches, and so writes the
        index again (``Committer.finish``). The ids are in the waiting file before the
        checkpoint that commits the deletions, so a sync after a crash goes on with it."""
        searchwrite.clear(self.mirror)
        ids = [object_id for object_id in self.index.all_ids() if object_id not in self.waiting]
        self._add_waiting(ids, "search index")
        self.waiting.update(ids)
        log.info("sync.search_rebuilt", objects=len(ids))

    def _search_due(self) -> bool:
        """Whether a flush before the final one writes the search shards.

        A sync holds them for a later flush until ``SEARCH_HELD_LIMIT`` entries wait: a
        first export that wrote them at every checkpoint stored each of the 64 id shards
        115 times at 50,000 pages (556 MB of a 1.19 GB repository, issue 10). The held
        entries' ids go to the waiting file before the checkpoint that commits their
        pages, so a sync after a crash renders those pages again, and their entries with
        them (``_record_held_search``). A removal is never held (nothing would be
        rendered for it), nor is anything in ``render`` (no waiting file).
        """
        return (
            self._waiting_file is None
            or len(self.search_changes) >= SEARCH_HELD_LIMIT
            or any(entry is None for entry in self.search_changes.values())
        )

    def _record_held_search(self) -> None:
        """Add the ids of the held search entries to the waiting file (once each), before
        the checkpoint that commits their pages: after a crash they are rendered again."""
        fresh = [
            object_id for object_id in self.search_changes if object_id not in self._search_recorded
        ]
        if fresh:
            self._add_waiting(fresh, "search")
            self._search_recorded.update(fresh)

    def _add_waiting(self, ids: list[str], what: str) -> None:
        """Append ``ids`` to the waiting file, before the checkpoint that needs them."""
        assert self._waiting_file is not None  # only a sync's views hold anything back
        try:
            self._waiting_file.add(ids)
        except OSError as exc:
            raise GitStoreError(f"cannot keep the pages waiting for their {what}: {exc}") from None

    def _hold_back_waiting(self) -> None:
        """Move the pending pages that must wait to ``waiting`` (and its file)."""
        if self._waiting_file is None:
            return
        waits = sorted(
            object_id
            for object_id in self.pending
            if object_id in self.waiting
            or any(self.index.path_of(target) is None for target in self.links.get(object_id, ()))
        )
        fresh = [object_id for object_id in waits if object_id not in self.waiting]
        self._add_waiting(fresh, "views")
        self.waiting.update(fresh)
        self.pending.difference_update(waits)

    def render_waiting(self, limit: int) -> None:
        """Render ``limit`` of the waiting pages now (the final phase of a sync that left
        many waiting renders them in batches, each committed by a checkpoint, so memory
        stays that of one batch). They stay in the file until the final commit."""
        for object_id in self.waiting.take(limit):
            self.rerender(object_id)

    def forget_waiting(self) -> None:
        """The final commit holds every view: no page waits any more."""
        if self._waiting_file is not None:
            self._waiting_file.clear()

    def write_search_shards(self) -> None:
        """Write the held search entries into the search's shards (``sync.searchwrite``)."""
        changes = {
            object_id: searchwrite.SearchChange(entry, self.search_words.get(object_id, ()))
            for object_id, entry in self.search_changes.items()
        }
        searchwrite.write_search(self.mirror, changes)
        self.search_changes.clear()
        self.search_words.clear()
        self._search_recorded.clear()

    def write_index_html(self) -> None:
        """index.html from the index entries it can show, the deeper ones counted.

        Two walks of the index: the first learns which stems are entries (8 bytes each,
        ``StemSet``), the second keeps an item for each entry down to ``INDEX_DEPTH``
        and counts those one level below. An item for every entry made this the largest
        allocation of a sync that changes the structure: +50 MB at 50,000 pages (issue 10).
        """
        stems = StemSet(stem for _, stem in self._index_entries())
        items: list[IndexItem] = []
        inside: dict[str, int] = {}  # entries one level too deep, by the entry above them
        for entry, stem in self._index_entries():
            level, parent = index_level(stem, stems.__contains__)
            if level <= INDEX_DEPTH:
                kind = sys.intern(entry.kind)
                items.append(IndexItem(stem, entry.title, stem.count("/"), kind))
            elif level == INDEX_DEPTH + 1:
                inside[parent] = inside.get(parent, 0) + 1
        items.sort(key=tree_order)
        context = RenderContext(
            path="index.html", resolve=self.index.path_of, title_of=self.index.title_of
        )
        self.mirror.write("index.html", render_index_html(items, context, inside).encode())
        log.info("views.index_html", listed=len(items), counted=sum(inside.values()))
        top = nav_script(top_entries(items))
        if top is None:
            self.mirror.delete(TOP_NAV)
        else:
            self.mirror.write(TOP_NAV, top.encode())
        self.write_assets()

    def _index_entries(self) -> Iterator[tuple[IndexEntry, str]]:
        """Every index entry with a view of its own in index.html, and its path stem."""
        for object_id in self.index.all_ids():
            entry = self.index.get(object_id)
            stem = self.index.path_of(object_id)
            if entry is not None and stem is not None and entry.kind != "database":
                yield entry, stem

    def write_assets(self) -> None:
        """The files that depend only on this version of notion-syncd: the stylesheet,
        the scripts and ``search.html``. Every sync with html writes them (a file with
        the same bytes is not staged), so a mirror gets a new version's at its next sync
        (an older ``search.html`` kept attributes that a fresh export has not)."""
        from importlib.resources import files

        page = RenderContext(
            path=search.SEARCH_PAGE, resolve=lambda _: None, title_of=lambda _: None
        )
        self.mirror.write(
            search.SEARCH_PAGE, document("Search", search.search_body(), page).encode()
        )
        css = files("notion_syncd.export").joinpath("style.css").read_bytes()
        self.mirror.write(STYLESHEET, css + code_stylesheet().encode())
        script = files("notion_syncd.export").joinpath("search.js").read_bytes()
        self.mirror.write(search.SEARCH_SCRIPT, script)
        table = files("notion_syncd.export").joinpath("table.js").read_bytes()
        self.mirror.write(TABLE_SCRIPT, table)
        siblings = files("notion_syncd.export").joinpath("siblings.js").read_bytes()
        self.mirror.write(SIBLINGS_SCRIPT, siblings)


def shown_in_index_html(index: Index, parent_id: str | None, stem: str) -> bool:
    """Whether an object at ``stem`` under ``parent_id`` may be listed or counted in
    index.html, which shows levels down to ``INDEX_DEPTH`` and counts the next one.

    Its level is at least one plus the pages and data sources above it whose stems are
    folders of ``stem`` (each is an entry of index.html; ``htmlnav.index_level``), so
    past that depth the answer is a certain no: adding, moving, renaming or removing
    such an object (its descendants are deeper still) leaves index.html as it is, and a
    sync need not walk the whole index to rewrite it (7.1 s for a one-page add at
    50,000 pages, issue 10). Anything else answers yes.
    """
    above: set[str] = set()
    if parent_id is not None:
        for entry in index.lineage(parent_id):
            if entry is None:
                break
            own = index.path_of(entry.id) if entry.kind != "database" else None
            if own is not None and stem.startswith(f"{own}/"):
                above.add(own)
    return len(above) + 1 <= INDEX_DEPTH + 1


def _remove_disabled_views(mirror: Mirror, disabled: set[str]) -> None:
    """Delete the views with a suffix in ``disabled`` (and, html disabled, the lists of
    children), walking the working tree one folder at a time. A list of every path was
    held through the walk, and made whether or not a format was disabled: at 50,000
    pages (280,000 paths) ``render`` peaked at 131 MB with it, 88 MB without (issue 10)."""
    for rel in mirror.walk_files(""):
        stem, dot, suffix = rel.rpartition(".")
        own_view = not rel.startswith("_files/") and mirror.exists(f"{stem}.json")
        if dot and f".{suffix}" in disabled and own_view:
            mirror.delete(rel)
        elif ".html" in disabled and rel.endswith(NAV_SUFFIX):
            mirror.delete(rel)  # an object's (or the top level's) list of children


def tree_order(item: IndexItem) -> tuple[str, str, str]:
    """A parent before its descendants, folders in name order: the order of the stems'
    parts (``"/"`` becomes NUL, which sorts before any character a name can hold)."""
    return item.path_stem.replace("/", "\0"), item.title, item.kind


VIEW_SUFFIXES = {"markdown": ".md", "html": ".html", "csv": ".csv"}


def rebuild_views(mirror: Mirror, index: Index, formats: tuple[str, ...]) -> int:
    """Rewrite every view from the stored JSON and remove views of disabled formats.

    Returns how many objects were rendered. Used by ``notion-syncd render`` and by a sync
    that finds ``export.formats`` changed since the mirror was written.
    """
    views = Views(mirror, index, formats)
    searchwrite.clear(mirror)  # rebuilt from every object below
    count = 0
    for object_id in index.all_ids():
        views.rerender(object_id)
        count += 1
        if len(views.search_changes) >= SEARCH_HELD_LIMIT:
            views.write_search_shards()  # memory: a batch of entries, not the workspace
    views.flush()
    disabled = {suffix for fmt, suffix in VIEW_SUFFIXES.items() if fmt not in formats}
    if disabled:
        _remove_disabled_views(mirror, disabled)
    if "html" in formats:
        views.write_index_html()
    else:
        mirror.delete("index.html")
        mirror.delete(STYLESHEET)
        mirror.delete(search.SEARCH_PAGE)
        mirror.delete(search.SEARCH_SCRIPT)
        mirror.delete(TABLE_SCRIPT)
        mirror.delete(SIBLINGS_SCRIPT)
    return count

"""Derived content only a new request can tell: rows after a schema change, recomputed
values, moved or renamed databases; and hosted files no record refers to any more.

- A data source written with a schema its stored rows do not show (a property added,
  renamed, removed, retyped, an option renamed): Notion shows the change in every row
  without moving the rows' ``last_edited_time``. Its rows are queried again (one request
  per 100 rows) and their page objects replaced; their blocks are kept.
- In the sweep, for every mirrored data source: its database is read again (one request
  per database; a database moved to the top level or renamed does not move its data
  source's ``last_edited_time``), and when its schema has formula or rollup properties,
  its rows are queried again and rows whose values Notion recomputed are rewritten.
- In the sweep, for mirrored pages not fetched by this sync: their comments are read
  again (``comments.py``: a comment moves no ``last_edited_time``; one request per page,
  plus one per block in ``blocks`` mode) and records whose comments changed are rewritten.
  At most ``export.comments_per_sweep`` pages per sweep, in turn (``sweep_share``), so a
  sweep's cost does not grow with the workspace.
- At the end of the sweep, files under ``_files/`` that no mirrored record refers to are
  deleted (the history keeps them).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import structlog

from notion_syncd import jsoncodec
from notion_syncd.errors import NotionError, NotionUnauthorized
from notion_syncd.notion.client import NotionClient
from notion_syncd.sync import derived
from notion_syncd.sync.comments import CHANGED, CommentFetcher, sweep_share, with_comments
from notion_syncd.sync.fetch import (
    FILES_DIR,
    FetchReport,
    complete_properties,
    download_files,
    known_files,
    without_request_id,
)
from notion_syncd.sync.refresh import Transform, rewrite
from notion_syncd.sync.report import Change, SyncReport
from notion_syncd.sync.worker import FileRules
from notion_syncd.sync.writer import MirrorWriter
from notion_syncd.terms import dashed_id

log = structlog.get_logger()

RECOMPUTED = "formula or rollup recomputed by Notion"
COMMENT_BATCH = 64
"""Pages whose stored records are held at once while their comments are asked again."""
COMMENT_CURSOR = "notion-syncd/comments-cursor"
"""In the git dir (host-local, never committed): the last page whose comments a sweep read."""


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _write_text(path: Path, text: str) -> None:
    """Best effort: a lost cursor only makes the next sweep start from the first page."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(text + "\n", encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        log.warning("sweep.comments_cursor_not_saved", error=str(exc))


class Requery:
    """Asks Notion again where nothing else tells (the client is shared, rate-limited)."""

    def __init__(self, client: NotionClient, writer: MirrorWriter, files: FileRules) -> None:
        self.client = client
        self.mirror = writer.mirror
        self.index = writer.index
        self.views = writer.views
        self.fetched = writer.written
        self.files = files
        self._git_dir = Path(writer.mirror.repo.path)

    def _rewrite(self, object_id: str, transform: Transform) -> bool:
        return rewrite(self.mirror, self.index, self.views, object_id, transform)

    # -- rows after a schema change ------------------------------------------------------

    def rows(self, data_source_id: str) -> None:
        """Replace the page objects of a data source's rows (they show another schema)."""
        log.info("sync.schema_changed", id=data_source_id)
        for row in self._rows_to_check(data_source_id):
            page = self._complete_page(row)
            self._rewrite(dashed_id(str(row["id"])), partial(derived.replace_page, page=page))

    def _rows_to_check(self, data_source_id: str) -> list[dict[str, object]]:
        """Rows mirrored, not fetched by this sync, and not edited since (else refetched)."""
        rows = []
        for row in self.client.query_data_source_all(data_source_id):
            row_id = dashed_id(str(row.get("id", "")))
            if row_id in self.fetched or self.index.get(row_id) is None:
                continue
            stored = self.views.stored(self.index.path_of(row_id))
            if stored is None:
                continue
            if (stored.get("page") or {}).get("last_edited_time") == row.get("last_edited_time"):
                rows.append(row)
        return rows

    def _complete_page(self, row: dict[str, object]) -> derived.Record:
        """A row's page object as a fetch stores it: complete values, files made local."""
        page = without_request_id(dict(row))
        report = FetchReport()
        complete_properties(self.client, page, report)
        stored = self.views.stored(self.index.path_of(str(page["id"])))
        files = download_files(
            self.client,
            {"page": page},
            report,
            max_bytes=self.files.max_bytes,
            enabled=self.files.enabled,
            previous=known_files(stored),
            file_exists=self.files.exists,
        )
        for path, data in sorted(files.items()):
            self.mirror.write(path, data)
        stored_form: derived.Record = jsoncodec.with_sorted_keys(page)
        return stored_form

    # -- in the sweep --------------------------------------------------------------------

    def sweep(self, report: SyncReport) -> list[str]:
        """Refresh recomputed values, drop hosted files no record refers to.

        Returns the data sources to fetch again because their database changed (moved to
        the top level, renamed).
        """
        refetch = []
        for object_id in self.index.all_ids():
            entry = self.index.get(object_id)
            if entry is None or entry.kind != "data_source" or entry.id in self.fetched:
                continue
            record = self.views.stored(self.index.path_of(entry.id))
            if record is None:
                continue
            try:
                if self._database_changed(record):
                    refetch.append(entry.id)
                if derived.has_computed_properties(record):
                    self._refresh_computed(entry.id, report)
            except NotionUnauthorized:
                raise
            except NotionError as exc:
                log.warning("sweep.refresh_skipped", id=entry.id, error=exc.message)
        self.collect_files()
        return refetch

    def _database_changed(self, record: derived.Record) -> bool:
        stored = record.get("database") or {}
        if not stored.get("id"):
            return False
        return without_request_id(self.client.database(str(stored["id"]))) != stored

    def _refresh_computed(self, data_source_id: str, report: SyncReport) -> None:
        for row in self._rows_to_check(data_source_id):
            row_id = dashed_id(str(row["id"]))
            page = dict(row)
            if derived.relation_truncated(page):
                complete_properties(self.client, page, FetchReport())
            if self._rewrite(row_id, partial(derived.refresh_computed, fresh_page=page)):
                stem = self.index.path_of(row_id) or ""
                label = self.index.title_of(row_id) or "Untitled"
                report.add_change(Change("updated", row_id, label, stem, reason=RECOMPUTED))

    def comments(
        self, fetcher: CommentFetcher, pool: ThreadPoolExecutor, report: SyncReport
    ) -> int:
        """Read again the comments of every mirrored page this sync did not fetch.

        Pages go in batches (memory stays flat: one batch of records at a time); requests
        run in the pool, records are rewritten in this thread. Returns how many pages'
        comments changed.
        """
        if not fetcher.enabled:
            return 0
        pages = [
            entry.id
            for entry in map(self.index.get, sorted(self.index.all_ids()))
            if entry is not None and entry.kind == "page" and entry.id not in self.fetched
        ]
        cursor = self._git_dir / COMMENT_CURSOR
        pages = sweep_share(pages, _read_text(cursor), fetcher.per_sweep)
        changed = 0
        for start in range(0, len(pages), COMMENT_BATCH):
            batch = pages[start : start + COMMENT_BATCH]
            changed += self._comments_of(batch, fetcher, pool, report)
        if pages:
            _write_text(cursor, pages[-1])
        return changed

    def _comments_of(
        self,
        page_ids: list[str],
        fetcher: CommentFetcher,
        pool: ThreadPoolExecutor,
        report: SyncReport,
    ) -> int:
        stored = {}
        for page_id in page_ids:
            record = self.views.stored(self.index.path_of(page_id))
            if record is not None:
                stored[page_id] = record

        def ask(page_id: str) -> list[derived.Record] | None:
            try:
                return fetcher.fetch(page_id, stored[page_id].get("blocks") or [])
            except NotionUnauthorized:
                raise
            except NotionError as exc:
                log.warning("sweep.comments_skipped", id=page_id, error=exc.message)
                return None

        changed = 0
        for page_id, comments in zip(stored, pool.map(ask, stored), strict=True):
            if comments is None:
                continue
            if self._rewrite(page_id, partial(with_comments, comments=comments)):
                stem = self.index.path_of(page_id) or ""
                label = self.index.title_of(page_id) or "Untitled"
                report.add_change(Change("updated", page_id, label, stem, reason=CHANGED))
                changed += 1
        return changed

    def collect_files(self) -> int:
        """Delete files under ``_files/`` that no mirrored record refers to; how many."""
        referenced: set[str] = set()
        for object_id in self.index.all_ids():
            entry = self.index.get(object_id)
            if entry is None or entry.kind == "database":
                continue
            record = self.views.stored(self.index.path_of(entry.id))
            if record is not None:
                referenced |= derived.referenced_files(record)
        removed = 0
        for rel in list(self.mirror.walk_files(FILES_DIR)):
            if rel not in referenced and self.mirror.delete(rel):
                removed += 1
        if removed:
            log.info("sweep.files_removed", count=removed)
        return removed

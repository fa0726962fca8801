"""Stream listed objects through the fetch pool into the mirror writer.

For every listed object: skip it when ``planner.decide`` says the mirror has this
version, else fetch it in a worker (``worker.fetch_record``) and write it in this
thread once its parent is mirrored (``workqueue.WorkQueue`` holds it meanwhile). A new
data source queues a query of its rows, which go through the same path. A failed
object is recorded (children waiting for it fail with it) and holds the watermark;
Notion unavailable several times in a row stops the sync.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import structlog

from notion_syncd.errors import (
    NotionError,
    NotionHTTPError,
    NotionInconsistent,
    NotionNotFound,
    NotionRateLimited,
    NotionUnauthorized,
    NotionUnavailable,
    SyncInterrupted,
)
from notion_syncd.notion.client import NotionClient
from notion_syncd.sync import authors, discovery, planner
from notion_syncd.sync.comments import CommentFetcher
from notion_syncd.sync.fetch import FetchedRecord, missing_files
from notion_syncd.sync.fetchjournal import FetchJournal
from notion_syncd.sync.gaps import Gap
from notion_syncd.sync.idset import IdSet
from notion_syncd.sync.listing import ReadAhead
from notion_syncd.sync.parents import ParentResolver, direct_parent, parent_of
from notion_syncd.sync.report import Failure, SyncReport
from notion_syncd.sync.requery import Requery
from notion_syncd.sync.rowsahead import RowsAhead
from notion_syncd.sync.targets import Target
from notion_syncd.sync.window import ListingWindow
from notion_syncd.sync.worker import FileRules, WorkItem, fetch_record, with_files
from notion_syncd.sync.workqueue import WorkQueue
from notion_syncd.sync.writer import MirrorWriter
from notion_syncd.terms import dashed_id

log = structlog.get_logger()


class Exporter:
    """The fetch-and-write loop of one sync (the report and writer are the caller's)."""

    def __init__(
        self,
        client: NotionClient,
        writer: MirrorWriter,
        report: SyncReport,
        window: ListingWindow,
        *,
        files: FileRules,
        concurrency: int,
        checkpoint_every: int,
        checkpoint: Callable[[], None],
        progress: Callable[[str, str], None],
        stop: threading.Event | None,
        comments: CommentFetcher | None = None,
        gaps: Mapping[str, Gap] | None = None,
        checkpoint_seconds: float = 0.0,
        now: Callable[[], datetime] | None = None,
        journal: FetchJournal | None = None,
        downloads: Executor | None = None,
        editors: Callable[[Iterable[str]], None] | None = None,
    ) -> None:
        self._client = client
        self._writer = writer
        self._report = report
        self._window = window
        self._files = files
        self._concurrency = concurrency
        self._downloads = downloads
        """The file lane: hosted files are downloaded here, not in the fetch pool (None: inline)."""
        self._editors = editors
        """Told the editors of every written object (commit authors asked about ahead)."""
        self._checkpoint_every = checkpoint_every
        self._checkpoint_seconds = checkpoint_seconds
        self._now = now or (lambda: datetime.now(UTC))
        self._last_checkpoint = self._now()
        self._checkpoint = checkpoint
        self._progress = progress
        self._stop = stop
        self._comments = comments
        self.queue: WorkQueue[WorkItem, FetchedRecord] = WorkQueue()
        self._rows = RowsAhead(client.query_data_source_all)
        """Rows of data sources written for the first time, queried ahead (``rowsahead``)."""
        self._children_found: dict[str, IdSet] = {}
        """Child pages and databases seen in written blocks that were not queued then
        (search may not show them yet), by kind. In ``IdSet``s, 16 bytes an id: a first
        export meets most children in their parent before the listing brings them, and
        nothing leaves when the listing does; a dict of them held 3,882 ids of 5,510
        objects at the end of a 5,000-page export's listing, then a sorted list of them
        (issue 10)."""
        self._failures_in_a_row = 0
        self._since_checkpoint = 0
        self._untangling: set[str] = set()
        """Parents being written first because the mirror still has them under the child."""
        self._parents = ParentResolver(client, writer.is_mirrored, self._write_missing_parent)
        self._requery = Requery(client, writer, files)
        self._journal = journal
        """What this or an interrupted sync fetched and no commit holds yet."""
        self._gaps: Mapping[str, Gap] = gaps or {}
        """What earlier syncs could not mirror: fetched again by this one (``gaps.py``)."""

    def export(self, results: Iterable[dict[str, Any]], pool: ThreadPoolExecutor) -> None:
        """Fetch and write what ``results`` lists, then the rows of new data sources.

        The rows are queried as soon as their data source is written and join the same
        fetch window once ``results`` runs dry, so the window does not empty in between.
        """
        try:
            self._process(results, pool)
            while self._rows:
                self._process((), pool)
        except BaseException:
            self._rows.close()
            raise

    def refresh(self, targets: Iterable[Target], pool: ThreadPoolExecutor) -> None:
        """Fetch and write the objects named by id that the listing did not (``targets.py``)."""
        failed = {failure.id for failure in self._report.failures}

        def done(object_id: str) -> bool:
            return object_id in self._writer.written or object_id in failed

        for target in sorted(set(targets)):
            if done(target.id):
                continue
            if target.kind == "database":
                for source_id in discovery.data_sources_of(self._client, target.id) or []:
                    if not done(source_id):
                        self.queue.admit(source_id)
                        self.queue.fetch_by_id(self._work_item(source_id, "data_source", None))
                continue
            looked_up = self._look_up(target)
            if looked_up is None:
                continue
            self.queue.admit(target.id)
            decision = planner.decide(
                looked_up, self._writer.index.get(target.id), gap=target.id in self._gaps
            )
            if decision.fetch:
                self.queue.fetch_by_id(self._work_item(target.id, target.kind, looked_up))
        if self.queue.queued:
            log.info("sync.refreshing", count=self.queue.queued)
            self.export((), pool)

    def _look_up(self, target: Target) -> dict[str, Any] | None:
        """A target's GET answer (standing for its listing entry); None: nothing to write."""
        by_id = self._client.data_source if target.kind == "data_source" else self._client.page
        try:
            return dict(by_id(target.id))
        except (NotionUnauthorized, NotionRateLimited):
            raise
        except NotionNotFound:
            return None  # not shared, or gone: the sweep confirms and removes
        except NotionError as exc:
            self._record_failure(target.id, {"object": target.kind}, exc)
            return None

    def export_unlisted_children(self, pool: ThreadPoolExecutor) -> int:
        """Fetch the children found in written pages that neither listing nor mirror has.

        Returns how many objects were queued. Rounds repeat while fetched children bring
        children of their own; rows of data sources found this way are queried too.
        """
        queued = 0
        while self._children_found:
            found, self._children_found = self._children_found, {}
            for kind, object_id in _by_kind(found):
                if not self._is_new(object_id):
                    continue
                self.queue.admit(object_id)
                if kind == "page":
                    self.queue.fetch_by_id(self._work_item(object_id, "page", None))
                    queued += 1
                    continue
                sources = discovery.data_sources_of(self._client, object_id)
                if sources is None:
                    self.queue.mark_unreachable(object_id)
                for source_id in sources or []:
                    if self._is_new(source_id):
                        self.queue.admit(source_id)
                        self.queue.fetch_by_id(self._work_item(source_id, "data_source", None))
                        queued += 1
            if self.queue.queued:
                log.info("sync.unlisted_children", count=self.queue.queued)
                self.export((), pool)
        return queued

    def retry_gaps(self, pool: ThreadPoolExecutor) -> None:
        """Fetch by id every recorded gap the listing did not bring (unchanged in Notion)."""
        for gap_id in sorted(self._gaps):
            if self.queue.seen(gap_id):  # listed, so fetched (or trashed) already
                continue
            self.queue.admit(gap_id)
            self.queue.fetch_by_id(self._work_item(gap_id, self._gaps[gap_id].kind, None))
        if self.queue.queued:
            log.info("sync.retrying_gaps", count=self.queue.queued)
            self.export((), pool)

    def follow_up(self) -> None:
        """What writes and removals made stale that only Notion can tell (``refresh.py``)."""
        followups = self._writer.derived.take_followups()
        for data_source_id in followups.rows_to_query:
            self._requery.rows(data_source_id)
        for kind, object_id in followups.fetch_again:
            self._write_missing_parent(kind, object_id, fresh=True)

    def sweep_derived(self, report: SyncReport, pool: ThreadPoolExecutor | None = None) -> None:
        """The sweep's part: comments, recomputed values, changed databases, orphaned files."""
        self.follow_up()
        if self._comments is not None and pool is not None:
            self._requery.comments(self._comments, pool, report)
        for data_source_id in self._requery.sweep(report):
            self._write_missing_parent("data_source", data_source_id, fresh=True)

    def _is_new(self, object_id: str) -> bool:
        return not self.queue.seen(object_id) and not self._writer.is_mirrored(object_id)

    def _process(self, results: Iterable[dict[str, Any]], pool: ThreadPoolExecutor) -> None:
        source = iter(results)

        def next_listed() -> WorkItem | None:
            for result in source:
                if (item := self._candidate(result)) is not None:
                    return item
            while (row := self._rows.next_row()) is not None:
                if (item := self._candidate(row)) is not None:
                    return item
            return None

        then = self._download if self._downloads is not None else None
        runs = self.queue.run(pool, self._fetch_lane, next_listed, self._window_size, then=then)
        for item, future in runs:
            self._check_stop()
            try:
                fetched = future.result()
            except (SyncInterrupted, NotionUnauthorized, NotionRateLimited):
                raise  # every other object would fail the same way: stop now
            except NotionNotFound as exc:
                if item.listed is None:  # a parent or a gap fetched by id: not shared
                    self.queue.mark_unreachable(item.id)
                    self._release(item.id)
                    if item.id in self._gaps:
                        self._report.gaps_resolved.add(item.id)
                else:
                    self._record_failure(item.id, item.listed, exc)
                continue
            except NotionError as exc:
                self._record_failure(item.id, item.listed, exc)
                continue
            self._failures_in_a_row = 0
            self._write_or_fail(fetched)
            if self._checkpoint_due():
                self._checkpoint()
                self._since_checkpoint = 0
                self._last_checkpoint = self._now()
        # Parents that failed or were never listed: place the children the slow way.
        for fetched in self.queue.leftovers():
            self._write_or_fail(fetched, wait_for_parent=False)

    def _window_size(self) -> int:
        """Objects in flight: Little's law from the latency seen, at most ``concurrency``."""
        return min(self._concurrency, self._client.in_flight_target())

    def _checkpoint_due(self) -> bool:
        """Every ``checkpoint_every`` objects, or ``checkpoint_seconds`` after the last one."""
        if self._since_checkpoint >= self._checkpoint_every:
            return True
        if not self._since_checkpoint or self._checkpoint_seconds <= 0:
            return False
        elapsed = (self._now() - self._last_checkpoint).total_seconds()
        return elapsed >= self._checkpoint_seconds

    def _candidate(self, result: object) -> WorkItem | None:
        """A listed object to fetch, or None when it is a duplicate or unchanged."""
        if not isinstance(result, dict) or "id" not in result:
            return None
        object_id = dashed_id(str(result["id"]))
        if not self.queue.admit(object_id):
            return None
        self._report.discovered += 1
        decision = planner.decide(
            result, self._writer.index.get(object_id), gap=object_id in self._gaps
        )
        if not decision.fetch:
            self._report.unchanged += decision.reason == "unchanged"
            if decision.reason == "trashed" and object_id in self._gaps:
                self._report.gaps_resolved.add(object_id)
            return None
        return self._work_item(object_id, decision.kind, result)

    def _work_item(self, object_id: str, kind: str, listed: dict[str, Any] | None) -> WorkItem:
        """Prepared in this thread: the index is not shared with the workers."""
        known, links = self._writer.previous(object_id)
        return WorkItem(object_id, kind, listed, known, links)

    def _fetch(self, item: WorkItem, *, fresh: bool = False) -> FetchedRecord:
        """Fetch in a worker; ``fresh``: never from the journal (derived content changed)."""
        journal = self._journal
        return fetch_record(
            self._client, item, self._files, self._stop, self._comments, journal, reuse=not fresh
        )

    def _fetch_lane(self, item: WorkItem) -> FetchedRecord:
        """The API part in the fetch pool; files follow on their own lane (``_download``)."""
        downloads = self._downloads is None
        return fetch_record(
            self._client,
            item,
            self._files,
            self._stop,
            self._comments,
            self._journal,
            downloads=downloads,
        )

    def _download(self, item: WorkItem, fetched: FetchedRecord) -> Future[FetchedRecord] | None:
        if not fetched.files_pending or self._downloads is None:
            return None
        return self._downloads.submit(
            with_files, self._client, item, fetched, self._files, self._journal
        )

    def _write_or_fail(self, fetched: FetchedRecord, *, wait_for_parent: bool = True) -> None:
        """Write an object; if placing it needs a parent Notion will not give, it fails."""
        try:
            self._write(fetched, wait_for_parent=wait_for_parent)
        except (NotionUnauthorized, NotionRateLimited):
            raise
        except NotionError as exc:
            obj = fetched.record.get("page") or fetched.record.get("data_source") or {}
            self._record_failure(dashed_id(str(obj.get("id"))), obj, exc)

    def _write(self, fetched: FetchedRecord, *, wait_for_parent: bool = True) -> None:
        """Write a fetched object, or hold it until its parent (being fetched) is written."""
        record = fetched.record
        obj = record.get("page") or record.get("data_source") or {}
        object_id = dashed_id(str(obj["id"]))
        if self._writer.already_written(object_id, str(obj.get("last_edited_time") or "")):
            return
        if wait_for_parent and self._hold_for_parent(record, fetched):
            return
        parent_id = self._parents.resolve(parent_of(record))
        if parent_id is not None:
            self._untangle(object_id, parent_id)
        self._report.fetched += 1
        self._report.absorb(fetched.report)
        if self._writer.write(fetched, parent_id):
            self._rows.add(object_id)
        if self._editors is not None:
            edit = authors.page_edit(record, None) if "page" in record else authors.edit_of(obj)
            if edit is not None:
                self._editors((edit.user_id, *edit.co_editors))
        self._note_missing_files(object_id, record)
        self.follow_up()
        if object_id not in self._gaps or object_id in self._window.listed:
            self._window.wrote(object_id, str(obj.get("last_edited_time") or ""))
        for child_id, child_kind in discovery.child_objects(record.get("blocks") or []):
            if not self.queue.seen(child_id):
                self._children_found.setdefault(child_kind, IdSet()).add(child_id)
        self._since_checkpoint += 1
        self._progress("exporting", f"exported {len(self._writer.written)} objects")
        self._release(object_id)

    def _note_missing_files(self, object_id: str, record: dict[str, Any]) -> None:
        """A written record that lacks hosted files is a gap (unless downloads are off)."""
        missing = missing_files(record) if self._files.enabled else []
        if not missing:
            self._report.missing_files.pop(object_id, None)
            return
        kind = "data_source" if "data_source" in record else "page"
        sources = tuple(source for source, _reason in missing)
        self._report.missing_files[object_id] = Gap(object_id, kind, missing[0][1], sources)
        log.warning("sync.files_missing", id=object_id, files=list(sources))

    def _hold_for_parent(self, record: dict[str, Any], fetched: FetchedRecord) -> bool:
        """Hold a record whose page/data-source parent is not mirrored yet (queued for fetching).

        Out-of-order listings (a child before its parent) then cost no extra time: the
        parent is fetched by the same pool, and the child is written right after it.
        """
        parent = direct_parent(record)
        if parent is None or self._writer.is_mirrored(parent[1]):
            return False
        kind, parent_id = parent
        return self.queue.hold(parent_id, fetched, lambda: self._work_item(parent_id, kind, None))

    def _untangle(self, object_id: str, parent_id: str) -> None:
        """Make sure the new parent is not (still) mirrored inside the object itself.

        Notion has no cycles, so when the parent's mirrored chain runs through the
        object, some page on that chain moved and its move is not written yet (B left A,
        then A went under C inside B, and A is listed first). The chain's pages are
        fetched by id and written, from the one right under the object down, until the
        loop is gone; if it stays (pages moved again meanwhile), the object fails and is
        retried next sync rather than being written into its own folder.
        """
        index = self._writer.index
        if not index.descends_from(parent_id, object_id):
            return
        chain = []
        for entry in index.lineage(parent_id):
            if entry is None or entry.id == object_id:
                break
            if not entry.alias_of:
                chain.append(entry)
        for entry in reversed(chain):
            if entry.id in self._untangling:
                continue
            kind = "data_source" if entry.kind == "data_source" else "page"
            self._untangling.add(entry.id)
            try:
                fetched = self._fetch(self._work_item(entry.id, kind, None), fresh=True)
                self._write(fetched, wait_for_parent=False)
            finally:
                self._untangling.discard(entry.id)
            if not index.descends_from(parent_id, object_id):
                return
        raise NotionInconsistent(
            f"{parent_id} is still inside {object_id} in Notion's answers; retried next sync"
        )

    def _release(self, parent_id: str) -> None:
        for child in self.queue.release(parent_id):
            self._write(child)

    def _write_missing_parent(
        self, kind: str, parent_id: str, *, fresh: bool = False
    ) -> str | None:
        """Fetch and write a parent right now (the rare, slow path; ``fresh``: see ``_fetch``)."""
        if self.queue.unreachable(parent_id):
            return None
        self.queue.admit(parent_id)
        try:
            fetched = self._fetch(self._work_item(parent_id, kind, None), fresh=fresh)
        except NotionHTTPError:
            # Not shared (or not readable): the child goes to the top level.
            self.queue.mark_unreachable(parent_id)
            return None
        # Any other error (Notion unavailable) propagates: the child fails and is retried.
        self._write(fetched, wait_for_parent=False)
        return parent_id if self._writer.is_mirrored(parent_id) else None

    def _record_failure(
        self, object_id: str, listed: dict[str, Any] | None, exc: NotionError
    ) -> None:
        reason = exc.message
        edited = (listed or {}).get("last_edited_time")
        gap = self._gaps.get(object_id)
        kind = _kind_of(listed) or (gap.kind if gap is not None else "page")
        self._report.failures.append(Failure(object_id, reason, edited, kind))
        log.warning("sync.object_failed", id=object_id, reason=reason)
        # Children waiting for it are not placed elsewhere: they fail too, hold the
        # watermark, and are fetched again with their parent next time.
        for fetched in self.queue.release(object_id):
            child = fetched.record.get("page") or fetched.record.get("data_source") or {}
            self._report.failures.append(
                Failure(
                    dashed_id(str(child.get("id", ""))),
                    f"its parent {object_id} could not be fetched: {reason}",
                    child.get("last_edited_time"),
                    "data_source" if "data_source" in fetched.record else "page",
                )
            )
        self._failures_in_a_row += 1
        if planner.should_abort(self._failures_in_a_row, isinstance(exc, NotionUnavailable)):
            raise NotionUnavailable(
                f"Notion failed {self._failures_in_a_row} times in a row; sync stopped "
                f"(last error: {reason})"
            )

    def _check_stop(self) -> None:
        if self._stop is not None and self._stop.is_set():
            raise SyncInterrupted("stop requested; the rest is synced next time")


def _kind_of(listed: dict[str, Any] | None) -> str | None:
    """``page`` or ``data_source`` for a listed object (None when not known)."""
    kind = (listed or {}).get("object")
    return str(kind) if kind in ("page", "data_source") else None


def listing(client: NotionClient, window: ListingWindow) -> Iterator[dict[str, Any]]:
    """``POST /v1/search`` newest first down to the window's floor, read ahead
    (``listing.ReadAhead``); every object shown is recorded in ``window``, and its end."""

    def below_floor(result: dict[str, Any]) -> bool:
        return planner.below_floor(result, window.floor)

    with ReadAhead(client.search(), below_floor=below_floor) as listed:
        for result in listed:
            window.saw(dashed_id(str(result.get("id"))), result)
            window.listing_total = listed.total
            yield result
        window.listing_total = listed.total
    window.listing_done = True


def _by_kind(found: Mapping[str, IdSet]) -> Iterator[tuple[str, str]]:
    """``(kind, id)`` of every id found, kind by kind, each kind's ids in order."""
    for kind, ids in sorted(found.items()):
        for object_id in ids.in_order():
            yield kind, object_id

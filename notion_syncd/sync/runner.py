"""One sync: state from the repo → discover → fetch → render → write → commit.

This is the I/O shell around the pure planner (``planner.py``) and renderers
(``export/``). Terms (used the same way everywhere):

- *page*: a Notion page, including a database row; *data source*: a table with a
  schema; *database*: the container of data sources.
- *record*: the raw API JSON we store for an object (see ``docs/ARCHITECTURE.md``).
- *index entry*: what the mirror knows about an object (``state.IndexEntry``).
- *watermark*: the newest ``last_edited_time`` up to which every change is mirrored.

Discovery streams ``POST /v1/search`` newest first and stops below ``watermark -
overlap``; objects whose ``last_edited_time`` equals the indexed one are skipped, so a
sync with no change costs one request. Changed objects are fetched by a pool of
``notion.concurrency`` workers through one rate limiter, and written in listing order
by this thread. Long exports commit checkpoints every ``sync.checkpoint_pages`` objects
(the watermark only moves with the final commit), so a crash loses minutes, not the run.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from notion_syncd import metrics
from notion_syncd.config import Settings, resolve_token
from notion_syncd.errors import (
    NotionError,
    NotionHTTPError,
    NotionNotFound,
    NotionRateLimited,
    NotionUnauthorized,
    NotionUnavailable,
    SyncInterrupted,
)
from notion_syncd.export.paths import dashed_id, safe_name
from notion_syncd.gitstore import Author, Mirror, open_mirror
from notion_syncd.heartbeat import Heartbeat
from notion_syncd.notion.client import NotionClient
from notion_syncd.sync import backlinks, discovery, lag, listing, planner, visibility
from notion_syncd.sync.fetch import (
    FetchedRecord,
    FetchReport,
    complete_properties,
    download_files,
    fetch_block_tree,
    known_files,
    without_request_id,
)
from notion_syncd.sync.report import Change, Failure, Progress, SyncReport
from notion_syncd.sync.rerender import Views, rebuild_views
from notion_syncd.sync.state import (
    LEDGER_FILE,
    STATE_FILE,
    Index,
    IndexEntry,
    Kind,
    SyncState,
    dump_json,
    read_state,
)
from notion_syncd.sync.sweep import run_sweep
from notion_syncd.sync.views import record_json

log = structlog.get_logger()

CONSECUTIVE_FAILURES_TO_ABORT = 5
_pages_counted = False
"""Whether this process has set the pages gauge yet (later syncs update it on change)."""
MAX_WAITING = 200
"""Objects held in memory while their parent is fetched; past this, parents are fetched inline."""
SUFFIXES = (".json", ".md", ".html", ".csv")

ProgressCallback = Callable[[Progress], None]


class Clock(Protocol):
    def __call__(self) -> datetime: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


def run_sync(
    settings: Settings,
    *,
    client: NotionClient | None = None,
    heartbeat: Heartbeat | None = None,
    progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
    sweep: bool | None = None,
    allow_mass_delete: bool = False,
    now: Clock = _utcnow,
) -> SyncReport:
    """Run one sync of the workspace into ``settings.export.repo`` and return its report.

    Raises a ``NotionSyncdError``; the mirror is consistent (HEAD equals the working tree)
    whatever happens, and the watermark only moves when every listed object was written.
    """
    started = time.monotonic()
    metrics.LAST_SYNC_ATTEMPT.set(time.time())
    own_client = client is None
    if client is None:
        client = NotionClient(
            resolve_token(settings.notion),
            base_url=settings.notion.base_url,
            version=settings.notion.version,
            requests_per_second=settings.notion.requests_per_second,
            burst=settings.notion.burst,
            timeout=settings.notion.timeout,
            max_retry_time=settings.notion.max_retry_time,
            heartbeat=heartbeat,
            stop=stop,
        )
    try:
        with open_mirror(settings.export.repo, branch=settings.export.branch) as mirror:
            run = SyncRun(settings, client, mirror, heartbeat, progress, stop, now)
            try:
                report = run.execute(sweep=sweep, allow_mass_delete=allow_mass_delete)
            finally:
                run.count_requests()
                run.report.duration = time.monotonic() - started
    except BaseException:
        metrics.SYNC_RUNS.labels("failure").inc()
        metrics.SYNC_DURATION.observe(time.monotonic() - started)
        raise
    finally:
        if own_client:
            client.close()
    metrics.SYNC_RUNS.labels("success").inc()
    metrics.SYNC_DURATION.observe(report.duration)
    metrics.LAST_SYNC_SUCCESS.set(time.time())
    log.info(
        "sync.finished",
        added=report.count("added"),
        updated=report.count("updated"),
        moved=report.count("moved"),
        deleted=report.count("deleted"),
        unchanged=report.unchanged,
        failed=report.failed,
        requests=report.requests,
        rate_limited=report.rate_limited,
        duration=round(report.duration, 3),
        commit=report.commit,
        watermark=report.watermark,
    )
    return report


def _parallel(
    pool: ThreadPoolExecutor,
    work: Callable[[WorkItem], FetchedRecord],
    next_item: Callable[[], WorkItem | None],
    window: int,
) -> Iterator[tuple[WorkItem, Future[FetchedRecord]]]:
    """Keep up to ``window`` items in flight; yield each as soon as it is done.

    Completion order keeps every worker busy (one slow page does not hold back the
    rest); nothing written depends on that order, and reports are sorted before use.
    ``next_item`` is asked again after every completion, so work found while writing
    (a parent that is not mirrored yet) joins the same pool.
    """
    pending: dict[Future[FetchedRecord], WorkItem] = {}
    try:
        while True:
            while len(pending) < window and (item := next_item()) is not None:
                pending[pool.submit(work, item)] = item
            if not pending:
                return
            done, _running = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future
    finally:
        for future in pending:
            future.cancel()


@dataclass(frozen=True)
class WorkItem:
    """An object to fetch: as listed (``listed``) or by id only (a missing parent)."""

    id: str
    kind: str
    listed: dict[str, Any] | None
    known_files: dict[str, str]
    links_before: frozenset[str] = frozenset()


class SyncRun:
    """The state of one sync in progress (one mirror, one client, one report)."""

    def __init__(
        self,
        settings: Settings,
        client: NotionClient,
        mirror: Mirror,
        heartbeat: Heartbeat | None,
        progress: ProgressCallback | None,
        stop: threading.Event | None,
        now: Clock,
    ) -> None:
        self.settings = settings
        self.client = client
        self.mirror = mirror
        self.index = Index(mirror)
        self.heartbeat = heartbeat
        self.progress_callback = progress
        self.stop = stop
        self.now = now
        self.formats = tuple(settings.export.formats)
        self.report = SyncReport()
        self.author = Author(settings.git.author_name, settings.git.author_email)
        self.seen: set[str] = set()
        self.written: dict[str, str] = {}
        self.views = Views(mirror, self.index, self.formats)
        self.newest_seen: str | None = None
        self.since_checkpoint = 0
        self.consecutive_failures = 0
        self.structure_changed = False
        self.state = SyncState()
        self.row_queries: deque[str] = deque()
        self.parents_to_fetch: deque[WorkItem] = deque()
        self.waiting_for_parent: dict[str, list[FetchedRecord]] = {}
        self.unreachable: set[str] = set()
        self.children_found: dict[str, str] = {}  # child pages/databases seen in blocks
        self.listed: set[str] = set()  # ids the search listing showed
        # Objects written that the listing had not shown (yet): evidence of search lag
        # only once the listing is over without showing them (a parent fetched by id
        # ahead of its place in the listing is no evidence).
        self.written_unlisted: dict[str, str] = {}
        self.listing_started = now()
        self.listing_done = False
        self.floor: datetime | None = None
        self.requests_before = self._api_requests()

    def _api_requests(self) -> tuple[int, int]:
        """Notion API requests and rate-limit answers so far (file downloads go elsewhere)."""
        stats = self.client.stats
        return stats.requests - stats.by_endpoint.get("files", 0), stats.rate_limited

    def count_requests(self) -> None:
        requests, rate_limited = self._api_requests()
        self.report.requests = requests - self.requests_before[0]
        self.report.rate_limited = rate_limited - self.requests_before[1]

    # -- the whole run ---------------------------------------------------------------

    def execute(self, *, sweep: bool | None, allow_mass_delete: bool) -> SyncReport:
        self.state = read_state(self.mirror)
        self.report.previous_watermark = self.state.watermark
        reach = lag.listing_reach(self.settings.sync.overlap, self.state.search_lag)
        self.floor = floor = planner.listing_floor(self.state.watermark, reach)
        self.listing_started = self.now()
        self._progress("listing", "listing changes in Notion")
        pool = ThreadPoolExecutor(
            max_workers=self.settings.notion.concurrency, thread_name_prefix="fetch"
        )
        try:
            self._process(self._listing(floor), pool)
            self.listing_done = True
            visibility.check_something_listed(
                self.report.discovered, self.state.watermark, self.index.count
            )
            while self.row_queries:
                self._process(self._rows_of(self.row_queries.popleft()), pool)
            discovery.fetch_unlisted_children(self, pool)  # search lags behind new pages
            refused = run_sweep(self, pool, allow_mass_delete=allow_mass_delete) if sweep else None
        except SyncInterrupted:
            self._checkpoint()
            raise
        except NotionError:
            self.report.complete = False
            self._checkpoint()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        self._finish()
        if refused is not None:
            raise refused  # the sweep deleted nothing; everything else is committed
        return self.report

    def _listing(self, floor: datetime | None) -> Iterator[dict[str, Any]]:
        """The search listing down to ``floor``, read ahead (``listing.py``). Only what it
        shows moves the watermark: rows from data-source queries and parents fetched by id
        may be newer than pages search has not indexed yet."""

        def below_floor(result: dict[str, Any]) -> bool:
            return planner.below_floor(result, floor)

        with listing.ReadAhead(self.client.search(), below_floor=below_floor) as listed:
            for result in listed:
                self.newest_seen = listing.newer(self.newest_seen, result)
                self.listed.add(dashed_id(str(result.get("id"))))
                yield result

    # -- streaming: decide, fetch in parallel, write as fetches complete ---------------

    def _candidate(self, result: object) -> WorkItem | None:
        """A listed object to fetch, or None when it is a duplicate or unchanged."""
        if not isinstance(result, dict) or "id" not in result:
            return None
        object_id = dashed_id(str(result["id"]))
        if object_id in self.seen:
            return None
        self.seen.add(object_id)
        self.report.discovered += 1
        decision = planner.decide(result, self.index.get(object_id))
        if not decision.fetch:
            self.report.unchanged += decision.reason == "unchanged"
            return None
        return self._work_item(object_id, decision.kind, result)

    def _work_item(self, object_id: str, kind: str, listed: dict[str, Any] | None) -> WorkItem:
        """Prepared in this thread: the index is not shared with the workers."""
        previous = self.views.stored(self.index.path_of(object_id))
        links = frozenset(backlinks.link_targets(previous)) if previous else frozenset()
        return WorkItem(object_id, kind, listed, known_files(previous), links)

    def _process(self, results: Iterable[dict[str, Any]], pool: ThreadPoolExecutor) -> None:
        source = iter(results)

        def next_item() -> WorkItem | None:
            while True:
                if self.parents_to_fetch:
                    return self.parents_to_fetch.popleft()
                result = next(source, None)
                if result is None:
                    return None
                if (item := self._candidate(result)) is not None:
                    return item

        window = self.settings.notion.concurrency * 4
        for item, future in _parallel(pool, self._fetch, next_item, window):
            self._check_stop()
            try:
                fetched = future.result()
            except SyncInterrupted:
                raise
            except (NotionUnauthorized, NotionRateLimited):
                raise  # every other object would fail the same way: stop now
            except NotionNotFound as exc:
                if item.listed is None:
                    self.unreachable.add(item.id)
                    self._release(item.id)
                else:
                    self._record_failure(item, exc)
                continue
            except NotionError as exc:
                self._record_failure(item, exc)
                continue
            self.consecutive_failures = 0
            self._write_or_fail(fetched)
            if self.since_checkpoint >= self.settings.sync.checkpoint_pages:
                self._checkpoint()
        for parent_id in sorted(self.waiting_for_parent):
            # The parent failed or was never listed: place the children the slow way.
            for fetched in self.waiting_for_parent.pop(parent_id):
                self._write_or_fail(fetched, wait_for_parent=False)

    def _write_or_fail(self, fetched: FetchedRecord, *, wait_for_parent: bool = True) -> None:
        """Write an object; if placing it needs a parent Notion will not give, it fails."""
        try:
            self._write(fetched, wait_for_parent=wait_for_parent)
        except (NotionUnauthorized, NotionRateLimited):
            raise
        except NotionError as exc:
            obj = fetched.record.get("page") or fetched.record.get("data_source") or {}
            kind = "data_source" if "data_source" in fetched.record else "page"
            self._record_failure(WorkItem(dashed_id(str(obj.get("id"))), kind, obj, {}), exc)

    def _rows_of(self, data_source_id: str) -> Iterator[dict[str, Any]]:
        yield from self.client.query_data_source_all(data_source_id)

    def _record_failure(self, item: WorkItem, exc: NotionError) -> None:
        object_id = item.id
        reason = exc.message
        edited = (item.listed or {}).get("last_edited_time")
        self.report.failures.append(Failure(object_id, reason, edited))
        log.warning("sync.object_failed", id=object_id, reason=reason)
        # Children waiting for it are not placed elsewhere: they fail too, hold the
        # watermark, and are fetched again with their parent next time.
        for fetched in self.waiting_for_parent.pop(object_id, []):
            child = fetched.record.get("page") or fetched.record.get("data_source") or {}
            child_id = dashed_id(str(child.get("id", "")))
            child_reason = f"its parent {object_id} could not be fetched: {reason}"
            child_edited = child.get("last_edited_time")
            self.report.failures.append(Failure(child_id, child_reason, child_edited))
        self.consecutive_failures += 1
        if (
            isinstance(exc, NotionUnavailable)
            and self.consecutive_failures >= CONSECUTIVE_FAILURES_TO_ABORT
        ):
            raise NotionUnavailable(
                f"Notion failed {self.consecutive_failures} times in a row; sync stopped "
                f"(last error: {reason})"
            )

    def _check_stop(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise SyncInterrupted("stop requested; the rest is synced next time")

    def _progress(self, phase: str, message: str) -> None:
        if self.heartbeat is not None:
            self.heartbeat.beat()
        if self.progress_callback is not None:
            written = len(self.written)
            self.progress_callback(Progress(phase, written, None, message))

    # -- fetching (worker threads) ---------------------------------------------------

    def _fetch(self, item: WorkItem) -> FetchedRecord:
        """Runs in a worker thread: only the client and plain file checks are used here."""
        if self.stop is not None and self.stop.is_set():
            raise SyncInterrupted("stop requested")
        report = FetchReport()
        listed = item.listed
        if listed is None:
            by_id = self.client.data_source if item.kind == "data_source" else self.client.page
            listed = by_id(item.id)
        if item.kind == "data_source":
            record = self._data_source_record(listed)
        else:
            page = without_request_id(listed)
            complete_properties(self.client, page, report)
            blocks = fetch_block_tree(self.client, page["id"], report, stop=self.stop)
            record = {"page": page, "blocks": blocks}
        files = download_files(
            self.client,
            record,
            report,
            max_bytes=self.settings.export.max_file_size,
            enabled=self.settings.export.download_files,
            previous=item.known_files,
            file_exists=self.mirror.exists,
        )
        # Render from exactly what is stored (sorted keys), so a later offline
        # re-render of the JSON gives the same bytes.
        return FetchedRecord(json.loads(record_json(record)), files, report, item.links_before)

    def _data_source_record(self, data_source: dict[str, Any]) -> dict[str, Any]:
        parent = data_source.get("parent") or {}
        database_id = parent.get("database_id")
        database: dict[str, Any] = {}
        if database_id:
            database = without_request_id(self.client.database(database_id))
        return {"database": database, "data_source": without_request_id(data_source)}

    # -- writing (this thread) -------------------------------------------------------

    def _write(self, fetched: FetchedRecord, *, wait_for_parent: bool = True) -> None:
        """Write a fetched object, or hold it until its parent (being fetched) is written."""
        record = fetched.record
        obj = record.get("page") or record.get("data_source") or {}
        object_id = dashed_id(str(obj["id"]))
        edited = str(obj.get("last_edited_time") or "")
        if self.written.get(object_id) == edited:
            return
        if wait_for_parent and (parent_id := self._parent_to_wait_for(record)):
            self.waiting_for_parent.setdefault(parent_id, []).append(fetched)
            return
        self.report.fetched += 1
        self.report.absorb(fetched.report)
        for path, data in sorted(fetched.files.items()):
            self.mirror.write(path, data)
        if "data_source" in record:
            if self._write_data_source(record, edited):
                self.row_queries.append(object_id)
        else:
            self._write_page(record, edited, fetched.links_before)
        self.written[object_id] = edited
        if object_id not in self.listed:
            self.written_unlisted[object_id] = edited
        self.since_checkpoint += 1
        self._progress("exporting", f"exported {len(self.written)} objects")
        self._release(object_id)

    def _release(self, parent_id: str) -> None:
        for child in self.waiting_for_parent.pop(parent_id, []):
            self._write(child)

    def _parent_to_wait_for(self, record: dict[str, Any]) -> str | None:
        """The id of a page/data-source parent that is not mirrored yet (queued for fetching).

        Out-of-order listings (a child before its parent) then cost no extra time: the
        parent is fetched by the same pool, and the child is written right after it.
        """
        holder = record.get("database") if "data_source" in record else record.get("page")
        parent = (holder or {}).get("parent") or {}
        kind = parent.get("type")
        if kind not in ("page_id", "data_source_id") or not isinstance(parent.get(kind), str):
            return None
        parent_id = dashed_id(parent[kind])
        if parent_id in self.unreachable or self.index.get(parent_id) is not None:
            return None
        if sum(len(items) for items in self.waiting_for_parent.values()) >= MAX_WAITING:
            return None
        if parent_id not in self.seen:
            self.seen.add(parent_id)
            object_kind = "data_source" if kind == "data_source_id" else "page"
            self.parents_to_fetch.append(self._work_item(parent_id, object_kind, None))
        return parent_id

    def _settled(self, edited: str) -> bool:
        return bool(edited) and planner.is_settled(edited, self.now())

    def _place(self, object_id: str, title: str, parent_id: str | None) -> tuple[str, str | None]:
        """The name for an object under its parent, and the path stem it had before."""
        old_entry = self.index.get(object_id)
        old_stem = self.index.path_of(object_id) if old_entry else None
        if old_entry is not None and old_entry.title == title and old_entry.parent == parent_id:
            return old_entry.name, old_stem
        parent_stem = self.index.path_of(parent_id) if parent_id else ""
        name = safe_name(title, object_id)
        candidate = f"{parent_stem}/{name}" if parent_stem else name
        owner = self._owner_of(candidate)
        if owner is not None and owner != object_id:
            name = safe_name(title, object_id, long_suffix=True)
        return name, old_stem

    def _owner_of(self, stem: str) -> str | None:
        raw = self.mirror.read(f"{stem}.json")
        if raw is None:
            return None
        with contextlib.suppress(ValueError, AttributeError, KeyError, TypeError):
            data = json.loads(raw)
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
        self.structure_changed = True
        moved_ids = []
        for suffix in SUFFIXES:
            if self.mirror.exists(old_stem + suffix):
                self.mirror.move(old_stem + suffix, new_stem + suffix)
        owner = self._owner_of(new_stem)
        if owner:
            moved_ids.append(owner)
        for rel in list(self.mirror.walk_files(old_stem)):
            target = new_stem + rel[len(old_stem) :]
            self.mirror.move(rel, target)
            if target.endswith(".json") and (child := self._owner_of(target[: -len(".json")])):
                moved_ids.append(child)
        for moved in moved_ids:
            self.views.pending.add(moved)
            self.views.pending.update(backlinks.sources_of(self.mirror, moved))

    def _index_object(
        self,
        object_id: str,
        kind: Kind,
        title: str,
        parent_id: str | None,
        name: str,
        edited: str,
        obj: dict[str, Any],
    ) -> None:
        self.index.put(
            IndexEntry(
                id=object_id,
                kind=kind,
                title=title,
                parent=parent_id,
                name=name,
                last_edited_time=edited,
                created_time=str(obj.get("created_time") or ""),
                settled=self._settled(edited),
            )
        )

    def _write_page(
        self, record: dict[str, Any], edited: str, links_before: frozenset[str]
    ) -> None:
        page = record["page"]
        object_id = dashed_id(page["id"])
        parent_id = self._ensure_parent(page.get("parent") or {})
        title = planner.title_of_page(page)
        name, old_stem = self._place(object_id, title, parent_id)
        was_indexed = self.index.get(object_id) is not None
        self._index_object(object_id, "page", title, parent_id, name, edited, page)
        stem = self.index.path_of(object_id) or name
        self._relocate(old_stem, stem)
        backlinks.update(self.mirror, object_id, links_before, backlinks.link_targets(record))
        self.views.write_page(record, stem, object_id)
        for child_id, child_kind in discovery.child_objects(record.get("blocks") or []):
            if child_id not in self.seen:
                self.children_found[child_id] = child_kind
        self._note_change(object_id, title, stem, old_stem, was_indexed)
        parent = page.get("parent") or {}
        if parent.get("type") == "data_source_id":
            self.views.data_sources.add(dashed_id(parent["data_source_id"]))

    def _write_data_source(self, record: dict[str, Any], edited: str) -> bool:
        data_source, database = record["data_source"], record["database"]
        object_id = dashed_id(data_source["id"])
        parent_id = self._ensure_parent(database.get("parent") or {})
        title = planner.title_of_rich_text(data_source.get("title")) or planner.title_of_rich_text(
            database.get("title")
        )
        name, old_stem = self._place(object_id, title, parent_id)
        was_indexed = self.index.get(object_id) is not None
        self._index_object(object_id, "data_source", title, parent_id, name, edited, data_source)
        if database.get("id"):
            database_id = dashed_id(database["id"])
            self.index.put(
                IndexEntry(
                    id=database_id,
                    kind="database",
                    title=title,
                    parent=parent_id,
                    name=name,
                    last_edited_time="",
                    alias_of=object_id,
                )
            )
        stem = self.index.path_of(object_id) or name
        self._relocate(old_stem, stem)
        self.mirror.write(f"{stem}.json", record_json(record))
        self.views.data_sources.add(object_id)
        self._note_change(object_id, title, stem, old_stem, was_indexed)
        return not was_indexed

    def _note_change(
        self, object_id: str, title: str, stem: str, old_stem: str | None, was_indexed: bool
    ) -> None:
        label = title or "Untitled"
        if not was_indexed:
            self.structure_changed = True
            # Pages that already linked to it (a restore, a newly shared page) now resolve;
            # pages written in this sync are covered by the unresolved-link tracking.
            linkers = backlinks.sources_of(self.mirror, object_id)
            self.views.pending.update(s for s in linkers if s not in self.written)
            self.report.add_change(Change("added", object_id, label, stem))
            metrics.PAGE_CHANGES.labels("added").inc()
        elif old_stem is not None and old_stem != stem:
            self.report.add_change(Change("moved", object_id, label, stem, old_path=old_stem))
            metrics.PAGE_CHANGES.labels("moved").inc()
        else:
            self.report.add_change(Change("updated", object_id, label, stem))
            metrics.PAGE_CHANGES.labels("modified").inc()

    # -- parents ---------------------------------------------------------------------

    def _ensure_parent(self, parent: dict[str, Any]) -> str | None:
        """The index id of the object this parent reference places us under.

        A parent that is not mirrored yet is fetched and written first (out-of-order
        listing); a parent block is walked up to its page; an unreachable parent
        (not shared) places the object at the top level.
        """
        kind = parent.get("type")
        for _ in range(100):
            if kind in (None, "workspace"):
                return None
            target = parent.get(kind)
            if not isinstance(target, str):
                return None
            if kind == "block_id":
                try:
                    block = self.client.block(target)
                except NotionHTTPError:
                    return None
                if block.get("type") == "child_page":
                    kind, parent = "page_id", {"type": "page_id", "page_id": block["id"]}
                    continue
                parent = block.get("parent") or {}
                kind = parent.get("type")
                continue
            if kind == "database_id":
                try:
                    database = self.client.database(target)
                except NotionHTTPError:
                    return None
                parent = database.get("parent") or {}
                kind = parent.get("type")
                continue
            target_id = dashed_id(target)
            if self.index.get(target_id) is not None:
                return target_id
            return self._write_missing_parent(kind, target_id)
        return None

    def _write_missing_parent(self, kind: str, target_id: str) -> str | None:
        """Fetch and write a parent right now (the rare, slow path)."""
        if target_id in self.unreachable:
            return None
        self.seen.add(target_id)
        object_kind = "data_source" if kind == "data_source_id" else "page"
        try:
            fetched = self._fetch(self._work_item(target_id, object_kind, None))
        except NotionHTTPError:
            # Not shared (or not readable): the child goes to the top level.
            self.unreachable.add(target_id)
            return None
        # Any other error (Notion unavailable) propagates: the child fails and is retried.
        self._write(fetched, wait_for_parent=False)
        return target_id if self.index.get(target_id) is not None else None

    # -- finishing -------------------------------------------------------------------

    def _write_state(self, watermark: str | None) -> None:
        state = SyncState(
            watermark=watermark,
            formats=self.formats,
            search_lag=lag.remembered_lag(self.state.search_lag, self._lag_observed()),
        )
        self.mirror.write(STATE_FILE, state.to_json())

    def _lag_observed(self) -> float:
        """Seconds search was behind, from objects written that it never listed."""
        if not self.listing_done:
            return 0.0
        return max(
            (
                lag.observed_lag(edited, self.listing_started, self.floor)
                for object_id, edited in self.written_unlisted.items()
                if object_id not in self.listed
            ),
            default=0.0,
        )

    def _checkpoint(self) -> None:
        """Commit what is written so far, keeping the old watermark."""
        self.views.flush()
        self.since_checkpoint = 0
        if not self.mirror.has_staged_changes():
            return
        self._write_state(self.state.watermark)
        self.report.watermark = self.state.watermark
        self.count_requests()
        self.mirror.write(LEDGER_FILE, dump_json({**self.report.ledger(), "complete": False}))
        commit = self.mirror.commit(self.report.commit_message(checkpoint=True), self.author)
        if commit:
            self.report.checkpoints += 1
            self.report.commit = commit
            metrics.GIT_COMMITS.labels("ok").inc()
            log.info("sync.checkpoint", commit=commit, written=len(self.written))

    def _finish(self) -> None:
        if self.state.formats and set(self.state.formats) != set(self.formats):
            # export.formats changed since the mirror was written: a local re-render.
            rendered = rebuild_views(self.mirror, self.index, self.formats)
            log.info("sync.formats_changed", formats=list(self.formats), rendered=rendered)
        self.views.flush()
        if "html" in self.formats and self.structure_changed:
            self.views.write_index_html()
        failed_times = [f.last_edited_time for f in self.report.failures if f.last_edited_time]
        oldest_failed = min(failed_times, key=planner.parse_time) if failed_times else None
        watermark = planner.next_watermark(self.state.watermark, self.newest_seen, oldest_failed)
        self.report.watermark = watermark
        if not self.mirror.has_staged_changes() and watermark == self.state.watermark:
            self._count_pages()
            return
        self._write_state(watermark)
        self.count_requests()
        self.mirror.write(LEDGER_FILE, dump_json(self.report.ledger()))
        commit = self.mirror.commit(self.report.commit_message(), self.author)
        if commit:
            self.report.commit = commit
            metrics.GIT_COMMITS.labels("ok").inc()
        self._count_pages()

    def _count_pages(self) -> None:
        """Set the pages gauge; listing the index is skipped when nothing was added or removed."""
        global _pages_counted
        if self.structure_changed or not _pages_counted:
            metrics.PAGES.set(self.index.count())
            _pages_counted = True

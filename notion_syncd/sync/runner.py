"""One sync: state from the repo → list → fetch → write → (sweep) → commit.

The thin I/O shell that wires the sync core together; every decision lives in a pure
module (``planner``, ``placement``, ``removals``, the ``workqueue``). Terms (used the
same way everywhere):

- *page*: a Notion page, including a database row; *data source*: a table with a
  schema; *database*: the container of data sources.
- *record*: the raw API JSON we store for an object (see ``docs/ARCHITECTURE.md``).
- *index entry*: what the mirror knows about an object (``state.IndexEntry``).
- *watermark*: the newest ``last_edited_time`` up to which every change is mirrored.

Discovery streams ``POST /v1/search`` newest first (read ahead) and stops below
``watermark - overlap - search lag seen``; objects whose ``last_edited_time`` equals the
indexed one are skipped, so a sync with no change costs one request. Changed objects are
fetched by a pool of up to ``notion.concurrency`` workers (as many as Little's law asks
for at the latency observed, ``notion/concurrency.py``) through one rate limiter
(``exporter``), and written by this thread (``writer``). Long exports commit checkpoints
every ``sync.checkpoint_seconds`` or ``sync.checkpoint_pages`` objects (``commit``; the
watermark only moves with the final commit), and every fetched object is kept in the git
dir until a commit holds it (``fetchjournal``), so a crash costs the fetch in flight and
one listing, not the run.
Objects named by webhook events (``targets.py``) that the listing did not bring are
fetched by id after it, through the same path; they never move the watermark.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import structlog

from notion_syncd import metrics
from notion_syncd.config import Settings, resolve_token
from notion_syncd.errors import (
    NotionError,
    RepositoryLocked,
    SyncError,
    SyncInterrupted,
)
from notion_syncd.gitstore import Author, Mirror, open_mirror
from notion_syncd.heartbeat import Heartbeat
from notion_syncd.notion.client import NotionClient
from notion_syncd.restore import announce
from notion_syncd.sync import lag, planner, runlog, visibility
from notion_syncd.sync.comments import CommentFetcher
from notion_syncd.sync.commit import FINAL_BATCH_CHECKPOINTS, Committer
from notion_syncd.sync.eventauthors import event_authors
from notion_syncd.sync.exporter import Exporter, listing
from notion_syncd.sync.fetchjournal import JOURNAL_DIR, FetchJournal
from notion_syncd.sync.gaps import read_gaps
from notion_syncd.sync.people import people_of
from notion_syncd.sync.report import Change, Progress, SyncReport
from notion_syncd.sync.state import read_state
from notion_syncd.sync.sweep import run_sweep
from notion_syncd.sync.targets import Target
from notion_syncd.sync.window import ListingWindow
from notion_syncd.sync.worker import FileRules
from notion_syncd.sync.writer import MirrorWriter

log = structlog.get_logger()

ProgressCallback = Callable[[Progress], None]
Clock = Callable[[], datetime]
FILE_LANE_WORKERS = 8
"""Downloads of Notion-hosted files at once (unpaced: they do not count against the budget)."""
METRIC_OF_CHANGE = {"added": "added", "moved": "moved", "updated": "modified", "deleted": "deleted"}


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
    pages: metrics.PagesGauge | None = None,
    refresh: Collection[Target] = (),
) -> SyncReport:
    """Run one sync of the workspace into ``settings.export.repo`` and return its report.

    Raises a ``NotionSyncdError``; the mirror is consistent (HEAD equals the working tree)
    whatever happens, and the watermark only moves when every listed object was written.
    ``pages`` keeps the pages gauge of a long-lived caller (the daemon) between syncs.
    ``refresh``: objects to fetch by id before the listing (webhook events; ``targets.py``).
    """
    started = time.monotonic()
    started_at = _utcnow()
    metrics.LAST_SYNC_ATTEMPT.set(time.time())
    own_client = client is None
    client = client or notion_client(settings, heartbeat, stop)
    report = SyncReport()
    requests = _RequestCounter(client, report)
    try:
        with open_mirror(
            settings.export.repo,
            branch=settings.export.branch,
            keep_git_index=settings.export.keep_git_index,
        ) as mirror:
            try:
                _sync(
                    settings,
                    client,
                    mirror,
                    report,
                    requests,
                    _Signals(heartbeat, progress, stop),
                    sweep=bool(sweep),
                    allow_mass_delete=allow_mass_delete,
                    now=now,
                    pages=pages,
                    refresh=refresh,
                )
            finally:
                requests.count()
                report.duration = time.monotonic() - started
    except BaseException as error:
        metrics.SYNC_RUNS.labels("failure").inc()
        metrics.SYNC_DURATION.observe(time.monotonic() - started)
        _record(settings, report, started_at, error)
        raise
    finally:
        if own_client:
            client.close()
    metrics.SYNC_RUNS.labels("success").inc()
    metrics.SYNC_DURATION.observe(report.duration)
    metrics.LAST_SYNC_SUCCESS.set(time.time())
    _record(settings, report, started_at, None)
    log.info("sync.finished", **_summary(report))
    return report


def _record(
    settings: Settings, report: SyncReport, started_at: datetime, error: BaseException | None
) -> None:
    """Add this sync to the host's record of attempts (``runlog``); never fails the sync."""
    if isinstance(error, RepositoryLocked):
        return  # another process is syncing this mirror: its attempt is the one to record
    try:
        attempt = runlog.attempt_of(report, started_at, _utcnow(), error)
        runlog.record_attempt(settings.export.repo, attempt)
    except OSError as exc:
        log.warning("sync.record_failed", error=str(exc))


def _sync(
    settings: Settings,
    client: NotionClient,
    mirror: Mirror,
    report: SyncReport,
    requests: _RequestCounter,
    signals: _Signals,
    *,
    sweep: bool,
    allow_mass_delete: bool,
    now: Clock,
    pages: metrics.PagesGauge | None,
    refresh: Collection[Target],
) -> None:
    """The data flow: state → listing → exporter → writer → (sweep) → committer."""
    formats = tuple(settings.export.formats)
    state = read_state(mirror)
    gaps = read_gaps(mirror)
    report.previous_watermark = state.watermark
    report.restorations = announce.pending(Path(mirror.repo.path))
    reach = lag.listing_reach(settings.sync.overlap, state.search_lag)
    window = ListingWindow(planner.listing_floor(state.watermark, reach), now())
    writer = MirrorWriter(mirror, formats, now, note=lambda change: _note(report, change))
    author = Author(settings.git.author_name, settings.git.author_email)
    journal = FetchJournal(Path(mirror.repo.path) / JOURNAL_DIR)
    # Threads start lazily: nothing runs (or leaks) until the export submits work.
    pool = ThreadPoolExecutor(max_workers=settings.notion.concurrency, thread_name_prefix="fetch")
    # Hosted files are signed S3 URLs, not API requests: their own lane, so a slow or
    # big download never holds a slot the request budget needs.
    downloads = ThreadPoolExecutor(max_workers=FILE_LANE_WORKERS, thread_name_prefix="files")
    people = (
        people_of(mirror, client, settings.git.author_emails, ahead=pool)
        if settings.git.commit_authors
        else None
    )
    committer = Committer(
        mirror,
        writer,
        report,
        state,
        window,
        formats=formats,
        author=author,
        count_requests=requests.count,
        pages=pages,
        gaps=gaps,
        people=people,
        event_authors=event_authors(mirror.repo.path) if settings.git.commit_authors else {},
        journal=journal,
        final_batch=settings.sync.checkpoint_pages * FINAL_BATCH_CHECKPOINTS,
    )
    files = FileRules(settings.export.max_file_size, settings.export.download_files, mirror.exists)
    progress = signals.reporter(writer, report, window)
    exporter = Exporter(
        client,
        writer,
        report,
        window,
        files=files,
        concurrency=settings.notion.concurrency,
        checkpoint_every=settings.sync.checkpoint_pages,
        checkpoint_seconds=settings.sync.checkpoint_seconds,
        now=now,
        checkpoint=committer.checkpoint,
        progress=progress,
        stop=signals.stop,
        comments=CommentFetcher(
            client, settings.export.comments, settings.export.comments_per_sweep
        ),
        gaps=gaps,
        journal=journal,
        downloads=downloads,
        editors=people.warm if people is not None else None,
    )
    refused: SyncError | None = None
    progress("listing", "listing changes in Notion")
    try:
        exporter.export(listing(client, window), pool)
        visibility.check_something_listed(report.discovered, state.watermark, writer.index.count)
        exporter.refresh(refresh, pool)  # what search did not show yet, fetched by id
        exporter.retry_gaps(pool)  # what earlier syncs could not mirror, even if unchanged
        exporter.export_unlisted_children(pool)  # search lags behind new pages
        if sweep:
            progress("sweeping", "listing every page and data source")
            threshold = settings.sync.mass_delete_threshold
            refused = run_sweep(
                client,
                writer,
                report,
                exporter.export,
                pool,
                threshold=threshold,
                allow_mass_delete=allow_mass_delete,
            )
            exporter.sweep_derived(report, pool)  # derived content only a new request can tell
    except SyncInterrupted:
        committer.checkpoint()
        raise
    except NotionError:
        report.complete = False
        committer.checkpoint()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        downloads.shutdown(wait=True, cancel_futures=True)
    committer.finish()
    if refused is not None:
        raise refused  # the sweep deleted nothing; everything else is committed


def notion_client(
    settings: Settings, heartbeat: Heartbeat | None, stop: threading.Event | None
) -> NotionClient:
    notion = settings.notion
    return NotionClient(
        resolve_token(notion),
        base_url=notion.base_url,
        version=notion.version,
        requests_per_second=notion.requests_per_second,
        burst=notion.burst,
        timeout=notion.timeout,
        max_retry_time=notion.max_retry_time,
        heartbeat=heartbeat,
        stop=stop,
    )


def _note(report: SyncReport, change: Change) -> None:
    report.add_change(change)
    metrics.PAGE_CHANGES.labels(METRIC_OF_CHANGE[change.kind]).inc()


def _summary(report: SyncReport) -> dict[str, object]:
    """The fields of the ``sync.finished`` event."""
    return {
        "added": report.count("added"),
        "updated": report.count("updated"),
        "moved": report.count("moved"),
        "deleted": report.count("deleted"),
        "unchanged": report.unchanged,
        "failed": report.failed,
        "gaps": sorted(report.gaps),
        "requests": report.requests,
        "rate_limited": report.rate_limited,
        "duration": round(report.duration, 3),
        "commit": report.commit,
        "watermark": report.watermark,
    }


class _RequestCounter:
    """Notion API requests and rate-limit answers of this sync (file downloads go elsewhere)."""

    def __init__(self, client: NotionClient, report: SyncReport) -> None:
        self._client = client
        self._report = report
        self._before = self._now()

    def _now(self) -> tuple[int, int]:
        stats = self._client.stats
        return stats.requests - stats.by_endpoint.get("files", 0), stats.rate_limited

    def count(self) -> None:
        requests, rate_limited = self._now()
        self._report.requests = requests - self._before[0]
        self._report.rate_limited = rate_limited - self._before[1]


class _Signals:
    """The caller's heartbeat, progress callback and stop event."""

    def __init__(
        self,
        heartbeat: Heartbeat | None,
        progress: ProgressCallback | None,
        stop: threading.Event | None,
    ) -> None:
        self.heartbeat = heartbeat
        self.progress = progress
        self.stop = stop

    def reporter(
        self, writer: MirrorWriter, report: SyncReport, window: ListingWindow
    ) -> Callable[[str, str], None]:
        """Progress in objects done (written, unchanged or failed) out of the objects known:
        the listing's size once it has been read to its end, plus rows and children; no
        total once the sweep (whose size is not known ahead) has begun."""
        sweeping = False

        def send(phase: str, message: str) -> None:
            nonlocal sweeping
            if self.heartbeat is not None:
                self.heartbeat.beat()
            if self.progress is not None:
                sweeping = sweeping or phase == "sweeping"
                done = len(writer.written) + report.unchanged + report.failed
                total = None if sweeping else window.listing_total
                if total is not None:
                    total = max(total, report.discovered, done)
                self.progress(Progress("sweeping" if sweeping else phase, done, total, message))

        return send

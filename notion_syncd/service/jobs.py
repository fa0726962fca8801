"""The work the scheduler runs: one sync (a poll or a sweep) and one push round.

Job functions never raise (apscheduler would only log it) and return at once when
the daemon is stopping, so jobs still queued at shutdown cost nothing. A lock makes
"never two syncs at once" hold even if a job were submitted twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from notion_syncd import metrics
from notion_syncd.errors import NotionRateLimited, NotionSyncdError, SyncInterrupted
from notion_syncd.heartbeat import Heartbeat
from notion_syncd.logs import scrub
from notion_syncd.metrics import PagesGauge
from notion_syncd.service.failures import GIVE_UP_AFTER, PERMANENT, TRANSIENT, failure_kind
from notion_syncd.service.notify import Notifier
from notion_syncd.service.state import ProgressLike, SyncStatus

if TYPE_CHECKING:
    from notion_syncd.config import Settings
    from notion_syncd.sync.targets import Target

log = structlog.get_logger(__name__)

#: Least time between two STATUS= updates during a sync.
STATUS_EVERY = 1.0


class ReportLike(Protocol):
    """The parts of the runner's ``SyncReport`` the daemon reads."""

    @property
    def commit(self) -> str | None: ...
    @property
    def changed(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def watermark(self) -> str | None: ...


RunSync = Callable[..., Any]


def _load_run_sync() -> RunSync:
    from notion_syncd.sync.runner import run_sync

    return run_sync


def _latest_title(report: ReportLike) -> str | None:
    """The title of the last change of the sync, if there was one."""
    title = getattr(getattr(report, "latest_change", None), "title", None)
    return title if isinstance(title, str) and title else None


class SyncJobs:
    """Runs syncs and pushes with the settings in force at the time each job starts."""

    def __init__(
        self,
        *,
        settings: Callable[[], Settings],
        status: SyncStatus,
        heartbeat: Heartbeat,
        stop: threading.Event,
        notifier: Notifier,
        homedir: Path,
        after_commit: Callable[[], None] = lambda: None,
        before_sync: Callable[[], None] = lambda: None,
        after_failure: Callable[[], None] = lambda: None,
        after_success: Callable[[], None] = lambda: None,
    ) -> None:
        self._settings = settings
        self._status = status
        self._heartbeat = heartbeat
        self._stop = stop
        self._notifier = notifier
        self._homedir = homedir
        self._after_commit = after_commit
        self._before_sync = before_sync
        self._after_failure = after_failure
        self._after_success = after_success
        self._sync_lock = threading.Lock()
        self._pages = PagesGauge()
        metrics.SYNC_PERMANENT_FAILURE_LIMIT.set(GIVE_UP_AFTER)
        self._last_status = 0.0

    def sync(self, sweep: bool | None = None, refresh: Collection[Target] = ()) -> bool:
        """One sync; ``sweep=True`` also looks for deleted and moved pages; ``refresh``
        names objects to fetch by id first (webhook events, ``sync/targets.py``).

        False when it did not run (stopping, or another sync holds the mirror).
        """
        if self._stop.is_set():
            return False
        if not self._sync_lock.acquire(blocking=False):
            log.info("sync.skipped", reason="another sync is running")
            return False
        try:
            self._sync(sweep, refresh)
        finally:
            self._sync_lock.release()
        return True

    def _sync(self, sweep: bool | None, refresh: Collection[Target]) -> None:
        settings = self._settings()
        self._status.started()
        self._heartbeat.beat()
        self.publish_status(force=True)
        failed = False
        started = time.time()
        try:
            self._check_mirror()
            run_sync = _load_run_sync()
            report: ReportLike = run_sync(
                settings,
                heartbeat=self._heartbeat,
                progress=self._progress,
                stop=self._stop,
                sweep=sweep,
                pages=self._pages,
                refresh=refresh,
            )
        except SyncInterrupted:
            self._status.interrupted()
            log.info("sync.interrupted", detail="redone at the next sync")
        except NotionSyncdError as error:
            failed = True
            wait = error.wait_seconds if isinstance(error, NotionRateLimited) else None
            kind = failure_kind(error)
            self._failed(type(error).__name__, kind, wait)
            log.error(
                "sync.failed",
                error=str(error),
                error_type=type(error).__name__,
                hint=error.hint,
                kind=kind,
                in_a_row=self._status.failures_in_a_row,
            )
        except Exception:  # a bug must not end the daemon: log it and try again next time
            failed = True
            self._failed("InternalError", TRANSIENT, None)
            log.exception("sync.crashed")
        else:
            self._status.succeeded(
                changed=report.changed, commit=report.commit, latest_title=_latest_title(report)
            )
            self._record_success(report, started, sweep=bool(sweep))
            metrics.SYNC_FAILURES_IN_A_ROW.set(0)
            metrics.SYNC_PERMANENT_FAILURES_IN_A_ROW.set(0)
            metrics.LAST_SYNC_FAILURE.clear()
            self._after_success()
            if report.commit:
                self._after_commit()
        finally:
            self.publish_status(force=True)
        if failed:
            self._after_failure()

    @staticmethod
    def _record_success(report: ReportLike, started: float, *, sweep: bool) -> None:
        metrics.FAILED_OBJECTS.set(report.failed)
        metrics.record_complete_sync(started, watermark=report.watermark)
        if sweep:
            metrics.LAST_SWEEP_SUCCESS.set(time.time())

    def _check_mirror(self) -> None:
        try:
            self._before_sync()
        except NotionSyncdError:
            metrics.SYNC_RUNS.labels("failure").inc()
            raise

    def _failed(self, reason: str, kind: str, wait: float | None) -> None:
        """Record a failed sync in the status and the metrics."""
        self._status.failed(reason, wait_seconds=wait, permanent=kind == PERMANENT)
        metrics.SYNC_FAILURES_IN_A_ROW.set(self._status.failures_in_a_row)
        metrics.SYNC_PERMANENT_FAILURES_IN_A_ROW.set(self._status.permanent_in_a_row)
        metrics.LAST_SYNC_FAILURE.clear()
        metrics.LAST_SYNC_FAILURE.labels(reason=reason, kind=kind).set(1)

    def _progress(self, progress: ProgressLike) -> None:
        self._heartbeat.beat()
        self._status.progressed(progress)
        self.publish_status()

    def publish_status(self, *, force: bool = False) -> None:
        """Send the current status line to systemd (at most once a second unless forced)."""
        now = time.monotonic()
        if not force and now - self._last_status < STATUS_EVERY:
            return
        self._last_status = now
        self._notifier.status(scrub(self._status.status_line()))

    def push(self) -> None:
        """Push to every configured remote (each remote's failure is its own)."""
        if self._stop.is_set():
            return
        settings = self._settings()
        if not settings.git.remotes:
            return
        try:
            from notion_syncd.gitremote import push_all
        except ImportError:
            log.warning("push.unavailable", reason="notion_syncd.gitremote is not installed")
            return
        try:
            push_all(
                settings.export.repo,
                settings.git,
                local_branch=settings.export.branch,
                homedir=self._homedir,
            )
        except Exception:  # push_all handles each remote; anything else is a bug
            log.exception("push.crashed")

"""The systemd watchdog: ``WATCHDOG=1`` only while the sync loop makes progress.

A thread sends the keep-alive every half ``WatchdogSec=`` (sd_watchdog_enabled(3)),
but only when :func:`loop_is_healthy` says so: the scheduler loop must be ticking,
and a running sync must have shown progress (a Notion answer, a page written, a
slice of a ``Retry-After`` wait) within one watchdog period. A sync hung on a stalled
server therefore stops the pings, and systemd restarts the service; an idle daemon
keeps pinging.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from notion_syncd.service.notify import Notifier

log = structlog.get_logger(__name__)


def loop_is_healthy(
    *,
    scheduler_age: float,
    scheduler_limit: float,
    sync_running: bool,
    sync_progress_age: float,
    watchdog_seconds: float,
) -> bool:
    """The watchdog rule: scheduler ticking, and a running sync not stalled."""
    if scheduler_age >= scheduler_limit:
        return False
    return not sync_running or sync_progress_age < watchdog_seconds


class WatchdogPinger:
    """Sends ``WATCHDOG=1`` every ``watchdog_seconds / 2`` while ``healthy()``."""

    def __init__(
        self, notifier: Notifier, watchdog_seconds: float, healthy: Callable[[], bool]
    ) -> None:
        self._notifier = notifier
        self._period = watchdog_seconds / 2
        self._healthy = healthy
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        withheld = False
        while not self._stop.wait(self._period):
            if self._healthy():
                self._notifier.watchdog()
                if withheld:
                    log.info("watchdog.resumed")
                withheld = False
            elif not withheld:
                log.warning("watchdog.withheld", reason="no progress in the sync loop")
                withheld = True

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

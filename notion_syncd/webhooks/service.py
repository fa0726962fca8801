"""The webhook pieces as the daemon runs them: listener, worker, journal bookkeeping.

The early sync is the poll's own path (``SyncJobs.sync``: the events' pages fetched by
id, then the incremental listing, fetch, write, commit; a sweep when a deletion or move
was announced). The journal is cleared
through the length it had when a sync started, once that sync succeeded, so an event
received during a sync stays until a later one covers it. At start, events left in the
journal (a crash between the 200 and the commit) are offered again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

import structlog

from notion_syncd.config import WebhookSettings
from notion_syncd.sync.targets import Target
from notion_syncd.webhooks.health import WebhookHealth
from notion_syncd.webhooks.lighterpoll import poll_due
from notion_syncd.webhooks.receiver import WebhookReceiver, WebhookServer
from notion_syncd.webhooks.worker import WebhookWorker

log = structlog.get_logger(__name__)

#: A busy entity is synced at the latest this many debounce windows after its first event.
MAX_WAIT_WINDOWS = 5


class WebhookService:
    def __init__(
        self,
        settings: WebhookSettings,
        git_dir: Path,
        *,
        environ: Mapping[str, str],
        sync: Callable[[bool | None, Collection[Target]], bool],
    ) -> None:
        self.worker = WebhookWorker(
            lambda batch: sync(True if batch.sweep else None, batch.targets),
            window=settings.debounce,
            max_wait=max(settings.debounce * MAX_WAIT_WINDOWS, 1.0),
        )
        self.receiver = WebhookReceiver(
            settings, git_dir, environ=environ, on_event=self.worker.offer
        )
        self.server = WebhookServer(settings.listen, self.receiver)
        self.journal = self.receiver.journal
        self._mark = 0
        self._when_healthy = settings.poll_interval_when_healthy
        self._last_sync_started: float | None = None

    def start(self) -> None:
        """Bind (OSError when the address is taken), replay the journal, start the worker."""
        self.server.start()
        pending = self.journal.events()
        if pending:
            log.info("webhook.replaying", events=len(pending))
        now = time.time()
        for event in pending:
            self.worker.offer(event, now)
        self.worker.start()

    def health(self) -> WebhookHealth:
        return WebhookHealth(
            token=self.receiver.token_source,
            last_event=self.receiver.last_event,
            queue_depth=self.worker.depth,
        )

    def poll_due(self, interval: float) -> bool:
        """Whether the regular poll syncs now (``lighterpoll.py``)."""
        now = time.time()
        return poll_due(
            now=now,
            last_sync_started=self._last_sync_started,
            interval=interval,
            when_healthy=self._when_healthy,
            healthy=self.health().healthy(now, self._when_healthy),
        )

    def sync_started(self) -> None:
        self._last_sync_started = time.time()
        self._mark = self.journal.mark()

    def sync_succeeded(self) -> None:
        mark, self._mark = self._mark, 0
        self.journal.clear_through(mark)

    def stop(self, timeout: float) -> None:
        self.server.stop()
        self.worker.stop(timeout)

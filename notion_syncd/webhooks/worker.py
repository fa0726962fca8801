"""The thread between received events and syncs.

Events go into a :class:`~.debounce.Debouncer`; when a batch is due the worker runs
``sync(batch)``: the daemon's ordinary poll (incremental listing, fetch, write, commit;
a sweep for deletions and moves) that first fetches the batch's targets by id, since
search may not list a just-edited page yet — never a full export. ``sync`` returns False when
another sync holds the mirror; the batch is then retried a moment later, so an event
received during a poll still gets its own early sync. Duplicate event ids are counted
and dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

from notion_syncd import metrics
from notion_syncd.webhooks.debounce import Batch, Debouncer, is_known
from notion_syncd.webhooks.verify import Event

log = structlog.get_logger(__name__)

#: Seconds before a batch is offered again when another sync was running.
BUSY_RETRY = 0.5


class WebhookWorker:
    def __init__(
        self,
        sync: Callable[[Batch], bool],
        *,
        window: float,
        max_wait: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sync = sync
        self._clock = clock
        self._debouncer = Debouncer(window=window, max_wait=max_wait)
        self._condition = threading.Condition()
        self._stopping = False
        self._retry: tuple[Batch, list[float]] | None = None
        self._received: list[float] = []
        self._unknown_logged: set[str] = set()
        self._thread: threading.Thread | None = None
        self.syncs = 0

    def offer(self, event: Event, received: float) -> None:
        """Take one verified event (from the receiver or the journal at start)."""
        label = metrics.webhook_type_label(event.type)
        with self._condition:
            if not is_known(event.type) and event.type not in self._unknown_logged:
                self._unknown_logged.add(event.type)
                log.warning("webhook.unknown_type", type=event.type, detail="synced anyway")
            if not self._debouncer.offer(
                event.id, event.entity_id, event.type, self._clock(), event.entity_type
            ):
                metrics.WEBHOOK_EVENTS.labels(label, "duplicate").inc()
                return
            self._received.append(received)
            metrics.WEBHOOK_QUEUE_DEPTH.set(self._debouncer.depth)
            self._condition.notify()

    @property
    def depth(self) -> int:
        """Entities waiting for their early sync."""
        with self._condition:
            return self._debouncer.depth

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="webhook-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify()
        if self._thread is not None:
            self._thread.join(timeout)

    def _next(self) -> tuple[Batch, list[float]] | None:
        """Wait for a due batch; None when stopping."""
        with self._condition:
            while not self._stopping:
                if self._retry is not None:
                    batch, self._retry = self._retry, None
                    return batch
                now = self._clock()
                due = self._debouncer.take_due(now)
                if due is not None:
                    received, self._received = self._received, []
                    metrics.WEBHOOK_QUEUE_DEPTH.set(0)
                    return due, received
                deadline = self._debouncer.next_due()
                self._condition.wait(None if deadline is None else max(deadline - now, 0.01))
        return None

    def _run(self) -> None:
        while (work := self._next()) is not None:
            batch, received = work
            if not self._sync(batch):
                with self._condition:
                    self._retry = work
                    self._condition.wait(BUSY_RETRY)
                continue
            self.syncs += 1
            done = time.time()
            for when in received:
                metrics.WEBHOOK_EVENT_TO_SYNC.observe(max(done - when, 0.0))
            log.info(
                "webhook.synced",
                entities=len(batch.entities),
                events=batch.events,
                sweep=batch.sweep,
            )

"""When jobs run: an apscheduler ``BackgroundScheduler`` with three one-thread executors.

- ``sync``: the poll (every ``schedule.interval``, first one at once; it syncs when
  ``poll_gate`` agrees, see ``webhooks/lighterpoll.py``) and the sweep (every
  ``schedule.sweep_interval``, never skipped) share one worker, so two syncs never
  overlap;
- ``push``: the push round (every ``schedule.push_interval``, and right after a sync
  that committed), on its own worker so a slow remote never delays a sync;
- ``default``: the tick, a one-second beat that proves the scheduler loop is alive
  (read by ``/healthz`` and the watchdog).

Every job has ``max_instances=1`` and ``coalesce=True``; ``misfire_grace_time=None``
lets a late run (after a long sync) happen late instead of being skipped, which is
what apscheduler 3's default of one second would do, silently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from notion_syncd.config import ScheduleSettings
from notion_syncd.service.executor import DaemonThreadExecutor
from notion_syncd.service.jobs import SyncJobs

log = structlog.get_logger(__name__)

POLL, SWEEP, PUSH, TICK = "poll", "sweep", "push", "tick"


class _DropMaxInstances(logging.Filter):
    """apscheduler warns each time a poll comes due during a long sync; we log it at debug."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in str(record.msg)


class Schedule:
    def __init__(
        self,
        jobs: SyncJobs,
        tick: Callable[[], None],
        tick_seconds: float,
        poll_gate: Callable[[], bool] = lambda: True,
    ) -> None:
        self._jobs = jobs
        self._poll_gate = poll_gate
        self._tick = tick
        self._tick_seconds = tick_seconds
        self._sync_executor = DaemonThreadExecutor("sync")
        self._scheduler = BackgroundScheduler(
            executors={
                "sync": self._sync_executor,
                "push": DaemonThreadExecutor("push"),
                "default": DaemonThreadExecutor("tick"),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        self._scheduler.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES)
        logging.getLogger("apscheduler.scheduler").addFilter(_DropMaxInstances())
        self._intervals: dict[str, float] = {}

    def start(self, schedule: ScheduleSettings, *, push: bool) -> None:
        """Start the loop; the first poll runs at once."""
        now = datetime.now(UTC)
        self._scheduler.add_job(
            self._tick, IntervalTrigger(seconds=self._tick_seconds), id=TICK, next_run_time=now
        )
        self._scheduler.add_job(
            self._poll,
            IntervalTrigger(seconds=schedule.interval),
            id=POLL,
            executor="sync",
            next_run_time=now,
        )
        self._scheduler.add_job(
            self._jobs.sync,
            IntervalTrigger(seconds=schedule.sweep_interval),
            kwargs={"sweep": True},
            id=SWEEP,
            executor="sync",
        )
        self._intervals = {POLL: schedule.interval, SWEEP: schedule.sweep_interval}
        self._set_push(schedule.push_interval if push else None)
        self._scheduler.start()

    def _poll(self) -> None:
        if self._poll_gate():
            self._jobs.sync()
        else:
            log.debug("sync.poll_skipped", reason="webhooks are healthy")

    def apply(self, schedule: ScheduleSettings, *, push: bool) -> list[str]:
        """Reschedule jobs whose interval changed; returns their names."""
        changed = []
        for job_id, seconds in ((POLL, schedule.interval), (SWEEP, schedule.sweep_interval)):
            if self._intervals.get(job_id) != seconds:
                self._scheduler.reschedule_job(job_id, trigger=IntervalTrigger(seconds=seconds))
                self._intervals[job_id] = seconds
                changed.append(job_id)
        push_interval = schedule.push_interval if push else None
        if self._intervals.get(PUSH) != push_interval:
            self._set_push(push_interval)
            changed.append(PUSH)
        return changed

    def _set_push(self, seconds: float | None) -> None:
        if seconds is None:
            if self._scheduler.get_job(PUSH) is not None:
                self._scheduler.remove_job(PUSH)
            self._intervals.pop(PUSH, None)
            return
        self._scheduler.add_job(
            self._jobs.push,
            IntervalTrigger(seconds=seconds),
            id=PUSH,
            executor="push",
            replace_existing=True,
        )
        self._intervals[PUSH] = seconds

    def push_now(self) -> None:
        """Run the push job as soon as its worker is free (after a sync committed)."""
        if self._scheduler.get_job(PUSH) is not None:
            self._scheduler.modify_job(PUSH, next_run_time=datetime.now(UTC))

    def next_poll(self) -> datetime | None:
        job = self._scheduler.get_job(POLL)
        return None if job is None else job.next_run_time

    def _skipped(self, event: JobSubmissionEvent) -> None:
        log.debug("sync.skipped", job=event.job_id, reason="the previous run is still going")

    def shutdown(self) -> None:
        """Stop scheduling; a running job is not waited for (see :meth:`join_sync`)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def join_sync(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the sync worker; True if it ended."""
        return self._sync_executor.worker.join(timeout)

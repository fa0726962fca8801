"""What the daemon knows about its syncs: running or idle, progress, last results.

Shared by the scheduler (writes), the watchdog, the health endpoints and the systemd
``STATUS=`` line (read). Thread-safe; the clocks are injected so the rules can be
tested without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from notion_syncd.service.failures import GIVE_UP_AFTER

#: /readyz fails when the last successful sync is older than this many intervals.
READY_INTERVALS = 3


class ProgressLike(Protocol):
    """The runner's ``Progress``: phase, items done, total if known, a message."""

    @property
    def phase(self) -> str: ...
    @property
    def done(self) -> int: ...
    @property
    def total(self) -> int | None: ...
    @property
    def message(self) -> str: ...


@dataclass(frozen=True)
class Outcome:
    """How the last sync ended."""

    result: str  # "success", "failure" or "interrupted"
    wall_time: float  # Unix time it ended
    changed: int = 0
    commit: str | None = None
    latest_title: str | None = None  # title of one changed page, for people
    reason: str = ""  # one word for failures (the error class), never a message
    permanent: bool = False  # a failure that does not heal while the daemon runs
    wait_seconds: float | None = None  # a failure because Notion asked for this long a wait


def _clock_text(wall_time: float) -> str:
    return time.strftime("%H:%M UTC", time.gmtime(wall_time))


class SyncStatus:
    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._monotonic = monotonic
        self._wall = wall
        self._lock = threading.Lock()
        self._running = False
        self._stopping = False
        self._progress: ProgressLike | None = None
        self._last: Outcome | None = None
        self._last_success: Outcome | None = None
        self._last_success_monotonic: float | None = None
        self._started_monotonic = monotonic()
        self._failures_in_a_row = 0
        self._permanent_in_a_row = 0
        self._gave_up = False
        self._config_rejected_at: float | None = None
        self.notes: Callable[[], str] | None = None
        """More state for STATUS and ``/readyz`` (the webhooks'), appended after ``; ``."""

    @property
    def running(self) -> bool:
        with self._lock:
            return self._running

    @property
    def last(self) -> Outcome | None:
        with self._lock:
            return self._last

    @property
    def last_success(self) -> Outcome | None:
        with self._lock:
            return self._last_success

    @property
    def failures_in_a_row(self) -> int:
        """Syncs that failed since the last success (interrupted ones do not count)."""
        with self._lock:
            return self._failures_in_a_row

    @property
    def permanent_in_a_row(self) -> int:
        """Of those, the permanent failures in a row (a transient one resets it)."""
        with self._lock:
            return self._permanent_in_a_row

    def started(self) -> None:
        with self._lock:
            self._running = True
            self._progress = None

    def progressed(self, progress: ProgressLike) -> None:
        with self._lock:
            self._progress = progress

    def succeeded(
        self, *, changed: int, commit: str | None, latest_title: str | None = None
    ) -> None:
        outcome = Outcome(
            "success", self._wall(), changed=changed, commit=commit, latest_title=latest_title
        )
        with self._lock:
            self._running = False
            self._last = self._last_success = outcome
            self._last_success_monotonic = self._monotonic()
            self._failures_in_a_row = self._permanent_in_a_row = 0

    def failed(
        self, reason: str, *, wait_seconds: float | None = None, permanent: bool = False
    ) -> None:
        outcome = Outcome(
            "failure", self._wall(), reason=reason, wait_seconds=wait_seconds, permanent=permanent
        )
        with self._lock:
            self._running = False
            self._last = outcome
            self._failures_in_a_row += 1
            self._permanent_in_a_row = self._permanent_in_a_row + 1 if permanent else 0

    def gave_up(self) -> None:
        """The daemon exits because of permanent failures (see :mod:`.failures`)."""
        with self._lock:
            self._gave_up = True

    def interrupted(self) -> None:
        with self._lock:
            self._running = False
            self._last = Outcome("interrupted", self._wall())

    def stopping(self) -> None:
        with self._lock:
            self._stopping = True

    def config_rejected(self) -> None:
        """A reload found the config invalid; the previous one stays in force."""
        with self._lock:
            self._config_rejected_at = self._wall()

    def config_accepted(self) -> None:
        with self._lock:
            self._config_rejected_at = None

    def _config_note(self) -> str:
        if self._config_rejected_at is None:
            return ""
        when = _clock_text(self._config_rejected_at)
        return f"; config reload failed {when}, previous config in force"

    def readiness(self, interval: float) -> tuple[bool, str]:
        """(ready, a word and its detail) for ``/readyz``; a rejected reload is noted."""
        ready, word = self._readiness(interval)
        with self._lock:
            word += self._config_note()
        return ready, word + self._notes()

    def _notes(self) -> str:
        return "" if self.notes is None else "; " + self.notes()

    def _readiness(self, interval: float) -> tuple[bool, str]:
        """(ready, a word and its detail) for ``/readyz``.

        Not ready: stopping; the last sync failed permanently (``failing: <reason>``);
        the last success (or, before the first one, the start) is older than
        :data:`READY_INTERVALS` intervals and no first export is running (``stale``).
        Ready while the first export runs, with its progress: a first export can take
        hours, and a readiness probe must not fail all that time.
        """
        with self._lock:
            if self._stopping:
                return False, "stopping"
            last, progress = self._last, self._progress
            if last is not None and last.permanent and self._permanent_in_a_row:
                count = self._permanent_in_a_row
                return False, f"failing: {last.reason} ({count} sync(s) in a row)"
            first_export = self._last_success_monotonic is None
            since = self._last_success_monotonic or self._started_monotonic
            age = self._monotonic() - since
            running = self._running
        if first_export and running:
            done = progress.done if progress is not None else 0
            return True, f"first export: {done:,} objects so far"
        if age > READY_INTERVALS * interval:
            return False, "stale"
        return True, "ok" if not first_export else "starting"

    def status_line(self) -> str:
        """One line for ``systemctl status``: progress while syncing, else the last result."""
        line = self._status_line()
        with self._lock:
            line += self._config_note()
        return line + self._notes()

    def _status_line(self) -> str:
        with self._lock:
            running, progress = self._running, self._progress
            last, success = self._last, self._last_success
            gave_up, permanent = self._gave_up, self._permanent_in_a_row
        if running:
            return _progress_text(progress)
        if last is None:
            return "idle; no sync yet"
        if last.result == "success":
            changed = f"{last.changed:,} page" + ("" if last.changed == 1 else "s")
            text = f"idle; last sync {_clock_text(last.wall_time)}, {changed} changed"
            if last.changed and last.latest_title:
                text += f" (latest: {last.latest_title})"
            return text
        text = f"idle; last sync {last.result} {_clock_text(last.wall_time)}"
        if last.reason:
            text += f" ({last.reason})"
        if gave_up:
            return (
                f"failed: {permanent} syncs in a row failed ({last.reason}), which does not "
                "heal while running; exiting for a restart"
            )
        if last.permanent:
            text += f"; {permanent} in a row, exits after {GIVE_UP_AFTER}"
        if last.wait_seconds is not None:
            resume = _clock_text(last.wall_time + last.wait_seconds)
            text += f"; Notion asked to wait {last.wait_seconds:.0f} s, until {resume}"
        if success is not None:
            text += f"; last success {_clock_text(success.wall_time)}"
        return text


def _progress_text(progress: ProgressLike | None) -> str:
    if progress is None:
        return "syncing: starting"
    if progress.total:
        text = f"syncing: {progress.done:,} / {progress.total:,} pages"
    else:
        text = f"syncing: {progress.done:,} pages"
    detail = progress.message or progress.phase
    return f"{text} ({detail})" if detail else text

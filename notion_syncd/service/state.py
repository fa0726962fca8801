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

    def failed(self, reason: str, *, wait_seconds: float | None = None) -> None:
        with self._lock:
            self._running = False
            self._last = Outcome("failure", self._wall(), reason=reason, wait_seconds=wait_seconds)

    def interrupted(self) -> None:
        with self._lock:
            self._running = False
            self._last = Outcome("interrupted", self._wall())

    def stopping(self) -> None:
        with self._lock:
            self._stopping = True

    def readiness(self, interval: float) -> tuple[bool, str]:
        """(ready, one word): ready while the last success is within 3 intervals."""
        with self._lock:
            if self._stopping:
                return False, "stopping"
            if self._last_success_monotonic is None:
                return False, "starting"
            age = self._monotonic() - self._last_success_monotonic
        if age > READY_INTERVALS * interval:
            return False, "stale"
        return True, "ok"

    def status_line(self) -> str:
        """One line for ``systemctl status``: progress while syncing, else the last result."""
        with self._lock:
            running, progress = self._running, self._progress
            last, success = self._last, self._last_success
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

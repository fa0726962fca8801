"""The process-wide pace of Notion requests: one token bucket shared by every worker thread.

Every request to the Notion API first takes a token with :meth:`RateLimiter.acquire`.
Tokens refill at ``rate`` per second up to ``burst``, so over any window of ``t`` seconds
at most ``rate * t + burst`` requests start. The limiter only decides *when* a request may
start: no lock is held while a request is in flight, so several workers keep the budget
busy while earlier requests are still waiting for their answers.

When Notion answers ``429``/``529`` with ``Retry-After``, the client calls
:meth:`RateLimiter.pause_until`: every worker then waits in :meth:`acquire` until the
deadline, not only the one that got the answer. After a pause the bucket restarts with a
single token, so one request probes before the others follow at the normal rate.

The pace adapts to a server that allows less than configured (a wrong
``requests_per_second``, a workspace shared with other integrations): every
rate-limit answer halves the pace once per episode (the 429s of requests already in
flight when the first came back count as the same episode; an isolated episode at the
configured pace lowers it by a tenth only, :data:`JITTER_SLOWDOWN_FACTOR`), down to
:data:`MIN_RATE_FRACTION` of the configured rate; after :data:`RECOVERY_SECONDS`
without one, the pace rises by :data:`RECOVERY_FACTOR`, up to the configured rate. So
a budget set too high costs a few 429s at the start and one more every few minutes
while the pace probes upwards, not a steady fraction of all requests.

Waiting happens in chunks of at most one second; after each chunk the ``on_wait`` hook
runs (the heartbeat, so a long ``Retry-After`` still shows liveness) and the ``stop``
event is checked (:class:`~notion_syncd.errors.SyncInterrupted`). A worker that may not
wait as long as the pause lasts (``max_pause``) gets :class:`PauseTooLong` at once
instead of sitting it out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

from notion_syncd import metrics
from notion_syncd.errors import SyncInterrupted

MAX_WAIT_CHUNK = 1.0
"""Longest single sleep, in seconds, between liveness beats and stop checks."""

_EPSILON = 1e-9
_log = structlog.get_logger(__name__)

SLOWDOWN_FACTOR = 0.5
"""A rate-limit answer multiplies the pace by this (once per episode)."""
JITTER_SLOWDOWN_FACTOR = 0.9
"""...or by this when it is isolated: at the configured pace, the first in RECOVERY_SECONDS."""
MIN_RATE_FRACTION = 0.1
"""The pace never drops below this fraction of the configured rate."""
RECOVERY_SECONDS = 30.0
"""Seconds without a rate-limit answer before the pace rises one step."""
RECOVERY_FACTOR = 1.1
"""One recovery step multiplies the pace by this, up to the configured rate."""


def wait_interruptibly(
    seconds: float,
    *,
    sleep: Callable[[float], None] = time.sleep,
    stop: threading.Event | None = None,
    on_wait: Callable[[], None] | None = None,
) -> None:
    """Sleep ``seconds`` in chunks of at most a second, beating ``on_wait``, honouring ``stop``."""
    remaining = seconds
    while remaining > _EPSILON:
        _raise_if_stopped(stop)
        step = min(remaining, MAX_WAIT_CHUNK)
        sleep(step)
        remaining -= step
        if on_wait is not None:
            on_wait()
    _raise_if_stopped(stop)


class PauseTooLong(Exception):
    """The limiter is paused for longer than the caller may wait; ``seconds`` remain."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"paused for another {seconds:.0f} s")
        self.seconds = seconds


def _raise_if_stopped(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise SyncInterrupted("stop requested while waiting for the Notion API")


class RateLimiter:
    """A thread-safe token bucket with a shared pause for ``Retry-After``."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.max_rate = rate
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._on_wait = on_wait
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._refilled_at = clock()
        self._paused_until = float("-inf")
        self._paused_seconds = 0.0
        self._episode_ends = float("-inf")
        self._pace_changed_at = self._refilled_at
        metrics.NOTION_PACE.set(rate)

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate!r}, burst={self.burst!r})"

    def acquire(
        self, stop: threading.Event | None = None, *, max_pause: float = float("inf")
    ) -> float:
        """Block until a request may start; returns the seconds waited.

        Raises :class:`~notion_syncd.errors.SyncInterrupted` when ``stop`` is set, and
        :class:`PauseTooLong` when a pause has more than ``max_pause`` seconds left.
        """
        waited = 0.0
        while True:
            _raise_if_stopped(stop)
            with self._lock:
                now = self._clock()
                if self._paused_until - now > max_pause - waited:
                    raise PauseTooLong(self._paused_until - now)
                wait = self._take_token_or_wait(now)
            if wait <= 0:
                return waited
            step = min(wait, MAX_WAIT_CHUNK)
            self._sleep(step)
            waited += step
            if self._on_wait is not None:
                self._on_wait()

    def pause_until(self, deadline: float) -> float:
        """Hold every worker until ``deadline`` (on the limiter's clock).

        Returns by how many seconds this call extended the pause (0 when an existing
        pause already lasts longer), so the caller can count throttled time once.
        The server asked us to slow down, so the pace drops too (once per episode).
        """
        with self._lock:
            now = self._clock()
            self._slow_down(now, deadline)
            start = max(now, self._paused_until)
            if deadline <= start:
                return 0.0
            extension = deadline - start
            self._paused_until = deadline
            self._paused_seconds += extension
            # Nothing accumulates while paused: one request probes first, then the rate.
            self._tokens = 1.0
            self._refilled_at = deadline
            return extension

    def pause_remaining(self) -> float:
        """Seconds left in the current pause (0 when not paused)."""
        with self._lock:
            return max(0.0, self._paused_until - self._clock())

    @property
    def paused_seconds(self) -> float:
        """Total wall time the limiter has been paused by :meth:`pause_until`."""
        with self._lock:
            return self._paused_seconds

    def _slow_down(self, now: float, deadline: float) -> None:
        """Halve the pace, unless this answer belongs to the episode already counted.

        An isolated answer (at the configured pace, none for ``RECOVERY_SECONDS``) lowers
        it by a tenth only: requests that left at the right pace can still arrive bunched
        (a loaded machine delays some of them), and halving for that would cost half the
        budget for minutes. A server that really allows less answers 429 again within
        seconds, and that episode halves.
        """
        if now < self._episode_ends:
            self._episode_ends = max(self._episode_ends, deadline)
            return
        # Requests that started before this answer came back may still be refused;
        # they belong to this episode as long as they return before the pause ends.
        isolated = now - self._episode_ends >= RECOVERY_SECONDS and self.rate >= self.max_rate
        factor = JITTER_SLOWDOWN_FACTOR if isolated else SLOWDOWN_FACTOR
        self._episode_ends = deadline
        self._pace_changed_at = deadline
        lowered = max(self.max_rate * MIN_RATE_FRACTION, self.rate * factor)
        if lowered < self.rate:
            self.rate = lowered
            metrics.NOTION_PACE.set(lowered)
            _log.info("notion.pace_lowered", requests_per_second=round(lowered, 3))

    def _recover(self, now: float) -> None:
        """Raise the pace one step after a quiet stretch without rate-limit answers."""
        if self.rate >= self.max_rate or now - self._pace_changed_at < RECOVERY_SECONDS:
            return
        self._pace_changed_at = now
        self.rate = min(self.max_rate, self.rate * RECOVERY_FACTOR)
        metrics.NOTION_PACE.set(self.rate)
        _log.info("notion.pace_raised", requests_per_second=round(self.rate, 3))

    def _take_token_or_wait(self, now: float) -> float:
        """Take a token and return 0, or return how long to wait before trying again."""
        if now < self._paused_until:
            return self._paused_until - now
        self._recover(now)
        elapsed = max(0.0, now - self._refilled_at)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        self._refilled_at = max(now, self._refilled_at)
        if self._tokens >= 1.0 - _EPSILON:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate

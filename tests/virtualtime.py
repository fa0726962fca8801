"""Discrete-event time for tests of code that sleeps in several threads."""

from __future__ import annotations

import heapq
import threading


class VirtualTime:
    """A clock that moves only when every worker thread sleeps (discrete-event time).

    ``sleep`` blocks the calling thread until virtual time reaches its wake-up; time jumps
    to the earliest wake-up once all ``workers`` are asleep or done. Concurrent sleeps
    therefore overlap as they would in real time instead of adding up.
    """

    def __init__(self, workers: int = 1) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._active = workers
        self._wakeups: list[float] = []
        self._condition = threading.Condition()

    def clock(self) -> float:
        with self._condition:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._condition:
            self.sleeps.append(seconds)
            wake = self.now + seconds
            heapq.heappush(self._wakeups, wake)
            self._advance_if_idle()
            while self.now < wake:
                if not self._condition.wait(timeout=10):
                    raise AssertionError("virtual time stalled")
            self._wakeups.remove(wake)
            heapq.heapify(self._wakeups)

    def done(self) -> None:
        with self._condition:
            self._active -= 1
            self._advance_if_idle()

    def _advance_if_idle(self) -> None:
        if self._wakeups and len(self._wakeups) >= self._active:
            self.now = max(self.now, self._wakeups[0])
            self._condition.notify_all()

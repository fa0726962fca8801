"""Liveness of the sync loop, for the systemd watchdog.

Code that makes progress (a Notion answer, a page written, a chunk of a
``Retry-After`` wait) calls :meth:`Heartbeat.beat`; the watchdog pings systemd
only while :meth:`Heartbeat.age` is small. A hung request stops the beats, and
with them the pings.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Heartbeat:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last = clock()

    def beat(self) -> None:
        with self._lock:
            self._last = self._clock()

    def age(self) -> float:
        """Seconds since the last beat."""
        with self._lock:
            return self._clock() - self._last

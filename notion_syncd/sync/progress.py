"""Progress of a sync on a terminal: one status line at the bottom, logs printed above it.

``TerminalProgress`` is both the progress callback of ``run_sync`` and a text stream:
give it to ``configure_logging`` (and write failure lines through it) and every line
written through it is printed *above* the status line, which is erased first and
redrawn after, so a log line never lands in the middle of the progress and the progress
never overwrites a log line. Writes from several threads are serialized.

The status line says what :func:`status_text` builds: phase, objects done, the known
total when there is one, the rate over the last ``RATE_WINDOW`` seconds and the time
left at that rate. Off a terminal nothing is drawn and writes pass straight through.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TextIO

from notion_syncd.sync.report import Progress

RATE_WINDOW = 30.0
"""Seconds of samples the rate is measured over (recent speed, not the whole run's)."""
MAX_WIDTH = 100


def format_duration(seconds: float) -> str:
    """``"42s"``, ``"3m05s"``, ``"2h07m"``."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def rate_of(samples: deque[tuple[float, int]]) -> float | None:
    """Objects per second between the oldest and newest sample (None: too little to tell)."""
    if len(samples) < 2:
        return None
    (first_time, first_done), (last_time, last_done) = samples[0], samples[-1]
    if last_time <= first_time:
        return None
    return max(0.0, (last_done - first_done) / (last_time - first_time))


def status_text(progress: Progress, rate: float | None, width: int = MAX_WIDTH) -> str:
    """``exporting: 1,234/5,000 objects, 4.2/s, ETA 15m03s · exported 1234 objects``."""
    count = f"{progress.done:,}"
    if progress.total is not None:
        count += f"/{progress.total:,}"
    parts = [f"{progress.phase}: {count} objects"]
    if rate is not None and rate > 0:
        parts.append(f"{rate:.1f}/s")
        if progress.total is not None and progress.total >= progress.done:
            parts.append(f"ETA {format_duration((progress.total - progress.done) / rate)}")
    text = ", ".join(parts)
    if progress.message:
        text += f" · {progress.message}"
    return text[:width]


class TerminalProgress:
    """The progress callback and the stream logs go through (see the module docstring)."""

    def __init__(
        self,
        stream: TextIO,
        *,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._enabled = stream.isatty()
        self._interval = interval
        self._clock = clock
        self._lock = threading.RLock()
        self._last_draw: float | None = None
        self._line = ""
        self._shown = 0
        self._samples: deque[tuple[float, int]] = deque()

    # -- the progress callback ---------------------------------------------------------

    def __call__(self, progress: Progress) -> None:
        if not self._enabled:
            return
        now = self._clock()
        with self._lock:
            self._samples.append((now, progress.done))
            while self._samples and now - self._samples[0][0] > RATE_WINDOW:
                self._samples.popleft()
            if self._last_draw is not None and now - self._last_draw < self._interval:
                return
            self._last_draw = now
            self._line = status_text(progress, rate_of(self._samples))
            self._draw()

    def _draw(self) -> None:
        self._stream.write("\r" + self._line.ljust(self._shown))
        self._stream.flush()
        self._shown = len(self._line)

    def _erase(self) -> None:
        if self._shown:
            self._stream.write("\r" + " " * self._shown + "\r")
            self._shown = 0

    # -- the stream (logs, failure lines) ------------------------------------------------

    def write(self, text: str) -> int:
        """Print ``text`` above the status line (the line is redrawn after a full line)."""
        with self._lock:
            if not self._enabled:
                return self._stream.write(text)
            self._erase()
            written = self._stream.write(text)
            if self._line and text.endswith("\n"):
                self._draw()
            else:
                self._stream.flush()
            return written

    def flush(self) -> None:
        with self._lock:
            self._stream.flush()

    def isatty(self) -> bool:
        return self._enabled

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            if self._enabled:
                self._erase()
                self._stream.flush()
            self._line = ""

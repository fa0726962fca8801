"""Progress of a sync shown on a terminal (one self-overwriting line), silent otherwise."""

from __future__ import annotations

import time
from typing import TextIO

from notion_syncd.sync.report import Progress


class TerminalProgress:
    """A progress callback that redraws one line on a TTY, at most ten times a second."""

    def __init__(self, stream: TextIO, *, interval: float = 0.1) -> None:
        self._stream = stream
        self._enabled = stream.isatty()
        self._interval = interval
        self._last_draw = 0.0
        self._width = 0

    def __call__(self, progress: Progress) -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        if now - self._last_draw < self._interval:
            return
        self._last_draw = now
        line = f"{progress.phase}: {progress.message}"[:100]
        self._stream.write("\r" + line.ljust(self._width))
        self._stream.flush()
        self._width = len(line)

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._enabled and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()

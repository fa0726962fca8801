"""The search listing, read ahead of the fetchers so its cursor is never held open long.

Notion invalidates a search cursor after a while. Paging search only as fast as the
fetch workers consume results kept one cursor open for minutes (a result page of 100
objects takes about 140 s to fetch at 3 requests/s), long enough to expire twice in a
large export. :class:`ReadAhead` instead pages the listing in a thread of its own, as fast
as the shared rate limiter allows, and spools each result as one JSON line to an
anonymous temporary file; the consumer reads the spool in order. Memory stays flat
whatever the workspace's size (the spool is on disk and vanishes when closed), and a
cursor lives for one request's wait in the limiter, not for a page's worth of fetching.
(A cursor that expires anyway restarts the listing; see ``NotionClient.paginate_pages``.)

The reader stops at the first result below the listing floor, and when the consumer
closes the listing early. An error of the listing is raised to the consumer after the
results read before it.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import IO, Any

from notion_syncd.sync.planner import parse_time

Result = dict[str, Any]


class ReadAhead:
    """Iterate ``results`` through an on-disk spool filled by a background thread."""

    def __init__(self, results: Iterator[Result], *, below_floor: Callable[[Result], bool]) -> None:
        self._results = results
        self._below_floor = below_floor
        self._spool, self._reader = _spool_file()
        self._changed = threading.Condition()
        self._written = 0
        self._done = False
        self._closing = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._fill, name="listing", daemon=True)
        self._thread.start()

    def _fill(self) -> None:
        """The reader thread: page the listing into the spool until the floor or the end."""
        try:
            for result in self._results:
                if self._closing or self._below_floor(result):
                    break
                line = json.dumps(result, ensure_ascii=False, separators=(",", ":")) + "\n"
                self._spool.write(line.encode("utf-8"))
                self._spool.flush()
                with self._changed:
                    self._written += 1
                    self._changed.notify_all()
        except BaseException as exc:  # handed to the consumer, like concurrent.futures
            self._error = exc
        finally:
            with self._changed:
                self._done = True
                self._changed.notify_all()

    def __iter__(self) -> Iterator[Result]:
        consumed = 0
        while True:
            with self._changed:
                while consumed == self._written and not self._done:
                    self._changed.wait()
                available = self._written
                done, error = self._done, self._error
            if consumed < available:
                for _ in range(available - consumed):
                    yield json.loads(self._reader.readline())
                consumed = available
                continue
            if done:
                if error is not None:
                    raise error
                return

    @property
    def total(self) -> int | None:
        """How many results the listing holds, once it has ended normally (else None)."""
        with self._changed:
            return self._written if self._done and self._error is None else None

    def close(self) -> None:
        """Stop reading ahead (the thread ends after its current request) and drop the spool."""
        self._closing = True
        self._reader.close()
        self._spool.close()

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _spool_file() -> tuple[IO[bytes], IO[bytes]]:
    """An anonymous temporary file, open twice: to append, and to read from the start."""
    descriptor, path = tempfile.mkstemp(prefix="notion-syncd-listing-")
    try:
        writer = os.fdopen(descriptor, "ab")
        reader = open(path, "rb")  # noqa: SIM115 - closed by ReadAhead.close
    finally:
        os.unlink(path)  # both handles keep it alive; nothing is left behind on a crash
    return writer, reader


def newer(current: str | None, result: Result) -> str | None:
    """The later of ``current`` and the result's ``last_edited_time`` (ISO strings)."""
    edited = result.get("last_edited_time")
    if not isinstance(edited, str):
        return current
    if current is None or parse_time(edited) > parse_time(current):
        return edited
    return current

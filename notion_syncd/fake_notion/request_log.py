"""The server's record of every request it answered, for tests to assert on."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import NamedTuple


class RequestLogEntry(NamedTuple):
    """One answered request; ``endpoint`` is e.g. ``search``, ``blocks.children``."""

    method: str
    path: str
    status: int
    endpoint: str


class RequestLog:
    """A thread-safe, list-like log of ``RequestLogEntry``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RequestLogEntry] = []

    def append(self, entry: RequestLogEntry) -> None:
        """Record one request."""
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[RequestLogEntry]:
        """A snapshot of all entries, oldest first."""
        with self._lock:
            return list(self._entries)

    def __iter__(self) -> Iterator[RequestLogEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __getitem__(self, index: int) -> RequestLogEntry:
        with self._lock:
            return self._entries[index]

    def count(self, endpoint: str | None = None, *, status: int | None = None) -> int:
        """How many requests hit ``endpoint`` (any when None) with ``status`` (any when None)."""
        return sum(
            1
            for entry in self.entries()
            if (endpoint is None or entry.endpoint == endpoint)
            and (status is None or entry.status == status)
        )

    def by_endpoint(self) -> Counter[str]:
        """Request counts per endpoint."""
        return Counter(entry.endpoint for entry in self.entries())

    def by_status(self) -> Counter[int]:
        """Request counts per HTTP status."""
        return Counter(entry.status for entry in self.entries())

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

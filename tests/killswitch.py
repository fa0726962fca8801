"""A sync killed at a chosen instant, in process: the transport dies after N requests.

``PacedTransport`` counts requests and moves a test clock by a third of a second for each
(3 requests/s in virtual time), so time-based checkpoints fire at the same requests on
every run.

``Killed`` derives from ``BaseException``, so no ``except Exception`` (nor ``except
NotionError``) in the sync catches it: it escapes ``run_sync`` the way a signal that ends
the process ends the run, and the next sync reruns on the same repository.

Limits of the simulation (real ``SIGKILL`` tests live in tests/test_sync_faults.py):

- ``finally`` blocks and context managers still run (the mirror lock is released, the
  worker pool is joined), where a real kill runs nothing;
- the kill lands only on a request boundary (before request N+1 is sent), never in the
  middle of a file write, a ``git commit`` or an fsync;
- worker threads still running at the kill make no further request (every later request
  raises ``Killed`` too), but finish the Python code they are in.
"""

from __future__ import annotations

import threading
from typing import Protocol

import httpx

SECONDS_PER_REQUEST = 1 / 3
"""Notion's 3 requests/s, in virtual time."""


class _Clock(Protocol):
    def advance(self, **delta: float) -> None: ...


class Killed(BaseException):
    """The process "died": raised on every request after the kill."""


class KillSwitch(httpx.BaseTransport):
    """Forwards ``after`` requests to ``inner``, then raises ``Killed`` on every request."""

    def __init__(self, inner: httpx.BaseTransport, after: int) -> None:
        self._inner = inner
        self._left = after
        self._lock = threading.Lock()
        self.fired = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            if self._left <= 0:
                self.fired = True
                raise Killed(f"killed before {request.method} {request.url.path}")
            self._left -= 1
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class PacedTransport(httpx.BaseTransport):
    """Counts requests and moves the clock by ``SECONDS_PER_REQUEST`` for each."""

    def __init__(self, inner: httpx.BaseTransport, clock: _Clock) -> None:
        self._inner = inner
        self._clock = clock
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        self._clock.advance(seconds=SECONDS_PER_REQUEST)
        return self._inner.handle_request(request)

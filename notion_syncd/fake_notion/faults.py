"""Fault injection for the fake Notion server; change it any time, even while serving.

    server.faults.rate_limit = RateLimit(requests_per_second=3, burst=10)   # token bucket
    server.faults.rate_limit_storm(every=5)            # every 5th request → 429
    server.faults.random_errors(0.1)                    # 10 % → 500/502/503/504
    server.faults.overload(probability=0.2)             # 529 with Retry-After
    server.faults.fail_path(r"/v1/blocks/.+/children", status=500)
    server.faults.stall_path(r"/v1/search")             # hang until server.stop()
    server.faults.reset_connection(r"/v1/pages/")       # TCP reset, no response
    server.faults.malformed_json(r"/v1/search")         # 200 with a cut JSON body
    server.faults.cut_listing("search", page=3)         # 500 on the 3rd page of search
    server.faults.expire_file_urls(times=4)             # S3 403 "Request has expired"
    server.faults.latency = 0.2                          # seconds per request
    server.faults.clear()

Patterns are regular expressions searched in the request path (query string excluded).
Global faults (rate limits, storms, random errors, overload) apply to ``/v1`` only;
path faults also match ``/_files/...`` downloads.
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RateLimit:
    """Token bucket: ``requests_per_second`` on average, ``burst`` at once."""

    requests_per_second: float = 3.0
    burst: int = 10


@dataclass(frozen=True)
class FaultAction:
    """What to do instead of answering normally."""

    kind: str  # "status" | "stall" | "reset" | "malformed" | "expired"
    status: int = 0
    retry_after: int | None = None
    message: str | None = None
    code: str | None = None


@dataclass
class _PathFault:
    pattern: re.Pattern[str]
    method: str | None
    action: FaultAction
    remaining: int | None  # None = forever
    probability: float = 1.0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.pattern.search(path) is not None


@dataclass
class _ListingCut:
    endpoint: str
    page: int
    action: FaultAction
    continuations_seen: int = 0
    remaining: int | None = 1


@dataclass
class _Bucket:
    limit: RateLimit
    tokens: float
    updated: float = field(default_factory=time.monotonic)

    def take(self) -> float:
        """0 when a token was taken, else seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(
            float(self.limit.burst),
            self.tokens + (now - self.updated) * self.limit.requests_per_second,
        )
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.limit.requests_per_second


class Faults:
    """The fault settings of one server; every method is thread-safe."""

    def __init__(
        self, *, seed: int = 0, rate_limit: RateLimit | None = None, latency: float = 0.0
    ) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._bucket: _Bucket | None = None
        self.latency = latency
        self.search_lag = 0.0
        self._storm_every: int | None = None
        self._overload_every: int | None = None
        self._error_statuses: tuple[int, ...] = (500, 502, 503, 504)
        self.rate_limit = rate_limit
        self._clear_unlocked()

    # ------------------------------------------------------------------ settings

    @property
    def rate_limit(self) -> RateLimit | None:
        """The token bucket in force (None = unlimited)."""
        return self._bucket.limit if self._bucket else None

    @rate_limit.setter
    def rate_limit(self, limit: RateLimit | None) -> None:
        with self._lock:
            self._bucket = _Bucket(limit, float(limit.burst)) if limit else None

    def rate_limit_storm(
        self, *, every: int | None = None, probability: float = 0.0, retry_after: int = 1
    ) -> None:
        """Answer 429 to every ``every``-th request and/or with ``probability``."""
        with self._lock:
            self._storm_every = every
            self._storm_probability = probability
            self._storm_retry_after = retry_after

    def random_errors(
        self, probability: float, statuses: tuple[int, ...] = (500, 502, 503, 504)
    ) -> None:
        """Answer one of ``statuses`` with ``probability`` (seeded)."""
        with self._lock:
            self._error_probability = probability
            self._error_statuses = statuses

    def overload(
        self, probability: float = 0.0, *, every: int | None = None, retry_after: int = 1
    ) -> None:
        """Answer ``529 service_overload`` with ``Retry-After``."""
        with self._lock:
            self._overload_probability = probability
            self._overload_every = every
            self._overload_retry_after = retry_after

    def fail_path(
        self,
        pattern: str,
        status: int = 500,
        *,
        method: str | None = None,
        times: int | None = None,
        code: str | None = None,
        message: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer ``status`` for matching requests (``times`` of them, or forever)."""
        action = FaultAction("status", status, retry_after, message, code)
        self._add_path_fault(pattern, method, action, times)

    def stall(self, stalled: bool = True) -> None:
        """Hang every request until ``server.stop()`` (or until ``stall(False)``)."""
        with self._lock:
            self._stall_all = stalled

    def stall_path(
        self, pattern: str, *, method: str | None = None, times: int | None = None
    ) -> None:
        """Hang matching requests until the server stops."""
        self._add_path_fault(pattern, method, FaultAction("stall"), times)

    def reset_connection(
        self, pattern: str = "", *, method: str | None = None, times: int | None = None
    ) -> None:
        """Close matching connections with a TCP reset instead of answering."""
        self._add_path_fault(pattern, method, FaultAction("reset"), times)

    def malformed_json(
        self, pattern: str = "", *, method: str | None = None, times: int | None = None
    ) -> None:
        """Answer matching requests 200 with a truncated JSON body."""
        self._add_path_fault(pattern, method, FaultAction("malformed"), times)

    def expire_file_urls(
        self,
        pattern: str = "",
        *,
        times: int | None = None,
        probability: float = 1.0,
        first_only: bool = False,
    ) -> None:
        """Answer matching hosted-file downloads as S3 does once a signed URL expired.

        ``times`` downloads (or all), each with ``probability`` (seeded): a 403
        ``AccessDenied`` / ``Request has expired``, as when a sync holds a URL past its hour.
        ``first_only``: only the first download of each file (a fresh URL then works).
        """
        action = FaultAction("expired", message="first_only" if first_only else None)
        with self._lock:
            self._file_expiry.append(
                _PathFault(re.compile(pattern), None, action, times, probability)
            )

    def cut_listing(
        self,
        endpoint: str = "search",
        page: int = 2,
        status: int = 500,
        *,
        times: int | None = 1,
        stale_cursor: bool = False,
    ) -> None:
        """Fail the ``page``-th page (≥ 2) of a paginated listing of ``endpoint``.

        ``endpoint`` is a request-log endpoint name (``search``, ``blocks.children``,
        ``data_sources.query``…). With ``stale_cursor`` the answer is the 400
        ``The start_cursor provided is invalid`` error instead of ``status``.
        """
        if page < 2:
            raise ValueError("page 1 has no cursor; use fail_path for it")
        action = (
            FaultAction("status", 400, code="validation_error", message="stale_cursor")
            if stale_cursor
            else FaultAction("status", status)
        )
        with self._lock:
            self._cuts.append(_ListingCut(endpoint, page, action, remaining=times))

    def clear(self) -> None:
        """Remove every fault (rate limit and latency included)."""
        with self._lock:
            self._clear_unlocked()
            self._bucket = None
            self.latency = 0.0
            self.search_lag = 0.0

    # ------------------------------------------------------------------ deciding

    def _clear_unlocked(self) -> None:
        self._count = 0
        self._storm_every = None
        self._storm_probability = 0.0
        self._storm_retry_after = 1
        self._error_probability = 0.0
        self._error_statuses = (500, 502, 503, 504)
        self._overload_probability = 0.0
        self._overload_every = None
        self._overload_retry_after = 1
        self._stall_all = False
        self._path_faults: list[_PathFault] = []
        self._file_expiry: list[_PathFault] = []
        self._expired_once: set[str] = set()
        self._cuts: list[_ListingCut] = []

    def _add_path_fault(
        self, pattern: str, method: str | None, action: FaultAction, times: int | None
    ) -> None:
        with self._lock:
            self._path_faults.append(
                _PathFault(re.compile(pattern), method.upper() if method else None, action, times)
            )

    def stalled_everywhere(self) -> bool:
        """Whether ``stall()`` is on."""
        with self._lock:
            return self._stall_all

    def decide(
        self, method: str, path: str, endpoint: str, continuation: bool
    ) -> FaultAction | None:
        """The fault for one request, or None to answer normally."""
        with self._lock:
            self._count += 1
            if self._stall_all:
                return FaultAction("stall")
            for fault in self._path_faults:
                if fault.matches(method, path) and fault.remaining != 0:
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault.action
            if path.startswith("/_files/"):
                return self._decide_file(method, path)
            if not path.startswith("/v1/"):
                return None
            return self._decide_global(endpoint, continuation)

    def _decide_file(self, method: str, path: str) -> FaultAction | None:
        for fault in self._file_expiry:
            if not fault.matches(method, path) or fault.remaining == 0:
                continue
            if fault.action.message == "first_only":
                if path in self._expired_once:
                    continue
                self._expired_once.add(path)
            if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
            return fault.action
        return None

    def _decide_global(self, endpoint: str, continuation: bool) -> FaultAction | None:
        if self._bucket is not None:
            wait = self._bucket.take()
            if wait > 0:
                return FaultAction("status", 429, retry_after=max(1, math.ceil(wait)))
        if (self._storm_every and self._count % self._storm_every == 0) or (
            self._storm_probability and self._rng.random() < self._storm_probability
        ):
            return FaultAction("status", 429, retry_after=self._storm_retry_after)
        if (self._overload_every and self._count % self._overload_every == 0) or (
            self._overload_probability and self._rng.random() < self._overload_probability
        ):
            return FaultAction("status", 529, retry_after=self._overload_retry_after)
        if self._error_probability and self._rng.random() < self._error_probability:
            return FaultAction("status", self._rng.choice(self._error_statuses))
        if not continuation:
            for cut in self._cuts:
                if cut.endpoint == endpoint:
                    cut.continuations_seen = 0
        else:
            for cut in self._cuts:
                if cut.endpoint != endpoint or cut.remaining == 0:
                    continue
                cut.continuations_seen += 1
                if cut.continuations_seen == cut.page - 1:
                    cut.continuations_seen = 0
                    if cut.remaining is not None:
                        cut.remaining -= 1
                    return cut.action
        return None

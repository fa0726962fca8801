"""When to retry a Notion request and how long to wait: the pure part of the retry policy.

Retried: ``429 rate_limited`` and ``529 service_overload`` (waiting what ``Retry-After``
says, never less), the transient server errors in :data:`RETRYABLE_STATUSES`, timeouts,
dropped connections and malformed bodies. Never retried: other 4xx answers, which retrying
cannot fix. Every request the exporter sends is a read, so retrying any method is safe.

Waits without ``Retry-After`` use exponential backoff with full jitter
(``uniform(0, min(cap, base * 2**n))``, Marc Brooker, "Exponential Backoff And Jitter").
Each request is bounded both in attempts and in total time; the client turns an exhausted
budget into :class:`~notion_syncd.errors.NotionUnavailable`.
"""

from __future__ import annotations

import contextlib
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

RATE_LIMIT_STATUSES = frozenset({429, 529})
"""Answers that ask every worker to slow down; they pause the shared limiter."""

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504, 520, 521, 522, 523, 524})
"""Transient server and gateway (Cloudflare 52x) errors."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds and backoff of one request's retries."""

    max_attempts: int = 8
    max_retry_time: float = 600.0
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    max_single_wait: float = 120.0
    """A ``Retry-After`` longer than this is not sat out inside one request: it fails."""

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Full-jitter delay before retry ``retry_number`` (1 for the first retry)."""
        exponent = min(retry_number - 1, 32)
        return rng.uniform(0.0, min(self.backoff_cap, self.backoff_base * 2.0**exponent))


def parse_retry_after(
    value: str | None,
    *,
    date_header: str | None = None,
    now: Callable[[], float] = time.time,
) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or None when absent or unreadable.

    The value is either a number of seconds or an HTTP-date. A date is measured against
    the answer's own ``Date`` header when there is one (no dependence on our clock's
    skew), else against ``now``. Past dates and negative numbers mean "no wait".
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        target = parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    reference = now()
    if date_header:
        with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
            reference = parsedate_to_datetime(date_header).timestamp()
    return max(0.0, target - reference)

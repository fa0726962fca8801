"""Time for the fake Notion: a settable clock and the API's timestamp formats.

Notion rounds ``created_time``/``last_edited_time`` of pages, blocks and data sources down to
the minute (``2026-07-04T09:09:00.000Z``); database containers use milliseconds with a
``+00:00`` offset (``2026-07-04T09:09:45.607+00:00``); hosted-file ``expiry_time`` uses
milliseconds with ``Z``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]

DEFAULT_START = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to; thread-safe and callable like ``Clock``."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(
        self, seconds: float = 0.0, *, minutes: float = 0.0, hours: float = 0.0
    ) -> datetime:
        """Move time forward and return the new now."""
        with self._lock:
            self._now += timedelta(seconds=seconds, minutes=minutes, hours=hours)
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (naive datetimes are taken as UTC)."""
        with self._lock:
            self._now = when if when.tzinfo else when.replace(tzinfo=UTC)


def minute_timestamp(moment: datetime) -> str:
    """``2026-07-04T09:09:00.000Z``: rounded down to the minute, as pages and blocks show."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:00.000Z")


def database_timestamp(moment: datetime) -> str:
    """``2026-07-04T09:09:45.607+00:00``: milliseconds and offset, as database containers show."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+00:00"


def expiry_timestamp(moment: datetime) -> str:
    """``2026-06-27T17:59:54.110Z``: milliseconds with ``Z``, as file ``expiry_time`` shows."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def round_to_minute(moment: datetime) -> datetime:
    """The instant the API reports for ``moment`` (seconds dropped)."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO date or datetime from a request; dates mean midnight UTC."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)

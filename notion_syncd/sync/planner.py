"""Pure decisions of a sync: what to list, what to fetch, how far the watermark moves.

No I/O, no clock: callers pass ``now``.

Why the rules look like this (see README, "How sync works"):

- Notion rounds ``last_edited_time`` down to the minute, and its search index lags
  behind edits. Listing therefore goes past the watermark by ``overlap`` (newest first,
  stopping at the first object older than ``watermark - overlap``).
- An object whose ``last_edited_time`` equals the indexed one is unchanged, *if* it
  was fetched after its minute had passed ("settled"). An object fetched during the
  minute of its own last edit may be edited again in that same minute without its
  timestamp moving; it is marked unsettled and fetched once more next time.
- The watermark never passes an object that failed: it is held at the oldest failure,
  so the next listing reaches that object again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from notion_syncd.sync.state import IndexEntry

SETTLE_MARGIN = timedelta(seconds=120)
"""A minute of rounding plus a minute of clock skew between us and Notion."""

CONSECUTIVE_FAILURES_TO_ABORT = 5
"""Objects failing in a row (Notion unavailable) before the whole sync stops."""

Reason = Literal["new", "changed", "unsettled", "unchanged", "trashed", "gap"]


@dataclass(frozen=True)
class Decision:
    id: str
    kind: str
    fetch: bool
    reason: Reason


def parse_time(value: str) -> datetime:
    """An API timestamp (``…Z`` or with an offset) as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def listing_floor(watermark: str | None, overlap: float) -> datetime | None:
    """Listing stops at the first object edited before this time (None: list everything)."""
    if watermark is None:
        return None
    return parse_time(watermark) - timedelta(seconds=overlap)


def below_floor(result: dict[str, Any], floor: datetime | None) -> bool:
    edited = result.get("last_edited_time")
    if floor is None or not isinstance(edited, str):
        return False
    return parse_time(edited) < floor


def is_settled(last_edited_time: str, fetched_at: datetime) -> bool:
    """True when no further edit can keep this ``last_edited_time`` (its minute is over)."""
    return parse_time(last_edited_time) + SETTLE_MARGIN <= fetched_at


def decide(result: dict[str, Any], entry: IndexEntry | None, *, gap: bool = False) -> Decision:
    """Fetch a listed object, or skip it because the mirror already has this version.

    ``gap``: the mirror is known to miss part of this object (``gaps.py``): fetched again
    even when unchanged.
    """
    object_id, kind = str(result["id"]), str(result.get("object", "page"))
    if result.get("in_trash") or result.get("archived"):
        return Decision(object_id, kind, False, "trashed")
    if entry is None or not entry.last_edited_time:
        return Decision(object_id, kind, True, "new")
    if entry.last_edited_time != result.get("last_edited_time"):
        return Decision(object_id, kind, True, "changed")
    if not entry.settled:
        return Decision(object_id, kind, True, "unsettled")
    if gap:
        return Decision(object_id, kind, True, "gap")
    return Decision(object_id, kind, False, "unchanged")


def next_watermark(
    previous: str | None, newest_seen: str | None, oldest_failed: str | None
) -> str | None:
    """The new watermark: the newest edit seen, held at the oldest failure, never backwards.

    A failed object was listed, so its time is at least ``previous - overlap``; holding the
    watermark at ``max(previous, oldest_failed)`` keeps it inside the next listing.
    """
    newest = parse_time(newest_seen) if newest_seen else None
    if oldest_failed is not None:
        failed = parse_time(oldest_failed)
        newest = failed if newest is None else min(newest, failed)
    if newest is None:
        return previous
    if previous is not None and parse_time(previous) >= newest:
        return previous
    return format_time(newest)


def oldest(times: list[str]) -> str | None:
    """The oldest of some ``last_edited_time`` values (None when there are none)."""
    return min(times, key=parse_time) if times else None


def should_abort(consecutive_failures: int, unavailable: bool) -> bool:
    """Stop the sync when Notion failed this many objects in a row as unavailable."""
    return unavailable and consecutive_failures >= CONSECUTIVE_FAILURES_TO_ABORT

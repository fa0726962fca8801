"""How far behind Notion's search index runs, as this mirror has seen it: pure rules.

Search lists a new object only minutes after it is made. The listing goes back
``sync.overlap`` past the watermark to cover that, but a lag longer than the overlap
would let the watermark (moved on by other edits) pass objects search shows only later,
and they would never be listed. So the lag is measured whenever a sync writes an object
the listing did not show although it should have (edited at or after the listing's
floor): a data-source row read by a query, a child page found through its parent's
blocks (``discovery.py``). The largest lag seen (at most :data:`MAX_SEARCH_LAG`) is kept
in ``.notion-syncd/state.json``, and every later listing reaches ``overlap`` plus that
lag past the watermark. A no-change poll still costs one request unless more than 100
objects were edited within that window.
"""

from __future__ import annotations

from datetime import datetime

from notion_syncd.sync.planner import parse_time

MAX_SEARCH_LAG = 3600.0
"""Longest lag remembered, in seconds: an older unlisted object (a page shared long after
its last edit) says nothing about the index and must not widen every listing for good."""


def observed_lag(last_edited_time: str, listing_started: datetime, floor: datetime | None) -> float:
    """Seconds search was behind for an object it did not list (0 when that says nothing)."""
    if not last_edited_time:
        return 0.0
    edited = parse_time(last_edited_time)
    if floor is not None and edited < floor:
        return 0.0  # the listing stopped above it: not listing it was right
    lag = (listing_started - edited).total_seconds()
    return lag if 0.0 < lag <= MAX_SEARCH_LAG else 0.0


def remembered_lag(previous: float, observed: float) -> float:
    """The lag to keep in the state: the largest seen, capped."""
    return min(MAX_SEARCH_LAG, max(previous, observed))


def listing_reach(overlap: float, search_lag: float) -> float:
    """How far past the watermark the listing goes, in seconds."""
    return overlap + search_lag

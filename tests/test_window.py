"""The listing window: what the listing showed, the newest edit, the search lag seen."""

from __future__ import annotations

from datetime import UTC, datetime

from notion_syncd.sync.window import ListingWindow

STARTED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FLOOR = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def test_window_newest_seen_only_from_listing() -> None:
    """The newest edit comes from listed objects; writing an unlisted newer one does not move it."""
    window = ListingWindow(FLOOR, STARTED)
    window.saw("a", {"last_edited_time": "2026-03-02T11:30:00.000Z"})
    window.saw("b", {"last_edited_time": "2026-03-02T11:10:00.000Z"})
    window.wrote("c", "2026-03-02T11:59:00.000Z")
    assert window.newest_seen == "2026-03-02T11:30:00.000Z"
    assert set(window.listed) == {"a", "b"}


def test_window_lag_from_unlisted_writes_once_listing_is_over() -> None:
    """Lag counts objects written but never listed, above the floor, once the listing ended."""
    window = ListingWindow(FLOOR, STARTED)
    window.wrote("early", "2026-03-02T11:40:00.000Z")  # a parent fetched ahead of its place
    window.saw("early", {"last_edited_time": "2026-03-02T11:40:00.000Z"})
    window.wrote("old", "2026-03-02T10:00:00.000Z")  # below the floor: says nothing
    window.wrote("new", "2026-03-02T11:50:00.000Z")
    window.wrote("newer", "2026-03-02T11:55:00.000Z")
    assert window.lag_observed() == 0.0  # the listing is not over yet
    window.listing_done = True
    assert window.lag_observed() == 600.0

"""The pure sync decisions: listing floor, fetch or skip, watermark."""

from __future__ import annotations

from datetime import UTC, datetime

from notion_syncd.sync.planner import (
    below_floor,
    decide,
    is_settled,
    listing_floor,
    next_watermark,
)
from notion_syncd.sync.state import IndexEntry

PAGE_ID = "393abc1e-edcd-8169-85ce-c64d3d3f20fd"


def _entry(edited: str, *, settled: bool = True) -> IndexEntry:
    return IndexEntry(
        id=PAGE_ID,
        kind="page",
        title="T",
        parent=None,
        name="T 3d3f20fd",
        last_edited_time=edited,
        settled=settled,
    )


def _result(edited: str) -> dict[str, object]:
    return {"object": "page", "id": PAGE_ID, "last_edited_time": edited}


def test_decide_new_changed_unchanged() -> None:
    """Unknown objects are new, a moved timestamp is a change, an equal one is skipped."""
    assert decide(_result("2026-01-01T10:00:00.000Z"), None).reason == "new"
    changed = decide(_result("2026-01-01T10:01:00.000Z"), _entry("2026-01-01T10:00:00.000Z"))
    assert changed.fetch and changed.reason == "changed"
    same = decide(_result("2026-01-01T10:00:00.000Z"), _entry("2026-01-01T10:00:00.000Z"))
    assert not same.fetch and same.reason == "unchanged"


def test_decide_unsettled_is_fetched_again() -> None:
    """An object fetched within the minute of its last edit is fetched once more."""
    entry = _entry("2026-01-01T10:00:00.000Z", settled=False)
    decision = decide(_result("2026-01-01T10:00:00.000Z"), entry)
    assert decision.fetch and decision.reason == "unsettled"


def test_is_settled_needs_minute_plus_skew() -> None:
    """Settled only once the edit's minute and a minute of clock skew have passed."""
    edited = "2026-01-01T10:00:00.000Z"
    assert not is_settled(edited, datetime(2026, 1, 1, 10, 0, 59, tzinfo=UTC))
    assert not is_settled(edited, datetime(2026, 1, 1, 10, 1, 30, tzinfo=UTC))
    assert is_settled(edited, datetime(2026, 1, 1, 10, 2, 0, tzinfo=UTC))


def test_listing_floor_goes_below_watermark_by_overlap() -> None:
    """Listing continues past the watermark by the overlap, then stops."""
    floor = listing_floor("2026-01-01T10:10:00.000Z", 300)
    assert floor == datetime(2026, 1, 1, 10, 5, tzinfo=UTC)
    assert not below_floor(_result("2026-01-01T10:05:00.000Z"), floor)
    assert below_floor(_result("2026-01-01T10:04:00.000Z"), floor)
    assert listing_floor(None, 300) is None


def test_next_watermark_moves_forward_only() -> None:
    """The watermark takes the newest edit seen and never goes backwards."""
    assert next_watermark(None, "2026-01-01T10:00:00.000Z", None) == "2026-01-01T10:00:00.000Z"
    assert (
        next_watermark("2026-01-01T11:00:00.000Z", "2026-01-01T10:00:00.000Z", None)
        == "2026-01-01T11:00:00.000Z"
    )
    assert next_watermark("2026-01-01T11:00:00.000Z", None, None) == "2026-01-01T11:00:00.000Z"


def test_next_watermark_held_at_failure() -> None:
    """A failed object holds the watermark so the next listing reaches it again."""
    watermark = next_watermark(
        "2026-01-01T09:00:00.000Z", "2026-01-01T12:00:00.000Z", "2026-01-01T10:00:00.000Z"
    )
    assert watermark == "2026-01-01T10:00:00.000Z"
    floor = listing_floor(watermark, 300)
    assert not below_floor(_result("2026-01-01T10:00:00.000Z"), floor)

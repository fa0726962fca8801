"""Gaps: what the mirror misses is carried from sync to sync until it is filled."""

from __future__ import annotations

import pytest

from notion_syncd.sync.gaps import Gap, carry_gaps, gaps_json, parse_gaps
from notion_syncd.sync.planner import decide
from notion_syncd.sync.state import IndexEntry

EDITED = "2026-03-02T08:00:00.000Z"


def test_carry_gaps_keeps_unfilled_and_drops_written_or_gone() -> None:
    """A gap stays until its object is written or Notion no longer has it."""
    previous = {
        "a": Gap("a", "page", "expired", ("u1",)),
        "b": Gap("b", "page", "HTTP 500"),
        "c": Gap("c", "data_source", "HTTP 502"),
    }
    new = [Gap("d", "page", "expired", ("u2",))]
    gaps = carry_gaps(previous, written={"a"}, resolved={"c"}, new=new)
    assert list(gaps) == ["b", "d"]


def test_carry_gaps_json_round_trip_is_deterministic() -> None:
    """The committed form reads back to the same gaps, sorted by id."""
    gaps = {"z": Gap("z", "page", "r", ("u",)), "a": Gap("a", "data_source", "s")}
    raw = gaps_json(gaps)
    assert parse_gaps(raw) == dict(sorted(gaps.items()))
    assert raw == gaps_json(dict(reversed(list(gaps.items()))))


def test_parse_gaps_damaged_file_is_refused() -> None:
    """A gaps file of the wrong shape raises ValueError (the caller names the file)."""
    with pytest.raises(ValueError):
        parse_gaps(b'{"gaps": [{"kind": "page"}]}')


def test_planner_decide_gap_fetches_an_unchanged_object() -> None:
    """An unchanged object with a recorded gap is fetched again."""
    entry = IndexEntry("a", "page", "A", None, "A 1", EDITED)
    listed = {"id": "a", "object": "page", "last_edited_time": EDITED}
    assert decide(listed, entry).reason == "unchanged"
    assert decide(listed, entry, gap=True).fetch

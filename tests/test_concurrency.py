"""The in-flight target: Little's law from the latency of API answers, within bounds."""

from __future__ import annotations

import pytest

from notion_syncd.notion.concurrency import (
    FIRST_GUESS_SECONDS,
    HEADROOM,
    SPARE,
    InFlightTarget,
)


def test_in_flight_target_follows_littles_law() -> None:
    """rate × latency × headroom + spare objects, rounded up."""
    target = InFlightTarget(highest=64)
    target.observe(1.0)
    assert target.target(3.0) == 3 * HEADROOM + SPARE
    target = InFlightTarget(highest=64)
    target.observe(0.05)
    assert target.target(30.0) == 3 + SPARE  # 30 × 0.05 × 2 = 3


def test_in_flight_target_within_bounds() -> None:
    """Never above ``highest`` (slow answers, big budget), never below ``lowest``."""
    target = InFlightTarget(highest=16, lowest=10)
    target.observe(1.0)
    assert target.target(30.0) == 16
    target.observe(0.0)
    assert target.target(0.1) == 10
    assert InFlightTarget(highest=2, lowest=5).target(1000.0) == 2


def test_in_flight_target_rejects_no_room() -> None:
    """A target that allows nothing in flight is a configuration error."""
    with pytest.raises(ValueError):
        InFlightTarget(highest=0)


def test_in_flight_target_first_sample_replaces_guess_then_smooths() -> None:
    """The guess holds until an answer comes; later answers move the average partly."""
    target = InFlightTarget(highest=64)
    assert target.latency == FIRST_GUESS_SECONDS
    target.observe(1.0)
    assert target.latency == 1.0
    target.observe(0.0)
    assert 0.0 < target.latency < 1.0
    for _ in range(100):
        target.observe(0.2)
    assert target.latency == pytest.approx(0.2)


def test_in_flight_target_follows_a_slower_server() -> None:
    """When answers slow down, more objects are kept in flight (the budget stays busy)."""
    target = InFlightTarget(highest=64)
    target.observe(0.05)
    fast = target.target(20.0)
    for _ in range(30):
        target.observe(1.0)
    assert fast < target.target(20.0) == 40 + SPARE

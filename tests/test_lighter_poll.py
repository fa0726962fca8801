"""The lighter poll while webhooks are healthy: the pure decision."""

from __future__ import annotations

import pytest

from notion_syncd.webhooks.lighterpoll import poll_due

INTERVAL, LIGHTER = 300.0, 1800.0


@pytest.mark.parametrize(
    ("since_last_sync", "healthy", "due"),
    [
        (None, True, True),  # no sync yet this run: poll
        (10.0, False, True),  # webhooks not healthy: every interval, as without them
        (300.0, False, True),
        (300.0, True, False),  # healthy: an early sync covered it
        (1500.0, True, False),
        (1650.0, True, True),  # half an interval of slack for a job firing early
        (1800.0, True, True),
        (5000.0, True, True),
    ],
)
def test_lighter_poll_decision(since_last_sync: float | None, healthy: bool, due: bool) -> None:
    """The poll waits for the lighter interval only while webhooks are healthy."""
    now = 10_000.0
    last = None if since_last_sync is None else now - since_last_sync
    decision = poll_due(
        now=now, last_sync_started=last, interval=INTERVAL, when_healthy=LIGHTER, healthy=healthy
    )
    assert decision is due


def test_lighter_poll_never_heavier_than_interval() -> None:
    """A lighter interval at or below schedule.interval changes nothing."""
    for when_healthy in (60.0, INTERVAL):
        assert poll_due(
            now=100.0,
            last_sync_started=99.0,
            interval=INTERVAL,
            when_healthy=when_healthy,
            healthy=True,
        )

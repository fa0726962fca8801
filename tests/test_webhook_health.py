"""The webhook health summary: verified or not, last event, queue depth; never a token."""

from __future__ import annotations

from notion_syncd.service.state import SyncStatus
from notion_syncd.webhooks.health import WebhookHealth

WHEN = 1_800_000_000.0  # 2027-01-15 08:00 UTC


def test_health_verified_only_after_a_signed_event() -> None:
    """A token alone is not a verified subscription; an event signed with it is."""
    assert not WebhookHealth("none", None, 0).verified
    assert not WebhookHealth("received", None, 0).verified
    assert not WebhookHealth("none", WHEN, 0).verified
    assert WebhookHealth("configured", WHEN, 0).verified


def test_health_text_names_state_last_event_and_depth() -> None:
    """The text says verified or why not, when the last event came, and the queue depth."""
    assert WebhookHealth("none", None, 0).text() == (
        "webhooks: not verified (no token yet), no event yet, 0 queued"
    )
    assert WebhookHealth("received", None, 2).text() == (
        "webhooks: not verified (token received, no signed event yet), no event yet, 2 queued"
    )
    assert WebhookHealth("configured", WHEN, 3).text() == (
        "webhooks: verified, last event 2027-01-15 08:00 UTC, 3 queued"
    )


def test_health_healthy_needs_a_recent_event() -> None:
    """Healthy: verified and an event within the window (inclusive)."""
    health = WebhookHealth("received", WHEN, 0)
    assert health.healthy(WHEN + 600, window=600)
    assert not health.healthy(WHEN + 601, window=600)
    assert not WebhookHealth("none", WHEN, 0).healthy(WHEN, window=600)


def test_health_notes_end_status_line_and_readiness() -> None:
    """SyncStatus appends the webhook text to STATUS and to the /readyz body."""
    status = SyncStatus(monotonic=lambda: 0.0, wall=lambda: WHEN)
    status.started()
    status.succeeded(changed=1, commit="abc")
    assert status.status_line() == "idle; last sync 08:00 UTC, 1 page changed"
    status.notes = lambda: WebhookHealth("configured", WHEN, 0).text()
    line = status.status_line()
    assert line.endswith("; webhooks: verified, last event 2027-01-15 08:00 UTC, 0 queued")
    ready, body = status.readiness(interval=300)
    assert ready and body == "ok; webhooks: verified, last event 2027-01-15 08:00 UTC, 0 queued"

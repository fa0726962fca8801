"""Whether the regular poll runs now, or may wait because webhooks are healthy: pure.

While webhooks are healthy (verified, an event within ``poll_interval_when_healthy``),
every early sync they trigger is itself an incremental poll (the listing by
``last_edited_time``), so the regular poll only needs to run when no sync has started
for ``webhooks.poll_interval_when_healthy``. The poll job still fires every
``schedule.interval`` and asks this; the sweep is never skipped. When events stop
(the subscription was paused, the proxy broke), webhooks are no longer healthy after
that window, and the poll is back to ``schedule.interval``: a lost event costs latency,
never content.
"""

from __future__ import annotations


def poll_due(
    *,
    now: float,
    last_sync_started: float | None,
    interval: float,
    when_healthy: float,
    healthy: bool,
) -> bool:
    """True when the poll job that fired at ``now`` should sync.

    Half an interval of slack keeps a job that fires a moment early from waiting a
    whole extra interval.
    """
    if not healthy or last_sync_started is None or when_healthy <= interval:
        return True
    return now - last_sync_started >= when_healthy - interval / 2

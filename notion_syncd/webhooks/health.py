"""How the webhook side is doing, for people and for the poll: pure, clock passed in.

- *token*: ``configured`` (config or credential), ``received`` (kept from the
  handshake) or ``none``; never the token itself.
- *verified*: an event signed with that token has arrived. Notion sends signed events
  only once the operator pasted the token into the integration's settings, so this is
  the one sign the daemon can see that the subscription is verified.
- *healthy*: verified, and an event arrived within the last ``window`` seconds; the
  poll may then run less often (``webhooks.poll_interval_when_healthy``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

TokenSource = Literal["configured", "received", "none"]


@dataclass(frozen=True)
class WebhookHealth:
    token: TokenSource
    last_event: float | None
    """Unix time of the last verified event (kept across restarts), or None."""
    queue_depth: int
    """Entities waiting for their early sync."""

    @property
    def verified(self) -> bool:
        return self.token != "none" and self.last_event is not None

    def healthy(self, now: float, window: float) -> bool:
        """Verified, with an event within ``window`` seconds of ``now``."""
        return self.verified and self.last_event is not None and now - self.last_event <= window

    def text(self) -> str:
        """``webhooks: verified, last event 08:41 UTC, 0 queued`` (never the token)."""
        if self.verified:
            state = "verified"
        elif self.token == "none":
            state = "not verified (no token yet)"
        else:
            state = f"not verified (token {self.token}, no signed event yet)"
        if self.last_event is None:
            last = "no event yet"
        else:
            last = "last event " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.last_event))
        return f"webhooks: {state}, {last}, {self.queue_depth} queued"

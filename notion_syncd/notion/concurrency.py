"""How many objects to fetch at once: Little's law from the latency observed.

To keep a budget of ``rate`` requests/s busy while every answer takes ``latency``
seconds, ``rate × latency`` requests must be in flight on average (Little's law). A
fixed pool is either too small when answers are slow (8 workers at 1 s of latency
cannot send more than 8 requests/s) or holds idle threads and memory when they are
fast. :class:`InFlightTarget` follows the latency of API answers (an exponentially
weighted moving average) and says how many objects to keep in flight:

    target = ceil(rate × latency × HEADROOM) + SPARE, within [lowest, highest]

``HEADROOM`` covers the time an object spends between its requests (parsing,
downloading its files, waiting for its turn at the limiter) and the jitter of the
latency; ``SPARE`` covers the moments the writing thread is busy and does not hand out
new work at once. Objects beyond what the budget allows just wait at the limiter: the
target only bounds threads and memory, never the request rate.

Pure: no clock, no threads; the client feeds it (under its own lock).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

HEADROOM = 2.0
"""In-flight objects per request the budget allows in flight (Little's law × this)."""
SPARE = 8
"""Objects in flight beyond Little's law, for the writer's pauses: new objects are handed
out by the writing thread, so while it writes (or a loaded machine starves it for a
second) the objects in flight finish and are not replaced. At 30 requests/s and about 4
requests per object, 8 spare objects cover a pause of about a second."""
SMOOTHING = 0.2
"""Weight of a new latency sample in the moving average."""
FIRST_GUESS_SECONDS = 0.2
"""The latency assumed before any answer came back."""


@dataclass
class InFlightTarget:
    """The objects to keep in flight for a request budget, from the latency seen so far."""

    highest: int
    lowest: int = 1
    latency: float = FIRST_GUESS_SECONDS
    samples: int = 0

    def __post_init__(self) -> None:
        if self.highest < 1:
            raise ValueError("highest must be at least 1")
        self.lowest = max(1, min(self.lowest, self.highest))

    def observe(self, seconds: float) -> None:
        """One API answer took ``seconds`` (sent to answered)."""
        seconds = max(0.0, seconds)
        if self.samples == 0:
            self.latency = seconds
        else:
            self.latency += SMOOTHING * (seconds - self.latency)
        self.samples += 1

    def target(self, rate: float) -> int:
        """Objects to keep in flight at ``rate`` requests/s."""
        wanted = math.ceil(max(0.0, rate) * self.latency * HEADROOM) + SPARE
        return max(self.lowest, min(self.highest, wanted))

"""What one sync's search listing showed: its floor, ids, newest edit, and search lag.

Only the listing moves the watermark (``newest_seen``): rows read by a data-source
query, parents and children fetched by id may be newer than pages search has not
indexed yet. An object written that the listing never showed tells how far search
lags behind (``lag.observed_lag``); that is judged once the listing is over, since a
parent fetched by id ahead of its place in the listing is no evidence. The largest lag
is kept in the state. No I/O: the exporter reports to it, the commit step reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from notion_syncd.sync import lag
from notion_syncd.sync.idset import IdMap, IdSet
from notion_syncd.sync.listing import newer


@dataclass
class ListingWindow:
    """The listing of one sync, as far as the watermark and the search lag care."""

    floor: datetime | None
    """The listing stops at the first object edited before this (None: lists everything)."""
    started: datetime
    listed: IdSet = field(default_factory=IdSet)
    newest_seen: str | None = None
    listing_done: bool = False
    listing_total: int | None = None
    """How many results the listing holds, once the read-ahead reached its end (progress)."""
    written_unlisted: IdMap = field(default_factory=IdMap)
    """Objects written that the listing had not shown (yet), with their edit time."""

    def saw(self, object_id: str, result: dict[str, Any]) -> None:
        """The listing showed this object."""
        self.listed.add(object_id)
        self.newest_seen = newer(self.newest_seen, result)

    def wrote(self, object_id: str, last_edited_time: str) -> None:
        """An object was written; it is evidence of lag if the listing never shows it."""
        if object_id not in self.listed:
            self.written_unlisted[object_id] = last_edited_time

    def lag_observed(self) -> float:
        """Seconds search was behind, from objects written that it never listed."""
        if not self.listing_done:
            return 0.0
        return max(
            (
                lag.observed_lag(edited, self.started, self.floor)
                for object_id, edited in self.written_unlisted.items()
                if object_id not in self.listed
            ),
            default=0.0,
        )

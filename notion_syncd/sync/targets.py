"""Objects a sync is asked to fetch by id, whatever the listing shows (webhook events).

Notion's search index lags behind edits, so a page edited a second ago may be missing
from the incremental listing (or shown with its old ``last_edited_time``). A *target*
names such an object; once the listing is done, every target the sync has not written
(or failed) yet is fetched by id through the same fetch/write path as a listed object
(``Exporter.refresh``). A target the listing brought costs nothing more, since it was
fetched after its event arrived; one search left out costs one GET more:

- a page or data source is read with one GET, and that answer stands for its listing
  entry: ``planner.decide`` skips it when the mirror has this version, or when it is in
  the trash (the sweep, which confirms a deletion with a GET of its own, removes it);
- a database is read through its data sources, each fetched again in full (a title or
  schema change of the container need not move a data source's edit time);
- an object Notion will not give (404) is skipped; any other failure is a gap, fetched
  again by the next sync.

Targets never move the watermark: only the listing does (``window.py``), so an edit the
listing has not shown yet is still listed by a later sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from notion_syncd.terms import dashed_id

TargetKind = Literal["page", "database", "data_source"]
KINDS: tuple[TargetKind, ...] = ("page", "database", "data_source")


@dataclass(frozen=True, order=True)
class Target:
    kind: TargetKind
    id: str


def target_of(entity_type: str, entity_id: str) -> Target | None:
    """The object to fetch for a webhook event's entity (None for comments, blocks, …)."""
    for kind in KINDS:
        if entity_type == kind:
            return Target(kind, dashed_id(entity_id))
    return None

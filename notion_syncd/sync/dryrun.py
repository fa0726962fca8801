"""``sync --dry-run``: what a sync would add, update, move and delete, writing nothing.

Built on the sync core's pure decisions, fed with the same facts a real sync collects,
against the mirror as last committed (``snapshot.CommittedTree``, whose writes raise):

1. Collect (read-only API calls): the incremental listing down to the same floor
   (watermark − overlap − search lag seen); with ``--sweep`` the complete listing and a
   GET for each indexed object it did not show; a parent's chain (``parents``), the
   database of a changed data source, a parent not mirrored yet, the rows of a new data
   source. No block tree and no file is fetched.
2. Decide (pure): ``planner.decide`` (fetch or skip), ``placement.place`` (added /
   moved / renamed, who makes way), ``removals.plan_removals`` (what the sweep removes,
   or why it refuses).
3. Report: the changes, in the report a real sync returns, and the next watermark.

Nothing is written: no file, no commit, no state, no watermark, no record of the run.
What a real sync only learns while writing is not predicted: children that search has
not indexed yet (found in written blocks), rows re-read after a schema change, values a
sweep recomputes (formulas, rollups); objects that fail to fetch appear as planned.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from notion_syncd.errors import NotionError, NotionHTTPError, NotionUnauthorized
from notion_syncd.notion.client import NotionClient
from notion_syncd.sync import lag, planner, sweep
from notion_syncd.sync.exporter import listing
from notion_syncd.sync.parents import ParentResolver, parent_of
from notion_syncd.sync.placement import displaced_name, keeps_name, place, short_name
from notion_syncd.sync.removals import OVERRIDE, plan_removals, unlisted
from notion_syncd.sync.report import Change, SyncReport
from notion_syncd.sync.snapshot import CommittedTree
from notion_syncd.sync.state import Index, read_state
from notion_syncd.sync.window import ListingWindow
from notion_syncd.sync.worker import data_source_record
from notion_syncd.terms import dashed_id, data_source_title, display_title, page_title


@dataclass(frozen=True)
class _Placed:
    """Where the dry run puts an object it plans to write."""

    parent: str | None
    name: str


@dataclass
class DryRunResult:
    report: SyncReport
    sweep_refused: str | None = None
    """Why the sweep would remove nothing (incomplete listing, mass deletion)."""


class DryRun:
    """Plans one sync against a committed tree; every object goes through ``preview``."""

    def __init__(self, client: NotionClient, tree: CommittedTree, report: SyncReport) -> None:
        self._client = client
        self._tree = tree
        self.index = Index(tree)
        self.report = report
        self._placed: dict[str, _Placed] = {}
        self._holders: dict[str, str] = {}
        """Path stems the plan gives to objects (a name taken in this sync)."""
        self._seen: set[str] = set()
        self._new_data_sources: deque[str] = deque()
        self._parents = ParentResolver(client, self._is_placed, self._plan_missing)

    # -- the listings ----------------------------------------------------------------

    def preview_all(self, results: Iterable[dict[str, Any]]) -> None:
        """Plan every listed object, then the rows of the data sources that would be new."""
        for result in results:
            self.preview(result)
        while self._new_data_sources:
            for row in self._client.query_data_source_all(self._new_data_sources.popleft()):
                self.preview(row)

    def preview(self, result: dict[str, Any]) -> None:
        """Plan one listed object: skipped as the mirror has it, or written (how)."""
        if not isinstance(result, dict) or "id" not in result:
            return
        object_id = dashed_id(str(result["id"]))
        if object_id in self._seen:
            return
        self._seen.add(object_id)
        self.report.discovered += 1
        decision = planner.decide(result, self.index.get(object_id))
        if not decision.fetch:
            self.report.unchanged += decision.reason == "unchanged"
            return
        self._plan(object_id, decision.kind, result)

    def sweep(self, *, threshold: float, allow_mass_delete: bool) -> str | None:
        """The sweep's listing, confirmations and removal plan; a refusal message or None."""
        listed: set[str] = set()
        try:
            self.preview_all(sweep.recording(self._client.search(), listed))
        except NotionUnauthorized:
            raise
        except NotionError as exc:
            self.report.complete = False
            return f"the listing of the workspace ended early ({exc.message}); nothing is deleted"
        mirrored = self.index.mirrored()
        confirmed = {
            object_id: sweep.confirm_gone(self._client, object_id, self._is_data_source(object_id))
            for object_id in unlisted(mirrored, listed)
        }
        plan = plan_removals(
            mirrored,
            listing_complete=True,
            confirmed=confirmed,
            threshold=threshold,
            allow_mass_delete=allow_mass_delete,
        )
        if plan.refused is not None:
            return f"{plan.refused} (to allow it: `{OVERRIDE}`)"
        for removal in plan.removals:
            entry = self.index.get(removal.id)
            title = display_title(entry.title if entry else "")
            path = self.index.path_of(removal.id) or ""
            self.report.add_change(
                Change("deleted", removal.id, title, path, reason=removal.reason)
            )
        return None

    # -- one object --------------------------------------------------------------------

    def _plan(self, object_id: str, kind: str, listed: dict[str, Any]) -> None:
        if kind == "data_source":
            record = data_source_record(self._client, listed)
            title = data_source_title(record["data_source"], record["database"])
        else:
            record = {"page": listed}
            title = page_title(listed)
        parent_id = self._parents.resolve(parent_of(record))
        entry = self.index.get(object_id)
        old_stem = self.index.path_of(object_id) if entry else None
        holder = None
        if not keeps_name(entry, title, parent_id):
            holder = self._holder(self._join(self._stem(parent_id), short_name(title, object_id)))
        placement = place(object_id, entry, title, parent_id, holder)
        if placement.displaced is not None:
            self._make_way(placement.displaced)
        self._placed[object_id] = _Placed(parent_id, placement.name)
        stem = self._stem(object_id) or placement.name
        self._holders[stem] = object_id
        if entry is None:
            change = Change("added", object_id, display_title(title), stem)
            if kind == "data_source":
                self._new_data_sources.append(object_id)
        elif entry.parent != parent_id or entry.name != placement.name:
            change = Change("moved", object_id, display_title(title), stem, old_path=old_stem)
        else:
            change = Change("updated", object_id, display_title(title), stem)
        self.report.add_change(change)

    def _make_way(self, sibling_id: str) -> None:
        entry = self.index.get(sibling_id)
        if entry is None:
            return
        old_stem = self.index.path_of(sibling_id)
        self._placed[sibling_id] = _Placed(entry.parent, displaced_name(entry))
        stem = self._stem(sibling_id) or ""
        self._holders[stem] = sibling_id
        label = display_title(entry.title)
        self.report.add_change(Change("moved", sibling_id, label, stem, old_path=old_stem))

    def _plan_missing(self, kind: str, object_id: str) -> str | None:
        """A parent neither mirrored nor listed yet: a real sync fetches and writes it."""
        self._seen.add(object_id)
        try:
            fetch = self._client.data_source if kind == "data_source" else self._client.page
            listed = fetch(object_id)
        except NotionHTTPError:
            return None  # not shared: the child goes to the top level
        self._plan(object_id, kind, listed)
        return object_id

    # -- facts -------------------------------------------------------------------------

    def _is_data_source(self, object_id: str) -> bool:
        entry = self.index.get(object_id)
        return entry is not None and entry.kind == "data_source"

    def _is_placed(self, object_id: str) -> bool:
        return object_id in self._placed or self.index.get(object_id) is not None

    def _stem(self, object_id: str | None, depth: int = 0) -> str | None:
        """The path stem an object would have after this sync (planned or mirrored)."""
        if object_id is None or depth > 200:
            return None
        placed = self._placed.get(object_id)
        if placed is None:
            entry = self.index.get(object_id)
            if entry is None:
                return None
            if entry.alias_of:
                return self._stem(entry.alias_of, depth + 1)
            placed = _Placed(entry.parent, entry.name)
        if placed.parent is None:
            return placed.name
        parent_stem = self._stem(placed.parent, depth + 1)
        return None if parent_stem is None else f"{parent_stem}/{placed.name}"

    @staticmethod
    def _join(parent_stem: str | None, name: str) -> str:
        return f"{parent_stem}/{name}" if parent_stem else name

    def _holder(self, stem: str) -> str | None:
        """Who would hold ``stem``: an object planned there, else the committed JSON's owner."""
        if stem in self._holders:
            return self._holders[stem]
        raw = self._tree.read(f"{stem}.json")
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            holder = data.get("page") or data.get("data_source") or {}
            return dashed_id(str(holder["id"]))
        except (ValueError, AttributeError, KeyError, TypeError):
            return None


def preview_sync(
    tree: CommittedTree,
    client: NotionClient,
    *,
    overlap: float,
    sweep: bool,
    threshold: float,
    allow_mass_delete: bool,
    now: Callable[[], datetime],
) -> DryRunResult:
    """Plan the sync ``run_sync`` would do now; nothing is written anywhere."""
    started = time.monotonic()
    requests_before = client.stats.requests
    report = SyncReport()
    state = read_state(tree)
    report.previous_watermark = state.watermark
    reach = lag.listing_reach(overlap, state.search_lag)
    window = ListingWindow(planner.listing_floor(state.watermark, reach), now())
    dry_run = DryRun(client, tree, report)
    dry_run.preview_all(listing(client, window))
    refused = None
    if sweep:
        refused = dry_run.sweep(threshold=threshold, allow_mass_delete=allow_mass_delete)
    report.watermark = planner.next_watermark(state.watermark, window.newest_seen, None)
    report.requests = client.stats.requests - requests_before
    report.duration = time.monotonic() - started
    return DryRunResult(report, refused)

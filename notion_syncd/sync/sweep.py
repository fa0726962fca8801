"""The sweep: find mirrored objects that left Notion, and objects the mirror lacks.

The incremental listing only sees what changed since the watermark; a trashed,
unshared or deleted page simply stops appearing, and a restored page whose
``last_edited_time`` did not move is never listed above the watermark. A sweep lists
every page and data source (``POST /v1/search``, about 100 per request; only ids are
kept) and then:

1. Objects listed but not in the index (restored pages and their descendants, anything
   the incremental listing missed) go through the run's normal fetch/write path, so
   they come back at the path derived from their title and id — their old path.
2. Indexed objects not listed are confirmed one by one with a direct GET: ``in_trash``
   → "trashed in Notion"; 404 → "no longer shared or deleted in Notion"; alive (search
   lag) or an error we cannot interpret → kept. Descendants of a removed object (by
   the index's parent chain) that were not confirmed on their own go with it, so no
   index entry is left under a removed parent.
3. Nothing is deleted when the listing did not end normally (``IncompleteListing``), or
   when more than ``sync.mass_delete_threshold`` of the mirrored objects would go
   (``MassDeletionRefused``) unless ``allow_mass_delete``. The error is *returned*:
   the run first commits everything else it did, then raises it.

Removal deletes the object's files, its index entry and the backlinks it was the
source of, and queues re-rendering of every page that links to it (from stored JSON,
no API call). Links *to* it stay recorded, so when it is restored (re-added by a
sweep) the pages linking to it are re-rendered and their links resolve again. Each
removal is a ``Change("deleted", ..., reason=...)`` so the commit message says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from notion_syncd import metrics
from notion_syncd.errors import (
    IncompleteListing,
    MassDeletionRefused,
    NotionError,
    NotionNotFound,
    NotionUnauthorized,
    SyncError,
)
from notion_syncd.export.paths import dashed_id
from notion_syncd.sync import backlinks
from notion_syncd.sync.report import Change

if TYPE_CHECKING:
    from notion_syncd.sync.runner import SyncRun

log = structlog.get_logger()

TRASHED = "trashed in Notion"
UNSHARED = "no longer shared or deleted in Notion"
SUFFIXES = (".json", ".md", ".html", ".csv")
OVERRIDE = "notion-syncd sync --sweep --allow-mass-delete"


@dataclass(frozen=True)
class Removal:
    """An indexed object confirmed gone from Notion, and why."""

    id: str
    reason: str


def run_sweep(
    run: SyncRun, pool: ThreadPoolExecutor, *, allow_mass_delete: bool
) -> SyncError | None:
    """Sweep the workspace within ``run``; the error to raise after committing, if any."""
    listed: set[str] = set()
    run._progress("sweeping", "listing every page and data source")
    try:
        run._process(_recording(run.client.search(), listed), pool)
        while run.row_queries:
            run._process(run._rows_of(run.row_queries.popleft()), pool)
    except NotionUnauthorized:
        raise
    except (NotionError, IncompleteListing) as exc:
        run.report.complete = False
        log.warning("sweep.incomplete", error=exc.message, listed=len(listed))
        return IncompleteListing(
            f"sweep skipped: the listing of the workspace ended early after {len(listed)} "
            f"objects ({exc.message}); nothing was deleted",
            hint="the next sweep tries again; everything else this sync did is committed",
        )
    removals = _removals(run, listed, pool)
    if not removals:
        return None
    total = sum(1 for _ in _mirrored_ids(run))
    threshold = run.settings.sync.mass_delete_threshold
    if not allow_mass_delete and len(removals) > threshold * total:
        return _refusal(removals, total, threshold)
    _remove(run, removals)
    return None


def _recording(results: Iterable[dict[str, Any]], listed: set[str]) -> Iterator[dict[str, Any]]:
    """Pass results through, remembering the id of every live object."""
    for result in results:
        live = not (result.get("in_trash") or result.get("archived"))
        if isinstance(result, dict) and "id" in result and live:
            listed.add(dashed_id(str(result["id"])))
        yield result


def _mirrored_ids(run: SyncRun) -> Iterator[str]:
    """Indexed pages and data sources (database alias entries are not objects of their own)."""
    for object_id in run.index.all_ids():
        entry = run.index.get(object_id)
        if entry is not None and entry.kind != "database":
            yield entry.id


def _removals(run: SyncRun, listed: set[str], pool: ThreadPoolExecutor) -> list[Removal]:
    """Indexed objects confirmed gone, plus their not-yet-confirmed descendants."""
    missing = [object_id for object_id in _mirrored_ids(run) if object_id not in listed]
    if not missing:
        return []
    reasons = dict(zip(missing, pool.map(lambda oid: _confirm(run, oid), missing), strict=True))
    confirmed = {oid: reason for oid, reason in reasons.items() if reason is not None}
    if not confirmed:
        return []
    children: dict[str, list[str]] = {}
    for object_id in _mirrored_ids(run):
        entry = run.index.get(object_id)
        if entry is not None and entry.parent is not None:
            children.setdefault(dashed_id(entry.parent), []).append(object_id)
    removed: dict[str, str] = {}
    stack = [(oid, reason) for oid, reason in sorted(confirmed.items())]
    while stack:
        object_id, reason = stack.pop()
        if object_id in removed:
            continue
        removed[object_id] = reason
        for child in children.get(object_id, []):
            stack.append((child, confirmed.get(child, reason)))
    return [Removal(oid, reason) for oid, reason in sorted(removed.items())]


def _confirm(run: SyncRun, object_id: str) -> str | None:
    """Why an unlisted object is gone, or None when it is still there (or we cannot tell)."""
    entry = run.index.get(object_id)
    try:
        if entry is not None and entry.kind == "data_source":
            obj = run.client.data_source(object_id)
        else:
            obj = run.client.page(object_id)
    except NotionNotFound:
        return UNSHARED
    except NotionUnauthorized:
        raise
    except NotionError as exc:
        log.warning("sweep.unconfirmed", id=object_id, error=exc.message)
        return None
    if obj.get("in_trash") or obj.get("archived"):
        return TRASHED
    log.info("sweep.kept", id=object_id, reason="alive in Notion, not yet in search")
    return None


def _refusal(removals: list[Removal], total: int, threshold: float) -> MassDeletionRefused:
    by_reason: dict[str, int] = {}
    for removal in removals:
        by_reason[removal.reason] = by_reason.get(removal.reason, 0) + 1
    why = ", ".join(f"{count} {reason}" for reason, count in sorted(by_reason.items()))
    share = len(removals) / total if total else 1.0
    log.warning("sweep.mass_deletion_refused", removals=len(removals), total=total)
    return MassDeletionRefused(
        f"sweep refused to delete {len(removals)} of {total} mirrored objects "
        f"({share:.0%}, more than sync.mass_delete_threshold = {threshold:.0%}): {why}; "
        "nothing was deleted",
        hint=f"if this is intended, run `{OVERRIDE}`",
    )


def _remove(run: SyncRun, removals: list[Removal]) -> None:
    """Delete the files, index entries and backlinks of removed objects; queue re-renders."""
    gone = {removal.id for removal in removals}
    stems = {removal.id: run.index.path_of(removal.id) for removal in removals}
    for removal in removals:
        entry = run.index.get(removal.id)
        stem = stems[removal.id]
        record = run.views.stored(stem)
        if record is not None:
            backlinks.update(run.mirror, removal.id, backlinks.link_targets(record), ())
        # Links *to* it stay in the backlinks index (the sources' JSON still holds them),
        # so a restore re-renders those sources and their links resolve again.
        run.views.pending.update(set(backlinks.sources_of(run.mirror, removal.id)) - gone)
        parent = run.index.get(entry.parent) if entry and entry.parent else None
        if parent is not None and parent.kind == "data_source" and parent.id not in gone:
            run.views.data_sources.add(parent.id)
        if stem is not None:
            for suffix in SUFFIXES:
                run.mirror.delete(stem + suffix)
        title = (entry.title if entry else "") or "Untitled"
        run.report.add_change(
            Change("deleted", removal.id, title, stem or "", reason=removal.reason)
        )
        metrics.PAGE_CHANGES.labels("deleted").inc()
        log.info("sweep.removed", id=removal.id, path=stem, reason=removal.reason)
    for object_id in run.index.all_ids():
        entry = run.index.get(object_id)
        if entry is not None and entry.alias_of is not None and dashed_id(entry.alias_of) in gone:
            run.index.remove(object_id)
    for removal in removals:
        run.index.remove(removal.id)
    run.structure_changed = True

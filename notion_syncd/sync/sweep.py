"""The sweep: find mirrored objects that left Notion, and objects the mirror lacks.

The incremental listing only sees what changed since the watermark; a trashed,
unshared or deleted page simply stops appearing, and a restored page whose
``last_edited_time`` did not move is never listed above the watermark. A sweep lists
every page and data source (``POST /v1/search``, about 100 per request; only ids are
kept) in three phases:

1. Collect (I/O). The complete listing goes through the sync's normal fetch/write path
   (``export``), so objects the mirror lacks (restored pages and their descendants,
   anything the incremental listing missed) come back at the path derived from their
   title and id — their old path. Indexed objects not listed are then confirmed one by
   one with a direct GET: ``in_trash`` → trashed; 404 → no longer shared or deleted;
   alive (search lag) or an error we cannot interpret → kept.
2. Decide (pure): ``removals.plan_removals`` — nothing on an incomplete listing, whole
   subtrees, no orphan index entry, and no more than ``sync.mass_delete_threshold`` of
   the mirror unless ``allow_mass_delete``.
3. Apply (mirror I/O): ``MirrorWriter.remove``, which also queues re-rendering of every
   page that links to a removed object (from stored JSON, no API call).

A refusal is *returned* (``IncompleteListing``, ``MassDeletionRefused``): the run first
commits everything else it did, then raises it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import structlog

from notion_syncd.errors import (
    IncompleteListing,
    MassDeletionRefused,
    NotionError,
    NotionNotFound,
    NotionUnauthorized,
    SyncError,
)
from notion_syncd.sync.removals import OVERRIDE, TRASHED, UNSHARED, plan_removals, unlisted
from notion_syncd.sync.report import SyncReport
from notion_syncd.sync.writer import MirrorWriter
from notion_syncd.terms import dashed_id

log = structlog.get_logger()

Export = Callable[[Iterable[dict[str, Any]], ThreadPoolExecutor], None]


class SweepClient(Protocol):
    def search(self) -> Iterator[dict[str, Any]]: ...
    def page(self, page_id: str) -> dict[str, Any]: ...
    def data_source(self, data_source_id: str) -> dict[str, Any]: ...


def run_sweep(
    client: SweepClient,
    writer: MirrorWriter,
    report: SyncReport,
    export: Export,
    pool: ThreadPoolExecutor,
    *,
    threshold: float,
    allow_mass_delete: bool,
) -> SyncError | None:
    """Sweep the workspace; the error to raise after committing, if any."""
    listed: set[str] = set()
    try:
        export(recording(client.search(), listed), pool)
    except NotionUnauthorized:
        raise
    except (NotionError, IncompleteListing) as exc:
        report.complete = False
        log.warning("sweep.incomplete", error=exc.message, listed=len(listed))
        return IncompleteListing(
            f"sweep skipped: the listing of the workspace ended early after {len(listed)} "
            f"objects ({exc.message}); nothing was deleted",
            hint="the next sweep tries again; everything else this sync did is committed",
        )
    mirrored = writer.index.mirrored()
    missing = unlisted(mirrored, listed)
    data_sources = {oid for oid in missing if writer.kind_of(oid) == "data_source"}
    answers = pool.map(lambda oid: confirm_gone(client, oid, oid in data_sources), missing)
    confirmed = dict(zip(missing, answers, strict=True))
    plan = plan_removals(
        mirrored,
        listing_complete=True,
        confirmed=confirmed,
        threshold=threshold,
        allow_mass_delete=allow_mass_delete,
    )
    if plan.refused is not None:
        log.warning("sweep.mass_deletion_refused", total=plan.total)
        return MassDeletionRefused(plan.refused, hint=f"if this is intended, run `{OVERRIDE}`")
    writer.remove(plan)
    return None


def recording(results: Iterable[dict[str, Any]], listed: set[str]) -> Iterator[dict[str, Any]]:
    """Pass results through, remembering the id of every live object."""
    for result in results:
        live = not (result.get("in_trash") or result.get("archived"))
        if isinstance(result, dict) and "id" in result and live:
            listed.add(dashed_id(str(result["id"])))
        yield result


def confirm_gone(client: SweepClient, object_id: str, data_source: bool) -> str | None:
    """Why an unlisted object is gone, or None when it is still there (or we cannot tell)."""
    try:
        obj = client.data_source(object_id) if data_source else client.page(object_id)
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

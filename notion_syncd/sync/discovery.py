"""Pages and databases that search has not indexed yet, found through their parents.

Notion's search index lags behind: a new page may stay out of search results for
minutes, longer than the listing's overlap. Its parent, though, changes when it is
added (a ``child_page`` / ``child_database`` block appears), shows up in the listing at
once, and is fetched. So every block tree written in a sync is scanned for such blocks
(:func:`child_objects`); after the listing and the data-source queries, the children
that neither the listing showed nor the mirror holds are fetched by id
(:func:`fetch_unlisted_children`), through the run's normal fetch/write path, and so
on for their own children. Data-source rows need no such help: a new data source's rows
are read with a query, which does not lag.

Objects fetched this way never move the watermark (only the listing does), so when
search catches up, the listing still reaches them; they are unchanged by then.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import structlog

from notion_syncd.errors import NotionHTTPError
from notion_syncd.export.paths import dashed_id

if TYPE_CHECKING:
    from notion_syncd.sync.runner import SyncRun

log = structlog.get_logger()

CHILD_KINDS = {"child_page": "page", "child_database": "database"}


def child_objects(blocks: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """``(id, "page" | "database")`` of every child page and database in a block tree."""
    for block in blocks:
        kind = CHILD_KINDS.get(str(block.get("type")))
        if kind is not None and isinstance(block.get("id"), str):
            yield dashed_id(block["id"]), kind
        children = block.get("children")
        if isinstance(children, list):
            yield from child_objects(children)


def fetch_unlisted_children(run: SyncRun, pool: ThreadPoolExecutor) -> int:
    """Fetch the children found in written pages that the listing did not show.

    Returns how many objects were queued. Rounds repeat while fetched children bring
    children of their own; rows of data sources found this way are queried too.
    """
    queued = 0
    while run.children_found:
        found, run.children_found = run.children_found, {}
        for object_id, kind in sorted(found.items()):
            if object_id in run.seen or run.index.get(object_id) is not None:
                continue
            run.seen.add(object_id)
            for source_id in _data_sources(run, object_id) if kind == "database" else [object_id]:
                object_kind = "page" if kind == "page" else "data_source"
                if source_id != object_id:
                    if source_id in run.seen or run.index.get(source_id) is not None:
                        continue
                    run.seen.add(source_id)
                run.parents_to_fetch.append(run._work_item(source_id, object_kind, None))
                queued += 1
        if run.parents_to_fetch:
            log.info("sync.unlisted_children", count=len(run.parents_to_fetch))
            run._process(iter(()), pool)
        while run.row_queries:
            run._process(run._rows_of(run.row_queries.popleft()), pool)
    return queued


def _data_sources(run: SyncRun, database_id: str) -> list[str]:
    """The data sources of a database (none when it cannot be read)."""
    try:
        database = run.client.database(database_id)
    except NotionHTTPError:
        run.unreachable.add(database_id)
        return []
    return [
        dashed_id(source["id"])
        for source in database.get("data_sources") or []
        if isinstance(source, dict) and isinstance(source.get("id"), str)
    ]

"""Pages and databases that search has not indexed yet, found through their parents.

Notion's search index lags behind: a new page may stay out of search results for
minutes, longer than the listing's overlap. Its parent, though, changes when it is
added (a ``child_page`` / ``child_database`` block appears), shows up in the listing at
once, and is fetched. So every block tree written in a sync is scanned for such blocks
(:func:`child_objects`); after the listing and the data-source queries, the children
that neither the listing showed nor the mirror holds are fetched by id
(``Exporter.export_unlisted_children``; a database through :func:`data_sources_of`),
through the normal fetch/write path, and so on for their own children. Data-source
rows need no such help: a new data source's rows are read with a query, which does
not lag.

Objects fetched this way never move the watermark (only the listing does), so when
search catches up, the listing still reaches them; they are unchanged by then.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from notion_syncd.errors import NotionHTTPError
from notion_syncd.terms import dashed_id


class DatabaseClient(Protocol):
    def database(self, database_id: str) -> dict[str, Any]: ...


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


def data_sources_of(client: DatabaseClient, database_id: str) -> list[str] | None:
    """The data sources of a database (None when it cannot be read)."""
    try:
        database = client.database(database_id)
    except NotionHTTPError:
        return None
    return [
        dashed_id(source["id"])
        for source in database.get("data_sources") or []
        if isinstance(source, dict) and isinstance(source.get("id"), str)
    ]

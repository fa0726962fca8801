"""What the sync state machine can act on in a fake workspace, in a stable order.

Every function returns ids in the workspace's insertion order (deterministic for a seed),
so ``pick(items, n)`` with a drawn ``n`` shrinks towards the first object.
"""

from __future__ import annotations

from collections.abc import Sequence

from notion_syncd.fake_notion import Workspace


def pick(items: Sequence[str], n: int) -> str:
    """The ``n``-th item, wrapping around (``items`` must not be empty)."""
    return items[n % len(items)]


def plain_pages(ws: Workspace) -> list[str]:
    """Pages that are not rows and not in the trash (shared or not)."""
    with ws.lock:
        return [
            page_id
            for page_id, page in ws.pages.items()
            if page.parent["type"] != "data_source_id" and not ws.is_trashed(page_id)
        ]


def rows(ws: Workspace) -> list[str]:
    """Rows of live data sources, not in the trash."""
    with ws.lock:
        return [
            page_id
            for page_id, page in ws.pages.items()
            if page.parent["type"] == "data_source_id" and not ws.is_trashed(page_id)
        ]


def live_pages(ws: Workspace) -> list[str]:
    """Pages and rows not in the trash."""
    with ws.lock:
        return [page_id for page_id in ws.pages if not ws.is_trashed(page_id)]


def databases(ws: Workspace) -> list[str]:
    with ws.lock:
        return [db for db in ws.databases if not ws.is_trashed(db)]


def data_sources(ws: Workspace) -> list[str]:
    with ws.lock:
        return [
            source_id for source_id, s in ws.data_sources.items() if s.database_id in databases(ws)
        ]


def trashed(ws: Workspace) -> list[str]:
    """Pages, rows and databases trashed themselves (not only through an ancestor)."""
    with ws.lock:
        pages = [page_id for page_id, page in ws.pages.items() if page.in_trash]
        return pages + [db for db, record in ws.databases.items() if record.in_trash]


def unshared(ws: Workspace) -> list[str]:
    with ws.lock:
        pages = [page_id for page_id, page in ws.pages.items() if not page.shared]
        return pages + [db for db, record in ws.databases.items() if not record.shared]


def text_blocks(ws: Workspace, *, in_synced_originals: bool = True) -> list[str]:
    """Live paragraph-like blocks whose text can be edited."""
    with ws.lock:
        return [
            block_id
            for block_id, block in ws.blocks.items()
            if block.type in ("paragraph", "bulleted_list_item", "to_do", "quote")
            and not ws.is_trashed(block_id)
            and (in_synced_originals or not _in_synced_original(ws, block_id))
        ]


def _in_synced_original(ws: Workspace, block_id: str) -> bool:
    return any(
        ws.blocks[a].type == "synced_block"
        for a in ws.ancestors(block_id)
        if a in ws.blocks and a != block_id
    )


def synced_originals(ws: Workspace) -> list[str]:
    with ws.lock:
        return [
            block_id
            for block_id, block in ws.blocks.items()
            if block.type == "synced_block"
            and not block.payload.get("synced_from")
            and not ws.is_trashed(block_id)
        ]


def containers_for(ws: Workspace, moving: str) -> list[str]:
    """Plain pages ``moving`` can go under (not itself nor one of its descendants)."""
    with ws.lock:
        return [page for page in plain_pages(ws) if moving not in ws.ancestors(page)]


def linked_targets(ws: Workspace) -> list[str]:
    """Pages that some live block or some property mentions, links to or relates to."""
    with ws.lock:
        named: set[str] = set()
        for block in ws.blocks.values():
            if not block.in_trash:
                _strings(block.payload, named)
        for page in ws.pages.values():
            _strings(page.properties, named)
        return [page_id for page_id in ws.pages if page_id in named]


def _strings(node: object, found: set[str]) -> None:
    if isinstance(node, str):
        found.add(node)
    elif isinstance(node, dict):
        for value in node.values():
            _strings(value, found)
    elif isinstance(node, list):
        for item in node:
            _strings(item, found)


def relation_property(ws: Workspace, source_id: str) -> str | None:
    """The name of a relation property of the data source, if it has one."""
    with ws.lock:
        for name, entry in ws.data_sources[source_id].properties.items():
            if entry["type"] == "relation":
                return str(name)
        return None


def related_source(ws: Workspace, source_id: str, prop: str) -> str:
    with ws.lock:
        return str(ws.data_sources[source_id].properties[prop]["relation"]["data_source_id"])


def editable_properties(ws: Workspace, source_id: str) -> list[str]:
    """Properties a schema change may rename or remove (not the title, not computed)."""
    with ws.lock:
        return [
            str(name)
            for name, entry in ws.data_sources[source_id].properties.items()
            if entry["type"] in ("rich_text", "number", "select", "checkbox", "url", "date")
        ]

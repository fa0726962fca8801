"""Which mirrored object a record goes under.

``parent_reference`` and ``direct_parent`` are pure (they read the record). The
``ParentResolver`` walks what the record does not say itself: a parent block up to its
page, a database up to its parent, and a parent that is not mirrored yet, which the
caller fetches and writes right away (the rare, slow path).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from notion_syncd.errors import NotionHTTPError
from notion_syncd.terms import dashed_id

MAX_PARENT_HOPS = 100


class ParentClient(Protocol):
    def block(self, block_id: str) -> dict[str, Any]: ...
    def database(self, database_id: str) -> dict[str, Any]: ...


def parent_of(record: dict[str, Any]) -> dict[str, Any]:
    """The parent reference of a record: a page's own, or its database's for a data source."""
    holder = record.get("database") if "data_source" in record else record.get("page")
    parent = (holder or {}).get("parent") or {}
    return parent if isinstance(parent, dict) else {}


def direct_parent(record: dict[str, Any]) -> tuple[str, str] | None:
    """``(kind, id)`` when the parent is a page or data source (an object we mirror)."""
    parent = parent_of(record)
    kind = parent.get("type")
    if kind not in ("page_id", "data_source_id"):
        return None
    target = parent.get(kind)
    if not isinstance(target, str):
        return None
    return ("data_source" if kind == "data_source_id" else "page"), dashed_id(target)


class ParentResolver:
    """Resolves a parent reference to the index id of a mirrored object, or None (top level)."""

    def __init__(
        self,
        client: ParentClient,
        is_mirrored: Callable[[str], bool],
        write_missing: Callable[[str, str], str | None],
    ) -> None:
        self._client = client
        self._is_mirrored = is_mirrored
        self._write_missing = write_missing

    def resolve(self, parent: dict[str, Any]) -> str | None:
        """The id this parent reference places an object under (None: the top level).

        A parent that is not mirrored yet is fetched and written first (``write_missing``
        with its kind, ``page`` or ``data_source``, and id); a parent block is walked up to
        its page; an unreachable parent (not shared) places the object at the top level.
        """
        kind = parent.get("type")
        for _ in range(MAX_PARENT_HOPS):
            if kind in (None, "workspace"):
                return None
            target = parent.get(kind)
            if not isinstance(target, str):
                return None
            if kind == "block_id":
                try:
                    block = self._client.block(target)
                except NotionHTTPError:
                    return None
                if block.get("type") == "child_page":
                    kind, parent = "page_id", {"type": "page_id", "page_id": block["id"]}
                    continue
                parent = block.get("parent") or {}
                kind = parent.get("type")
                continue
            if kind == "database_id":
                try:
                    database = self._client.database(target)
                except NotionHTTPError:
                    return None
                parent = database.get("parent") or {}
                kind = parent.get("type")
                continue
            target_id = dashed_id(target)
            if self._is_mirrored(target_id):
                return target_id
            object_kind = "data_source" if kind == "data_source_id" else "page"
            return self._write_missing(object_kind, target_id)
        return None

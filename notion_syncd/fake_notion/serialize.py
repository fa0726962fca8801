"""Stored records → API JSON, as a given ``Notion-Version`` shows them.

Differences by version: ``2025-09-03`` adds ``archived`` (equal to ``in_trash``) to pages,
blocks, databases and data sources and calls meeting notes ``transcription``; ``2026-03-11``
drops ``archived`` and says ``meeting_notes``. Page objects carry at most 25 references per
property (relation gets ``has_more: true``); the property-item endpoint has them all.

Call with ``workspace.lock`` held. Hosted-file placeholders are left for ``files.sign_urls``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from notion_syncd.fake_notion.clock import database_timestamp, minute_timestamp
from notion_syncd.fake_notion.ids import undashed
from notion_syncd.fake_notion.properties import COMPUTED_TYPES, empty_value
from notion_syncd.fake_notion.records import (
    BlockRecord,
    DatabaseRecord,
    DataSourceRecord,
    PageRecord,
)
from notion_syncd.fake_notion.richtext import plain_text, rich_text
from notion_syncd.fake_notion.workspace import Workspace

JSON = dict[str, Any]
MAX_REFERENCES = 25
VERSION_WITH_ARCHIVED = "2025-09-03"
_ALWAYS_HAS_CHILDREN = frozenset({"table", "column_list"})
_SLUG_SEPARATORS = re.compile(r"[^0-9A-Za-z]+")


def _user_ref(user_id: str) -> JSON:
    return {"object": "user", "id": user_id}


def page_url(title: str, object_id: str) -> str:
    """``https://www.notion.so/<Slug>-<32hex>`` (the host varies; clients must not care)."""
    slug = _SLUG_SEPARATORS.sub("-", title).strip("-")
    return (
        f"https://www.notion.so/{slug}-{undashed(object_id)}"
        if slug
        else (f"https://www.notion.so/{undashed(object_id)}")
    )


class Serializer:
    """Builds API objects from a workspace for one API version."""

    def __init__(self, workspace: Workspace, version: str) -> None:
        self.ws = workspace
        self.version = version

    @property
    def with_archived(self) -> bool:
        """Whether objects carry the deprecated ``archived`` alias."""
        return self.version <= VERSION_WITH_ARCHIVED

    # ------------------------------------------------------------------ pages

    def page(self, page: PageRecord, *, only: set[str] | None = None) -> JSON:
        """A page object; ``only`` limits properties to those ids (``filter_properties``)."""
        trashed = self.ws.is_trashed(page.id)
        properties = {
            name: truncate_references(value)
            for name, value in self.property_values(page).items()
            if only is None or value["id"] in only
        }
        body: JSON = {
            "object": "page",
            "id": page.id,
            "created_time": minute_timestamp(page.created_time),
            "last_edited_time": minute_timestamp(page.last_edited_time),
            "created_by": _user_ref(page.created_by),
            "last_edited_by": _user_ref(page.last_edited_by),
            "cover": copy.deepcopy(page.cover),
            "icon": copy.deepcopy(page.icon),
            "parent": copy.deepcopy(page.parent),
            "in_trash": trashed,
            "is_archived": False,
            "is_locked": page.is_locked,
            "properties": properties,
            "url": page_url(self.ws.title_of(page.id), page.id),
            "public_url": None,
        }
        if self.with_archived:
            body["archived"] = trashed
        return body

    def property_values(self, page: PageRecord) -> JSON:
        """Every property value of a page, untruncated, in schema order."""
        if page.parent["type"] != "data_source_id":
            return {
                name: self._refresh(copy.deepcopy(value)) for name, value in page.properties.items()
            }
        schema = self.ws.data_sources[page.parent["data_source_id"]].properties
        values: JSON = {}
        for name, entry in schema.items():
            if entry["type"] in COMPUTED_TYPES:
                values[name] = self._computed_value(page, entry)
            elif name in page.properties:
                values[name] = self._refresh(copy.deepcopy(page.properties[name]))
                values[name]["id"] = entry["id"]
            else:
                values[name] = empty_value(entry)
        for name, entry in schema.items():
            config = entry.get("rollup") or {}
            relation = values.get(str(config.get("relation_property_name")), {}).get("relation")
            if entry["type"] == "rollup" and config.get("function") == "count" and relation:
                # Computed like Notion: over the whole relation (the page object then sees
                # only 25 references, see truncate_references).
                values[name]["rollup"] = {
                    "type": "number",
                    "number": len(relation),
                    "function": "count",
                }
            elif entry["type"] == "rollup" and config.get("function") == "show_original":
                # Recomputed on every read, like Notion: a related page's edit changes it
                # without moving this page's last_edited_time.
                rolled = self._rolled_values(relation or [], config)
                if rolled is not None:
                    values[name]["rollup"] = {
                        "type": "array",
                        "array": rolled,
                        "function": "show_original",
                    }
        return values

    def _rolled_values(self, relation: list[JSON], config: JSON) -> list[JSON] | None:
        """The values a ``show_original`` rollup shows (None: a computed property, kept)."""
        rolled_name = str(config.get("rollup_property_name"))
        values: list[JSON] = []
        for item in relation:
            related = self.ws.pages.get(str(item.get("id")))
            if related is None or related.parent["type"] != "data_source_id":
                continue
            schema = self.ws.data_sources[related.parent["data_source_id"]].properties
            entry = schema.get(rolled_name)
            if entry is None or entry["type"] in COMPUTED_TYPES or entry["type"] == "rollup":
                return None
            stored = related.properties.get(rolled_name) or empty_value(entry)
            kind = entry["type"]
            values.append({"type": kind, kind: self._refresh(copy.deepcopy(stored[kind]))})
        return values

    def _computed_value(self, page: PageRecord, entry: JSON) -> JSON:
        kind = entry["type"]
        value: Any
        if kind == "created_time":
            value = minute_timestamp(page.created_time)
        elif kind == "last_edited_time":
            value = minute_timestamp(page.last_edited_time)
        elif kind == "created_by":
            value = self.user(page.created_by)
        elif kind == "last_edited_by":
            value = self.user(page.last_edited_by)
        else:
            value = {"prefix": entry["unique_id"].get("prefix"), "number": page.unique_number}
        return {"id": entry["id"], "type": kind, kind: value}

    def _refresh(self, value: Any) -> Any:
        """Refresh mention plain text to the current titles ('Untitled' when not visible)."""
        if isinstance(value, list):
            return [self._refresh(item) for item in value]
        if not isinstance(value, dict):
            return value
        if value.get("type") == "mention":
            mention = value["mention"]
            target = mention.get(mention.get("type", ""), {})
            if mention.get("type") in ("page", "database") and isinstance(target, dict):
                object_id = str(target.get("id", ""))
                visible = self.ws.kind_of(object_id) is not None and self.ws.is_shared(object_id)
                value["plain_text"] = self.ws.title_of(object_id) if visible else "Untitled"
            return value
        return {key: self._refresh(item) for key, item in value.items()}

    # ------------------------------------------------------------------ blocks

    def block(self, object_id: str) -> JSON:
        """A block object; a page shows as ``child_page``, a database as ``child_database``."""
        if object_id in self.ws.pages:
            page = self.ws.pages[object_id]
            return self._block_body(
                object_id,
                page.parent,
                page.created_time,
                page.last_edited_time,
                page.created_by,
                page.last_edited_by,
                self.has_children(object_id),
                "child_page",
                {"title": self.ws.title_of(object_id)},
            )
        if object_id in self.ws.databases:
            database = self.ws.databases[object_id]
            return self._block_body(
                object_id,
                database.parent,
                database.created_time,
                database.last_edited_time,
                self.ws.bot_id,
                self.ws.bot_id,
                False,
                "child_database",
                {"title": plain_text(database.title)},
            )
        record = self.ws.blocks[object_id]
        block_type = self._block_type_name(record)
        return self._block_body(
            object_id,
            record.parent,
            record.created_time,
            record.last_edited_time,
            record.created_by,
            record.last_edited_by,
            self.has_children(object_id),
            block_type,
            self._refresh(copy.deepcopy(record.payload)),
        )

    def _block_type_name(self, record: BlockRecord) -> str:
        if record.type in ("transcription", "meeting_notes"):
            return "transcription" if self.with_archived else "meeting_notes"
        return record.type

    def _block_body(
        self,
        object_id: str,
        parent: JSON,
        created: Any,
        edited: Any,
        created_by: str,
        edited_by: str,
        has_children: bool,
        block_type: str,
        payload: JSON,
    ) -> JSON:
        trashed = self.ws.is_trashed(object_id)
        body: JSON = {
            "object": "block",
            "id": object_id,
            "parent": copy.deepcopy(parent),
            "created_time": minute_timestamp(created),
            "last_edited_time": minute_timestamp(edited),
            "created_by": _user_ref(created_by),
            "last_edited_by": _user_ref(edited_by),
            "has_children": has_children,
            "in_trash": trashed,
            "type": block_type,
            block_type: payload,
        }
        if self.with_archived:
            body["archived"] = trashed
        return body

    def has_children(self, object_id: str) -> bool:
        """Whether listing the block's children would return something."""
        if object_id in self.ws.databases:
            return False
        record = self.ws.blocks.get(object_id)
        if record is not None:
            if record.type in _ALWAYS_HAS_CHILDREN:
                return True
            original = synced_original_id(record)
            if original is not None:
                return original in self.ws.blocks and self.has_children(original)
        return any(not self._own_trash(child) for child in self.ws.children_of(object_id))

    def _own_trash(self, object_id: str) -> bool:
        return bool(getattr(self.ws._record(object_id), "in_trash", False))

    # ------------------------------------------------------------------ databases

    def database(self, database: DatabaseRecord) -> JSON:
        """A database container (no schema)."""
        trashed = self.ws.is_trashed(database.id)
        body: JSON = {
            "object": "database",
            "id": database.id,
            "title": self._refresh(copy.deepcopy(database.title)),
            "description": copy.deepcopy(database.description),
            "parent": copy.deepcopy(database.parent),
            "is_inline": database.is_inline,
            "in_trash": trashed,
            "is_locked": database.is_locked,
            "created_time": database_timestamp(database.created_time),
            "last_edited_time": database_timestamp(database.last_edited_time),
            "data_sources": [
                {"id": source_id, "name": self.ws.data_sources[source_id].name}
                for source_id in database.data_source_ids
            ],
            "icon": copy.deepcopy(database.icon),
            "cover": copy.deepcopy(database.cover),
            "url": f"https://www.notion.so/{undashed(database.id)}",
            "public_url": None,
        }
        if self.with_archived:
            body["archived"] = trashed
        return body

    def data_source(self, source: DataSourceRecord) -> JSON:
        """A data source with its schema."""
        database = self.ws.databases[source.database_id]
        trashed = self.ws.is_trashed(source.id)
        body: JSON = {
            "object": "data_source",
            "id": source.id,
            "cover": copy.deepcopy(database.cover),
            "icon": copy.deepcopy(database.icon),
            "created_time": minute_timestamp(source.created_time),
            "created_by": _user_ref(source.created_by),
            "last_edited_by": _user_ref(source.last_edited_by),
            "last_edited_time": minute_timestamp(source.last_edited_time),
            "title": [rich_text(source.name)] if source.name else [],
            "description": copy.deepcopy(database.description),
            "is_inline": database.is_inline,
            "properties": copy.deepcopy(source.properties),
            "parent": {"type": "database_id", "database_id": database.id},
            "database_parent": copy.deepcopy(database.parent),
            "url": f"https://www.notion.so/{undashed(database.id)}",
            "public_url": None,
            "in_trash": trashed,
        }
        if self.with_archived:
            body["archived"] = trashed
        return body

    # ------------------------------------------------------------------ users

    def user(self, user_id: str) -> JSON:
        """A full user object (person or bot)."""
        return copy.deepcopy(self.ws.users[user_id])


def synced_original_id(record: BlockRecord) -> str | None:
    """The original's id when ``record`` is a duplicate synced block."""
    if record.type != "synced_block":
        return None
    synced_from = record.payload.get("synced_from")
    if not synced_from:
        return None
    return str(synced_from["block_id"])


def truncate_references(value: JSON) -> JSON:
    """Apply the page object's 25-references-per-property limit."""
    kind = value["type"]
    inner = value.get(kind)
    if kind == "relation" and isinstance(inner, list):
        if len(inner) > MAX_REFERENCES:
            return {**value, "relation": inner[:MAX_REFERENCES], "has_more": True}
        return {**value, "has_more": value.get("has_more", False)}
    if kind == "rollup" and isinstance(inner, dict) and inner.get("function") == "count":
        # "may be inaccurate over more than 25 relations": the page object counts 25 at most.
        number = inner.get("number")
        if isinstance(number, int) and number > MAX_REFERENCES:
            return {**value, "rollup": {**inner, "number": MAX_REFERENCES}}
        return value
    if kind == "rollup" and isinstance(inner, dict) and inner.get("function") == "show_original":
        array = inner.get("array")
        if isinstance(array, list) and len(array) > MAX_REFERENCES:
            return {**value, "rollup": {**inner, "array": array[:MAX_REFERENCES]}}
        return value
    if kind == "people" and isinstance(inner, list) and len(inner) > MAX_REFERENCES:
        return {**value, "people": inner[:MAX_REFERENCES]}
    if kind in ("title", "rich_text") and isinstance(inner, list):
        mentions = 0
        for index, element in enumerate(inner):
            if element.get("type") == "mention":
                mentions += 1
                if mentions > MAX_REFERENCES:
                    return {**value, kind: inner[:index]}
    return value

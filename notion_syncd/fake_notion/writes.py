"""The write endpoints restore needs: ``POST /v1/pages`` and ``PATCH /v1/blocks/{id}/children``.

Requests are checked by :mod:`~notion_syncd.fake_notion.validation` before anything is
created, so a refused request changes nothing. Created objects go through the same
workspace edit API as a test's edits: they show up in search and retrieve like any
other page, and ``last_edited_time`` moves on the page (and on the parent page, whose
content gained a ``child_page``).

Call with ``workspace.lock`` held.
"""

from __future__ import annotations

import copy
from typing import Any

from notion_syncd.fake_notion.ids import dashed
from notion_syncd.fake_notion.properties import COMPUTED_TYPES
from notion_syncd.fake_notion.responses import ApiError, list_body, validation_error
from notion_syncd.fake_notion.richtext import normalize_rich_text, plain_text
from notion_syncd.fake_notion.serialize import Serializer
from notion_syncd.fake_notion.validation import check_payload, check_rich_text
from notion_syncd.fake_notion.workspace import Workspace

JSON = dict[str, Any]
UPDATE_CONTENT_ENDPOINTS = frozenset({"pages.update"})
READ_ONLY_PROPERTY_TYPES = COMPUTED_TYPES | {"formula", "rollup", "button", "verification"}
INSERT_CONTENT_ENDPOINTS = frozenset(
    {
        "pages.create",
        "blocks.append",
        "databases.create",
        "file_uploads.create",
        "file_uploads.send",
        "file_uploads.complete",
    }
)


def _parent_of(ws: Workspace, body: JSON) -> tuple[str, str]:
    """``(kind, id)`` of the parent a create names: ``page``, ``data_source``."""
    parent = body.get("parent")
    if not isinstance(parent, dict):
        raise validation_error("body failed validation: body.parent should be defined.")
    for key, kind in (("page_id", "page"), ("data_source_id", "data_source")):
        if key in parent:
            object_id = dashed(str(parent[key])) or str(parent[key])
            return kind, object_id
    if "database_id" in parent:
        database_id = dashed(str(parent["database_id"])) or ""
        database = ws.databases.get(database_id)
        if database is not None and len(database.data_source_ids) == 1:
            return "data_source", database.data_source_ids[0]
        raise validation_error(
            "Databases with multiple data sources are not supported in this API version."
            if database is not None
            else f"Could not find database with ID: {database_id}."
        )
    raise validation_error(
        "body failed validation: body.parent should be a page_id or a data_source_id parent."
    )


def _row_value(entry: JSON, name: str, given: JSON) -> Any:
    """A request's property value as the workspace's ``coerce_value`` takes it."""
    kind = entry["type"]
    if kind in READ_ONLY_PROPERTY_TYPES:
        raise validation_error(f"{name} is a {kind} property: its value cannot be set.")
    value = given.get(kind)
    if kind in ("title", "rich_text"):
        check_rich_text(value or [], f"body.properties.{name}.{kind}")
        return normalize_rich_text(value or [])
    if kind in ("select", "status"):
        return value.get("name") if isinstance(value, dict) else None
    if kind == "multi_select":
        return [option.get("name") for option in value or []]
    return {"type": kind, kind: copy.deepcopy(value)}


def create_page(ws: Workspace, s: Serializer, body: JSON) -> JSON:
    """``POST /v1/pages``: a page under a page, or a row of a data source."""
    kind, parent_id = _parent_of(ws, body)
    children = body.get("children")
    check_payload(body, children)
    properties = body.get("properties") or {}
    if not isinstance(properties, dict):
        raise validation_error("body failed validation: body.properties should be an object.")
    icon, cover = body.get("icon"), body.get("cover")
    if kind == "page":
        parent = ws.pages.get(parent_id)
        if parent is None or not ws.is_shared(parent_id):
            raise _missing("page", parent_id)
        if ws.is_trashed(parent_id):
            raise validation_error(
                f"Can't edit block that is archived. You must unarchive the block before "
                f"editing. Block ID: {parent_id}"
            )
        extra = sorted(set(properties) - {"title"})
        if extra:
            raise validation_error(f"{extra[0]} is not a property that exists.")
        title = (properties.get("title") or {}).get("title") or []
        check_rich_text(title, "body.properties.title.title")
        page_id = ws.add_page(parent_id, "", children or [], icon=icon, cover=cover)
        record = ws.pages[page_id]
        record.properties["title"]["title"] = normalize_rich_text(title)
        return s.page(record)
    source = ws.data_sources.get(parent_id)
    if source is None or not ws.is_shared(parent_id):
        raise _missing("data_source", parent_id)
    values: JSON = {}
    for name, given in properties.items():
        entry = source.properties.get(name)
        if entry is None:
            raise validation_error(f"{name} is not a property that exists.")
        values[name] = _row_value(entry, name, given if isinstance(given, dict) else {})
    page_id = ws.add_row(source.id, values, children or [], icon=icon, cover=cover)
    return s.page(ws.pages[page_id])


def create_database(ws: Workspace, s: Serializer, body: JSON) -> JSON:
    """``POST /v1/databases``: a database under a page, with its first data source's schema."""
    kind, parent_id = _parent_of(ws, body)
    if kind != "page" or parent_id not in ws.pages or not ws.is_shared(parent_id):
        raise _missing("page", parent_id)
    check_payload(body, None)
    title = body.get("title") or []
    check_rich_text(title, "body.title")
    requested = (body.get("initial_data_source") or {}).get("properties") or {}
    schema: JSON = {}
    for name, spec in requested.items():
        kinds = [key for key in spec if key not in ("type", "description", "name")]
        property_type = str(spec.get("type") or (kinds[0] if kinds else ""))
        if not property_type:
            raise validation_error(f"body failed validation: {name} should name a type.")
        schema[name] = {
            "type": property_type,
            property_type: copy.deepcopy(spec.get(property_type)),
        }
    if sum(1 for entry in schema.values() if entry["type"] == "title") != 1:
        raise validation_error("Title is not provided or more than one title property given.")
    rich_title = normalize_rich_text(title)
    database_id, _ = ws.add_database(
        parent_id,
        plain_text(rich_title),
        schema,
        bool(body.get("is_inline")),
        icon=body.get("icon"),
    )
    ws.databases[database_id].title = rich_title
    return s.database(ws.databases[database_id])


def append_children(ws: Workspace, s: Serializer, block_id: str, body: JSON) -> JSON:
    """``PATCH /v1/blocks/{id}/children``: the created first-level blocks, in order."""
    known = block_id in ws.blocks or block_id in ws.pages
    if not known or not ws.is_shared(block_id):
        raise _missing("block", block_id)
    if ws.is_trashed(block_id):
        raise validation_error(
            f"Can't edit block that is archived. You must unarchive the block before "
            f"editing. Block ID: {block_id}"
        )
    if "children" not in body:
        raise validation_error("body failed validation: body.children should be defined.")
    check_payload(body, body["children"])
    created = ws.append_blocks(block_id, body["children"])
    return list_body([s.block(child) for child in created], None, "block")


def _missing(kind: str, object_id: str) -> ApiError:
    return ApiError(
        404,
        "object_not_found",
        f"Could not find {kind} with ID: {object_id}. Make sure the relevant pages and "
        "databases are shared with your integration.",
    )

"""A stored page's properties, icon and cover as ``POST /v1/pages`` takes them (pure).

Under a page only the title can be set; under a data source every property the API
lets a client write (computed ones — formula, rollup, created/edited time and by,
unique id, button, verification — are Notion's to fill). Relations and mentions keep
their original ids. Hosted files (icon, cover, ``files`` values) cannot be sent back
without uploading them again; they are left out and listed as degradations.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from notion_syncd.restore.convert import KEEPS_ICON, Converter

JSON = dict[str, Any]
COMPUTED = frozenset(
    {
        "formula",
        "rollup",
        "created_time",
        "created_by",
        "last_edited_time",
        "last_edited_by",
        "unique_id",
        "button",
        "verification",
    }
)


def _value(conv: Converter, page_id: str, name: str, value: JSON) -> JSON | None:
    kind = str(value.get("type"))
    inner = value.get(kind)
    if kind in COMPUTED:
        return None
    if kind in ("title", "rich_text"):
        return {kind: conv.rich_text(inner or [], page_id)}
    if kind in ("select", "status"):
        return {kind: {"name": inner["name"]} if isinstance(inner, dict) else None}
    if kind == "multi_select":
        return {kind: [{"name": option["name"]} for option in inner or []]}
    if kind == "people":
        return {kind: [{"id": person["id"]} for person in inner or []]}
    if kind == "relation":
        return {kind: [{"id": related["id"]} for related in inner or []]}
    if kind == "date":
        return {kind: copy.deepcopy(inner)}
    if kind == "files":
        kept = [item for item in inner or [] if item.get("type") == "external"]
        if len(kept) < len(inner or []):
            conv.degrade(page_id, f"property {name!r}: files hosted by Notion left out")
        return {kind: copy.deepcopy(kept)}
    return {kind: copy.deepcopy(inner)}


def page_properties(
    conv: Converter, page: JSON, *, under_data_source: bool, status_as_select: bool = False
) -> JSON:
    """The properties to send when creating the page (``status_as_select``: recreated schema)."""
    page_id = str(page.get("id", ""))
    result: JSON = {}
    for name, value in sorted((page.get("properties") or {}).items()):
        if not isinstance(value, dict):
            continue
        if value.get("type") == "title" and not under_data_source:
            converted = _value(conv, page_id, name, value)
            result["title"] = converted
            continue
        if not under_data_source:
            conv.degrade(page_id, f"property {name!r} left out (the new parent is a page)")
            continue
        converted = _value(conv, page_id, name, value)
        if status_as_select and converted is not None and "status" in converted:
            converted = {"select": converted["status"]}
        if converted is not None:  # None: computed by Notion from the schema, not written
            result[name] = converted
    return result


def page_looks(conv: Converter, page: JSON) -> JSON:
    """``icon`` and ``cover`` when the API can set them again."""
    page_id = str(page.get("id", ""))
    result: JSON = {}
    icon = page.get("icon")
    if isinstance(icon, dict):
        if icon.get("type") in KEEPS_ICON:
            result["icon"] = copy.deepcopy(icon)
        elif (upload := conv.upload_of(icon, page_id, "page icon")) is not None:
            result["icon"] = upload
    cover = page.get("cover")
    if isinstance(cover, dict):
        if cover.get("type") == "external":
            result["cover"] = {"type": "external", "external": copy.deepcopy(cover["external"])}
        elif (upload := conv.upload_of(cover, page_id, "page cover")) is not None:
            result["cover"] = upload
    return result


SCHEMA_CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "number": ("format",),
    "select": ("options",),
    "multi_select": ("options",),
    "formula": ("expression",),
    "rollup": ("relation_property_name", "rollup_property_name", "function"),
    "unique_id": ("prefix",),
}
SCHEMA_PLAIN = frozenset(
    {
        "title",
        "rich_text",
        "checkbox",
        "date",
        "people",
        "files",
        "url",
        "email",
        "phone_number",
        "created_time",
        "created_by",
        "last_edited_time",
        "last_edited_by",
    }
)


def _options(config: JSON) -> list[JSON]:
    return [
        {key: option[key] for key in ("name", "color") if key in option}
        for option in config.get("options") or []
    ]


def schema_for_create(
    conv: Converter, data_source: JSON, order: Sequence[str] | None = None
) -> JSON:
    """A stored data source's schema as ``POST /v1/databases`` takes it.

    Properties go in ``order`` (the record's ``property_order``, the API's order), so the
    restored schema lists its columns as the original did; names it omits follow sorted.

    Relations keep their original target data source (single property); a status
    property becomes a select with the same options (the API cannot create status
    options); types the API cannot create are left out and listed.
    """
    source_id = str(data_source.get("id", ""))
    result: JSON = {}
    schema = data_source.get("properties") or {}
    names = [name for name in order or () if name in schema]
    names += sorted(name for name in schema if name not in names)
    for name in names:
        entry = schema[name]
        kind = str(entry.get("type"))
        config = entry.get(kind) or {}
        if kind in SCHEMA_PLAIN:
            result[name] = {kind: {}}
        elif kind in ("select", "multi_select"):
            result[name] = {kind: {"options": _options(config)}}
        elif kind == "status":
            conv.degrade(source_id, f"status property {name!r} → select with the same options")
            result[name] = {"select": {"options": _options(config)}}
        elif kind in SCHEMA_CONFIG_KEYS:
            keys = SCHEMA_CONFIG_KEYS[kind]
            result[name] = {kind: {key: config[key] for key in keys if key in config}}
        elif kind == "relation":
            target = config.get("data_source_id") or config.get("database_id")
            result[name] = {
                "relation": {
                    "data_source_id": target,
                    "type": "single_property",
                    "single_property": {},
                }
            }
        else:
            conv.degrade(source_id, f"{kind} property {name!r} cannot be created (left out)")
    return result

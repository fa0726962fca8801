"""Database schemas and page property values in API shape.

Schemas are given as ``{name: "select"}`` or ``{name: {"type": "select", "select": {...}}}``;
``normalize_schema`` fills in ids, names, descriptions and option ids. Values are given as
plain Python (``"Done"``, ``3``, ``["a", "b"]``, ``[page_id, ...]``) or already in API shape;
``coerce_value`` turns them into the stored API shape.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

from notion_syncd.fake_notion.richtext import normalize_rich_text, rich_text

JSON = dict[str, Any]

COMPUTED_TYPES = frozenset(
    {"created_time", "last_edited_time", "created_by", "last_edited_by", "unique_id"}
)
OPTION_COLORS = (
    "default",
    "gray",
    "brown",
    "orange",
    "yellow",
    "green",
    "blue",
    "purple",
    "pink",
    "red",
)
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
_ENCODED_PUNCTUATION = ("%3A", "%3F", "%40", "%5B", "%3C", "%7D", "%60")


def property_id(rng: random.Random) -> str:
    """A short, URL-encoded property id like Notion's (``o_yF``, ``%3FB%3AW``)."""
    parts = []
    for _ in range(4):
        if rng.random() < 0.2:
            parts.append(rng.choice(_ENCODED_PUNCTUATION))
        else:
            parts.append(rng.choice(_ID_ALPHABET))
    return "".join(parts)


def _empty_config(kind: str) -> JSON:
    if kind == "number":
        return {"format": "number"}
    if kind in ("select", "multi_select"):
        return {"options": []}
    if kind == "status":
        return {"options": [], "groups": []}
    if kind == "formula":
        return {"expression": ""}
    if kind == "unique_id":
        return {"prefix": None}
    return {}


def normalize_schema(
    schema: dict[str, Any], new_id: Callable[[], str], new_uuid: Callable[[], str]
) -> JSON:
    """Schema in API shape; exactly one ``title`` property is required (added as ``Name``)."""
    result: JSON = {}
    for name, spec in schema.items():
        entry: JSON = {"type": spec} if isinstance(spec, str) else copy.deepcopy(spec)
        kind = str(entry["type"])
        config = entry.get(kind) or _empty_config(kind)
        for option in config.get("options", []):
            option.setdefault("id", new_uuid())
            option.setdefault("color", OPTION_COLORS[len(option["name"]) % len(OPTION_COLORS)])
            option.setdefault("description", None)
        result[name] = {
            "id": "title" if kind == "title" else entry.get("id") or new_id(),
            "name": name,
            "description": entry.get("description"),
            "type": kind,
            kind: config,
        }
    if not any(entry["type"] == "title" for entry in result.values()):
        result = {
            "Name": {
                "id": "title",
                "name": "Name",
                "description": None,
                "type": "title",
                "title": {},
            },
            **result,
        }
    return result


def title_property_name(schema: JSON) -> str:
    """The name of the schema's title property."""
    return next(name for name, entry in schema.items() if entry["type"] == "title")


def _option(entry: JSON, name: str, new_uuid: Callable[[], str]) -> JSON:
    kind = entry["type"]
    options: list[JSON] = entry[kind].setdefault("options", [])
    for option in options:
        if option["name"] == name:
            return {"id": option["id"], "name": option["name"], "color": option["color"]}
    created = {
        "id": new_uuid(),
        "name": name,
        "color": OPTION_COLORS[len(options) % len(OPTION_COLORS)],
        "description": None,
    }
    options.append(created)
    return {"id": created["id"], "name": name, "color": created["color"]}


def _text_value(value: Any) -> list[JSON]:
    if isinstance(value, str):
        return [rich_text(value)] if value else []
    return normalize_rich_text(list(value))


def _date_value(value: Any) -> JSON | None:
    if value is None or isinstance(value, dict):
        return (
            None
            if value is None
            else {
                "start": value["start"],
                "end": value.get("end"),
                "time_zone": value.get("time_zone"),
            }
        )
    return {"start": str(value), "end": None, "time_zone": None}


def coerce_value(entry: JSON, value: Any, new_uuid: Callable[[], str]) -> JSON:
    """Stored API-shaped value ``{"id", "type", <type>: ...}`` for a schema entry.

    ``entry`` may gain new select options (as Notion adds them on write).
    """
    kind = entry["type"]
    if isinstance(value, dict) and value.get("type") == kind and kind in value:
        inner = value[kind]
    elif kind in ("title", "rich_text"):
        inner = _text_value(value)
    elif kind in ("select", "status"):
        inner = None if value is None else _option(entry, str(value), new_uuid)
    elif kind == "multi_select":
        inner = [_option(entry, str(name), new_uuid) for name in value or []]
    elif kind == "date":
        inner = _date_value(value)
    elif kind == "people":
        inner = [
            {"object": "user", "id": user} if isinstance(user, str) else user
            for user in value or []
        ]
    elif kind == "relation":
        inner = [{"id": page} if isinstance(page, str) else page for page in value or []]
    elif kind == "files":
        inner = list(value or [])
    elif kind == "checkbox":
        inner = bool(value)
    elif kind == "formula":
        inner = _formula_value(value)
    elif kind == "rollup":
        inner = (
            value
            if isinstance(value, dict)
            else {"type": "number", "number": value, "function": "count"}
        )
    else:
        inner = value
    stored: JSON = {"id": entry["id"], "type": kind, kind: inner}
    if kind == "relation":
        stored["has_more"] = False
    return stored


def _formula_value(value: Any) -> JSON:
    if isinstance(value, dict):
        return value
    if isinstance(value, bool):
        return {"type": "boolean", "boolean": value}
    if isinstance(value, int | float):
        return {"type": "number", "number": value}
    return {"type": "string", "string": None if value is None else str(value)}


def empty_value(entry: JSON) -> JSON:
    """The value Notion shows for a property a row never set."""
    kind = entry["type"]
    empty: Any
    if kind in ("title", "rich_text", "multi_select", "people", "relation", "files"):
        empty = []
    elif kind == "checkbox":
        empty = False
    elif kind == "formula":
        empty = {"type": "string", "string": None}
    elif kind == "rollup":
        empty = {"type": "number", "number": 0, "function": "count"}
    else:
        empty = None
    stored: JSON = {"id": entry["id"], "type": kind, kind: empty}
    if kind == "relation":
        stored["has_more"] = False
    return stored

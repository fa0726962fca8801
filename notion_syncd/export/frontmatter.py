"""Deterministic YAML front matter for Markdown files.

We emit YAML ourselves: every string is a JSON double-quoted string (``ensure_ascii=False``),
which YAML reads as the same string; numbers, booleans and null are JSON literals; lists are
flow sequences; nested mappings are indented by two spaces. Key order is the caller's.
"""

from __future__ import annotations

import json
from typing import Any

from notion_syncd.export.links import RenderContext
from notion_syncd.export.pictures import front_matter_value
from notion_syncd.export.properties import property_value
from notion_syncd.terms import dashed_id, display_title, page_title

Scalar = str | int | float | bool | None


def yaml_scalar(value: Scalar) -> str:
    """A YAML scalar: JSON literal syntax, strings always double-quoted."""
    if isinstance(value, float) and value != value:  # NaN is not valid JSON or YAML
        return ".nan"
    return json.dumps(value, ensure_ascii=False)


def yaml_lines(mapping: dict[str, Any], indent: int = 0) -> list[str]:
    """YAML lines for a mapping whose values are scalars, lists of scalars or mappings."""
    pad = " " * indent
    lines: list[str] = []
    for key, value in mapping.items():
        name = key if key.isidentifier() and key.isascii() else yaml_scalar(key)
        if isinstance(value, dict):
            if value:
                lines.append(f"{pad}{name}:")
                lines.extend(yaml_lines(value, indent + 2))
            else:
                lines.append(f"{pad}{name}: {{}}")
        elif isinstance(value, list | tuple):
            items = ", ".join(yaml_scalar(item) for item in value)
            lines.append(f"{pad}{name}: [{items}]")
        else:
            lines.append(f"{pad}{name}: {yaml_scalar(value)}")
    return lines


def front_matter(mapping: dict[str, Any]) -> str:
    """A complete front matter block, ``---`` to ``---``, ending with a newline."""
    return "\n".join(["---", *yaml_lines(mapping), "---"]) + "\n"


def parent_id(parent: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """The id and type of a parent object (``workspace`` parents have no id)."""
    if not parent:
        return None, None
    kind = str(parent.get("type") or "")
    value = parent.get(kind)
    return (dashed_id(value) if isinstance(value, str) else None), kind or None


def page_metadata(page: dict[str, Any], ctx: RenderContext) -> dict[str, Any]:
    """The front matter mapping of a page: ids, title, times, parent, icon, properties."""
    meta: dict[str, Any] = {
        "id": dashed_id(str(page.get("id") or "")),
        "title": display_title(page_title(page)),
        "url": page.get("url"),
        "created_time": page.get("created_time"),
        "last_edited_time": page.get("last_edited_time"),
    }
    parent, parent_type = parent_id(page.get("parent"))
    meta["parent"] = parent
    meta["parent_type"] = parent_type
    for key in ("icon", "cover"):
        if page.get(key):
            meta[key] = front_matter_value(page[key])
    if page.get("public_url"):
        meta["public_url"] = page["public_url"]
    if page.get("in_trash") or page.get("archived"):
        meta["in_trash"] = True
    properties = page.get("properties") or {}
    if (page.get("parent") or {}).get("type") in ("data_source_id", "database_id"):
        meta["properties"] = {name: property_value(prop, ctx) for name, prop in properties.items()}
    return meta

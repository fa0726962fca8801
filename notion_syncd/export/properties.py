"""Page property values (Notion §7.8) → plain values and text.

:func:`property_value` gives a small structure for YAML front matter (a string, number,
boolean, None, or a list of strings); :func:`property_text` gives one line of text for CSV
cells and tables. Multiple values are joined with ", " (Notion itself forbids commas in
select option names, and its own CSV export uses the same separator).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from notion_syncd.export.links import RenderContext, file_target
from notion_syncd.export.richtext import format_date, json_text
from notion_syncd.terms import plain_text, title_property

Value = str | int | float | bool | None | list[str]
SEPARATOR = ", "


def _user_name(user: dict[str, Any] | None) -> str:
    if not user:
        return ""
    return str(user.get("name") or user.get("id") or "")


def _option_name(option: dict[str, Any] | None) -> str | None:
    return str(option.get("name") or "") if option else None


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _files(value: list[dict[str, Any]], ctx: RenderContext) -> list[str]:
    names = []
    for item in value:
        target = file_target(item, ctx)
        names.append(target.url or target.name)
    return names


def _relation(prop: dict[str, Any], ctx: RenderContext) -> list[str]:
    items = []
    for item in prop.get("relation") or []:
        related = str(item.get("id") or "")
        items.append(ctx.title_of(related) or related)
    if prop.get("has_more"):
        items.append("…")
    return items


def _formula(value: dict[str, Any] | None, dates: DateFormat) -> Value:
    if not value:
        return None
    kind = value.get("type")
    if kind == "string":
        return None if value.get("string") is None else str(value["string"])
    if kind == "number":
        return _number(value.get("number"))
    if kind == "boolean":
        return None if value.get("boolean") is None else bool(value["boolean"])
    if kind == "date":
        return dates(value.get("date")) or None
    return None


def _rollup(value: dict[str, Any] | None, ctx: RenderContext, dates: DateFormat) -> Value:
    if not value:
        return None
    kind = value.get("type")
    if kind == "number":
        return _number(value.get("number"))
    if kind == "date":
        return dates(value.get("date")) or None
    if kind == "array":
        texts = [property_text(element, ctx, dates) for element in value.get("array") or []]
        return [text for text in texts if text]
    return None


def _verification(value: dict[str, Any] | None, dates: DateFormat) -> Value:
    if not value:
        return None
    text = str(value.get("state") or "")
    details = [dates(value.get("date")), _user_name(value.get("verified_by"))]
    details = [detail for detail in details if detail]
    return f"{text} ({', '.join(details)})" if details else text


def _place(value: dict[str, Any] | None) -> Value:
    if not value:
        return None
    label = value.get("name") or value.get("address")
    if label:
        return str(label)
    if value.get("lat") is not None and value.get("lon") is not None:
        return f"{value['lat']}, {value['lon']}"
    return json_text(value)


def _unique_id(value: dict[str, Any] | None) -> Value:
    if not value or value.get("number") is None:
        return None
    prefix = value.get("prefix")
    return f"{prefix}-{value['number']}" if prefix else str(value["number"])


DateFormat = Callable[[dict[str, Any] | None], str]
_Handler = Callable[[Any, dict[str, Any], RenderContext, DateFormat], Value]

_HANDLERS: dict[str, _Handler] = {
    "title": lambda value, prop, ctx, dates: plain_text(value),
    "rich_text": lambda value, prop, ctx, dates: plain_text(value),
    "number": lambda value, prop, ctx, dates: _number(value),
    "select": lambda value, prop, ctx, dates: _option_name(value),
    "status": lambda value, prop, ctx, dates: _option_name(value),
    "multi_select": lambda value, prop, ctx, dates: [str(o.get("name") or "") for o in value or []],
    "date": lambda value, prop, ctx, dates: dates(value) or None,
    "people": lambda value, prop, ctx, dates: [_user_name(user) for user in value or []],
    "files": lambda value, prop, ctx, dates: _files(value or [], ctx),
    "checkbox": lambda value, prop, ctx, dates: bool(value),
    "url": lambda value, prop, ctx, dates: None if value is None else str(value),
    "email": lambda value, prop, ctx, dates: None if value is None else str(value),
    "phone_number": lambda value, prop, ctx, dates: None if value is None else str(value),
    "formula": lambda value, prop, ctx, dates: _formula(value, dates),
    "relation": lambda value, prop, ctx, dates: _relation(prop, ctx),
    "rollup": lambda value, prop, ctx, dates: _rollup(value, ctx, dates),
    "created_time": lambda value, prop, ctx, dates: None if value is None else str(value),
    "last_edited_time": lambda value, prop, ctx, dates: None if value is None else str(value),
    "created_by": lambda value, prop, ctx, dates: _user_name(value) or None,
    "last_edited_by": lambda value, prop, ctx, dates: _user_name(value) or None,
    "unique_id": lambda value, prop, ctx, dates: _unique_id(value),
    "verification": lambda value, prop, ctx, dates: _verification(value, dates),
    "button": lambda value, prop, ctx, dates: None,
    "place": lambda value, prop, ctx, dates: _place(value),
    "location": lambda value, prop, ctx, dates: _place(value),
}


def property_value(
    prop: dict[str, Any], ctx: RenderContext, dates: DateFormat = format_date
) -> Value:
    """The value of one page property as a plain scalar or list of strings.

    ``dates`` writes date values: ``start → end`` for people by default, or
    :func:`~notion_syncd.export.richtext.iso_date` (CSV).
    """
    kind = str(prop.get("type") or "")
    handler = _HANDLERS.get(kind)
    if handler is None:
        payload = prop.get(kind, {key: v for key, v in prop.items() if key not in ("id", "type")})
        return None if payload is None else json_text(payload)
    return handler(prop.get(kind), prop, ctx, dates)


def value_text(value: Value) -> str:
    """One line of text for a value from :func:`property_value`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list):
        return SEPARATOR.join(value)
    return value


def property_text(prop: dict[str, Any], ctx: RenderContext, dates: DateFormat = format_date) -> str:
    """The value of one page property as text (multiple values joined with ", ")."""
    return value_text(property_value(prop, ctx, dates))


def is_database_row(page: dict[str, Any]) -> bool:
    """True for pages that live in a data source (database rows)."""
    parent_type = (page.get("parent") or {}).get("type")
    return parent_type in ("data_source_id", "database_id")


def schema_order(
    schema: dict[str, Any], rows: list[dict[str, Any]], order: Sequence[str] | None = None
) -> list[str]:
    """Property names in schema order with the title first; falls back to the rows' names.

    ``order`` is the record's ``property_order`` (the API's order, which the stored JSON's
    sorted keys lose); names it does not list follow in the schema's own order.
    """
    listed = [name for name in order or () if name in schema]
    names = listed + [name for name in schema if name not in listed]
    if not names:
        found: set[str] = set()
        for row in rows:
            found.update(row.get("properties") or {})
        names = sorted(found)
    titles = [name for name in names if (schema.get(name) or {}).get("type") == "title"]
    if not titles:
        for row in rows:
            titled = title_property(row.get("properties") or {})
            if titled and titled[0] in names:
                titles = [titled[0]]
                break
    return titles + [name for name in names if name not in titles]

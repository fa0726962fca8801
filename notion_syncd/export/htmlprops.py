"""Page property values as HTML table cells: links where the value points somewhere.

Relations link to the related pages (named by their titles), files link to the stored
file (named like the file), URLs and e-mail addresses are links, checkboxes are boxes;
every other type is the text of :func:`notion_syncd.export.properties.property_text`.
A cell never loads anything: links are followed only when clicked.
"""

from __future__ import annotations

import html
from typing import Any

from notion_syncd.export.links import RenderContext, clickable, file_target, object_link
from notion_syncd.export.links import safe_url as _safe_url
from notion_syncd.export.properties import SEPARATOR, property_text


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _link(href: str, label: str) -> str:
    return f'<a href="{_esc(href)}">{_esc(label)}</a>'


def _relation(prop: dict[str, Any], ctx: RenderContext) -> str:
    items = []
    for item in prop.get("relation") or []:
        related = str(item.get("id") or "")
        label = ctx.title_of(related) or related
        href = object_link(ctx, related, ".html")
        items.append(_link(href, label) if href else _esc(label))
    if prop.get("has_more"):
        items.append("…")
    return SEPARATOR.join(items)


def _files(prop: dict[str, Any], ctx: RenderContext) -> str:
    items = []
    for item in prop.get("files") or []:
        target = file_target(item, ctx)
        label = target.name or target.url or ""
        if target.url and clickable(target.url):
            items.append(_link(_safe_url(target.url), label))
        else:
            items.append(_esc(label))
    return SEPARATOR.join(items)


def property_html(prop: dict[str, Any], ctx: RenderContext) -> str:
    """One property value as HTML inline content (escaped; newlines become ``<br>``)."""
    kind = prop.get("type")
    value = prop.get(str(kind))
    if kind == "relation":
        return _relation(prop, ctx)
    if kind == "files":
        return _files(prop, ctx)
    if kind == "url" and isinstance(value, str) and clickable(value):
        return _link(_safe_url(value), value)
    if kind == "email" and isinstance(value, str) and value:
        return _link(f"mailto:{value}", value)
    if kind == "checkbox":
        return '<span class="checkbox">☑</span>' if value else '<span class="checkbox">☐</span>'
    return _esc(property_text(prop, ctx)).replace("\n", "<br>")

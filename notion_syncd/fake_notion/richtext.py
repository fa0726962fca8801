"""Builders for rich text and blocks in API shape, so tests and generators read well.

paragraph("Hello ", rich_text("world", bold=True), mention_page(page_id))
heading(2, "Section", toggleable=True, children=[bulleted("inside")])
"""

from __future__ import annotations

import copy
from typing import Any

JSON = dict[str, Any]
TextLike = str | JSON

DEFAULT_ANNOTATIONS: JSON = {
    "bold": False,
    "italic": False,
    "strikethrough": False,
    "underline": False,
    "code": False,
    "color": "default",
}


def rich_text(
    content: str,
    *,
    bold: bool = False,
    italic: bool = False,
    strikethrough: bool = False,
    underline: bool = False,
    code: bool = False,
    color: str = "default",
    link: str | None = None,
) -> JSON:
    """One ``text`` rich-text element."""
    return {
        "type": "text",
        "text": {"content": content, "link": {"url": link} if link else None},
        "annotations": {
            "bold": bold,
            "italic": italic,
            "strikethrough": strikethrough,
            "underline": underline,
            "code": code,
            "color": color,
        },
        "plain_text": content,
        "href": link,
    }


def equation_text(expression: str) -> JSON:
    """An inline ``equation`` rich-text element."""
    return {
        "type": "equation",
        "equation": {"expression": expression},
        "annotations": dict(DEFAULT_ANNOTATIONS),
        "plain_text": expression,
        "href": None,
    }


def _mention(mention: JSON, plain_text: str, href: str | None) -> JSON:
    return {
        "type": "mention",
        "mention": mention,
        "annotations": dict(DEFAULT_ANNOTATIONS),
        "plain_text": plain_text,
        "href": href,
    }


def mention_page(page_id: str, title: str = "Untitled") -> JSON:
    """A page mention; ``title`` is the plain text Notion renders (refreshed on serialization)."""
    return _mention(
        {"type": "page", "page": {"id": page_id}},
        title,
        f"https://www.notion.so/{page_id.replace('-', '')}",
    )


def mention_database(database_id: str, title: str = "Untitled") -> JSON:
    """A database mention (the database container id, as Notion does)."""
    return _mention(
        {"type": "database", "database": {"id": database_id}},
        title,
        f"https://www.notion.so/{database_id.replace('-', '')}",
    )


def mention_user(user_id: str, name: str = "Anonymous") -> JSON:
    """A user mention."""
    return _mention({"type": "user", "user": {"object": "user", "id": user_id}}, f"@{name}", None)


def mention_custom_emoji(emoji: JSON) -> JSON:
    """A custom emoji in text; ``emoji`` is an icon from ``Workspace.add_custom_emoji``."""
    inner = emoji["custom_emoji"]
    return _mention(
        {"type": "custom_emoji", "custom_emoji": dict(inner)}, f":{inner['name']}:", None
    )


def mention_date(start: str, end: str | None = None) -> JSON:
    """A date mention."""
    return _mention(
        {"type": "date", "date": {"start": start, "end": end, "time_zone": None}}, start, None
    )


def text_list(*parts: TextLike) -> list[JSON]:
    """Turn strings and rich-text elements into a rich-text array."""
    return [
        rich_text(part) if isinstance(part, str) else normalize_rich_text_item(part)
        for part in parts
    ]


def normalize_rich_text_item(item: JSON) -> JSON:
    """Fill in the keys Notion always returns (annotations, plain_text, href)."""
    element = copy.deepcopy(item)
    kind = element.get("type") or ("text" if "text" in element else "mention")
    element["type"] = kind
    if kind == "text":
        text = element.setdefault("text", {"content": ""})
        text.setdefault("link", None)
        plain = text.get("content", "")
        href = text["link"]["url"] if text.get("link") else None
    elif kind == "equation":
        plain = element["equation"].get("expression", "")
        href = None
    else:
        plain = element.get("plain_text", "")
        href = element.get("href")
    annotations = dict(DEFAULT_ANNOTATIONS)
    annotations.update(element.get("annotations") or {})
    ordered: JSON = {"type": kind, kind: element[kind], "annotations": annotations}
    ordered["plain_text"] = element.get("plain_text", plain)
    ordered["href"] = element.get("href", href)
    return ordered


def normalize_rich_text(items: list[JSON] | None) -> list[JSON]:
    """Normalize each element of a rich-text array."""
    return [normalize_rich_text_item(item) for item in items or []]


def plain_text(items: list[JSON]) -> str:
    """Concatenated ``plain_text`` of a rich-text array."""
    return "".join(str(item.get("plain_text", "")) for item in items)


# ---------------------------------------------------------------- blocks


def block(block_type: str, payload: JSON, children: list[JSON] | None = None) -> JSON:
    """A block in API request shape, with optional nested ``children``."""
    result: JSON = {"type": block_type, block_type: payload}
    if children:
        result["children"] = children
    return result


def paragraph(*parts: TextLike, color: str = "default", children: list[JSON] | None = None) -> JSON:
    """A paragraph block."""
    return block(
        "paragraph", {"rich_text": text_list(*parts), "icon": None, "color": color}, children
    )


def heading(
    level: int, *parts: TextLike, toggleable: bool = False, children: list[JSON] | None = None
) -> JSON:
    """``heading_1``…``heading_3``; toggleable headings may carry children."""
    kind = f"heading_{level}"
    payload = {"rich_text": text_list(*parts), "is_toggleable": toggleable, "color": "default"}
    return block(kind, payload, children)


def bulleted(*parts: TextLike, children: list[JSON] | None = None) -> JSON:
    """A bulleted list item."""
    return block(
        "bulleted_list_item", {"rich_text": text_list(*parts), "color": "default"}, children
    )


def numbered(*parts: TextLike, children: list[JSON] | None = None) -> JSON:
    """A numbered list item."""
    return block(
        "numbered_list_item", {"rich_text": text_list(*parts), "color": "default"}, children
    )


def to_do(*parts: TextLike, checked: bool = False, children: list[JSON] | None = None) -> JSON:
    """A to-do item."""
    payload = {"rich_text": text_list(*parts), "checked": checked, "color": "default"}
    return block("to_do", payload, children)


def toggle(*parts: TextLike, children: list[JSON] | None = None) -> JSON:
    """A toggle block."""
    return block("toggle", {"rich_text": text_list(*parts), "color": "default"}, children)


def quote(*parts: TextLike, children: list[JSON] | None = None) -> JSON:
    """A quote block."""
    return block("quote", {"rich_text": text_list(*parts), "color": "default"}, children)


def callout(*parts: TextLike, emoji: str = "💡", children: list[JSON] | None = None) -> JSON:
    """A callout with an emoji icon."""
    payload = {
        "rich_text": text_list(*parts),
        "icon": {"type": "emoji", "emoji": emoji},
        "color": "gray_background",
    }
    return block("callout", payload, children)


def code(source: str, language: str = "python", caption: str = "") -> JSON:
    """A code block."""
    payload = {
        "caption": text_list(caption) if caption else [],
        "rich_text": text_list(source),
        "language": language,
    }
    return block("code", payload)


def equation(expression: str) -> JSON:
    """A block equation."""
    return block("equation", {"expression": expression})


def divider() -> JSON:
    """A divider."""
    return block("divider", {})


def breadcrumb() -> JSON:
    """A breadcrumb."""
    return block("breadcrumb", {})


def table_of_contents() -> JSON:
    """A table of contents."""
    return block("table_of_contents", {"color": "default"})


def table(rows: list[list[str]], *, column_header: bool = True, row_header: bool = False) -> JSON:
    """A table with ``table_row`` children, one rich-text cell per string."""
    width = max((len(row) for row in rows), default=1)
    children = [
        block("table_row", {"cells": [text_list(cell) if cell else [] for cell in row]})
        for row in rows
    ]
    payload = {
        "table_width": width,
        "has_column_header": column_header,
        "has_row_header": row_header,
    }
    return block("table", payload, children)


def columns(*column_children: list[JSON]) -> JSON:
    """A column list with one column per list of blocks."""
    return block(
        "column_list", {}, [block("column", {}, list(blocks)) for blocks in column_children]
    )


def bookmark(url: str, caption: str = "") -> JSON:
    """A bookmark block."""
    return block("bookmark", {"caption": text_list(caption) if caption else [], "url": url})


def embed(url: str) -> JSON:
    """An embed block."""
    return block("embed", {"caption": [], "url": url})


def link_to_page(page_id: str) -> JSON:
    """A link to a page."""
    return block("link_to_page", {"type": "page_id", "page_id": page_id})


def media(kind: str, file_object: JSON, caption: str = "", name: str | None = None) -> JSON:
    """An ``image``/``video``/``pdf``/``audio``/``file`` block from a file object.

    ``file_object`` is ``Workspace.add_file(...)`` (hosted) or ``external_file(url)``.
    """
    payload: JSON = {"caption": text_list(caption) if caption else []}
    payload.update(copy.deepcopy(file_object))
    if kind == "file":
        payload["name"] = name or "file"
    return block(kind, payload)


def external_file(url: str) -> JSON:
    """An external file object (never expires)."""
    return {"type": "external", "external": {"url": url}}


def synced_original(children: list[JSON]) -> JSON:
    """The original of a synced block."""
    return block("synced_block", {"synced_from": None}, children)


def synced_duplicate(original_block_id: str) -> JSON:
    """A duplicate synced block showing the original's children."""
    return block(
        "synced_block", {"synced_from": {"type": "block_id", "block_id": original_block_id}}
    )


def unsupported(block_type: str = "button", children: list[JSON] | None = None) -> JSON:
    """A block the API does not support (e.g. ``button``, ``ai_block``)."""
    return block("unsupported", {"block_type": block_type}, children)


def child_page(title: str, children: list[JSON] | None = None) -> JSON:
    """A sub-page given inline in a block list; the workspace turns it into a page."""
    return block("child_page", {"title": title}, children)

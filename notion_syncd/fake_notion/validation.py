"""Request validation of the write endpoints, worded as Notion words it (400 ``validation_error``).

Limits (``docs`` §4.3 of the API note): at most 100 elements in any array of blocks or
rich text, 2,000 characters per ``text.content`` and per link URL, 1,000 per equation,
two levels of nesting per request (a ``column_list``'s columns do not count as a level:
Notion documents a column list created with its columns and their content in one
request), at most 1,000 block elements and 500 KB per payload. A table is created with
its rows, a column list with at least two columns holding at least one block each.
Blocks the API cannot create (``child_page``, ``child_database``, ``link_preview``,
``template``, ``unsupported``, unknown types) are refused.
"""

from __future__ import annotations

import json
from typing import Any

from notion_syncd.fake_notion.responses import ApiError, validation_error

JSON = dict[str, Any]
MAX_ARRAY = 100
MAX_TEXT = 2000
MAX_EQUATION = 1000
MAX_URL = 2000
MAX_NESTING = 2
MAX_BLOCK_ELEMENTS = 1000
MAX_PAYLOAD_BYTES = 500_000
CREATABLE_BLOCK_TYPES = frozenset(
    {
        "paragraph",
        "heading_1",
        "heading_2",
        "heading_3",
        "bulleted_list_item",
        "numbered_list_item",
        "to_do",
        "toggle",
        "quote",
        "callout",
        "code",
        "equation",
        "divider",
        "breadcrumb",
        "table_of_contents",
        "table",
        "table_row",
        "column_list",
        "column",
        "bookmark",
        "embed",
        "image",
        "video",
        "pdf",
        "audio",
        "file",
        "link_to_page",
        "synced_block",
    }
)
_RICH_TEXT_KEYS = ("rich_text", "caption")


def _too_long(where: str, limit: int, actual: int) -> ApiError:
    return validation_error(
        f"body failed validation: {where} should be ≤ `{limit}`, instead was `{actual}`."
    )


def block_type_of(block: JSON) -> str:
    """The type a request block names (``type``, else its one payload key)."""
    if isinstance(block.get("type"), str):
        return str(block["type"])
    keys = [key for key in block if key not in ("object", "children")]
    return keys[0] if len(keys) == 1 else ""


def check_rich_text(items: Any, where: str) -> None:
    """A rich-text array: ≤ 100 elements, content and URLs ≤ 2,000, equations ≤ 1,000."""
    if not isinstance(items, list):
        raise validation_error(f"body failed validation: {where} should be an array.")
    if len(items) > MAX_ARRAY:
        raise _too_long(f"{where}.length", MAX_ARRAY, len(items))
    for index, item in enumerate(items):
        at = f"{where}[{index}]"
        text = item.get("text") if isinstance(item, dict) else None
        if isinstance(text, dict):
            content = str(text.get("content", ""))
            if len(content) > MAX_TEXT:
                raise _too_long(f"{at}.text.content.length", MAX_TEXT, len(content))
            link = text.get("link") or {}
            url = str(link.get("url", "")) if isinstance(link, dict) else ""
            if len(url) > MAX_URL:
                raise _too_long(f"{at}.text.link.url.length", MAX_URL, len(url))
        equation = item.get("equation") if isinstance(item, dict) else None
        if isinstance(equation, dict):
            expression = str(equation.get("expression", ""))
            if len(expression) > MAX_EQUATION:
                raise _too_long(f"{at}.equation.expression.length", MAX_EQUATION, len(expression))


def _nested(block: JSON, block_type: str) -> list[JSON] | None:
    payload = block.get(block_type)
    inner = payload.get("children") if isinstance(payload, dict) else None
    children = block.get("children", inner)
    return children if isinstance(children, list) else None


def _check_block(block: JSON, where: str, level: int) -> int:
    """Check one block and its children; returns the number of block elements."""
    block_type = block_type_of(block)
    if block_type not in CREATABLE_BLOCK_TYPES:
        raise validation_error(
            f"body failed validation: {where}.type should be a block type the API can create, "
            f'instead was `"{block_type}"`.'
        )
    payload = block.get(block_type)
    if not isinstance(payload, dict):
        raise validation_error(f"body failed validation: {where}.{block_type} should be defined.")
    for key in _RICH_TEXT_KEYS:
        if key in payload:
            check_rich_text(payload[key], f"{where}.{block_type}.{key}")
    if block_type == "equation":
        expression = str(payload.get("expression", ""))
        if len(expression) > MAX_EQUATION:
            raise _too_long(f"{where}.equation.expression.length", MAX_EQUATION, len(expression))
    for index, cell in enumerate(payload.get("cells", []) if block_type == "table_row" else []):
        check_rich_text(cell, f"{where}.table_row.cells[{index}]")
    children = _nested(block, block_type)
    _check_required_children(block_type, payload, children, where)
    if not children:
        return 1
    child_level = level if block_type == "column_list" else level + 1
    if child_level > MAX_NESTING:
        raise validation_error(
            f"body failed validation: {where}.{block_type}.children should be not present, "
            "instead was an array (at most two levels of nesting per request)."
        )
    return 1 + check_children(children, f"{where}.{block_type}.children", child_level)


def _check_required_children(
    block_type: str, payload: JSON, children: list[JSON] | None, where: str
) -> None:
    if block_type == "table":
        rows = children or []
        if not rows or any(block_type_of(row) != "table_row" for row in rows):
            raise validation_error(
                f"body failed validation: {where}.table.children should be an array of "
                "table_row blocks, with at least one."
            )
        width = payload.get("table_width")
        for index, row in enumerate(rows):
            cells = row.get("table_row", {}).get("cells", [])
            if len(cells) != width:
                raise validation_error(
                    f"Number of cells in table row {index} must match the table width {width}."
                )
    if block_type == "column_list":
        columns = children or []
        if len(columns) < 2 or any(
            block_type_of(column) != "column" or not _nested(column, "column") for column in columns
        ):
            raise validation_error(
                f"body failed validation: {where}.column_list.children should hold at least "
                "two columns, each with at least one block."
            )


def check_children(children: Any, where: str, level: int = 1) -> int:
    """Check an array of request blocks at ``level``; returns its number of block elements."""
    if not isinstance(children, list):
        raise validation_error(f"body failed validation: {where} should be an array.")
    if len(children) > MAX_ARRAY:
        raise _too_long(f"{where}.length", MAX_ARRAY, len(children))
    total = 0
    for index, block in enumerate(children):
        if not isinstance(block, dict):
            raise validation_error(f"body failed validation: {where}[{index}] should be an object.")
        total += _check_block(block, f"{where}[{index}]", level)
    return total


def check_payload(body: JSON, children: Any) -> None:
    """The whole request: its children (if any), ≤ 1,000 block elements, ≤ 500 KB."""
    size = len(json.dumps(body, ensure_ascii=False).encode())
    if size > MAX_PAYLOAD_BYTES:
        raise validation_error(
            f"Request body too large: {size} bytes, the limit is {MAX_PAYLOAD_BYTES}."
        )
    if children is None:
        return
    elements = check_children(children, "body.children")
    if elements > MAX_BLOCK_ELEMENTS:
        raise validation_error(
            f"body failed validation: the request holds {elements} block elements, "
            f"the limit is {MAX_BLOCK_ELEMENTS}."
        )

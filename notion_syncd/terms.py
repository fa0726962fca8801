"""The Notion vocabulary shared by every part of notion-syncd: ids, titles, block types.

One definition of each, so that the sync, the renderers, the index and the CLI agree:

- an **id** is stored and compared in the dashed lowercase UUID form the API returns
  (:func:`dashed_id`); :func:`compact_id` is the 32-hex-digit form Notion URLs use;
- a **title** is the plain text of a page's ``title`` property (:func:`page_title`) or of a
  data source's title (:func:`data_source_title`), ``""`` when there is none; what a person
  reads for an empty title is :func:`display_title` (``Untitled``);
- :data:`BLOCK_TYPES` lists every block type the API may return and we render.

Pure functions, no I/O. The fake Notion API (:mod:`notion_syncd.fake_notion`) imports only the
id formatting from here: it stands for Notion, so it must not share the product's title
fallbacks or its idea of which block types exist (a type the product does not know must stay
servable by the fake, to test how the product copes).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

UNTITLED = "Untitled"
"""What an object without a title is called in files, links and messages."""

BLOCK_TYPES = frozenset(
    [
        # text
        "paragraph",
        "heading_1",
        "heading_2",
        "heading_3",
        "heading_4",
        "bulleted_list_item",
        "numbered_list_item",
        "to_do",
        "toggle",
        "quote",
        "callout",
        "code",
        "equation",
        # layout
        "divider",
        "breadcrumb",
        "column_list",
        "column",
        "table",
        "table_row",
        "table_of_contents",
        "tab",
        # other objects
        "child_page",
        "child_database",
        "link_to_page",
        "synced_block",
        "template",
        # links and media
        "bookmark",
        "embed",
        "link_preview",
        "image",
        "video",
        "pdf",
        "audio",
        "file",
        # AI meeting notes (``transcription`` before API 2026-03-11)
        "meeting_notes",
        "transcription",
        # Notion's own type for a block the API cannot show
        "unsupported",
    ]
)
"""Every block type notion-syncd renders; any other type is counted as unsupported."""


def compact_id(notion_id: str) -> str:
    """The id as 32 lowercase hex digits (Notion accepts ids with or without dashes)."""
    return notion_id.replace("-", "").lower()


def dashed_id(notion_id: str) -> str:
    """The id in the dashed lowercase 8-4-4-4-12 form the API returns.

    Anything that is not 32 hex digits once dashes are dropped comes back lowercased only.
    The result is interned: a sync keeps an id in several places at once (a checkpoint's
    edits and changed paths, the pages waiting for their views, their link targets), and
    one shared string instead of one per place saves 85 bytes a place (issue 10;
    the ids of every object it met are kept apart, 16 bytes each: ``sync.idset``).
    Interned strings go when nothing refers to them.
    """
    if (
        len(notion_id) == 36
        and notion_id.count("-") == 4
        and notion_id[8] == notion_id[13] == notion_id[18] == notion_id[23] == "-"
        and notion_id.islower()
    ):
        return sys.intern(notion_id)  # already dashed: most calls, a third of the time
    raw = compact_id(notion_id)
    if len(raw) != 32:
        return sys.intern(notion_id.lower())
    return sys.intern(f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}")


def plain_text(rich_text: object) -> str:
    """The ``plain_text`` of every element of a rich-text list, joined ('' for anything else)."""
    if not isinstance(rich_text, list):
        return ""
    return "".join(
        str(part.get("plain_text") or "") for part in rich_text if isinstance(part, dict)
    )


def title_property(properties: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The name and value of the ``title`` property of a page's properties, if any."""
    for name, value in properties.items():
        if isinstance(value, dict) and value.get("type") == "title":
            return name, value
    return None


def page_title(page: Mapping[str, Any]) -> str:
    """The plain-text title of a page object ('' when it has none)."""
    found = title_property(page.get("properties") or {})
    return plain_text(found[1].get("title")) if found else ""


def data_source_title(
    data_source: Mapping[str, Any], database: Mapping[str, Any] | None = None
) -> str:
    """The title of a data source: its own, else its ``name``, else its database's ('' if none)."""
    return (
        plain_text(data_source.get("title"))
        or str(data_source.get("name") or "")
        or plain_text((database or {}).get("title"))
    )


def display_title(title: str | None) -> str:
    """The title as a person reads it: ``Untitled`` when empty."""
    return title or UNTITLED

"""Which files derive from a record, in which formats: pure, no I/O.

The JSON record is the source of truth and is always written (offline re-rendering,
moves and history depend on it); Markdown, HTML and CSV are views built from it. With
HTML, an object with children also gets the script listing them for their sibling links
(``<stem>.nav.js``, :mod:`notion_syncd.export.htmlsiblings`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from notion_syncd import jsoncodec
from notion_syncd.export.csvfile import render_data_source_csv
from notion_syncd.export.html import (
    render_data_source_html,
    render_page_html,
)
from notion_syncd.export.htmlnav import child_entries
from notion_syncd.export.htmlsiblings import (
    SiblingEntry,
    children_folder_file,
    nav_path,
    nav_script,
    row_entries,
)
from notion_syncd.export.links import RenderContext
from notion_syncd.export.markdown import render_data_source_markdown, render_page_markdown

ContextFactory = Callable[[str], RenderContext]


def record_json(record: dict[str, Any]) -> bytes:
    """The stored JSON of a record: sorted keys, so the bytes only change with the content."""
    return jsoncodec.dumps_indented(record)


def page_views(
    record: dict[str, Any],
    stem: str,
    formats: Sequence[str],
    context: ContextFactory,
    *,
    with_json: bool = True,
) -> dict[str, bytes]:
    """A page's files; ``with_json=False`` when ``record`` was read from its stored JSON."""
    files = {f"{stem}.json": record_json(record)} if with_json else {}
    if "markdown" in formats:
        path = f"{stem}.md"
        files[path] = render_page_markdown(record, context(path)).encode()
    if "html" in formats:
        path = f"{stem}.html"
        files[path] = render_page_html(record, context(path)).encode()
        children = context(children_folder_file(stem))
        files.update(_nav_file(stem, child_entries(record.get("blocks") or [], children)))
    return files


def data_source_views(
    record: dict[str, Any],
    rows: list[dict[str, Any]],
    stem: str,
    formats: Sequence[str],
    context: ContextFactory,
    *,
    with_json: bool = True,
) -> dict[str, bytes]:
    """A data source's files; ``with_json=False`` when ``record`` is its stored JSON."""
    files = {f"{stem}.json": record_json(record)} if with_json else {}
    if "markdown" in formats:
        path = f"{stem}.md"
        files[path] = render_data_source_markdown(record, rows, context(path)).encode()
    if "csv" in formats:
        path = f"{stem}.csv"
        files[path] = render_data_source_csv(record, rows, context(path)).encode()
    if "html" in formats:
        path = f"{stem}.html"
        files[path] = render_data_source_html(record, rows, context(path)).encode()
        files.update(_nav_file(stem, row_entries(rows, context(children_folder_file(stem)))))
    return files


def _nav_file(stem: str, entries: list[SiblingEntry]) -> dict[str, bytes]:
    """The script listing an object's children for their sibling links (none: no file)."""
    script = nav_script(entries)
    return {nav_path(stem): script.encode()} if script is not None else {}

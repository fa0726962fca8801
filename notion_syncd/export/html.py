"""Page and data source records → standalone HTML documents, and the index page.

One renderer per block type, dispatched through :data:`BLOCK_RENDERERS`; each returns
HTML text. Every piece of content goes through :func:`html.escape`; links between pages
point at ``.html`` files; stored files are linked relatively; the stylesheet is
``_assets/style.css`` at the repository root.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any

from notion_syncd.export import pictures
from notion_syncd.export.comments import comments_html
from notion_syncd.export.frontmatter import parent_id
from notion_syncd.export.htmlcode import CODE_CLASS, highlight_html
from notion_syncd.export.htmlmath import equation_html
from notion_syncd.export.htmlnav import (
    IndexItem,
    ancestor_crumbs,
    child_entries,
    child_links_html,
    index_tree_html,
    sidebar_html,
)
from notion_syncd.export.htmlprops import property_html
from notion_syncd.export.htmlsiblings import nav_loader
from notion_syncd.export.links import (
    RenderContext,
    clickable,
    data_source_links,
    file_target,
    object_link,
    relative_link,
)
from notion_syncd.export.links import safe_url as _safe_url
from notion_syncd.export.markdown import (
    HEADING_TYPES,
    LEAF_TYPES,
    LIST_TYPES,
    UNREADABLE_DATABASE,
    schema_summary,
    synced_copy_gap,
    synced_copy_source,
)
from notion_syncd.export.properties import (
    is_database_row,
    property_text,
    schema_order,
)
from notion_syncd.export.richtext import code_language, has_links, rich_text_html
from notion_syncd.export.search import SEARCH_PAGE
from notion_syncd.terms import data_source_title, display_title, page_title, plain_text

Block = dict[str, Any]
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
"""A URL the browser would fetch from elsewhere: pages embed only files of the mirror."""
STYLESHEET = "_assets/style.css"
TABLE_SCRIPT = "_assets/table.js"
"""Sorting and filtering of a database's rows in the browser (the table works without it)."""
INDEX = "index.html"
__all__ = ["IndexItem", "render_data_source_html", "render_index_html", "render_page_html"]


def esc(text: str) -> str:
    """Escape text for HTML content and attribute values."""
    return html.escape(text, quote=True)


def _payload(block: Block) -> dict[str, Any]:
    value = block.get(str(block.get("type")))
    return value if isinstance(value, dict) else {}


def _rich(block: Block, ctx: RenderContext, key: str = "rich_text") -> str:
    return rich_text_html(_payload(block).get(key), ctx)


def _note(text: str) -> str:
    return f'<p class="note">⚠ {esc(text)}</p>'


def _children(block: Block, ctx: RenderContext) -> str:
    out = render_blocks(block.get("children") or [], ctx)
    if block.get("children_error"):
        message = f"Could not fetch the content of this block: {block['children_error']}"
        out = "\n".join(part for part in (out, _note(message)) if part)
    return out


def _color_class(block: Block) -> str:
    color = str(_payload(block).get("color") or "default")
    return "" if color == "default" else f' class="color-{esc(color)}"'


def _join(*parts: str) -> str:
    return "\n".join(part for part in parts if part)


# --- block renderers ----------------------------------------------------------------------


def _paragraph(block: Block, ctx: RenderContext) -> str:
    icon = pictures.block_icon(_payload(block).get("icon"), ctx)
    text = _rich(block, ctx)
    head = f"<p{_color_class(block)}>{icon + ' ' if icon else ''}{text}</p>"
    children = _children(block, ctx)
    if text or icon:
        return _join(head, f'<div class="indent">\n{children}\n</div>' if children else "")
    return children or '<p class="empty"></p>'


def _heading(block: Block, ctx: RenderContext) -> str:
    level = min(int(str(block.get("type"))[-1]) + 1, 6)
    anchor = esc(str(block.get("id") or ""))
    heading = f'<h{level} id="{anchor}"{_color_class(block)}>{_rich(block, ctx)}</h{level}>'
    if _payload(block).get("is_toggleable"):
        return f"<details>\n<summary>{heading}</summary>\n{_children(block, ctx)}\n</details>"
    return _join(heading, _children(block, ctx))


def _list_item(block: Block, ctx: RenderContext) -> str:
    text = _rich(block, ctx)
    if block.get("type") == "to_do":
        checked = " checked" if _payload(block).get("checked") else ""
        text = f'<input type="checkbox" disabled{checked}> {text}'
    children = _children(block, ctx)
    return f"<li{_color_class(block)}>{text}" + (f"\n{children}\n" if children else "") + "</li>"


def _toggle(block: Block, ctx: RenderContext) -> str:
    summary = f"<summary>{_rich(block, ctx)}</summary>"
    return f"<details{_color_class(block)}>\n{summary}\n{_children(block, ctx)}\n</details>"


def _quote(block: Block, ctx: RenderContext) -> str:
    return f"<blockquote{_color_class(block)}>\n<p>{_rich(block, ctx)}</p>\n" + _join(
        _children(block, ctx), "</blockquote>"
    )


def _callout(block: Block, ctx: RenderContext) -> str:
    icon = pictures.block_icon(_payload(block).get("icon"), ctx)
    icon_html = f'<span class="icon">{icon}</span> ' if icon else ""
    body = _join(f"<p>{icon_html}{_rich(block, ctx)}</p>", _children(block, ctx))
    color = str(_payload(block).get("color") or "default")
    classes = "callout" if color == "default" else f"callout color-{esc(color)}"
    return f'<aside class="{classes}">\n{body}\n</aside>'


def _code(block: Block, ctx: RenderContext) -> str:
    language = code_language(_payload(block).get("language"))
    code = highlight_html(plain_text(_payload(block).get("rich_text")), language)
    caption = _rich(block, ctx, "caption")
    label = esc(language or "plain text")
    pre = (
        f'<pre class="{CODE_CLASS}" data-language="{label}">'
        f'<code class="language-{esc(language)}">{code}</code></pre>'
    )
    return f"<figure>\n{pre}\n<figcaption>{caption}</figcaption>\n</figure>" if caption else pre


def _equation(block: Block, ctx: RenderContext) -> str:
    math = equation_html(str(_payload(block).get("expression") or ""), block=True)
    return f'<div class="equation">{math}</div>' if math else ""


def _table(block: Block, ctx: RenderContext) -> str:
    payload = _payload(block)
    rows = [child for child in block.get("children") or [] if child.get("type") == "table_row"]
    lines = ["<table>"]
    for number, row in enumerate(rows):
        header_row = number == 0 and payload.get("has_column_header")
        cells = []
        for column, cell in enumerate(_payload(row).get("cells") or []):
            tag = "th" if header_row or (column == 0 and payload.get("has_row_header")) else "td"
            cells.append(f"<{tag}>{rich_text_html(cell, ctx)}</{tag}>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    if block.get("children_error"):
        lines.append(_note(f"Could not fetch the content of this block: {block['children_error']}"))
    return "\n".join(lines)


def _columns(block: Block, ctx: RenderContext) -> str:
    return f'<div class="columns">\n{_children(block, ctx)}\n</div>'


def _column(block: Block, ctx: RenderContext) -> str:
    return f'<div class="column">\n{_children(block, ctx)}\n</div>'


def _tab(block: Block, ctx: RenderContext) -> str:
    sections = []
    for child in block.get("children") or []:
        if child.get("type") == "paragraph":
            icon = pictures.block_icon(_payload(child).get("icon"), ctx)
            title = (icon + " " if icon else "") + (_rich(child, ctx) or "Tab")
            sections.append(
                _join(
                    '<section class="tab">',
                    f"<h4>{title}</h4>",
                    _children(child, ctx),
                    "</section>",
                )
            )
        else:
            sections.append(render_blocks([child], ctx))
    if block.get("children_error"):
        sections.append(
            _note(f"Could not fetch the content of this block: {block['children_error']}")
        )
    return _join('<div class="tabs">', *sections, "</div>")


def _synced(block: Block, ctx: RenderContext) -> str:
    children = _children(block, ctx)
    if not children and block.get("has_children"):
        children = _note("The content of this synced block was not available.")
    if not children and synced_copy_source(block):
        children = _note(synced_copy_gap(block))
    return f'<div class="synced">\n{children}\n</div>' if children else ""


def _object_link(icon: str, target_id: str, title: str, ctx: RenderContext) -> str:
    link = object_link(ctx, target_id, ".html")
    label = f"{icon} {esc(title)}"
    return f'<p class="link"><a href="{esc(link)}">{label}</a></p>' if link else f"<p>{label}</p>"


def _child_page(block: Block, ctx: RenderContext) -> str:
    title = display_title(str(_payload(block).get("title") or ""))
    return _object_link("📄", str(block.get("id") or ""), title, ctx)


def _child_database(block: Block, ctx: RenderContext) -> str:
    title = display_title(str(_payload(block).get("title") or ""))
    block_id = str(block.get("id") or "")
    if object_link(ctx, block_id, ".html") is None:
        return f"<p>🗃️ {esc(title)} <em>({esc(UNREADABLE_DATABASE)})</em></p>"
    if sources := data_source_links(ctx, block_id, ".html"):
        links = [f'<a href="{esc(link)}">{esc(name)}</a>' for name, link in sources]
        return f'<p class="link">🗃️ {esc(title)}: {", ".join(links)}</p>'
    return _object_link("🗃️", block_id, title, ctx)


def _link_to_page(block: Block, ctx: RenderContext) -> str:
    payload = _payload(block)
    kind = str(payload.get("type") or "")
    target_id = str(payload.get(kind) or "")
    if kind not in ("page_id", "database_id", "data_source_id"):
        return _note(f"Link to a {kind or 'missing target'}: {target_id}")
    return _object_link("↗", target_id, ctx.title_of(target_id) or target_id, ctx)


def _bookmark(block: Block, ctx: RenderContext) -> str:
    url = str(_payload(block).get("url") or "")
    caption = _rich(block, ctx, "caption")
    if not clickable(url):
        return f'<p class="bookmark">{caption + " " if caption else ""}{esc(url)}</p>'
    link = f'<a href="{esc(_safe_url(url))}">'
    if caption and has_links(_payload(block).get("caption"), ctx):
        return f'<p class="bookmark">{link}{esc(url)}</a> — {caption}</p>'  # no nested links
    return f'<p class="bookmark">{link}{caption or esc(url)}</a></p>'


def _media(block: Block, ctx: RenderContext) -> str:
    payload = _payload(block)
    target = file_target(payload, ctx)
    caption = _rich(block, ctx, "caption")
    kind = str(block.get("type"))
    shown = target.url if target.url and clickable(target.url) else None
    url = esc(shown or "")
    if target.url and not shown:
        caption = _join(caption, f'<span class="link-text">{esc(target.url)}</span>')
    local = shown is not None and not _REMOTE.match(shown)
    if kind == "image" and shown and local:
        alt = esc(plain_text(payload.get("caption")))
        body = f'<img src="{url}" alt="{alt}">'
    elif kind in ("video", "audio") and shown and local:
        body = f'<{kind} controls src="{url}"></{kind}>'
    else:
        by_name = kind == "file" or has_links(payload.get("caption"), ctx)
        label = esc(target.name) if by_name else caption or esc(target.name)
        label = label or esc(kind)
        body = f'<a href="{url}">{label}</a>' if shown else label
    parts = [body]
    if caption:
        parts.append(f"<figcaption>{caption}</figcaption>")
    if target.error is not None:
        parts.append(_note(f"This file could not be downloaded: {target.error}"))
    return f'<figure class="{esc(kind)}">\n' + "\n".join(parts) + "\n</figure>"


def _breadcrumb(block: Block, ctx: RenderContext) -> str:
    return '<nav class="breadcrumb-block"></nav>'


def _table_of_contents(block: Block, ctx: RenderContext) -> str:
    return '<nav class="toc" data-toc></nav>'


def _template(block: Block, ctx: RenderContext) -> str:
    return _join(f"<p><strong>Template:</strong> {_rich(block, ctx)}</p>", _children(block, ctx))


def _meeting_notes(block: Block, ctx: RenderContext) -> str:
    title = _payload(block).get("title")
    text = plain_text(title) if isinstance(title, list) else str(title or "")
    head = f"<p>🎙️ <strong>Meeting notes:</strong> {esc(text)}</p>"
    kept = '<p class="note">The notes, summary and transcript are kept in the JSON record.</p>'
    return _join(head, kept, _children(block, ctx))


def _unsupported(block: Block, ctx: RenderContext) -> str:
    kind = str(_payload(block).get("block_type") or "unsupported")
    return _join(_note(f"Unsupported block type: {kind}"), _children(block, ctx))


def _unknown(block: Block, ctx: RenderContext) -> str:
    kind = str(block.get("type") or "missing type")
    return _join(_note(f"Unsupported block type: {kind}"), _children(block, ctx))


BLOCK_RENDERERS: dict[str, Callable[[Block, RenderContext], str]] = {
    "paragraph": _paragraph,
    **{kind: _heading for kind in HEADING_TYPES},
    **{kind: _list_item for kind in LIST_TYPES},
    "toggle": _toggle,
    "quote": _quote,
    "callout": _callout,
    "code": _code,
    "equation": _equation,
    "divider": lambda block, ctx: "<hr>",
    "table": _table,
    "column_list": _columns,
    "column": _column,
    "tab": _tab,
    "synced_block": _synced,
    "child_page": _child_page,
    "child_database": _child_database,
    "link_to_page": _link_to_page,
    "bookmark": _bookmark,
    "embed": _bookmark,
    "link_preview": _bookmark,
    "image": _media,
    "video": _media,
    "audio": _media,
    "pdf": _media,
    "file": _media,
    "breadcrumb": _breadcrumb,
    "table_of_contents": _table_of_contents,
    "template": _template,
    "meeting_notes": _meeting_notes,
    "transcription": _meeting_notes,
    "unsupported": _unsupported,
}

_LIST_TAGS = {"bulleted_list_item": "ul", "numbered_list_item": "ol", "to_do": "ul"}


def render_blocks(blocks: list[Block], ctx: RenderContext) -> str:
    """Render sibling blocks; consecutive list items share one ``<ul>``/``<ol>``."""
    out: list[str] = []
    open_list: str | None = None
    for block in blocks:
        kind = str(block.get("type") or "")
        if open_list != kind and open_list is not None:
            out.append(f"</{_LIST_TAGS[open_list]}>")
            open_list = None
        if kind in _LIST_TAGS and open_list is None:
            out.append(_list_open(block))
            open_list = kind
        rendered = BLOCK_RENDERERS.get(kind, _unknown)(block, ctx)
        if kind in LEAF_TYPES:
            rendered = _join(rendered, _children(block, ctx))
        if rendered:
            out.append(rendered)
    if open_list is not None:
        out.append(f"</{_LIST_TAGS[open_list]}>")
    return "\n".join(out)


def _list_open(block: Block) -> str:
    kind = block.get("type")
    if kind == "to_do":
        return '<ul class="to-do">'
    if kind != "numbered_list_item":
        return "<ul>"
    payload = _payload(block)
    attributes = ""
    start = payload.get("list_start_index")
    if isinstance(start, int) and start != 1:
        attributes += f' start="{start}"'
    list_format = {"letters": "a", "roman": "i"}.get(str(payload.get("list_format")))
    if list_format:
        attributes += f' type="{list_format}"'
    return f"<ol{attributes}>"


# --- documents ------------------------------------------------------------------------------


def _toc(blocks: list[Block]) -> str:
    items: list[str] = []

    def walk(children: list[Block]) -> None:
        for block in children:
            if block.get("type") in HEADING_TYPES:
                level = int(str(block.get("type"))[-1])
                text = esc(plain_text(_payload(block).get("rich_text")))
                anchor = esc(str(block.get("id") or ""))
                items.append(f'<li class="toc-{level}"><a href="#{anchor}">{text}</a></li>')
            walk(block.get("children") or [])

    walk(blocks)
    return "<ul>\n" + "\n".join(items) + "\n</ul>" if items else "<p>No headings.</p>"


def document(
    title: str,
    body: str,
    ctx: RenderContext,
    children: list[tuple[str, str, str]] | None = None,
    *,
    siblings: bool = False,
) -> str:
    """A complete HTML document: stylesheet, sidebar, breadcrumbs to its ancestors, ``body``.

    ``children``: (icon, title, link) of the sub-pages the sidebar lists. ``siblings``:
    the view of a mirrored object, which loads its siblings (:mod:`.htmlsiblings`).
    """
    sidebar = sidebar_html(ctx.path, title, children or [], INDEX, SEARCH_PAGE)
    nav = [f'<a href="{esc(relative_link(ctx.path, INDEX))}">Index</a>']
    nav += [f'<a href="{esc(link)}">{esc(label)}</a>' for label, link in ancestor_crumbs(ctx.path)]
    search_link = (
        f' <a class="search" href="{esc(relative_link(ctx.path, SEARCH_PAGE))}">Search</a>'
    )
    return (
        "\n".join(
            [
                "<!doctype html>",
                "<html>",
                "<head>",
                '<meta charset="utf-8">',
                '<meta name="viewport" content="width=device-width, initial-scale=1">',
                f"<title>{esc(title)}</title>",
                f'<link rel="stylesheet" href="{esc(relative_link(ctx.path, STYLESHEET))}">',
                "</head>",
                "<body>",
                sidebar,
                '<div class="content">',
                '<nav class="breadcrumb">' + " › ".join(nav) + search_link + "</nav>",
                "<main>",
                body,
                "</main>",
                "</div>",
                *([nav_loader(ctx.path)] if siblings else []),
                "</body>",
                "</html>",
            ]
        )
        + "\n"
    )


def _parent_crumbs(parent: dict[str, Any] | None, ctx: RenderContext) -> list[tuple[str, str]]:
    parent_key, _ = parent_id(parent)
    link = object_link(ctx, parent_key, ".html") if parent_key else None
    if link is None or parent_key is None:
        return []
    return [(ctx.title_of(parent_key) or "Parent", link)]


def _property_table(page: dict[str, Any], ctx: RenderContext) -> str:
    rows = []
    for name, prop in (page.get("properties") or {}).items():
        if isinstance(prop, dict) and prop.get("type") != "title":
            rows.append(f"<tr><th>{esc(name)}</th><td>{property_html(prop, ctx)}</td></tr>")
    return '<table class="properties">\n' + "\n".join(rows) + "\n</table>" if rows else ""


def render_page_html(record: dict[str, Any], ctx: RenderContext) -> str:
    """A page record as a standalone HTML document."""
    page = record.get("page") or {}
    blocks = record.get("blocks") or []
    title = display_title(page_title(page))
    cover, icon = pictures.html_header(page.get("icon"), page.get("cover"), ctx)
    header = _join(cover, f"<h1>{icon}{esc(title)}</h1>")
    properties = _property_table(page, ctx) if is_database_row(page) else ""
    body = render_blocks(blocks, ctx).replace(
        '<nav class="toc" data-toc></nav>', f'<nav class="toc">\n{_toc(blocks)}\n</nav>'
    )
    crumbs = _parent_crumbs(page.get("parent"), ctx)
    if crumbs:
        body = body.replace(
            '<nav class="breadcrumb-block"></nav>',
            f'<nav class="breadcrumb-block">↑ <a href="{esc(crumbs[0][1])}">'
            f"{esc(crumbs[0][0])}</a></nav>",
        )
    main = _join(
        f"<header>\n{header}\n{properties}\n</header>".replace("\n\n", "\n"),
        f"<article>\n{body}\n</article>",
        child_links_html(blocks, ctx),
        comments_html(record, ctx),
    )
    return document(title, main, ctx, child_entries(blocks, ctx), siblings=True)


def render_data_source_html(
    record: dict[str, Any], rows: list[dict[str, Any]], ctx: RenderContext
) -> str:
    """A data source as an HTML document: description, schema and a table of rows."""
    database = record.get("database") or {}
    data_source = record.get("data_source") or database
    schema = data_source.get("properties") or {}
    names = schema_order(schema, rows, record.get("property_order"))
    title = display_title(data_source_title(data_source, database))
    description = rich_text_html(data_source.get("description") or database.get("description"), ctx)
    schema_rows = [
        f"<tr><td>{esc(name)}</td><td>{esc(str((schema.get(name) or {}).get('type') or ''))}"
        f"</td><td>{esc(schema_summary(schema.get(name) or {}))}</td></tr>"
        for name in names
    ]
    header = "".join(f'<th scope="col">{esc(name)}</th>' for name in names)
    table_rows = [
        "<tr>" + "".join(f"<td>{_row_cell(row, name, ctx)}</td>" for name in names) + "</tr>"
        for row in rows
    ]
    cover, icon = pictures.html_header(
        data_source.get("icon") or database.get("icon"),
        data_source.get("cover") or database.get("cover"),
        ctx,
    )
    heading = _join(cover, f"<h1>{icon}{esc(title)}</h1>")
    body = _join(
        f"<header>\n{heading}\n</header>",
        f'<p class="description">{description}</p>' if description else "",
        f'<div class="table-scroll">\n<table class="rows">\n'
        f"<caption>{len(rows)} {'row' if len(rows) == 1 else 'rows'}</caption>",
        f"<thead><tr>{header}</tr></thead>\n<tbody>",
        *table_rows,
        "</tbody>\n</table>\n</div>",
        '<details class="schema">\n<summary>Properties</summary>',
        '<table class="schema">\n<tr><th>Name</th><th>Type</th><th>Details</th></tr>',
        *schema_rows,
        "</table>\n</details>",
        f'<script src="{esc(relative_link(ctx.path, TABLE_SCRIPT))}"></script>',
    )
    return document(title, body, ctx, siblings=True)


def _row_cell(row: dict[str, Any], name: str, ctx: RenderContext) -> str:
    prop = (row.get("properties") or {}).get(name)
    if not isinstance(prop, dict):
        return ""
    if prop.get("type") != "title":
        return property_html(prop, ctx)
    text = esc(display_title(property_text(prop, ctx)))
    link = object_link(ctx, str(row.get("id") or ""), ".html")
    return f'<a href="{esc(link)}">{text}</a>' if link else text


def render_index_html(
    entries: list[IndexItem], ctx: RenderContext, inside: Mapping[str, int] | None = None
) -> str:
    """index.html: the top of the hierarchy, collapsible (:mod:`notion_syncd.export.htmlnav`;
    ``inside``: the entries left out, counted, as ``index_tree_html`` takes them)."""

    def link(stem: str) -> str:
        return relative_link(ctx.path, stem + ".html")

    tree = index_tree_html(entries, link, inside)
    return document("Notion workspace", _join("<h1>Notion workspace</h1>", tree), ctx)

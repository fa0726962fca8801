"""Page and data source records → GitHub-flavoured Markdown.

One renderer per block type, dispatched through :data:`BLOCK_RENDERERS`; each returns the
block's lines (no trailing newline). Containers render their children with
:func:`render_blocks` and indent or quote the resulting lines. Design choices:

* headings keep Notion's levels (``heading_1`` → ``#`` .. ``heading_4`` → ``####``), as in
  Notion's own export; the page title is in front matter and is the first ``#`` heading;
* a bulleted list and a to-do list side by side are kept apart by an empty HTML comment
  (both use ``-``; CommonMark would merge them into one loose list);
* toggles and toggleable headings are ``<details><summary>`` (the summary is inline HTML;
  a toggleable heading's is an ``<h1>``..``<h4>`` of its level);
* callouts are quotes whose first line starts with the icon (GitHub alerts cannot nest);
* anything unknown becomes a visible ``> ⚠ Unsupported block type: x`` note, and its
  children are still rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from notion_syncd.export import pictures
from notion_syncd.export.comments import comments_markdown
from notion_syncd.export.frontmatter import front_matter, page_metadata, parent_id
from notion_syncd.export.links import (
    RenderContext,
    data_source_links,
    file_target,
    object_link,
    safe_url,
)
from notion_syncd.export.pictures import front_matter_value
from notion_syncd.export.properties import property_text, schema_order
from notion_syncd.export.richtext import (
    code_language,
    escape_markdown,
    has_links,
    rich_text_html,
    rich_text_markdown,
)
from notion_syncd.terms import data_source_title, display_title, page_title, plain_text

Block = dict[str, Any]
LIST_TYPES = ("bulleted_list_item", "numbered_list_item", "to_do")
BULLET_TYPES = frozenset({"bulleted_list_item", "to_do"})
LIST_SEPARATOR = "<!-- -->"
"""Ends a ``-`` list before a ``-`` list of another kind (CommonMark would make them one)."""
HEADING_TYPES = ("heading_1", "heading_2", "heading_3", "heading_4")
MEDIA_ICONS = {"video": "🎬", "audio": "🔊", "pdf": "📕", "file": "📎", "image": "🖼️"}


@dataclass
class _State:
    """What block renderers need besides the block: the context and page-wide facts."""

    ctx: RenderContext
    page: dict[str, Any]
    headings: list[tuple[int, str, str | None]] = field(default_factory=list)
    list_number: int = 1


def note(text: str) -> list[str]:
    """A visible warning line (a quote starting with ⚠)."""
    return [f"> ⚠ {escape_markdown(text, line_start=False)}"]


def _payload(block: Block) -> dict[str, Any]:
    value = block.get(str(block.get("type")))
    return value if isinstance(value, dict) else {}


def _text(block: Block, state: _State, newline: str = "\\\n") -> str:
    return rich_text_markdown(_payload(block).get("rich_text"), state.ctx, newline=newline)


def _indent(lines: list[str], first: str, rest: str) -> list[str]:
    out = []
    for number, line in enumerate(lines):
        prefix = first if number == 0 else rest
        out.append(prefix + line if line else prefix.rstrip())
    return out


def _children(block: Block, state: _State) -> list[str]:
    lines = render_blocks(block.get("children") or [], state)
    if block.get("children_error"):
        if lines:
            lines.append("")
        lines.extend(note(f"Could not fetch the content of this block: {block['children_error']}"))
    return lines


def _with_children(head: list[str], block: Block, state: _State) -> list[str]:
    children = _children(block, state)
    if not children:
        return head
    if not head:
        return children
    return [*head, "", *children]


# --- block renderers ----------------------------------------------------------------------


def _paragraph(block: Block, state: _State) -> list[str]:
    text = _text(block, state)
    icon = pictures.block_icon(_payload(block).get("icon"), state.ctx)
    head = [f"{icon} {text}" if icon and text else text or icon] if text or icon else []
    return _with_children("\n".join(head).split("\n") if head else [], block, state)


def heading_level(block: Block) -> int:
    """The Markdown level of a heading block: Notion's own (heading_1 → 1)."""
    return min(int(str(block.get("type"))[-1]), 6)


def _heading(block: Block, state: _State) -> list[str]:
    text = _text(block, state, newline=" ")
    if _payload(block).get("is_toggleable"):
        level = heading_level(block)  # foldable, and still a heading of its level
        return _details(f"<h{level}>{_summary(block, state)}</h{level}>", block, state)
    if text.endswith("#"):
        text = text[:-1] + "\\#"
    return _with_children([f"{'#' * heading_level(block)} {text}".rstrip()], block, state)


def _summary(block: Block, state: _State) -> str:
    summary = rich_text_html(_payload(block).get("rich_text"), state.ctx, ".md")
    return summary.replace("<br>\n", "<br>")


def _details(summary: str, block: Block, state: _State) -> list[str]:
    children = _children(block, state)
    body = ["", *children, ""] if children else [""]
    return ["<details>", f"<summary>{summary}</summary>", *body, "</details>"]


def _list_item(block: Block, state: _State) -> list[str]:
    kind = block.get("type")
    if kind == "numbered_list_item":
        marker = f"{state.list_number}. "
    elif kind == "to_do":
        marker = "- [x] " if _payload(block).get("checked") else "- [ ] "
    else:
        marker = "- "
    text_lines = _text(block, state).split("\n")
    children = _children(block, state)
    if children and (block.get("children") or [{}])[0].get("type") not in LIST_TYPES:
        children = ["", *children]
    width = 2 if kind == "to_do" else len(marker)
    lines = _indent(text_lines, marker, " " * width)
    if lines[0].endswith(" "):
        lines[0] = lines[0].rstrip()
    return lines + _indent(children, " " * width, " " * width) if children else lines


def _toggle(block: Block, state: _State) -> list[str]:
    return _details(_summary(block, state), block, state)


def _quote_lines(lines: list[str]) -> list[str]:
    return [f"> {line}" if line else ">" for line in lines]


def _quote(block: Block, state: _State) -> list[str]:
    head = _text(block, state).split("\n")
    return _quote_lines(_with_children(head, block, state))


def _callout(block: Block, state: _State) -> list[str]:
    icon = pictures.block_icon(_payload(block).get("icon"), state.ctx)
    text = _text(block, state)
    head = (f"{icon} {text}" if icon else text).split("\n")
    return _quote_lines(_with_children(head, block, state))


def _code(block: Block, state: _State) -> list[str]:
    code = plain_text(_payload(block).get("rich_text"))
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    lines = [fence + code_language(_payload(block).get("language")), *code.split("\n"), fence]
    caption = rich_text_markdown(_payload(block).get("caption"), state.ctx)
    return [*lines, "", *caption.split("\n")] if caption else lines


def _equation(block: Block, state: _State) -> list[str]:
    expression = str(_payload(block).get("expression") or "").strip("\n")
    return ["$$", *expression.split("\n"), "$$"]


def _divider(block: Block, state: _State) -> list[str]:
    return ["---"]


def _table(block: Block, state: _State) -> list[str]:
    rows = [child for child in block.get("children") or [] if child.get("type") == "table_row"]
    cells = [[_cell(cell, state) for cell in _payload(row).get("cells") or []] for row in rows]
    width = max([int(_payload(block).get("table_width") or 1), *(len(row) for row in cells)])
    cells = [row + [""] * (width - len(row)) for row in cells]
    if _payload(block).get("has_column_header") and cells:
        header, body = cells[0], cells[1:]
    else:
        header, body = [""] * width, cells
    lines = [_table_line(header), "|" + "|".join([" --- "] * width) + "|"]
    lines.extend(_table_line(row) for row in body)
    others = [child for child in block.get("children") or [] if child.get("type") != "table_row"]
    # Notion gives rows no children; should one come with some, they follow the table.
    nested = [grandchild for row in rows for grandchild in row.get("children") or []]
    extra = render_blocks([*others, *nested], state)
    if block.get("children_error"):
        extra += note(f"Could not fetch the content of this block: {block['children_error']}")
    return [*lines, "", *extra] if extra else lines


def _cell(cell: list[dict[str, Any]], state: _State) -> str:
    text = rich_text_markdown(cell, state.ctx, line_start=False, newline="<br>")
    return text.replace("|", "\\|").strip()


def _table_line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _children_only(block: Block, state: _State) -> list[str]:
    return _children(block, state)


def _tab(block: Block, state: _State) -> list[str]:
    """Tabs: each paragraph child is a tab title (bold) followed by its content."""
    lines: list[str] = []
    for child in block.get("children") or []:
        if child.get("type") == "paragraph":
            icon = pictures.block_icon(_payload(child).get("icon"), state.ctx)
            title = _text(child, state, newline=" ") or "Tab"
            rendered = [f"**{icon} {title}**" if icon else f"**{title}**"]
            rendered = _with_children(rendered, child, state)
        else:
            rendered = render_blocks([child], state)
        lines.extend(["", *rendered] if lines else rendered)
    if block.get("children_error"):
        lines.extend(
            ["", *note(f"Could not fetch the content of this block: {block['children_error']}")]
        )
    return lines


def _synced_block(block: Block, state: _State) -> list[str]:
    lines = _children(block, state)
    if not lines and block.get("has_children"):
        return note("The content of this synced block was not available.")
    if not lines and synced_copy_source(block):
        return note(synced_copy_gap(block))
    return lines


def synced_copy_source(block: Block) -> str:
    """The original's block id when ``block`` is a synced copy, else ``""``."""
    synced_from = _payload(block).get("synced_from")
    return str(synced_from.get("block_id") or "") if isinstance(synced_from, dict) else ""


def synced_copy_gap(block: Block) -> str:
    """The note shown for a synced copy that shows nothing (Notion gave no content)."""
    source = synced_copy_source(block).replace("-", "")[-8:]
    return (
        f"Synced block copied from block {source}: its original is empty, "
        "or not shared with the integration."
    )


UNREADABLE_DATABASE = "not mirrored: a linked view or a database not shared with the integration"


def _object_line(icon: str, target_id: str, title: str, state: _State) -> list[str]:
    label = escape_markdown(title, line_start=False)
    link = object_link(state.ctx, target_id, ".md")
    return [f"{icon} [{label}]({link})" if link else f"{icon} {label}"]


def _child_page(block: Block, state: _State) -> list[str]:
    title = display_title(str(_payload(block).get("title") or ""))
    return _object_line("📄", str(block.get("id") or ""), title, state)


def _child_database(block: Block, state: _State) -> list[str]:
    title = display_title(str(_payload(block).get("title") or ""))
    block_id = str(block.get("id") or "")
    lines = _object_line("🗃️", block_id, title, state)
    if object_link(state.ctx, block_id, ".md") is None:
        lines[-1] += f" *({UNREADABLE_DATABASE})*"
    elif sources := data_source_links(state.ctx, block_id, ".md"):
        label = escape_markdown(title, line_start=False)
        links = [f"[{escape_markdown(name, line_start=False)}]({link})" for name, link in sources]
        lines = [f"🗃️ {label}: " + ", ".join(links)]  # every data source, in Notion's order
    return lines


def _link_to_page(block: Block, state: _State) -> list[str]:
    payload = _payload(block)
    kind = str(payload.get("type") or "")
    target_id = str(payload.get(kind) or "")
    if kind not in ("page_id", "database_id", "data_source_id"):
        return note(f"Link to a {kind or 'missing target'}: {target_id}")
    title = state.ctx.title_of(target_id) or target_id
    return _object_line("↗", target_id, title, state)


def _link(label: str, url: str) -> str:
    return f"[{label}]({safe_url(url)})" if url else label


def _bookmark(block: Block, state: _State) -> list[str]:
    url = str(_payload(block).get("url") or "")
    caption = rich_text_markdown(_payload(block).get("caption"), state.ctx, newline=" ")
    plain_url = escape_markdown(url, line_start=False)
    icon = "🔖 " if block.get("type") == "bookmark" else "🔗 "
    if caption and has_links(_payload(block).get("caption"), state.ctx):
        return [icon + _link(plain_url, url) + f" — {caption}"]  # a link holds no link
    return [icon + _link(caption or plain_url, url)]


def _media(block: Block, state: _State) -> list[str]:
    payload = _payload(block)
    target = file_target(payload, state.ctx)
    caption = rich_text_markdown(payload.get("caption"), state.ctx, newline=" ")
    kind = str(block.get("type"))
    if kind == "image" and target.url:
        alt = escape_markdown(
            plain_text(payload.get("caption")).replace("\n", " "), line_start=False
        )
        lines = [f"![{alt}]({target.url})"]
    else:
        name = escape_markdown(target.name, line_start=False) if target.name else ""
        # The caption beside the link when it names the file or holds links of its own.
        beside = kind == "file" or has_links(payload.get("caption"), state.ctx)
        label = (name or kind) if beside else caption or name or kind
        lines = [
            f"{MEDIA_ICONS.get(kind, '📎')} "
            + (f"[{label}]({target.url})" if target.url else label)
        ]
        if beside and caption:
            lines[0] += f" — {caption}"
    if target.error is not None:
        lines += ["", *note(f"This file could not be downloaded: {target.error}")]
    return lines


def _breadcrumb(block: Block, state: _State) -> list[str]:
    parent, _ = parent_id(state.page.get("parent"))
    link = object_link(state.ctx, parent, ".md") if parent else None
    if link is None or parent is None:
        return ["<!-- breadcrumb -->"]
    title = escape_markdown(state.ctx.title_of(parent) or "Parent", line_start=False)
    return [f"↑ [{title}]({link})"]


def _table_of_contents(block: Block, state: _State) -> list[str]:
    if not state.headings:
        return ["*Table of contents: this page has no headings.*"]
    top = min(level for level, _, _ in state.headings)
    lines = []
    for level, text, anchor in state.headings:
        label = escape_markdown(text, line_start=False)
        entry = f"[{label}](#{anchor})" if anchor else label
        lines.append("  " * (level - top) + "- " + entry)
    return lines


def _template(block: Block, state: _State) -> list[str]:
    return _with_children([f"**Template:** {_text(block, state)}".rstrip()], block, state)


def _meeting_notes(block: Block, state: _State) -> list[str]:
    payload = _payload(block)
    title = payload.get("title")
    text = plain_text(title) if isinstance(title, list) else str(title or "")
    head = [f"🎙️ **Meeting notes:** {escape_markdown(text, line_start=False)}".rstrip(), ""]
    head += ["*The notes, summary and transcript are kept in the JSON record.*"]
    return _with_children(head, block, state)


def _unsupported(block: Block, state: _State) -> list[str]:
    kind = str(_payload(block).get("block_type") or "unsupported")
    return _with_children(note(f"Unsupported block type: {kind}"), block, state)


def _unknown(block: Block, state: _State) -> list[str]:
    kind = str(block.get("type") or "missing type")
    return _with_children(note(f"Unsupported block type: {kind}"), block, state)


BLOCK_RENDERERS: dict[str, Callable[[Block, _State], list[str]]] = {
    "paragraph": _paragraph,
    "heading_1": _heading,
    "heading_2": _heading,
    "heading_3": _heading,
    "heading_4": _heading,
    "bulleted_list_item": _list_item,
    "numbered_list_item": _list_item,
    "to_do": _list_item,
    "toggle": _toggle,
    "quote": _quote,
    "callout": _callout,
    "code": _code,
    "equation": _equation,
    "divider": _divider,
    "table": _table,
    "table_row": lambda block, state: [
        _table_line([_cell(c, state) for c in _payload(block).get("cells") or []]),
        *render_blocks(block.get("children") or [], state),
    ],
    "column_list": _children_only,
    "column": _children_only,
    "tab": _tab,
    "synced_block": _synced_block,
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


# Types whose renderer does not render children (Notion gives them none); should a record
# carry children anyway, they are rendered after the block rather than dropped.
LEAF_TYPES = frozenset(
    {
        "code",
        "equation",
        "divider",
        "link_to_page",
        "bookmark",
        "embed",
        "link_preview",
        "image",
        "video",
        "audio",
        "pdf",
        "file",
        "breadcrumb",
        "table_of_contents",
        "table_row",
    }
)


def render_blocks(blocks: list[Block], state: _State) -> list[str]:
    """Render sibling blocks; list items of one kind stay together, numbering restarts."""
    lines: list[str] = []
    previous: str | None = None
    for block in blocks:
        kind = str(block.get("type") or "")
        if kind == "numbered_list_item":
            if previous == kind:
                state.list_number += 1
            else:
                start = _payload(block).get("list_start_index")
                state.list_number = start if isinstance(start, int) else 1
        saved = state.list_number
        rendered = BLOCK_RENDERERS.get(kind, _unknown)(block, state)
        if kind in LEAF_TYPES:
            rendered = _with_children(rendered, block, state)
        state.list_number = saved
        if not rendered:
            previous = kind
            continue
        if lines and kind != previous and {kind, previous} <= BULLET_TYPES:
            lines.append(LIST_SEPARATOR)  # no blank line around it: both lists stay tight
        elif lines and not (kind == previous and kind in LIST_TYPES):
            lines.append("")
        lines.extend("\n".join(rendered).split("\n"))
        previous = kind
    return lines


# --- headings and anchors -------------------------------------------------------------------


def github_anchor(text: str, seen: dict[str, int]) -> str:
    """The anchor GitHub gives a heading with ``text``; ``seen`` counts earlier ones."""
    slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return f"{slug}-{count}" if count else slug


def collect_headings(blocks: list[Block], title: str) -> list[tuple[int, str, str | None]]:
    """Every heading of a page in order: (level, text, GitHub anchor or None)."""
    seen: dict[str, int] = {}
    github_anchor(title, seen)
    found: list[tuple[int, str, str | None]] = []

    def walk(items: list[Block]) -> None:
        for block in items:
            kind = block.get("type")
            if kind in HEADING_TYPES:
                text = plain_text(_payload(block).get("rich_text")).replace("\n", " ")
                toggle = bool(_payload(block).get("is_toggleable"))
                anchor = None if toggle else github_anchor(text, seen)
                found.append((heading_level(block), text, anchor))
            walk(block.get("children") or [])

    walk(blocks)
    return found


# --- documents ------------------------------------------------------------------------------


def _finish(parts: list[str]) -> str:
    return "\n\n".join(part.strip("\n") for part in parts if part.strip()) + "\n"


def render_page_markdown(record: dict[str, Any], ctx: RenderContext) -> str:
    """A page record as a Markdown document: front matter, title, blocks."""
    page = record.get("page") or {}
    blocks = record.get("blocks") or []
    title = pictures.title_prefix(page.get("icon")) + display_title(page_title(page))
    state = _State(ctx=ctx, page=page, headings=collect_headings(blocks, title))
    body = "\n".join(render_blocks(blocks, state))
    heading = f"# {escape_markdown(title, line_start=False)}"
    art = "\n\n".join(pictures.markdown_lines(page.get("icon"), page.get("cover"), ctx))
    comments = comments_markdown(record, ctx)
    return _finish([front_matter(page_metadata(page, ctx)), art, heading + "\n", body, comments])


def _data_source_parts(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    database = record.get("database") or {}
    data_source = record.get("data_source") or database
    return database, data_source


def data_source_metadata(record: dict[str, Any]) -> dict[str, Any]:
    """Front matter of a data source: ids, title, url, times, parent."""
    database, data_source = _data_source_parts(record)
    meta: dict[str, Any] = {
        "id": data_source.get("id") or database.get("id"),
        "database_id": database.get("id") or (data_source.get("parent") or {}).get("database_id"),
        "title": display_title(data_source_title(data_source, database)),
        "url": data_source.get("url") or database.get("url"),
        "created_time": data_source.get("created_time") or database.get("created_time"),
        "last_edited_time": data_source.get("last_edited_time") or database.get("last_edited_time"),
    }
    parent, parent_type = parent_id(database.get("parent") or data_source.get("parent"))
    meta["parent"] = parent
    meta["parent_type"] = parent_type
    icon = front_matter_value(data_source.get("icon") or database.get("icon"))
    cover = front_matter_value(data_source.get("cover") or database.get("cover"))
    if icon:
        meta["icon"] = icon
    if cover:
        meta["cover"] = cover
    return meta


def schema_summary(config: dict[str, Any]) -> str:
    """One line describing a schema property's configuration (options, number format, …)."""
    kind = str(config.get("type") or "")
    details = config.get(kind) or {}
    if not isinstance(details, dict):
        return ""
    if "options" in details:
        return ", ".join(str(option.get("name") or "") for option in details["options"] or [])
    if kind == "number":
        return str(details.get("format") or "")
    if kind == "relation":
        return str(details.get("data_source_id") or details.get("database_id") or "")
    if kind == "rollup":
        return f"{details.get('function', '')} of {details.get('relation_property_name', '')}"
    if kind == "unique_id" and details.get("prefix"):
        return f"prefix {details['prefix']}"
    return ""


def render_data_source_markdown(
    record: dict[str, Any], rows: list[dict[str, Any]], ctx: RenderContext
) -> str:
    """A data source as a Markdown page: front matter, description, schema, table of rows."""
    database, data_source = _data_source_parts(record)
    schema = data_source.get("properties") or {}
    names = schema_order(schema, rows, record.get("property_order"))
    description = rich_text_markdown(
        data_source.get("description") or database.get("description"), ctx
    )
    icon = data_source.get("icon") or database.get("icon")
    cover = data_source.get("cover") or database.get("cover")
    title = escape_markdown(
        pictures.title_prefix(icon) + display_title(data_source_title(data_source, database)),
        line_start=False,
    )
    schema_lines = ["## Properties", "", "| Name | Type | Details |", "| --- | --- | --- |"]
    for name in names:
        config = schema.get(name) or {}
        cells = [
            escape_markdown(name, line_start=False),
            str(config.get("type") or ""),
            escape_markdown(schema_summary(config), line_start=False),
        ]
        schema_lines.append(_table_line([cell.replace("|", "\\|") for cell in cells]))
    row_lines = [f"## Rows ({len(rows)})", ""]
    if names:
        row_lines.append(
            _table_line([escape_markdown(n, line_start=False).replace("|", "\\|") for n in names])
        )
        row_lines.append("|" + "|".join([" --- "] * len(names)) + "|")
        for row in rows:
            row_lines.append(_table_line([_row_cell(row, name, ctx) for name in names]))
    return _finish(
        [
            front_matter(data_source_metadata(record)),
            "\n\n".join(pictures.markdown_lines(icon, cover, ctx)),
            f"# {title}\n",
            description + "\n" if description else "",
            "\n".join(schema_lines) + "\n",
            "\n".join(row_lines),
        ]
    )


def _row_cell(row: dict[str, Any], name: str, ctx: RenderContext) -> str:
    prop = (row.get("properties") or {}).get(name)
    if prop is None:
        return ""
    text = property_text(prop, ctx)
    cell = escape_markdown(text, line_start=False).replace("\n", "<br>")
    if prop.get("type") == "title":
        link = object_link(ctx, str(row.get("id") or ""), ".md")
        cell = display_title(cell)
        if link:
            cell = f"[{cell}]({link})"
    return cell.replace("|", "\\|")

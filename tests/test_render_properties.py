"""Property tests: rendering any block tree never fails and never loses text.

Two checks: with arbitrary text (any characters, any annotations, any block types including
unknown ones) every renderer returns a document ending in exactly one newline; with text
made of letters, digits and spaces (which are never escaped) every word of every text run
appears in the Markdown. Escaping itself is checked by un-escaping arbitrary text.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from notion_syncd.export.html import render_page_html
from notion_syncd.export.links import RenderContext
from notion_syncd.export.markdown import BLOCK_RENDERERS, render_page_markdown
from notion_syncd.export.richtext import escape_markdown

CTX = RenderContext(
    path="Space 1a2b3c4d/Page 5e6f7a8b.md",
    resolve=lambda notion_id: None if notion_id.startswith("0") else f"Other {notion_id[-8:]}",
    title_of=lambda notion_id: None if notion_id.startswith("1") else "T*i_t`l[e]",
)
BLOCK_TYPES = [*sorted(BLOCK_RENDERERS), "hologram", "ai_block", "heading_9"]
ANNOTATIONS = ("bold", "italic", "strikethrough", "underline", "code")
SAFE_TEXT = st.text(alphabet="abcXYZ019 éß漢\n", max_size=20)
ANY_TEXT = st.text(max_size=20)
ID = st.sampled_from(["0" * 32, "1" * 32, "2" * 32, "38c9ce7b-60a4-81dc-93ae-d56d447186d8"])


@st.composite
def text_runs(draw: st.DrawFn, text: st.SearchStrategy[str]) -> dict[str, Any]:
    content = draw(text)
    annotations: dict[str, Any] = {name: draw(st.booleans()) for name in ANNOTATIONS}
    annotations["color"] = draw(st.sampled_from(["default", "red", "blue_background"]))
    href = draw(st.none() | st.sampled_from(["https://x.org/a b", "/" + "2" * 32, "x)y"]))
    return {
        "type": "text",
        "text": {"content": content, "link": {"url": href} if href else None},
        "annotations": annotations,
        "plain_text": content,
        "href": href,
    }


@st.composite
def other_runs(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["equation", "page", "user", "date", "link_preview", "x"]))
    plain = draw(ANY_TEXT)
    if kind == "equation":
        return {"type": "equation", "equation": {"expression": plain}, "plain_text": plain}
    payload: dict[str, Any] = {
        "page": {"id": draw(ID)},
        "user": {"id": "u", "name": draw(st.none() | ANY_TEXT)},
        "date": {"start": plain, "end": draw(st.none() | ANY_TEXT)},
        "link_preview": {"url": plain},
        "x": {},
    }[kind]
    return {
        "type": "mention",
        "mention": {"type": kind, kind: payload},
        "plain_text": plain,
        "annotations": {"bold": draw(st.booleans())},
    }


def blocks(text: st.SearchStrategy[str], with_others: bool) -> st.SearchStrategy[list[Any]]:
    runs = text_runs(text) | other_runs() if with_others else text_runs(text)
    rich = st.lists(runs, max_size=4)

    def block(children: st.SearchStrategy[list[Any]]) -> st.SearchStrategy[dict[str, Any]]:
        return st.builds(_block, st.sampled_from(BLOCK_TYPES), rich, children, st.data())

    leaf = block(st.just([]))
    return st.lists(
        st.recursive(leaf, lambda inner: block(st.lists(inner, max_size=3)), max_leaves=12),
        max_size=6,
    )


def _block(kind: str, rich: list[Any], children: list[Any], data: st.DataObject) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "rich_text": rich,
        "caption": rich[:1],
        "title": "t|*",
        "expression": "a_b",
        "checked": data.draw(st.booleans()),
        "is_toggleable": data.draw(st.booleans()),
        "language": data.draw(st.sampled_from(["c++", "plain text", ""])),
        "url": "https://e.org/(x)",
        "block_type": "form",
    }
    if kind == "numbered_list_item":
        payload["list_start_index"] = data.draw(st.none() | st.integers(0, 99))
    if kind in ("image", "video", "audio", "pdf", "file"):
        payload.update(type="file", file={"url": "_files/a b.png"}, name="n")
    if kind == "link_to_page":
        payload.update(type="page_id", page_id=data.draw(ID))
    if kind in ("child_page", "child_database"):
        children = []  # the record contract: these are objects of their own, never nested
    if kind == "table":
        payload.update(table_width=2, has_column_header=data.draw(st.booleans()))
        children = [*children, {"type": "table_row", "table_row": {"cells": [rich, rich[:1]]}}]
    block: dict[str, Any] = {
        "object": "block",
        "id": data.draw(ID),
        "type": kind,
        kind: payload,
        "has_children": bool(children),
        "children": children,
    }
    if data.draw(st.booleans()):
        block["children_error"] = "boom"
    return block


def _page(tree: list[Any]) -> dict[str, Any]:
    page = {
        "id": "1a2b3c4d" * 4,
        "parent": {"type": "data_source_id", "data_source_id": "d"},
        "properties": {
            "Name": {"type": "title", "title": []},
            "N": {"type": "number", "number": 1},
        },
    }
    return {"page": page, "blocks": tree}


RICH_TEXT_TYPES = {
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
    "template",
}
CAPTION_TYPES = {"code", "image", "video", "audio", "pdf", "file", "bookmark", "embed"}


def _words(tree: list[Any]) -> list[str]:
    found: list[str] = []
    for block in tree:
        payload = block.get(block["type"]) or {}
        runs = list(payload.get("rich_text") or []) if block["type"] in RICH_TEXT_TYPES else []
        runs += payload.get("caption") or [] if block["type"] in CAPTION_TYPES else []
        if block["type"] == "table_row":
            runs += [run for cell in payload.get("cells") or [] for run in cell]
        for run in runs:
            found.extend(run["plain_text"].split())
        found.extend(_words(block.get("children") or []))
    return found


def unescape(markdown: str) -> str:
    """Undo :func:`escape_markdown`: backslash escapes and whitespace entities."""
    table = {"&#32;": " ", "&#9;": "\t"}
    return re.sub(
        r"\\([!-/:-@\[-`{-~])|&#32;|&#9;", lambda m: m.group(1) or table[m.group(0)], markdown
    )


@settings(max_examples=150, deadline=None)
@given(blocks(ANY_TEXT, with_others=True))
def test_render_any_block_tree_never_fails(tree: list[Any]) -> None:
    """Arbitrary trees, types and text render to documents ending in one newline."""
    markdown = render_page_markdown(_page(tree), CTX)
    assert markdown.endswith("\n") and not markdown.endswith("\n\n")
    html = render_page_html(_page(tree), CTX)
    assert html.endswith("</html>\n")


@settings(max_examples=150, deadline=None)
@given(blocks(SAFE_TEXT, with_others=False))
def test_render_markdown_keeps_every_word(tree: list[Any]) -> None:
    """Every word of every text run appears in the Markdown output."""
    markdown = render_page_markdown(_page(tree), CTX)
    for word in _words(tree):
        assert word in markdown


@given(st.text(), st.booleans())
def test_escape_markdown_round_trips(text: str, line_start: bool) -> None:
    """Un-escaping escaped text gives the text back, whatever characters it has."""
    assert unescape(escape_markdown(text, line_start=line_start)) == text


def test_render_markdown_table_row_children_follow_the_table() -> None:
    """A table row that comes with children (Notion gives none) loses none of their words."""

    def run(word: str) -> dict[str, Any]:
        return {"type": "text", "text": {"content": word}, "plain_text": word, "annotations": {}}

    child = {"object": "block", "id": "c1", "type": "paragraph", "has_children": False}
    child |= {"paragraph": {"rich_text": [run("lostword")]}, "children": []}
    row = {"object": "block", "id": "r1", "type": "table_row", "has_children": True}
    row |= {"table_row": {"cells": [[run("cellword")]]}, "children": [child]}
    table = {"object": "block", "id": "t1", "type": "table", "has_children": True}
    table |= {"table": {"table_width": 1, "has_column_header": False}, "children": [row]}
    markdown = render_page_markdown(_page([table]), CTX)
    assert "cellword" in markdown and "lostword" in markdown

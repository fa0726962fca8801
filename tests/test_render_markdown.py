"""Unit tests for the Markdown renderer: escaping, lists, code, tables, toggles, notes."""

from __future__ import annotations

import dataclasses
import posixpath
from typing import Any
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from notion_syncd.export.frontmatter import front_matter
from notion_syncd.export.links import RenderContext, relative_link
from notion_syncd.export.markdown import render_page_markdown
from notion_syncd.export.richtext import Run, escape_markdown, rich_text_markdown


def ctx(path: str = "Team 1a2b3c4d/Notes 5e6f7a8b.md") -> RenderContext:
    stems = {"11111111111111111111111111111111": "Team 1a2b3c4d/Other page 11111111"}
    return RenderContext(
        path=path,
        resolve=lambda i: stems.get(i.replace("-", "")),
        title_of=lambda i: "Other page" if i.replace("-", "") in stems else None,
    )


def text(content: str, href: str | None = None, **annotations: Any) -> dict[str, Any]:
    flags = {
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "code": False,
        "color": "default",
    }
    flags.update(annotations)
    return {
        "type": "text",
        "text": {"content": content, "link": {"url": href} if href else None},
        "annotations": flags,
        "plain_text": content,
        "href": href,
    }


def block(
    kind: str, children: list[dict[str, Any]] | None = None, **payload: Any
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "object": "block",
        "id": f"id-{kind}",
        "type": kind,
        kind: payload,
        "has_children": bool(children),
    }
    if children:
        result["children"] = children
    return result


def para(content: str, **annotations: Any) -> dict[str, Any]:
    return block("paragraph", rich_text=[text(content, **annotations)])


def page(*blocks: dict[str, Any]) -> str:
    record = {
        "page": {"id": "1a2b3c4d1a2b3c4d1a2b3c4d1a2b3c4d", "properties": {}},
        "blocks": list(blocks),
    }
    markdown = render_page_markdown(record, ctx())
    return markdown.split("# Untitled\n\n", 1)[1] if "# Untitled\n\n" in markdown else ""


def test_escape_markdown_neutralises_markup() -> None:
    """Characters that would become markup are backslash-escaped."""
    assert escape_markdown("*a* _b_ `c` [d](e) <f> ~g~ $h$") == (
        "\\*a\\* \\_b\\_ \\`c\\` \\[d\\](e) \\<f\\> \\~g\\~ \\$h\\$"
    )


def test_escape_markdown_line_starts() -> None:
    """Headings, list markers, quotes and indentation at a line start are neutralised."""
    assert escape_markdown("# h\n- l\n+ p\n12. n\n> q\n    code") == (
        "\\# h\n\\- l\n\\+ p\n12\\. n\n\\> q\n&#32;&#32;&#32;&#32;code"
    )


def test_escape_markdown_keeps_intraword_underscores() -> None:
    """snake_case stays readable: intraword underscores are not emphasis in GFM."""
    assert escape_markdown("snake_case and __init__") == "snake_case and \\_\\_init\\_\\_"


def test_rich_text_moves_whitespace_outside_markers() -> None:
    """Leading and trailing spaces of a bold run stay outside the ``**`` markers."""
    rendered = rich_text_markdown([text("say "), text(" bold ", bold=True), text("now")], ctx())
    assert rendered == "say  **bold** now"


def test_rich_text_combines_annotations() -> None:
    """Bold, italic, strikethrough, underline and code combine into valid markup."""
    rendered = rich_text_markdown(
        [text("all", bold=True, italic=True, strikethrough=True, underline=True)], ctx()
    )
    assert rendered == "***~~<ins>all</ins>~~***"
    assert rich_text_markdown([text("x`y", code=True)], ctx()) == "``x`y``"


def test_rich_text_falls_back_to_html_tags_inside_words() -> None:
    """Emphasis next to punctuation inside a word uses tags, as markers would not parse."""
    rendered = rich_text_markdown([text("foo"), text("(bar)", bold=True), text("baz")], ctx())
    assert rendered == "foo<strong>(bar)</strong>baz"


def test_rich_text_links_and_page_mentions() -> None:
    """Links keep their URL; mentions of mirrored pages become relative links."""
    mention = {
        "type": "mention",
        "mention": {"type": "page", "page": {"id": "11111111-1111-1111-1111-111111111111"}},
        "plain_text": "Old title",
        "annotations": {},
        "href": "https://www.notion.so/11111111111111111111111111111111",
    }
    rendered = rich_text_markdown(
        [text("see ", None), text("site", "https://x.org/a b"), text(" and "), mention], ctx()
    )
    assert (
        rendered == "see [site](https://x.org/a%20b) and [Other page](Other%20page%2011111111.md)"
    )


def test_rich_text_unresolved_mention_is_plain_text() -> None:
    """A mention of a page that is not mirrored shows its plain text."""
    mention = {
        "type": "mention",
        "mention": {"type": "page", "page": {"id": "22" * 16}},
        "plain_text": "Untitled",
        "annotations": {},
        "href": None,
    }
    assert rich_text_markdown([mention], ctx()) == "Untitled"


def test_rich_text_inline_equation() -> None:
    """Inline equations use ``$…$``, or ``$`…`$`` when the TeX has Markdown characters."""
    equation = {
        "type": "equation",
        "equation": {"expression": "E=mc^2"},
        "plain_text": "E=mc^2",
        "annotations": {},
        "href": None,
    }
    assert rich_text_markdown([equation], ctx()) == "$E=mc^2$"
    equation["equation"] = {"expression": "a_1*b"}
    assert rich_text_markdown([equation], ctx()) == "$`a_1*b`$"


def test_relative_link_quotes_and_climbs() -> None:
    """Relative links climb out of folders and quote spaces."""
    assert relative_link("A 1/B 2/c.md", "A 1/d e.md") == "../d%20e.md"
    assert relative_link("c.md", "_files/ab.png") == "_files/ab.png"
    assert relative_link("A/B/c.md", "_files/ab.png") == "../../_files/ab.png"
    assert relative_link("A/B/c.md", "A/B") == "."


_PARTS = st.sampled_from(["a", "b", "A 1", "é", "c.md", "", ".", "..", "x y", "%", "_files"])
_PATHS = st.lists(_PARTS, min_size=1, max_size=4).map("/".join)


@settings(max_examples=500, deadline=None)
@given(_PATHS, _PATHS)
def test_relative_link_equals_posixpath_relpath(from_path: str, to_path: str) -> None:
    """The quick count of common folders gives what relpath and quote give, odd parts too."""
    start = posixpath.dirname(from_path.strip("/")) or "."
    expected = quote(posixpath.relpath("/" + to_path.strip("/"), "/" + start), safe="/")
    assert relative_link(from_path, to_path) == expected


def test_list_numbering_restarts_after_interruption() -> None:
    """Consecutive numbered items count up; another block restarts the count."""
    items = [block("numbered_list_item", rich_text=[text(n)]) for n in "abc"]
    body = page(
        items[0],
        items[1],
        para("break"),
        items[2],
        block("numbered_list_item", rich_text=[text("d")], list_start_index=7),
    )
    assert body == "1. a\n2. b\n\nbreak\n\n1. c\n2. d\n"


def test_list_start_index_is_honoured() -> None:
    """A list that starts at 5 in Notion starts at 5 in Markdown."""
    first = block("numbered_list_item", rich_text=[text("e")], list_start_index=5)
    assert page(first, block("numbered_list_item", rich_text=[text("f")])) == "5. e\n6. f\n"


def test_nested_lists_are_indented() -> None:
    """Children of list items are indented under their marker, numbered from 1; a to-do
    list after a bulleted one is a list of its own."""
    child = block("numbered_list_item", rich_text=[text("inner")])
    outer = block("bulleted_list_item", [child, child], rich_text=[text("outer")])
    todo = block("to_do", [para("note")], rich_text=[text("task")], checked=True)
    expected = "- outer\n  1. inner\n  2. inner\n<!-- -->\n- [x] task\n\n  note\n"
    assert page(outer, todo) == expected


def test_code_fence_is_longer_than_backticks_inside() -> None:
    """The fence is longer than any backtick run in the code."""
    code = block("code", rich_text=[text("a ```` b")], language="plain text", caption=[])
    assert page(code) == "`````text\na ```` b\n`````\n"


def test_code_language_mapping() -> None:
    """Notion language names map to GitHub fence names."""
    code = block("code", rich_text=[text("int x;")], language="c++", caption=[text("Caption")])
    assert page(code) == "```cpp\nint x;\n```\n\nCaption\n"


def test_table_escapes_pipes_and_newlines() -> None:
    """Pipes in cells are escaped and newlines become <br>; header row when flagged."""
    rows = [
        block("table_row", cells=[[text("h|1")], [text("h2")]]),
        block("table_row", cells=[[text("a\nb")], [text("c", code=True), text("|")]]),
    ]
    table = block("table", rows, table_width=2, has_column_header=True, has_row_header=False)
    assert page(table) == "| h\\|1 | h2 |\n| --- | --- |\n| a<br>b | `c`\\| |\n"


def test_table_without_header_gets_empty_header() -> None:
    """GitHub needs a header row: an empty one is emitted when Notion has none."""
    rows = [block("table_row", cells=[[text("x")]])]
    assert page(block("table", rows, table_width=1, has_column_header=False)) == (
        "|  |\n| --- |\n| x |\n"
    )


def test_toggle_is_details_with_children() -> None:
    """Toggles become <details> with an HTML-escaped summary and Markdown content."""
    toggle = block("toggle", [para("inside *")], rich_text=[text("Open <me>", bold=True)])
    assert page(toggle) == (
        "<details>\n<summary><strong>Open &lt;me&gt;</strong></summary>\n\n"
        "inside \\*\n\n</details>\n"
    )


def test_toggleable_heading_is_details() -> None:
    """A toggleable heading renders as <details> with its children, keeping its level."""
    heading = block("heading_2", [para("x")], rich_text=[text("H")], is_toggleable=True)
    assert page(heading) == "<details>\n<summary><h2>H</h2></summary>\n\nx\n\n</details>\n"


def test_quote_and_callout_keep_children_inside() -> None:
    """Quotes and callouts quote every line, children included."""
    quote = block("quote", [para("child")], rich_text=[text("one\ntwo")])
    callout = block("callout", rich_text=[text("note")], icon={"type": "emoji", "emoji": "💡"})
    assert page(quote, callout) == "> one\\\n> two\n>\n> child\n\n> 💡 note\n"


def test_unknown_block_type_is_visible_note() -> None:
    """An unknown type is never dropped: a visible note names it, children still render."""
    unknown = {
        "object": "block",
        "id": "x",
        "type": "hologram",
        "hologram": {},
        "children": [para("kept")],
    }
    assert page(unknown) == "> ⚠ Unsupported block type: hologram\n\nkept\n"


def test_unsupported_block_names_block_type() -> None:
    """``unsupported`` blocks name the block_type Notion reported."""
    assert page(block("unsupported", block_type="form")) == "> ⚠ Unsupported block type: form\n"


def test_children_error_is_visible() -> None:
    """A block whose children could not be fetched carries a visible note."""
    synced = block("synced_block", synced_from={"type": "block_id", "block_id": "b"})
    synced["has_children"] = True
    synced["children_error"] = "object_not_found"
    assert page(synced) == ("> ⚠ Could not fetch the content of this block: object_not_found\n")


def test_files_link_relatively_and_report_download_errors() -> None:
    """Stored files are linked relatively; failed downloads keep the URL and show a note."""
    image = block("image", type="file", file={"url": "_files/abc.png"}, caption=[text("Cap")])
    broken = block(
        "pdf",
        type="file",
        caption=[],
        file={"url": "https://s3/x.pdf", "download_error": "timeout"},
    )
    assert page(image, broken) == (
        "![Cap](../_files/abc.png)\n\n📕 [x.pdf](https://s3/x.pdf)\n\n"
        "> ⚠ This file could not be downloaded: timeout\n"
    )


def test_table_of_contents_links_github_anchors() -> None:
    """The table of contents links each heading's GitHub anchor, duplicates numbered."""
    toc = block("table_of_contents", color="default")
    h1 = block("heading_1", rich_text=[text("Intro & Scope")])
    h2 = block("heading_2", rich_text=[text("Intro & Scope")])
    assert page(toc, h1, h2) == (
        "- [Intro & Scope](#intro--scope)\n  - [Intro & Scope](#intro--scope-1)\n\n"
        "# Intro & Scope\n\n## Intro & Scope\n"
    )


def test_page_front_matter_and_single_trailing_newline() -> None:
    """Front matter carries id, title, times and parent; the emoji icon precedes the title."""
    record = {
        "page": {
            "id": "1a2b3c4d1a2b3c4d1a2b3c4d1a2b3c4d",
            "url": "https://notion.so/x",
            "created_time": "2024-01-01T00:00:00.000Z",
            "last_edited_time": "2024-01-02T00:00:00.000Z",
            "parent": {"type": "page_id", "page_id": "11111111111111111111111111111111"},
            "icon": {"type": "emoji", "emoji": "🐞"},
            "properties": {"title": {"id": "title", "type": "title", "title": [text('Say "hi"')]}},
        },
        "blocks": [],
    }
    assert render_page_markdown(record, ctx()) == (
        '---\nid: "1a2b3c4d-1a2b-3c4d-1a2b-3c4d1a2b3c4d"\ntitle: "Say \\"hi\\""\n'
        'url: "https://notion.so/x"\ncreated_time: "2024-01-01T00:00:00.000Z"\n'
        'last_edited_time: "2024-01-02T00:00:00.000Z"\n'
        'parent: "11111111-1111-1111-1111-111111111111"\nparent_type: "page_id"\n'
        'icon: "🐞"\n---\n\n# 🐞 Say "hi"\n'
    )


def test_page_front_matter_of_a_trashed_public_page_with_an_icon_without_url() -> None:
    """A trashed page says so, a public URL is kept, an icon without emoji or URL is null."""
    record = {
        "page": {
            "id": "1a2b3c4d1a2b3c4d1a2b3c4d1a2b3c4d",
            "parent": {"type": "workspace", "workspace": True},
            "icon": {"type": "file", "file": {}},
            "public_url": "https://acme.notion.site/x",
            "in_trash": True,
            "properties": {},
        },
        "blocks": [],
    }
    lines = render_page_markdown(record, ctx()).split("---\n")[1].splitlines()
    assert lines[-5:] == [
        "parent: null",
        'parent_type: "workspace"',
        "icon: null",
        'public_url: "https://acme.notion.site/x"',
        "in_trash: true",
    ]


def test_front_matter_nan_empty_mappings_and_quoted_keys() -> None:
    """NaN is YAML's .nan, an empty mapping is {}, keys that are not identifiers are quoted."""
    text = front_matter({"score": float("nan"), "Due date": {}, "nested": {"a b": [1, None]}})
    assert text == ('---\nscore: .nan\n"Due date": {}\nnested:\n  "a b": [1, null]\n---\n')


def test_render_child_database_not_mirrored_is_noted() -> None:
    """A database block the mirror cannot read (a linked view) says so instead of a dead link."""
    mirrored = dict(block("child_database", title="Other page"), id="1" * 32)
    linked_view = dict(block("child_database", title="Tasks view"), id="2" * 32)
    out = page(mirrored, linked_view)
    assert "🗃️ [Other page](Other%20page%2011111111.md)" in out
    assert "🗃️ Tasks view *(not mirrored: a linked view" in out


def test_run_style_is_every_field_but_the_text() -> None:
    """Runs merge by style: a field left out of it would merge runs that differ."""
    names = [field.name for field in dataclasses.fields(Run) if field.name != "text"]
    values = {"color": "red", "href": "x", "image": "y"}
    for name in names:
        changed = Run("a", **{name: values.get(name, True)})  # type: ignore[arg-type]
        assert changed.style() != Run("a").style(), name
    assert len(Run("a").style()) == len(names)

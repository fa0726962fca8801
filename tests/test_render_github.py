"""Markdown that renders right on GitHub: checked with cmark-gfm, GitHub's own parser.

Links never nest (a caption with a link goes beside the file link), and hosted files are
named as they were in Notion, not by their content hash.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from gfm import github_html
from hypothesis import given, settings
from hypothesis import strategies as st
from test_render_markdown import block, ctx, text

from notion_syncd.export.html import render_page_html
from notion_syncd.export.markdown import render_page_markdown
from notion_syncd.export.richtext import rich_text_markdown

HOSTED = {
    "type": "file",
    "file": {
        "source_url": "https://prod-files-secure.s3.amazonaws.com/ws/f/Quarterly%20report.pdf",
        "url": "_files/8e18aa00c450a.pdf",
    },
}


class _LinkDepth(HTMLParser):
    """The deepest nesting of ``<a>`` elements in an HTML text."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = self.deepest = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self.depth -= 1


def deepest_link(html: str) -> int:
    parser = _LinkDepth()
    parser.feed(html)
    return parser.deepest


def _page(*blocks: dict[str, Any]) -> dict[str, Any]:
    title = {"id": "title", "type": "title", "title": [text("Files")]}
    return {"page": {"id": "1" * 32, "properties": {"title": title}}, "blocks": list(blocks)}


LINKED_CAPTION = [text("see "), text("the spec", href="https://example.com/spec")]


def test_github_caption_with_link_goes_beside_the_file_link() -> None:
    """A pdf, video, file or bookmark whose caption has a link: two links side by side."""
    record = _page(
        block("pdf", caption=LINKED_CAPTION, **HOSTED),
        block("video", caption=LINKED_CAPTION, **HOSTED),
        block("file", caption=LINKED_CAPTION, **HOSTED),
        block("bookmark", url="https://example.com/b", caption=LINKED_CAPTION),
    )
    markdown = render_page_markdown(record, ctx())
    rendered = github_html(markdown)
    assert deepest_link(rendered) == 1
    assert rendered.count('<a href="https://example.com/spec">the spec</a>') == 4
    assert deepest_link(render_page_html(record, ctx("Team 1a2b3c4d/Notes 5e6f7a8b.html"))) == 1


def test_github_caption_without_link_stays_the_link_text() -> None:
    """A pdf with a plain caption keeps it as the link's text (one link)."""
    record = _page(block("pdf", caption=[text("Spec, ", bold=True), text("v2")], **HOSTED))
    rendered = github_html(render_page_markdown(record, ctx()))
    expected = '<a href="../_files/8e18aa00c450a.pdf"><strong>Spec,</strong> v2</a>'
    assert expected in rendered


def test_github_hosted_file_without_caption_named_like_its_source() -> None:
    """The link text is the file's name in Notion, not the content hash."""
    record = _page(block("pdf", caption=[], **HOSTED), block("file", caption=[], **HOSTED))
    rendered = github_html(render_page_markdown(record, ctx()))
    assert rendered.count(">Quarterly report.pdf</a>") == 2
    assert ">8e18aa00c450a.pdf<" not in rendered


def _list_shape(html: str) -> list[str]:
    """The list elements of an HTML text in order, e.g. ``["ul", "ul", "ol"]``."""
    return re.findall(r"<(ul|ol)[ >]", html)


def test_github_bullets_and_todos_stay_separate_lists() -> None:
    """Bullets, then to-dos, then bullets: three tight lists, at the top and nested."""
    items = [
        block("bulleted_list_item", rich_text=[text("a")]),
        block("to_do", rich_text=[text("b")], checked=False),
        block("to_do", rich_text=[text("c")], checked=True),
        block("bulleted_list_item", rich_text=[text("d")]),
    ]
    nested = block("bulleted_list_item", children=items, rich_text=[text("outer")])
    rendered = github_html(render_page_markdown(_page(*items, nested), ctx()))
    top, inner = rendered.split("<li>outer", 1)
    assert _list_shape(top) == ["ul", "ul", "ul"] and "<p>" not in top
    assert _list_shape(inner) == ["ul", "ul", "ul"]
    assert top.count('type="checkbox"') == 2


ALPHABET = "ab é\u0301🚀©+()!.,'\"-#:;?"
RUNS = st.lists(
    st.tuples(
        st.text(alphabet=ALPHABET, min_size=1, max_size=6),
        st.booleans(),
        st.booleans(),
        st.booleans(),
        st.sampled_from([None, None, "https://example.com/x"]),
    ),
    min_size=1,
    max_size=5,
)


class _Text(HTMLParser):
    """The text of an HTML fragment, outside code."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_code += tag == "code"

    def handle_endtag(self, tag: str) -> None:
        self.in_code -= tag == "code"

    def handle_data(self, data: str) -> None:
        if not self.in_code:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


@settings(max_examples=300, deadline=None)
@given(RUNS)
def test_github_emphasis_never_leaves_a_literal_marker(runs: list[Any]) -> None:
    """Bold, italic and strikethrough after any character class: no ``*`` or ``~`` shows."""
    rich_text = [
        text(content, href, bold=bold, italic=italic, strikethrough=strike)
        for content, bold, italic, strike, href in runs
    ]
    markdown = rich_text_markdown(rich_text, ctx())
    rendered = _html_text(github_html(markdown))
    assert "*" not in rendered and "~" not in rendered, markdown
    assert " ".join(rendered.split()) == " ".join("".join(r[0] for r in runs).split())


def test_github_synced_copy_of_an_unshared_original_leaves_a_note() -> None:
    """A synced copy that shows nothing says so (Markdown and HTML), naming its original."""
    source = {"block_id": "0a0b0c0d-1111-2222-3333-4444aabbccdd"}
    copy_block = block("synced_block", synced_from=source)
    original = block("synced_block", synced_from=None)
    record = _page(copy_block, original)
    markdown = render_page_markdown(record, ctx())
    assert markdown.count("⚠") == 1 and "copied from block aabbccdd" in markdown
    page_html = render_page_html(record, ctx("Team 1a2b3c4d/Notes 5e6f7a8b.html"))
    assert "aabbccdd: its original is empty, or not shared" in page_html

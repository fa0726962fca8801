"""Markdown that renders right on GitHub: checked with cmark-gfm, GitHub's own parser.

Links never nest (a caption with a link goes beside the file link), and hosted files are
named as they were in Notion, not by their content hash.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from gfm import github_html
from test_render_markdown import block, ctx, text

from notion_syncd.export.html import render_page_html
from notion_syncd.export.markdown import render_page_markdown

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

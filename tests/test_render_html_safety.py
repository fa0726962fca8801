"""HTML views: only http, https, mailto and relative links are clickable; others are text."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from test_render_markdown import block, ctx, text

from notion_syncd.export.html import render_page_html
from notion_syncd.export.links import clickable

HOSTILE = ["javascript:alert(1)", "JaVa\tScRiPt:alert(1)", " data:text/html,x", "vbscript:x"]


class _Targets(HTMLParser):
    """Every ``href`` and ``src`` of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.targets += [value or "" for name, value in attrs if name in ("href", "src")]


@pytest.mark.parametrize("url", HOSTILE)
def test_html_safety_hostile_links_are_text(url: str) -> None:
    """A hostile URL in text, a bookmark, an embed, a file or an image is never a link."""
    external = {"type": "external", "external": {"url": url}}
    record = {
        "page": {"id": "1" * 32, "properties": {}},
        "blocks": [
            block("paragraph", rich_text=[text("click", href=url)]),
            block("bookmark", url=url, caption=[]),
            block("embed", url=url, caption=[text("see")]),
            block("pdf", caption=[], **external),
            block("image", caption=[], **external),
        ],
    }
    page_html = render_page_html(record, ctx("Team 1a2b3c4d/Notes 5e6f7a8b.html"))
    parser = _Targets()
    parser.feed(page_html)
    assert parser.targets and all(clickable(target) for target in parser.targets)
    assert page_html.count(url.strip().split(":")[0].split("\t")[0]) >= 5  # shown as text


def test_html_safety_allowed_links_stay_clickable() -> None:
    """http(s), mailto and relative links are kept as links."""
    for url in ("https://x.org/a", "http://x.org", "mailto:a@b.org", "../Other%20page.html"):
        assert clickable(url)
    for url in HOSTILE:
        assert not clickable(url)

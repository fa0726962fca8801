"""Markdown that keeps Notion's structure and reads the same beyond GitHub.

Headings at Notion's levels, inline equations as ``$…$`` wherever CommonMark leaves the
expression alone, underline and highlights in the two elements GitHub keeps, every data
source of a database linked. Checked with cmark-gfm, GitHub's own parser.
"""

from __future__ import annotations

import html
import re
from typing import Any

from gfm import github_html
from goldenfiles import check_golden
from hypothesis import given, settings
from hypothesis import strategies as st
from test_render_markdown import block, ctx, para, text

from notion_syncd.export.html import render_page_html
from notion_syncd.export.links import RenderContext
from notion_syncd.export.markdown import render_page_markdown
from notion_syncd.export.richtext import portable_equation, rich_text_markdown


def _page(*blocks: dict[str, Any]) -> dict[str, Any]:
    title = {"id": "title", "type": "title", "title": [text("Guide")]}
    return {"page": {"id": "1" * 32, "properties": {"title": title}}, "blocks": list(blocks)}


def _headings(rendered: str) -> list[tuple[int, str]]:
    """(level, text) of every heading element of an HTML text, in order."""
    found = re.findall(r"<h([1-6])[^>]*>(.*?)</h\1>", rendered)
    return [(int(level), re.sub(r"<[^>]+>", "", inner)) for level, inner in found]


def test_portable_headings_keep_notions_levels_after_the_title() -> None:
    """heading_1..4 are h1..h4 on GitHub, after the title's h1; a toggle keeps its level."""
    record = _page(
        block("heading_1", rich_text=[text("One")]),
        block("heading_2", rich_text=[text("Two")]),
        block("heading_3", [para("x")], rich_text=[text("Three")], is_toggleable=True),
        block("heading_4", rich_text=[text("Four")]),
    )
    markdown = render_page_markdown(record, ctx())
    assert 'title: "Guide"' in markdown
    rendered = github_html(markdown)
    assert _headings(rendered) == [(1, "Guide"), (1, "One"), (2, "Two"), (3, "Three"), (4, "Four")]
    assert "<details>\n<summary><h3>Three</h3></summary>" in rendered


def test_portable_table_of_contents_follows_the_levels() -> None:
    """The table of contents nests by Notion's levels and links GitHub's anchors."""
    record = _page(
        block("table_of_contents", color="default"),
        block("heading_1", rich_text=[text("Guide")]),
        block("heading_2", rich_text=[text("Setup")]),
    )
    rendered = github_html(render_page_markdown(record, ctx()))
    assert '<li><a href="#guide-1">Guide</a>\n<ul>\n<li><a href="#setup">Setup</a>' in rendered


INLINE_MATH = [
    "a^2+b^2=c^2",
    "x_1",
    "x_{1} + y_{2}",
    r"\frac{a}{b}",
    r"\sum_{i=1}^n x_i",
    r"e^{i\pi}+1=0",
    "a < b",
    "[0,1]",
    r"f(x) = \sqrt{x}",
    r"\alpha_i \beta_j",
    "|x|",
    r"\lim_{x \to 0}",
    "n!",
    # Markdown would read these: GitHub's $`…`$ is the fallback
    r"\{x\}",
    r"\int_0^1 f(x)\,dx",
    "a*b",
    "x^{2}_{1}",
    "a<b",
]


def test_portable_equations_use_dollars_where_markdown_leaves_them_alone() -> None:
    """Typical inline math comes out as ``$…$``; five of eighteen need ``$`…`$``."""
    written = [
        rich_text_markdown([{"type": "equation", "equation": {"expression": e}}], ctx())
        for e in INLINE_MATH
    ]
    fallback = [line for line in written if line.startswith("$`")]
    assert written[:13] == [f"${e}$" for e in INLINE_MATH[:13]]
    assert fallback == [f"$`{e}`$" for e in INLINE_MATH[13:]]


def test_portable_equation_before_a_digit_falls_back() -> None:
    """``$x$1`` is not math for Pandoc: the fallback keeps the digit outside."""
    rich = [{"type": "equation", "equation": {"expression": "x"}}, text("1")]
    assert rich_text_markdown(rich, ctx()) == "$`x`$1"


MATH_ALPHABET = "ab1_{}^\\ <>[]()&#*$`~|!+-=,.α∑@:/"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=MATH_ALPHABET, min_size=1, max_size=10))
def test_portable_dollar_equations_reach_github_untouched(expression: str) -> None:
    """Whenever ``$…$`` is chosen, cmark-gfm keeps every character between the dollars."""
    if not portable_equation(expression):
        return
    rendered = github_html(f"see ${expression}$ end")
    inner = rendered.removeprefix("<p>").removesuffix("</p>\n")
    assert "<" not in inner, rendered
    assert html.unescape(inner) == f"see ${expression}$ end"


def test_portable_underline_and_highlight_survive_github() -> None:
    """Underline is ``<ins>`` and a background colour ``<mark>`` (GitHub strips ``<u>``)."""
    rich = [
        text("under", underline=True),
        text(" and "),
        text("marked", color="yellow_background", bold=True),
        text(" red", color="red"),
    ]
    markdown = rich_text_markdown(rich, ctx())
    assert markdown == "<ins>under</ins> and **<mark>marked</mark>** red"
    rendered = github_html(markdown)
    assert "<ins>under</ins>" in rendered and "<strong><mark>marked</mark></strong>" in rendered
    page_html = render_page_html(_page(block("paragraph", rich_text=rich)), ctx("G 1.html"))
    assert '<span class="color-yellow_background"><strong>marked</strong></span>' in page_html
    assert '<span class="color-red"> red</span>' in page_html


def _sources_ctx(path: str, mirrored: dict[str, str]) -> RenderContext:
    """A context where database ``d…`` has sources a, b, c; ``mirrored`` maps id → stem."""
    sources = [(c * 32, f"Source {c}") for c in "abc"]
    return RenderContext(
        path=path,
        resolve=lambda i: {"d" * 32: mirrored.get("a" * 32), **mirrored}.get(i),
        title_of=lambda i: f"Source {i[0]}" if i in mirrored else None,
        data_sources_of=lambda i: sources if i == "d" * 32 else [],
    )


def test_portable_database_links_every_mirrored_data_source() -> None:
    """A database with several sources links each mirrored one, Markdown and HTML."""
    database = block("child_database", title="Projects")
    database["id"] = "d" * 32
    mirrored = {"a" * 32: "Home/Source a", "c" * 32: "Home/Source c"}
    rendered = github_html(render_page_markdown(_page(database), _sources_ctx("Home.md", mirrored)))
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', rendered) == [
        ("Home/Source%20a.md", "Source a"),
        ("Home/Source%20c.md", "Source c"),
    ]
    assert "<p>🗃️ Projects: <a" in rendered
    page_html = render_page_html(_page(database), _sources_ctx("Home.html", mirrored))
    assert (
        '🗃️ Projects: <a href="Home/Source%20a.html">Source a</a>, '
        '<a href="Home/Source%20c.html">Source c</a></p>'
    ) in page_html
    single = render_page_markdown(_page(database), _sources_ctx("Home.md", {"a" * 32: "S"}))
    assert "🗃️ [Projects](S.md)" in single  # one mirrored source: the database's own link


LOCAL_EMOJI = {
    "type": "custom_emoji",
    "custom_emoji": {
        "id": "5e5e",
        "name": "party-parrot",
        "source_url": "https://s3-us-west-2.amazonaws.com/public.notion-static.com/p.gif",
        "url": "_files/5e5e.gif",
    },
}


def _equation(expression: str) -> dict[str, Any]:
    return {"type": "equation", "equation": {"expression": expression}, "plain_text": expression}


def _golden_record() -> dict[str, Any]:
    """One page with every choice above: headings, math, underline, colours, sources, emoji."""
    emoji_mention = {
        "type": "mention",
        "mention": {"type": "custom_emoji", "custom_emoji": LOCAL_EMOJI["custom_emoji"]},
        "plain_text": ":party-parrot:",
    }
    database = block("child_database", title="Projects")
    database["id"] = "d" * 32
    callout = block("callout", rich_text=[text("Launch day")], icon=LOCAL_EMOJI, color="default")
    record = _page(
        block("heading_1", rich_text=[text("Plan")]),
        block("heading_2", [para("folded")], rich_text=[text("Details")], is_toggleable=True),
        block("heading_3", rich_text=[text("Math")]),
        block(
            "paragraph",
            rich_text=[
                text("Sum "),
                _equation(r"\sum_{i=1}^n x_i"),
                text(", set "),
                _equation(r"\{x\}"),
                text("."),
            ],
        ),
        block("heading_4", rich_text=[text("Style")]),
        block(
            "paragraph",
            rich_text=[
                text("under", underline=True),
                text(", "),
                text("marked", color="yellow_background"),
                text(", "),
                text("red", color="red"),
                text(" "),
                emoji_mention,
            ],
        ),
        callout,
        database,
    )
    record["page"]["icon"] = LOCAL_EMOJI
    return record


def test_portable_page_matches_golden() -> None:
    """Every choice of this file on one page, as reviewed Markdown and HTML."""
    record = _golden_record()
    mirrored = {"a" * 32: "Home/Source a", "c" * 32: "Home/Source c"}
    check_golden(
        {
            "pages/portable.md": render_page_markdown(record, _sources_ctx("Home.md", mirrored)),
            "pages/portable.html": render_page_html(record, _sources_ctx("Home.html", mirrored)),
        }
    )

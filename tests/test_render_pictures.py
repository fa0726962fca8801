"""Covers and icons in Markdown, HTML and front matter (golden, and parsed by cmark-gfm).

Downloaded files are images; external ones and failed downloads are plain links (a view
never fetches from elsewhere); an emoji icon precedes the title; a custom emoji or one of
Notion's own icons never prints as ``:name:``.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from gfm import github_html
from goldenfiles import check_golden
from test_render_golden import PAGE_CASES, assemble_page_record, make_context

from notion_syncd.export.html import render_page_html
from notion_syncd.export.markdown import render_page_markdown
from notion_syncd.export.pictures import front_matter_value

STEM = "Workspace 1a2b3c4d/Sub pages 9f8e7d6c/Recorded page 0a0b0c0d"
HOSTED_COVER = {"type": "file", "file": {"source_url": "https://s3/c.jpg", "url": "_files/c.jpg"}}
HOSTED_ICON = {"type": "file", "file": {"source_url": "https://s3/i.png", "url": "_files/i.png"}}
EXTERNAL_COVER = {"type": "external", "external": {"url": "https://example.com/cover (1).jpg"}}
CUSTOM_EMOJI = {
    "type": "custom_emoji",
    "custom_emoji": {
        "id": "1a2b",
        "name": "party-parrot",
        "url": "https://s3-us-west-2.amazonaws.com/public.notion-static.com/x/party-parrot.gif",
    },
}
NATIVE_ICON = {"type": "icon", "icon": {"name": "lightbulb", "color": "yellow"}}
FAILED_COVER = {
    "type": "file",
    "file": {"source_url": "https://s3/c.jpg", "url": "https://s3/c.jpg"},
    "download_error": "HTTP 403",
}

CASES: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]] = {
    "pictures_local": (HOSTED_ICON, HOSTED_COVER),
    "pictures_external": (CUSTOM_EMOJI, EXTERNAL_COVER),
    "pictures_native_icon": (NATIVE_ICON, FAILED_COVER),
}


def _record(icon: dict[str, Any] | None, cover: dict[str, Any] | None) -> dict[str, Any]:
    record = copy.deepcopy(assemble_page_record(PAGE_CASES["code_blocks_2026"]))
    record["page"]["icon"] = icon
    record["page"]["cover"] = cover
    return record


@pytest.mark.parametrize("case", sorted(CASES))
def test_pictures_match_golden(case: str) -> None:
    """Each kind of icon and cover renders to the reviewed Markdown and HTML."""
    record = _record(*CASES[case])
    check_golden(
        {
            f"pages/{case}.md": render_page_markdown(record, make_context(STEM + ".md")),
            f"pages/{case}.html": render_page_html(record, make_context(STEM + ".html")),
        }
    )


def test_pictures_local_files_are_images_on_github() -> None:
    """A downloaded cover and icon are images with paths relative to the page."""
    markdown = render_page_markdown(_record(HOSTED_ICON, HOSTED_COVER), make_context(STEM + ".md"))
    rendered = github_html(markdown)
    top = rendered[: rendered.index("<h1>")]
    assert '<img src="../../_files/c.jpg" alt="Cover" />' in top
    assert "../../_files/i.png" in top
    assert 'cover: "_files/c.jpg"' in markdown and 'icon: "_files/i.png"' in markdown


@pytest.mark.parametrize("case", sorted(CASES))
def test_pictures_never_fetch_remote_or_print_shortcodes(case: str) -> None:
    """No remote image in any view; no ``:name:`` anywhere."""
    record = _record(*CASES[case])
    markdown = render_page_markdown(record, make_context(STEM + ".md"))
    page_html = render_page_html(record, make_context(STEM + ".html"))
    for rendered in (github_html(markdown), page_html):
        assert 'src="http' not in rendered
        assert ":party-parrot:" not in rendered and ":lightbulb:" not in rendered


def test_pictures_front_matter_values() -> None:
    """Front matter keeps the emoji, the local file, the URL, or the icon's name."""
    assert front_matter_value({"type": "emoji", "emoji": "🚀"}) == "🚀"
    assert front_matter_value(HOSTED_ICON) == "_files/i.png"
    assert front_matter_value(CUSTOM_EMOJI) == CUSTOM_EMOJI["custom_emoji"]["url"]
    assert front_matter_value(NATIVE_ICON) == "lightbulb"
    assert front_matter_value(FAILED_COVER) == "https://s3/c.jpg"
    assert front_matter_value(None) is None

"""The shared Notion vocabulary: id forms, titles and their fallback, the block types."""

from __future__ import annotations

from typing import Any

import pytest

from notion_syncd.export import html, markdown
from notion_syncd.export.links import RenderContext
from notion_syncd.terms import (
    BLOCK_TYPES,
    UNTITLED,
    compact_id,
    dashed_id,
    data_source_title,
    display_title,
    page_title,
    plain_text,
)

ID = "393abc1e-edcd-8169-85ce-c64d3d3f20fd"


def _text(*runs: str) -> list[dict[str, Any]]:
    return [{"type": "text", "plain_text": run} for run in runs]


@pytest.mark.parametrize(
    "given",
    [ID, ID.upper(), "393ABC1EEDCD816985CEC64D3D3F20FD", "393abc1eedcd816985cec64d3d3f20fd"],
)
def test_dashed_id_normalises(given: str) -> None:
    """Dashed or not, upper or lower case: the API's dashed lower-case form."""
    assert dashed_id(given) == ID


@pytest.mark.parametrize(
    "given",
    [
        "12345678-1234-1234-1234-123456789012",  # digits only: no letter to be lowercase
        "393abc1e-edcd-8169-85ce-c64d3d3f20fD",
        "393abc1-eedcd-8169-85ce-c64d3d3f20fd",  # a dash out of place
        "393abc1e-edcd-8169-85ce-c64d3d3f2-0d",  # five dashes
        "393abc1e-edcd-8169-85ce-c64d3d3f20f",  # too short
    ],
)
def test_dashed_id_quick_path_agrees_with_the_long_one(given: str) -> None:
    """Ids that look dashed give what dropping the dashes and adding them again gives."""
    raw = compact_id(given)
    expected = f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
    assert dashed_id(given) == (expected if len(raw) == 32 else given.lower())


def test_dashed_id_leaves_non_ids_lowercased() -> None:
    """Something that is not 32 hex digits is only lowercased."""
    assert dashed_id("Not-An-Id") == "not-an-id"


def test_compact_id_is_32_lowercase_hex() -> None:
    """The compact form drops dashes and lowercases."""
    assert compact_id(ID.upper()) == "393abc1eedcd816985cec64d3d3f20fd"


def test_page_title_joins_runs() -> None:
    """The title property's runs are joined; a page without one has the empty title."""
    page = {"properties": {"Done": {"type": "checkbox"}, "Name": {"type": "title"}}}
    assert page_title(page) == ""
    page["properties"]["Name"]["title"] = _text("Hello ", "world")
    assert page_title(page) == "Hello world"
    assert page_title({}) == ""


def test_data_source_title_falls_back_to_name_then_database() -> None:
    """Own title first, then its name, then the database's title, else empty."""
    database = {"title": _text("Projects")}
    assert data_source_title({"title": _text("Tasks")}, database) == "Tasks"
    assert data_source_title({"title": [], "name": "Main"}, database) == "Main"
    assert data_source_title({"title": []}, database) == "Projects"
    assert data_source_title({}) == ""


def test_display_title_names_the_untitled() -> None:
    """An empty title reads as Untitled; others are kept."""
    assert display_title("") == UNTITLED
    assert display_title(None) == UNTITLED
    assert display_title("Notes") == "Notes"


def test_plain_text_tolerates_junk() -> None:
    """Non-lists and non-object runs give no text instead of failing."""
    assert plain_text(None) == ""
    assert plain_text("text") == ""
    assert plain_text([*_text("a"), "b", {"plain_text": None}, *_text("c")]) == "ac"


def test_block_renderers_cover_exactly_the_block_types() -> None:
    """Each renderer has one entry per block type in the vocabulary, and no other.

    HTML writes table rows inside their table, so it has no entry of their own.
    """
    assert set(markdown.BLOCK_RENDERERS) == BLOCK_TYPES
    assert set(html.BLOCK_RENDERERS) == BLOCK_TYPES - {"table_row"}


def test_untitled_page_reads_the_same_in_every_view() -> None:
    """Markdown, HTML and front matter all call a page without title Untitled."""
    record = {"page": {"id": ID, "properties": {"Name": {"type": "title", "title": []}}}}
    ctx = RenderContext(path="x.md", resolve=lambda _: None, title_of=lambda _: None)
    text = markdown.render_page_markdown(record, ctx)
    assert f"# {UNTITLED}\n" in text
    assert f"title: {UNTITLED}" in text or f'title: "{UNTITLED}"' in text
    assert f"<h1>{UNTITLED}</h1>" in html.render_page_html(record, ctx)


def test_terms_dashed_id_shares_one_string_per_id() -> None:
    """Equal ids in any spelling come back as one string object, so sets share it."""
    raw = "".join(["1a2b3c4d", "5e6f7a8b9c0d1e2f3a4b5c6d"])
    dashed = "-".join([raw[:8], raw[8:12], raw[12:16], raw[16:20], raw[20:]])
    assert dashed_id(raw) is dashed_id(dashed.upper())
    assert dashed_id("Not-An-Id" + str(len(raw))) is dashed_id("not-an-id32")

"""Golden tests: real recorded Notion responses rendered to Markdown, HTML and CSV.

Records are assembled from the vendored recordings (``tests/fixtures/recorded``): a page
object plus every ``GET /v1/blocks/{id}/children`` listing of one cassette, nested the way
the sync engine stores them. Notion-hosted file URLs are replaced like the engine does
(``_files/<sha256>.<ext>``; the first one as a failed download). Expected outputs live in
``tests/golden/``; ``UPDATE_GOLDEN=1`` rewrites them and fails naming what changed (see
``goldenfiles.py``): read the diff, then run again without it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import posixpath
from pathlib import Path
from typing import Any

import pytest
from goldenfiles import check_golden

from notion_syncd.export.csvfile import render_data_source_csv
from notion_syncd.export.html import (
    IndexItem,
    render_data_source_html,
    render_index_html,
    render_page_html,
)
from notion_syncd.export.links import RenderContext
from notion_syncd.export.markdown import render_data_source_markdown, render_page_markdown

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "recorded"

# name -> (cassette folder, root block id or None for "the first listing's id")
PAGE_CASES = {
    "all_blocks_2022": "ultimate-notion-2022-06-28/test_blocks__test_all_blocks",
    "page_to_markdown_2026": "ultimate-notion/test_page__test_page_to_markdown",
    "page_to_markdown_2022": "ultimate-notion-2022-06-28/test_page__test_page_to_markdown",
    "embed_blocks_2022": "ultimate-notion-2022-06-28/test_page__test_embed_blocks",
    "embed_blocks_2026": "ultimate-notion/test_page__test_embed_blocks",
    "tab_blocks_2026": "ultimate-notion/test_blocks__test_create_tab_blocks",
    "file_blocks_2026": "ultimate-notion/test_blocks__test_create_file_blocks",
    "column_blocks_2026": "ultimate-notion/test_blocks__test_create_column_blocks",
    "online_offline_blocks_2026": "ultimate-notion/test_blocks__test_cmp_online_offline_blocks",
    "code_blocks_2026": "ultimate-notion/test_blocks__test_long_code_block",
}
DATA_SOURCE_CASES = {
    "all_properties_2026": "ultimate-notion/obj_api__test_endpoints__test_retrieve_property",
    "all_properties_2022": (
        "ultimate-notion-2022-06-28/obj_api__test_endpoints__test_retrieve_property"
    ),
    "id_prop_2026": "ultimate-notion/test_query__test_id_prop",
}


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _request_id(path: str) -> str:
    return path.split("?", 1)[0].split("/")[3]


def _strip_request_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_request_ids(v) for k, v in value.items() if k != "request_id"}
    if isinstance(value, list):
        return [_strip_request_ids(item) for item in value]
    return value


def _store_files(value: Any, state: dict[str, int]) -> None:
    """Replace signed Notion file URLs the way the sync engine stores them."""
    if isinstance(value, dict):
        inner = value.get("file")
        if value.get("type") == "file" and isinstance(inner, dict) and "url" in inner:
            url = str(inner["url"]).split("?", 1)[0]
            inner.pop("expiry_time", None)
            state["count"] = state.get("count", 0) + 1
            if state["count"] == 1:
                inner["url"] = url
                inner["download_error"] = "HTTP 403 Forbidden"
            else:
                extension = posixpath.splitext(url)[1] or ".bin"
                digest = hashlib.sha256(url.encode()).hexdigest()
                inner["url"] = f"_files/{digest}{extension}"
                inner["source_url"] = url
        for item in value.values():
            _store_files(item, state)
    elif isinstance(value, list):
        for item in value:
            _store_files(item, state)


def assemble_page_record(cassette: str) -> dict[str, Any]:
    """A page record from one cassette: the last listing of each block's children, nested."""
    folder = FIXTURES / cassette
    listings: dict[str, dict[str, dict[str, Any]]] = {}
    pages: dict[str, dict[str, Any]] = {}
    root: str | None = None
    for path in sorted(folder.glob("*.json")):
        exchange = _load(path)
        request, body = exchange["request"], exchange["response"]["body"]
        if exchange["response"]["status"] != 200:
            continue
        if path.name.endswith("-blocks-ID-children.json"):
            block_id = _request_id(request["path"])
            root = root or block_id
            replace = request["method"] == "GET" and "start_cursor" not in request["path"]
            listing = {} if replace else listings.get(block_id, {})
            listing.update((block["id"], block) for block in body["results"])
            listings[block_id] = listing
        elif body.get("object") == "page":
            pages[body["id"]] = body
    assert root is not None

    def attach(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for block in blocks:
            block = dict(block)
            source = (block.get("synced_block") or {}).get("synced_from") or {}
            found = listings.get(block["id"]) or listings.get(source.get("block_id", ""))
            children = list(found.values()) if found is not None else None
            if block["type"] in ("child_page", "child_database"):
                pass
            elif children:  # later appends make a recorded has_children stale
                block["children"] = attach(children)
            elif block.get("has_children"):
                if children is not None:
                    block["children"] = []
                else:
                    block["children_error"] = "children were not recorded in this cassette"
            out.append(block)
        return out

    page = pages.get(root) or {
        "object": "page",
        "id": root,
        "created_time": "2024-01-02T03:04:00.000Z",
        "last_edited_time": "2024-01-02T03:05:00.000Z",
        "parent": {"type": "page_id", "page_id": "11111111-2222-4333-8444-555555555555"},
        "icon": {"type": "emoji", "emoji": "🧪"},
        "properties": {
            "title": {
                "id": "title",
                "type": "title",
                "title": [
                    {
                        "type": "text",
                        "text": {"content": cassette.rsplit("/", 1)[1], "link": None},
                        "annotations": {
                            "bold": False,
                            "italic": False,
                            "strikethrough": False,
                            "underline": False,
                            "code": False,
                            "color": "default",
                        },
                        "plain_text": cassette.rsplit("/", 1)[1],
                        "href": None,
                    }
                ],
            }
        },
        "url": f"https://www.notion.so/{root.replace('-', '')}",
    }
    record = _strip_request_ids({"page": page, "blocks": attach(list(listings[root].values()))})
    _store_files(record, {})
    return copy.deepcopy(record)


def assemble_data_source(cassette: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A data source record and its rows from one cassette."""
    folder = FIXTURES / cassette
    record: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.json")):
        exchange = _load(path)
        body = exchange["response"]["body"]
        if exchange["response"]["status"] != 200:
            continue
        if body.get("object") == "data_source":
            record["data_source"] = body
        elif body.get("object") == "database":
            record["database"] = body
        elif path.name.endswith("-query.json") and not rows:
            rows = list(body["results"])
    record = _strip_request_ids(record)
    rows = _strip_request_ids(rows)
    _store_files(rows, {"count": 1})
    return record, rows


def _compact(notion_id: str) -> str:
    return notion_id.replace("-", "")


def make_context(path: str) -> RenderContext:
    """Every id is mirrored except ultimate-notion's 00000000-… placeholders."""

    def resolve(notion_id: str) -> str | None:
        compact = _compact(notion_id)
        if compact.startswith("00000000"):
            return None
        return f"Workspace 1a2b3c4d/Page {compact[-8:]}"

    def title_of(notion_id: str) -> str | None:
        compact = _compact(notion_id)
        return None if compact.startswith("00000000") else f"Page {compact[-8:]}"

    return RenderContext(path=path, resolve=resolve, title_of=title_of)


@pytest.mark.parametrize("case", sorted(PAGE_CASES))
def test_page_markdown_matches_golden(case: str) -> None:
    """Recorded pages render to the reviewed Markdown."""
    record = assemble_page_record(PAGE_CASES[case])
    ctx = make_context("Workspace 1a2b3c4d/Sub pages 9f8e7d6c/Recorded page 0a0b0c0d.md")
    check_golden({f"pages/{case}.md": render_page_markdown(record, ctx)})


@pytest.mark.parametrize("case", sorted(PAGE_CASES))
def test_page_html_matches_golden(case: str) -> None:
    """Recorded pages render to the reviewed HTML."""
    record = assemble_page_record(PAGE_CASES[case])
    ctx = make_context("Workspace 1a2b3c4d/Sub pages 9f8e7d6c/Recorded page 0a0b0c0d.html")
    check_golden({f"pages/{case}.html": render_page_html(record, ctx)})


@pytest.mark.parametrize("case", sorted(DATA_SOURCE_CASES))
def test_data_source_formats_match_golden(case: str) -> None:
    """Recorded data sources and rows render to the reviewed Markdown, CSV and HTML."""
    record, rows = assemble_data_source(DATA_SOURCE_CASES[case])
    stem = "Workspace 1a2b3c4d/All properties 5e6f7a8b"
    check_golden(
        {
            f"data_sources/{case}.md": render_data_source_markdown(
                record, rows, make_context(stem + ".md")
            ),
            f"data_sources/{case}.csv": render_data_source_csv(
                record, rows, make_context(stem + ".csv")
            ),
            f"data_sources/{case}.html": render_data_source_html(
                record, rows, make_context(stem + ".html")
            ),
        }
    )


@pytest.mark.parametrize("case", sorted(DATA_SOURCE_CASES))
def test_row_page_markdown_matches_golden(case: str) -> None:
    """Database rows carry every property in their front matter."""
    _, rows = assemble_data_source(DATA_SOURCE_CASES[case])
    ctx = make_context("Workspace 1a2b3c4d/All properties 5e6f7a8b/Row 0a0b0c0d.md")
    record = {"page": rows[0], "blocks": []}
    html_ctx = make_context("Workspace 1a2b3c4d/All properties 5e6f7a8b/Row 0a0b0c0d.html")
    check_golden(
        {
            f"rows/{case}.md": render_page_markdown(record, ctx),
            f"rows/{case}.html": render_page_html(record, html_ctx),
        }
    )


def test_index_html_matches_golden() -> None:
    """index.html nests entries by depth and links to every page."""
    entries = [
        IndexItem("Team 1a2b3c4d", "Team", 0, "page"),
        IndexItem("Team 1a2b3c4d/Notes 5e6f7a8b", "Notes <draft>", 1, "page"),
        IndexItem("Team 1a2b3c4d/Notes 5e6f7a8b/Deep 0c0c0c0c", "Deep & deeper", 2, "page"),
        IndexItem("Team 1a2b3c4d/Tasks 9a9a9a9a", "Tasks", 1, "data_source"),
        IndexItem("Other 77777777", "", 0, "page"),
    ]
    ctx = make_context("index.html")
    check_golden({"index.html": render_index_html(entries, ctx)})

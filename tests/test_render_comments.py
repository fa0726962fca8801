"""Comments in Markdown and HTML (golden), checked with GitHub's own parser (cmark-gfm).

The record is a recorded page (``page_to_markdown_2026``) with the recorded comment
(notion-sdk-py ``test_is_full_comment``) on the page, and copies of it placed on blocks,
as the API shapes them; one thread has a reply.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from gfm import github_html
from goldenfiles import check_golden
from test_render_golden import FIXTURES, PAGE_CASES, assemble_page_record, make_context

from notion_syncd.errors import NotionHTTPError
from notion_syncd.export.comments import anchor_label, author, discussions
from notion_syncd.export.html import render_page_html
from notion_syncd.export.markdown import render_page_markdown
from notion_syncd.sync.comments import (
    CommentFetcher,
    discussion_holders,
    stable_comment,
    sweep_share,
    with_comments,
)

RECORDED_COMMENTS = FIXTURES / "notion-sdk-py" / "test_is_full_comment" / "03-GET-comments.json"


def _recorded_comment() -> dict[str, Any]:
    body = json.loads(RECORDED_COMMENTS.read_text(encoding="utf-8"))["response"]["body"]
    comment: dict[str, Any] = body["results"][0]
    return comment


def _text(content: str, **annotations: Any) -> dict[str, Any]:
    marks = {"bold": False, "italic": False, "strikethrough": False, "underline": False}
    marks.update({"code": False, "color": "default", **annotations})
    return {
        "type": "text",
        "text": {"content": content, "link": None},
        "annotations": marks,
        "plain_text": content,
        "href": None,
    }


def _commented_record() -> dict[str, Any]:
    record = assemble_page_record(PAGE_CASES["page_to_markdown_2026"])
    blocks = [b for b in record["blocks"] if b["type"] in ("paragraph", "heading_1", "to_do")]
    recorded = _recorded_comment()
    recorded["parent"] = {"type": "page_id", "page_id": record["page"]["id"]}

    def on(block: dict[str, Any] | None, number: int, text: list[dict[str, Any]]) -> Any:
        comment = copy.deepcopy(recorded)
        comment["id"] = f"393abc1e-edcd-8150-8eaa-00000000000{number}"
        comment["discussion_id"] = f"393abc1e-edcd-81a9-908b-00000000000{number}"
        if block is not None:
            comment["parent"] = {"type": "block_id", "block_id": block["id"]}
        comment["rich_text"] = text
        comment["display_name"] = {"type": "user", "resolved_name": f"Reviewer {number}"}
        return comment

    second_page = on(None, 2, [_text("Second *page* comment\nwith a [second] line")])
    on_first = on(blocks[0], 3, [_text("Why "), _text("this", italic=True), _text("?")])
    reply = on(blocks[0], 4, [_text("Because.", code=True)])
    reply["discussion_id"] = on_first["discussion_id"]
    on_missing = on(None, 5, [_text("On a block since deleted")])
    on_missing["parent"] = {"type": "block_id", "block_id": "0000aaaa-0000-4000-8000-00000000bbbb"}
    on_missing["attachments"] = [
        {"category": "image", "file": {"url": "https://files.example/a.png?X-Amz-Signature=1"}}
    ]
    comments = [recorded, second_page, on_first, reply, stable_comment(on_missing)]
    record["comments"] = comments
    return record


def test_comments_markdown_and_html_match_golden() -> None:
    """Page and block discussions render to the reviewed Markdown and HTML."""
    record = _commented_record()
    stem = "Workspace 1a2b3c4d/Sub pages 9f8e7d6c/Recorded page 0a0b0c0d"
    check_golden(
        {
            "pages/comments_2026.md": render_page_markdown(record, make_context(stem + ".md")),
            "pages/comments_2026.html": render_page_html(record, make_context(stem + ".html")),
        }
    )


def test_comments_markdown_structure_on_github() -> None:
    """cmark-gfm sees one list per anchor, the reply nested, no literal markup characters."""
    record = _commented_record()
    markdown = render_page_markdown(record, make_context("Recorded 0a0b0c0d.md"))
    rendered = github_html(markdown)
    section = rendered[rendered.index("<h2>Comments</h2>") :]
    assert section.count("<ul>") == 4  # page, first block, its reply thread, missing block
    assert "<strong>notion-sdk-py</strong>, 2026-07-04 09:12 UTC: This is a test comment." in (
        section
    )
    assert "Second *page* comment<br />\nwith a [second] line" in section
    assert "Why <em>this</em>?\n<ul>\n<li><strong>Reviewer 4</strong>" in section
    assert "<code>Because.</code>" in section
    assert '<a href="https://files.example/a.png">image</a>' in section


def test_comments_discussions_group_threads_page_first() -> None:
    """Threads keep their first comment's order; page threads come before block threads."""
    on_block = {"id": "b1", "discussion_id": "d1", "parent": {"type": "block_id", "block_id": "x"}}
    on_page = {"id": "p1", "discussion_id": "d2", "parent": {"type": "page_id", "page_id": "p"}}
    reply = {**on_block, "id": "b2"}
    threads = discussions([on_block, on_page, reply])
    assert [(t.anchor, [c["id"] for c in t.comments]) for t in threads] == [
        (None, ["p1"]),
        ("x", ["b1", "b2"]),
    ]


def test_comments_author_and_anchor_fallbacks() -> None:
    """No resolved name: the user id's tail; an unknown block is named, an empty one typed."""
    nameless = {"created_by": {"id": "7775f3a3-893f-43fa-b625-460c61094c78"}, "display_name": {}}
    assert author(nameless) == "user 61094c78"
    texts = {"b": ("divider", ""), "c": ("quote", "x" * 80)}
    assert anchor_label("b", texts) == "On a divider block"
    assert anchor_label("c", texts) == "On the quote “" + "x" * 59 + "…”"
    assert anchor_label("gone-1234", texts).startswith("On a block no longer on the page")


def test_comments_holders_skip_containers_and_synced_copies() -> None:
    """Blocks mode asks the page and each block, not columns, sub-pages or a copy's children."""
    blocks = [
        {"id": "p1", "type": "paragraph"},
        {
            "id": "cl",
            "type": "column_list",
            "children": [
                {"id": "c1", "type": "column", "children": [{"id": "t", "type": "to_do"}]}
            ],
        },
        {"id": "sub", "type": "child_page"},
        {
            "id": "copy",
            "type": "synced_block",
            "synced_block": {"synced_from": {"block_id": "orig"}},
            "children": [{"id": "inside", "type": "paragraph"}],
        },
    ]
    assert discussion_holders("page", blocks, "blocks") == ["page", "p1", "t", "copy"]
    assert discussion_holders("page", blocks, "page") == ["page"]
    assert discussion_holders("page", blocks, "off") == []


def test_comments_stored_form_and_replacement() -> None:
    """Attachments lose their signed query; equal comments change nothing; none drop the key."""
    signed = {"attachments": [{"file": {"url": "https://s3/x.png?sig=1", "expiry_time": "t"}}]}
    assert stable_comment({**signed, "request_id": "r"}) == {
        "attachments": [{"file": {"url": "https://s3/x.png"}}]
    }
    record = {"page": {}, "blocks": [], "comments": [{"id": "c"}]}
    assert with_comments(record, [{"id": "c"}]) is None
    assert with_comments(record, []) == {"page": {}, "blocks": []}
    assert with_comments({"page": {}}, []) is None


def test_comments_fetcher_skips_blocks_notion_refuses() -> None:
    """In blocks mode a 400 or 404 for one block skips it; a 403 stops asking for the sync."""

    class Client:
        def __init__(self) -> None:
            self.asked: list[str] = []

        def paginate(
            self, method: str, path: str, *, params: dict[str, Any] | None = None
        ) -> Iterator[dict[str, Any]]:
            holder = str((params or {})["block_id"])
            self.asked.append(holder)
            status = {"b400": 400, "b404": 404, "b403": 403}.get(holder)
            if status:
                raise NotionHTTPError("no", status=status)
            return iter([{"id": f"c-{holder}", "request_id": "r"}])

    blocks = [{"id": name, "type": "paragraph"} for name in ("b400", "b404", "ok", "b403", "z")]
    client = Client()
    fetcher = CommentFetcher(client, "blocks")
    assert fetcher.fetch("page", blocks[:3]) == [{"id": "c-page"}, {"id": "c-ok"}]
    assert fetcher.fetch("page", blocks) is None and not fetcher.enabled
    assert client.asked[-1] == "b403"
    assert fetcher.fetch("page", blocks) is None and client.asked[-1] == "b403"


def test_comments_sweep_share_turns_round_every_page() -> None:
    """The share starts past the last page read, wraps, and is everything when it fits."""
    pages = ["a", "b", "c", "d", "e"]
    assert sweep_share(pages, None, 0) == pages
    assert sweep_share(pages, "c", 5) == pages
    assert sweep_share(pages, None, 2) == ["a", "b"]
    assert sweep_share(pages, "b", 2) == ["c", "d"]
    assert sweep_share(pages, "d", 2) == ["e", "a"]
    assert sweep_share(pages, "e", 2) == ["a", "b"]
    assert sweep_share(pages, "bb", 2) == ["c", "d"]  # the last page read is gone

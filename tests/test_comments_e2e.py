"""End to end: page and block comments reach the mirror, and new ones arrive with the sweep.

Fake API over loopback, real git repositories. Notion moves no ``last_edited_time`` for a
comment, so the incremental listing never shows one; the sweep asks again for every page.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from gfm import github_html
from mirrortree import exported_tree, tree_differences
from synchelpers import TestClock, make_settings, serve

from notion_syncd.config import Settings
from notion_syncd.fake_notion import FakeNotionServer, Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.sync.runner import run_sync

BLOCKS = {"export": {"comments": "blocks"}}


def _workspace() -> tuple[TestClock, Workspace, dict[str, str]]:
    """A page with 2 page comments and 3 block comments, one of them a reply."""
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=3)
    ada = ws.add_user("Ada Lovelace")
    bob = ws.add_user("Bob Builder")
    page = ws.add_page(None, "Review", [rt.paragraph("intro")])
    first, second = ws.append_blocks(
        page, [rt.paragraph("The budget is final."), rt.bulleted("Hire two people")]
    )
    ws.add_comment(page, "Looks good overall", author=ada)
    ws.add_comment(page, [rt.rich_text("Ship it", bold=True)], author=bob)
    opened = ws.add_comment(first, "Is it, though?", author=bob)
    ws.add_comment(first, "Yes, signed off", author=ada, discussion_id=ws.discussion_of(opened))
    ws.add_comment(second, "Which team?")
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    return clock, ws, {"page": page, "first": first, "second": second, "ada": ada}


def _files(repo: Path, stem: str) -> tuple[dict[str, Any], str, str]:
    (json_path,) = [p for p in repo.glob(f"{stem} *.json")]
    record = json.loads(json_path.read_text(encoding="utf-8"))
    markdown = json_path.with_suffix(".md").read_text(encoding="utf-8")
    page_html = json_path.with_suffix(".html").read_text(encoding="utf-8")
    return record, markdown, page_html


def _assert_fresh_export_equal(
    server: FakeNotionServer, settings: Settings, tmp_path: Path, clock: TestClock
) -> None:
    fresh = make_settings(server, tmp_path / "fresh-export", **BLOCKS)
    run_sync(fresh, now=clock)
    differences = tree_differences(
        exported_tree(Path(settings.export.repo)), exported_tree(Path(fresh.export.repo))
    )
    assert differences == [], "\n".join(differences[:40])


def test_comments_page_and_block_threads_in_json_markdown_html(tmp_path: Path) -> None:
    """All 5 comments (2 on the page, 3 on blocks, one reply) with authors and times."""
    clock, ws, ids = _workspace()
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror", **BLOCKS)
        run_sync(settings, now=clock)
    record, markdown, page_html = _files(Path(settings.export.repo), "Review")
    comments = record["comments"]
    assert len(comments) == 5
    assert [c["parent"].get("page_id") or c["parent"]["block_id"] for c in comments] == [
        ids["page"],
        ids["page"],
        ids["first"],
        ids["first"],
        ids["second"],
    ]
    assert comments[2]["discussion_id"] == comments[3]["discussion_id"]
    rendered = github_html(markdown)
    section = rendered[rendered.index("<h2>Comments</h2>") :]
    assert "<p>On the page:</p>" in section
    assert "<strong>Ada Lovelace</strong>, 2026-03-02 08:00 UTC: Looks good overall" in section
    assert "<strong>Bob Builder</strong>" in section and "<strong>Ship it</strong>" in section
    assert "<p>On the paragraph “The budget is final.”:</p>" in section
    thread = section[section.index("Is it, though?") :]
    assert thread.index("<ul>") < thread.index("Yes, signed off") < thread.index("</ul>")
    assert "<p>On the list item “Hire two people”:</p>" in section
    assert "notion-syncd-fake" in section  # the integration's own comment
    for text in ("Looks good overall", "Ship it", "Is it, though?", "Yes, signed off"):
        assert text in page_html
    assert page_html.count('<span class="comment-author">') == 5
    assert '<time datetime="2026-03-02T08:00:00.000Z">2026-03-02 08:00 UTC</time>' in page_html


def test_comments_new_comment_arrives_with_the_sweep(tmp_path: Path) -> None:
    """A comment moves no last_edited_time: a poll misses it, the sweep brings it, as fresh."""
    clock, ws, ids = _workspace()
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror", **BLOCKS)
        run_sync(settings, now=clock)
        clock.advance(minutes=3)
        ws.add_comment(ids["second"], "The platform team", author=ids["ada"])
        ws.resolve_discussion(ws.discussion_of(ws.comments[0].id))
        clock.advance(minutes=3)
        run_sync(settings, now=clock)
        record, _, _ = _files(Path(settings.export.repo), "Review")
        assert len(record["comments"]) == 5  # a poll lists nothing: nothing moved
        run_sync(settings, now=clock, sweep=True)
        record, markdown, _ = _files(Path(settings.export.repo), "Review")
        texts = [c["rich_text"][0]["plain_text"] for c in record["comments"]]
        assert "The platform team" in texts and "Looks good overall" not in texts
        assert "The platform team" in markdown
        _assert_fresh_export_equal(server, settings, tmp_path, clock)


def test_comments_page_mode_costs_one_request_per_page(tmp_path: Path) -> None:
    """Default mode: page discussions only, one GET /v1/comments per fetched page."""
    clock, ws, _ = _workspace()
    ws.add_page(None, "Other", [rt.paragraph("x")])
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        asked = [e for e in server.request_log.entries() if e.path.startswith("/v1/comments")]
    assert len(asked) == 2
    record, markdown, _ = _files(Path(settings.export.repo), "Review")
    assert len(record["comments"]) == 2 and "Is it, though?" not in markdown


def test_comments_without_capability_skipped_after_one_request(tmp_path: Path) -> None:
    """A 403 (no read-comments capability): one request, then none; pages still mirrored.

    One fetch worker, so that no other page asks before the first 403 is known (with more,
    each worker asks at most once).
    """
    clock, ws, _ = _workspace()
    ws.add_page(None, "Other", [rt.paragraph("x")])
    ws.comments_readable = False
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror", notion={"concurrency": 1}, **BLOCKS)
        report = run_sync(settings, now=clock)
        asked = [e for e in server.request_log.entries() if e.path.startswith("/v1/comments")]
    assert len(asked) == 1 and not report.failures
    record, _, _ = _files(Path(settings.export.repo), "Review")
    assert "comments" not in record


def test_comments_sweep_asks_every_page_once_in_batches(tmp_path: Path) -> None:
    """70 pages (more than one batch): the sweep asks each once and finds new comments."""
    clock = TestClock()
    ws = Workspace(clock)
    pages = [ws.add_page(None, f"Page {n}", [rt.paragraph("x")]) for n in range(70)]
    clock.advance(minutes=10)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        for page in (pages[0], pages[-1]):
            ws.add_comment(page, "late note")
        server.request_log.clear()
        run_sync(settings, now=clock, sweep=True)
        assert server.request_log.count("comments.list") == 70
    repo = Path(settings.export.repo)
    noted = [p for p in repo.glob("Page *.json") if "late note" in p.read_text(encoding="utf-8")]
    assert len(noted) == 2


def test_comments_sweep_reads_a_bounded_share_in_turn(tmp_path: Path) -> None:
    """comments_per_sweep = 4 of 10 pages: each sweep asks 4, and 3 sweeps reach all 10."""
    clock = TestClock()
    ws = Workspace(clock)
    pages = [ws.add_page(None, f"Page {n}", [rt.paragraph("x")]) for n in range(10)]
    clock.advance(minutes=10)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror", export={"comments_per_sweep": 4})
        run_sync(settings, now=clock)
        for page in pages:
            ws.add_comment(page, "late note")
        asked = []
        for _ in range(3):
            server.request_log.clear()
            run_sync(settings, now=clock, sweep=True)
            asked.append(server.request_log.count("comments.list"))
        _assert_fresh_export_equal(server, settings, tmp_path, clock)
    assert asked == [4, 4, 4]
    repo = Path(settings.export.repo)
    noted = [p for p in repo.glob("Page *.json") if "late note" in p.read_text(encoding="utf-8")]
    assert len(noted) == 10

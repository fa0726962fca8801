"""End to end: index.html is rebuilt when a change can show in it, and only then.

index.html lists the top ``INDEX_DEPTH`` levels and counts the next one; rebuilding it
walks the whole index (7 s at 50,000 pages), so a sync rebuilds it only when an object
it may show was added, moved, renamed or removed, or when the previous sync stopped
after a checkpoint. Fake API over loopback, real git repositories; after every step the
mirror must equal a fresh export of the same workspace.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from mirrortree import exported_tree, tree_differences
from structlog.testing import capture_logs
from synchelpers import TestClock, make_settings, serve

from notion_syncd.config import Settings
from notion_syncd.errors import NotionUnauthorized
from notion_syncd.export.htmlnav import INDEX_DEPTH
from notion_syncd.fake_notion import FakeNotionServer, Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.sync.runner import run_sync

INDEX_EVENT = "views.index_html"


def _sync(settings: Settings, clock: TestClock) -> bool:
    """Sync after three minutes; whether index.html was rebuilt."""
    clock.advance(minutes=3)
    with capture_logs() as logs:
        run_sync(settings, now=clock)
    return any(event["event"] == INDEX_EVENT for event in logs)


def _assert_like_fresh_export(
    server: FakeNotionServer, repo: Path, fresh: Path, clock: TestClock
) -> None:
    run_sync(make_settings(server, fresh), now=clock)
    differences = tree_differences(exported_tree(repo), exported_tree(fresh))
    assert differences == [], "the mirror drifted from a fresh export:\n" + "\n".join(
        differences[:40]
    )


def _chain(ws: Workspace, levels: int) -> list[str]:
    """Pages nested ``levels`` deep: the first at the top (level 1)."""
    chain = [ws.add_page(None, "Level 1", [rt.paragraph("top")])]
    for level in range(2, levels + 1):
        chain.append(ws.add_page(chain[-1], f"Level {level}", [rt.paragraph(str(level))]))
    return chain


@pytest.mark.slow
def test_index_html_is_rebuilt_only_for_changes_it_can_show(tmp_path: Path) -> None:
    assert INDEX_DEPTH == 3  # levels 1-3 listed, level 4 counted, 5 and deeper not shown
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=3)
    chain = _chain(ws, 6)  # chain[n] is at level n + 1
    _, deep_tasks = ws.add_database(chain[3], "Deep tasks", {"Name": "title"})  # level 5
    ws.add_row(deep_tasks, {"Name": "Row 1"})
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    repo = tmp_path / "mirror"
    with serve(ws) as server:
        settings = make_settings(server, repo)
        assert _sync(settings, clock)  # a first export lists everything
        before = (repo / "index.html").read_bytes()

        # Deeper than index.html shows: added, renamed, moved, removed; rows too.
        ws.add_page(chain[4], "New at level 6", [rt.paragraph("deep")])
        ws.set_title(chain[5], "Level 6 renamed")
        ws.add_row(deep_tasks, {"Name": "Row 2"})
        assert not _sync(settings, clock)
        ws.move(chain[5], chain[3])  # level 6 -> level 5
        assert not _sync(settings, clock)
        ws.trash(chain[5])
        clock.advance(minutes=3)
        run_sync(settings, now=clock, sweep=True)
        assert (repo / "index.html").read_bytes() == before
        _assert_like_fresh_export(server, repo, tmp_path / "fresh-deep", clock)

        # What index.html counts (level 4) and lists (levels 1-3).
        ws.add_page(chain[2], "New at level 4", [rt.paragraph("counted")])
        assert _sync(settings, clock)
        assert (repo / "index.html").read_bytes() != before
        ws.set_title(chain[2], "Level 3 renamed")
        assert _sync(settings, clock)
        assert "Level 3 renamed" in (repo / "index.html").read_text(encoding="utf-8")
        moved_up = ws.add_page(chain[4], "Moved up later", [rt.paragraph("deep for now")])
        assert not _sync(settings, clock)
        ws.move(moved_up, None)  # level 6 -> the top
        assert _sync(settings, clock)
        assert "Moved up later" in (repo / "index.html").read_text(encoding="utf-8")
        _assert_like_fresh_export(server, repo, tmp_path / "fresh-shallow", clock)


def test_a_sync_after_one_that_stopped_rebuilds_index_html(tmp_path: Path) -> None:
    """A sync stopped by an error commits what it wrote as a checkpoint, index.html not
    rebuilt; the next sync rebuilds it even when it changes nothing index.html shows."""
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=3)
    home = ws.add_page(None, "Home", [rt.paragraph("top")])
    deep = _chain(ws, 5)[-1]
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    repo = tmp_path / "mirror"
    with serve(ws) as server:
        settings = make_settings(server, repo)
        run_sync(settings, now=clock)
        clock.advance(minutes=3)
        ws.append_blocks(deep, [rt.paragraph("an edit index.html does not show")])
        clock.advance(minutes=1)
        ws.add_page(home, "Late child", [rt.paragraph("listed first: edited last")])
        clock.advance(minutes=3)
        server.fake.faults.fail_path(f"/v1/blocks/{deep}/children", 401, times=None)
        one_at_a_time = make_settings(server, repo, notion={"concurrency": 1})
        with pytest.raises(NotionUnauthorized):  # after the late child, listed first
            run_sync(one_at_a_time, now=clock)
        server.fake.faults.clear()
        assert any(path.name.startswith("Late child") for path in repo.rglob("*.json"))
        assert "Late child" not in (repo / "index.html").read_text(encoding="utf-8")
        assert _sync(settings, clock)
        assert "Late child" in (repo / "index.html").read_text(encoding="utf-8")
        _assert_like_fresh_export(server, repo, tmp_path / "fresh", clock)

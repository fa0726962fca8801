"""Search lagging behind new pages (longer than the overlap) loses nothing, without a sweep."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from synchelpers import TestClock, make_settings, serve

from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.sync.discovery import child_objects
from notion_syncd.sync.lag import MAX_SEARCH_LAG, observed_lag, remembered_lag
from notion_syncd.sync.runner import run_sync
from notion_syncd.sync.state import SyncState

LAG = 600  # seconds: twice the default 5-minute overlap


def _mirrored_ids(repo: Path) -> set[str]:
    ids = set()
    for path in repo.rglob("*.json"):
        if ".git" in path.parts or ".notion-syncd" in path.parts:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        ids.add((data.get("page") or data.get("data_source"))["id"])
    return ids


def _live_ids(workspace: Workspace) -> set[str]:
    return {
        object_id
        for object_id in [*workspace.pages, *workspace.data_sources]
        if not workspace.is_trashed(object_id)
    }


def test_sync_search_lag_over_overlap_ends_complete(tmp_path: Path) -> None:
    """With search 10 minutes behind, polls every minute mirror every page, row and data
    source: new ones are found through their parents, and rows read by data-source queries
    do not move the watermark past pages search has not shown yet."""
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    pages = generate_workspace(workspace, pages=40, depth=3, databases=2, rows_per_database=10)
    clock.tick = timedelta(0)
    with serve(workspace, search_lag=LAG) as server:
        settings = make_settings(server, tmp_path / "m")
        run_sync(settings, now=clock)
        assert _mirrored_ids(tmp_path / "m") == _live_ids(workspace)
        source = next(iter(workspace.data_sources))
        late_page = workspace.add_page(pages[5], "Added while search lags")
        late_row = workspace.add_row(source, {"Name": "Late row"})
        for minute in range(15):
            clock.advance(minutes=1)
            if minute == 6:
                workspace.set_title(pages[7], "Edited later: moves the watermark on")
            report = run_sync(settings, now=clock)
            assert report.failed == 0
    mirrored = _mirrored_ids(tmp_path / "m")
    assert {late_page, late_row} <= mirrored
    assert mirrored == _live_ids(workspace)


def test_child_objects_finds_nested_child_pages_and_databases() -> None:
    """Child page and database blocks are found at any depth (inside toggles, columns)."""
    blocks = [
        {"id": "p1", "type": "child_page"},
        {
            "id": "t",
            "type": "toggle",
            "children": [{"id": "d1", "type": "child_database"}, {"id": "x", "type": "quote"}],
        },
    ]
    assert [kind for _id, kind in child_objects(blocks)] == ["page", "database"]


def test_observed_lag_counts_only_objects_the_listing_should_have_shown() -> None:
    """Lag is measured above the floor only, and an hour-old unlisted edit says nothing."""
    started = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    floor = datetime(2026, 3, 2, 8, 50, tzinfo=UTC)
    assert observed_lag("2026-03-02T08:52:00.000Z", started, floor) == 480
    assert observed_lag("2026-03-02T08:49:00.000Z", started, floor) == 0
    assert observed_lag("2026-03-02T07:00:00.000Z", started, None) == 0
    assert observed_lag("", started, None) == 0
    assert remembered_lag(480, 120) == 480
    assert remembered_lag(480, 9000) == MAX_SEARCH_LAG


def test_sync_state_keeps_search_lag_only_when_seen() -> None:
    """state.json gains search_lag only once a lag was seen, and reads it back."""
    assert b"search_lag" not in SyncState(watermark=None).to_json()
    raw = SyncState(watermark="2026-03-02T09:00:00.000Z", search_lag=480.4).to_json()
    assert json.loads(raw)["search_lag"] == 480


def test_sync_parent_fetched_ahead_of_its_listing_is_no_lag(tmp_path: Path) -> None:
    """A parent fetched by id before the listing reaches it is no evidence of search lag."""
    from notion_syncd.fake_notion import richtext as rt

    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    parent = workspace.add_page(None, "Parent", [rt.paragraph("old")])
    child = workspace.add_page(parent, "Child", [rt.paragraph("first")])
    for number in range(80):  # listed between the child and its parent
        workspace.add_page(None, f"Other {number}", [rt.paragraph("x")])
    workspace.append_blocks(child, [rt.paragraph("edited last")])  # moves the child only
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    repo = tmp_path / "mirror"
    with serve(workspace) as server:
        report = run_sync(make_settings(server, repo), now=clock)
    assert report.failed == 0
    state = json.loads((repo / ".notion-syncd" / "state.json").read_text(encoding="utf-8"))
    assert state.get("search_lag", 0) == 0

"""A budget configured higher than the server allows costs a few 429s, not a steady share."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from synchelpers import TestClock, make_settings, serve

from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.fake_notion.faults import RateLimit
from notion_syncd.sync.runner import run_sync


@pytest.mark.slow
def test_sync_adapts_pace_to_a_lower_server_budget(tmp_path: Path) -> None:
    """Server at 30 requests/s, client configured for 100: the export ends with ≤ 3 % 429s.

    The same ratio as Notion's 3/s against a budget of 10/s, ten times faster (the
    bench runs the real figures: bench/bench_pacing.py).
    """
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    generate_workspace(workspace, pages=200, depth=4, databases=2, rows_per_database=20)
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    with serve(workspace) as server:
        server.faults.rate_limit = RateLimit(requests_per_second=30, burst=10)
        settings = make_settings(server, tmp_path / "mirror", rate=100)
        report = run_sync(settings, now=clock)
    assert report.failed == 0
    assert report.complete
    assert report.requests > 400
    assert report.rate_limited <= 0.03 * report.requests, (report.rate_limited, report.requests)

"""The pages gauge: counted once, then moved by what each sync adds and removes.

Counting lists the whole index, so a long-lived daemon counts only at its first sync,
or when something else committed to the mirror since the last sync it followed.
Syncs run against the fake Notion API over loopback into real git repositories.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from synchelpers import TestClock, make_settings, serve

from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.metrics import REGISTRY, PagesGauge
from notion_syncd.sync.runner import run_sync
from notion_syncd.sync.state import INDEX_DIR


def _indexed(repo: Path) -> int:
    return sum(1 for _ in (repo / INDEX_DIR).rglob("*.json"))


def test_gauge_counts_once_then_adds_what_a_sync_changed() -> None:
    counted: list[int] = []

    def count() -> int:
        counted.append(10)
        return 10

    gauge = PagesGauge()
    gauge.update(count, net_added=10, began_at=None, head="c1")
    assert REGISTRY.get_sample_value("notion_syncd_pages") == 10 and len(counted) == 1
    gauge.update(count, net_added=2, began_at="c1", head="c2")
    gauge.update(count, net_added=-3, began_at="c2", head="c3")
    assert REGISTRY.get_sample_value("notion_syncd_pages") == 9 and len(counted) == 1
    gauge.update(count, net_added=0, began_at="c3", head="c3")  # nothing committed
    assert REGISTRY.get_sample_value("notion_syncd_pages") == 9 and len(counted) == 1
    gauge.update(count, net_added=1, began_at="elsewhere", head="c5")  # a restore between
    assert REGISTRY.get_sample_value("notion_syncd_pages") == 10 and len(counted) == 2


def test_gauge_equals_the_index_across_adds_removals_and_other_commits(tmp_path: Path) -> None:
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=3)
    home = ws.add_page(None, "Home", [rt.paragraph("top")])
    pages = [ws.add_page(home, f"Page {n}", [rt.paragraph(str(n))]) for n in range(4)]
    _, tasks = ws.add_database(home, "Tasks", {"Name": "title"})
    ws.add_row(tasks, {"Name": "Row"})
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    repo = tmp_path / "mirror"
    gauge = PagesGauge()
    with serve(ws) as server:
        settings = make_settings(server, repo)
        run_sync(settings, now=clock, pages=gauge)
        assert (
            REGISTRY.get_sample_value("notion_syncd_pages") == _indexed(repo) > 6
        )  # pages, data source, database

        clock.advance(minutes=3)
        ws.add_page(pages[0], "New child", [rt.paragraph("new")])
        ws.add_row(tasks, {"Name": "Row 2"})
        ws.trash(pages[1])
        clock.advance(minutes=3)
        run_sync(settings, now=clock, pages=gauge, sweep=True)
        assert REGISTRY.get_sample_value("notion_syncd_pages") == _indexed(repo)

        clock.advance(minutes=3)  # a sync the gauge does not follow, as a restore would be
        ws.add_page(home, "Added behind the gauge", [rt.paragraph("unseen")])
        clock.advance(minutes=3)
        run_sync(settings, now=clock)
        clock.advance(minutes=3)
        ws.trash(pages[2])
        clock.advance(minutes=3)
        run_sync(settings, now=clock, pages=gauge, sweep=True)
        assert REGISTRY.get_sample_value("notion_syncd_pages") == _indexed(repo)

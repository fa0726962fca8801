"""The search listing is read ahead of the fetchers, and expired cursors cost pages, not syncs."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from synchelpers import TestClock, make_settings, serve

from notion_syncd.errors import NotionUnavailable
from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.sync.listing import ReadAhead
from notion_syncd.sync.runner import run_sync


def _workspace(clock: TestClock) -> Workspace:
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    generate_workspace(workspace, pages=40, depth=3, databases=0, rows_per_database=0)
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    return workspace


def _tree(repo: Path) -> dict[str, bytes]:
    files = {}
    for path in repo.rglob("*"):
        rel = path.relative_to(repo).as_posix()
        if path.is_file() and not rel.startswith((".git/", ".notion-syncd/last-sync")):
            files[rel] = re.sub(rb"127\.0\.0\.1:\d+", b"PORT", path.read_bytes())
    return files


def test_sync_listing_survives_two_cursor_expiries(tmp_path: Path) -> None:
    """Search cursors expiring twice in one listing (the second time further in) restart the
    listing; the sync completes with the same mirror as without expiries."""
    clock = TestClock()
    workspace = _workspace(clock)
    with serve(workspace, page_size_cap=10) as server:
        run_sync(make_settings(server, tmp_path / "clean"), now=clock)
    with serve(workspace, page_size_cap=10) as server:
        server.faults.cut_listing("search", page=2, stale_cursor=True)
        server.faults.cut_listing("search", page=3, stale_cursor=True)
        report = run_sync(make_settings(server, tmp_path / "expired"), now=clock)
        stale = [
            entry
            for entry in server.request_log.entries()
            if entry.endpoint == "search" and entry.status == 400
        ]
    assert len(stale) == 2
    assert report.complete and report.failed == 0
    assert _tree(tmp_path / "expired") == _tree(tmp_path / "clean")


def test_sync_listing_read_through_read_ahead(tmp_path: Path) -> None:
    """A sync lists through the read-ahead: every search page read once, fetches overlap it.

    Whether the listing ends before the tenth fetch depended on thread scheduling (it
    failed once on a loaded CI machine); that the listing never waits for the consumer is
    checked deterministically by ``test_read_ahead_reads_while_the_consumer_waits``.
    """
    clock = TestClock()
    with serve(_workspace(clock), page_size_cap=10) as server:
        settings = make_settings(server, tmp_path / "m", notion={"concurrency": 1})
        run_sync(settings, now=clock)
        endpoints = [entry.endpoint for entry in server.request_log.entries()]
    searches = [i for i, endpoint in enumerate(endpoints) if endpoint == "search"]
    fetches = [i for i, endpoint in enumerate(endpoints) if endpoint == "blocks.children"]
    assert len(searches) == 4
    assert searches[-1] < fetches[-1]


def test_read_ahead_reads_while_the_consumer_waits() -> None:
    """The listing is read to its end while the consumer holds its first result."""
    read_all = threading.Event()

    def results() -> Iterator[dict[str, Any]]:
        for number in range(40):
            yield {"id": str(number)}
        read_all.set()

    with ReadAhead(results(), below_floor=lambda result: False) as listed:
        consumed = iter(listed)
        first = next(consumed)
        assert read_all.wait(timeout=30), "the listing waited for its consumer"
        assert first == {"id": "0"}
        assert [result["id"] for result in consumed] == [str(number) for number in range(1, 40)]


def test_read_ahead_raises_listing_error_after_results() -> None:
    """An error of the listing reaches the consumer after the results read before it."""

    def results() -> Iterator[dict[str, Any]]:
        yield {"id": "a", "title": "ä"}
        yield {"id": "b"}
        raise NotionUnavailable("search failed")

    with ReadAhead(results(), below_floor=lambda result: False) as listed:
        seen = []
        with pytest.raises(NotionUnavailable, match="search failed"):
            for result in listed:
                seen.append(result)
    assert seen == [{"id": "a", "title": "ä"}, {"id": "b"}]


def test_read_ahead_stops_at_the_floor() -> None:
    """Reading stops at the first result below the floor; nothing after it is read."""
    pulled = []

    def results() -> Iterator[dict[str, Any]]:
        for number in range(10):
            pulled.append(number)
            yield {"id": str(number)}

    with ReadAhead(results(), below_floor=lambda result: result["id"] == "3") as listed:
        assert [result["id"] for result in listed] == ["0", "1", "2"]
    assert pulled == [0, 1, 2, 3]

"""A sync's targets (objects named by webhook events), fetched by id over loopback.

The fake's search can leave an edited page out (``Workspace.lag_search``), as Notion's
index does for a while after an edit.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from synchelpers import TestClock, git, make_settings, serve

from notion_syncd.fake_notion import FakeNotionServer, Workspace, generate_workspace
from notion_syncd.sync.runner import run_sync
from notion_syncd.sync.targets import Target, target_of


def _workspace(pages: int = 6, databases: int = 0) -> tuple[TestClock, Workspace, list[str]]:
    clock = TestClock()
    workspace = Workspace(clock)
    ids = generate_workspace(workspace, pages=pages, databases=databases, depth=2)
    clock.advance(minutes=10)
    return clock, workspace, ids


def _has(repo: Path, text: str) -> bool:
    found = subprocess.run(
        ["git", "-C", str(repo), "grep", "-q", "-F", text, "HEAD", "--"], check=False
    )
    return found.returncode == 0


def _commits(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD").strip())


def _first_sync(server: FakeNotionServer, repo: Path, clock: TestClock) -> None:
    run_sync(make_settings(server, repo), now=clock)
    clock.advance(minutes=10)


def test_targets_of_entities() -> None:
    """Pages, databases and data sources are targets (ids dashed); comments are not."""
    compact = "0123456789abcdef0123456789abcdef"
    assert target_of("page", compact) == Target("page", "01234567-89ab-cdef-0123-456789abcdef")
    assert target_of("database", "x") == Target("database", "x")
    assert target_of("data_source", "x") == Target("data_source", "x")
    assert target_of("comment", "x") is None and target_of("block", "x") is None


def test_targets_edit_search_does_not_list_is_committed(tmp_path: Path) -> None:
    """An edited page search leaves out is committed when targeted; the watermark stays."""
    clock, workspace, pages = _workspace()
    repo = tmp_path / "mirror"
    with serve(workspace) as server:
        _first_sync(server, repo, clock)
        settings = make_settings(server, repo)
        workspace.set_title(pages[2], "Hidden from search c41")
        workspace.lag_search(pages[2])
        clock.advance(minutes=5)  # settled: a later sync need not fetch it again
        plain = run_sync(settings, now=clock)
        assert not _has(repo, "Hidden from search c41")  # the listing alone misses it
        report = run_sync(settings, now=clock, refresh=[Target("page", pages[2])])
        assert _has(repo, "Hidden from search c41")
        assert report.commit is not None
        assert report.watermark == plain.watermark == report.previous_watermark
        workspace.lag_search(pages[2], lagging=False)
        commits = _commits(repo)
        caught_up = run_sync(settings, now=clock)
        assert caught_up.count("updated") == 0 and _commits(repo) == commits + 1
        assert caught_up.watermark is not None and caught_up.watermark > str(report.watermark)


def test_targets_unchanged_page_costs_one_request(tmp_path: Path) -> None:
    """A targeted page the mirror already has (settled) is read with one GET, not refetched."""
    clock, workspace, pages = _workspace()
    repo = tmp_path / "mirror"
    with serve(workspace) as server:
        _first_sync(server, repo, clock)
        before = len(server.request_log)
        report = run_sync(
            make_settings(server, repo), now=clock, refresh=[Target("page", pages[1])]
        )
        endpoints = [entry.endpoint for entry in server.request_log.entries()[before:]]
        assert endpoints.count("pages.retrieve") == 1, endpoints
        assert "blocks.children" not in endpoints
        assert report.commit is None and report.fetched == 0


def test_targets_trashed_page_is_neither_written_nor_removed(tmp_path: Path) -> None:
    """A targeted page found in the trash is left to the sweep, which removes it."""
    clock, workspace, pages = _workspace()
    repo = tmp_path / "mirror"
    with serve(workspace) as server:
        workspace.set_title(pages[3], "Trashed later 9d0")
        _first_sync(server, repo, clock)
        settings = make_settings(server, repo)
        workspace.trash(pages[3])
        report = run_sync(settings, now=clock, refresh=[Target("page", pages[3])])
        assert _has(repo, "Trashed later 9d0")
        assert pages[3] not in {change.id for change in report.changes}
        assert '"in_trash": true' not in git(repo, "grep", "-h", "in_trash", "HEAD", "--")
        run_sync(settings, now=clock, sweep=True)
        assert not _has(repo, "Trashed later 9d0")


def test_targets_database_refetches_its_data_sources(tmp_path: Path) -> None:
    """A targeted database is fetched again through its data sources, listed or not."""
    clock, workspace, _pages = _workspace(pages=3, databases=1)
    repo = tmp_path / "mirror"
    with serve(workspace) as server:
        _first_sync(server, repo, clock)
        database = next(iter(workspace.databases))
        workspace.set_title(database, "Renamed database 5b7")
        workspace.lag_search(database)
        for source in workspace.databases[database].data_source_ids:
            workspace.lag_search(source)
        settings = make_settings(server, repo)
        run_sync(settings, now=clock)
        assert not _has(repo, "Renamed database 5b7")
        run_sync(settings, now=clock, refresh=[Target("database", database)])
        assert _has(repo, "Renamed database 5b7")

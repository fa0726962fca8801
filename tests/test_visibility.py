"""A token that sees nothing is reported as such, never mirrored as an empty success."""

from __future__ import annotations

from pathlib import Path

import pytest
from synchelpers import TOKEN, TestClock, make_settings, serve

from notion_syncd.cli import main
from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.logs import reset_logging
from notion_syncd.sync.runner import run_sync


def _unshared_workspace(clock: TestClock) -> Workspace:
    """A workspace with pages, none of them shared with the integration."""
    workspace = Workspace(clock)
    generate_workspace(workspace, pages=5, depth=2, databases=0, rows_per_database=0)
    for page_id in list(workspace.top_level):
        workspace.unshare(page_id)
    clock.advance(minutes=10)
    return workspace


def test_cli_sync_token_seeing_nothing_fails_with_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A first sync that lists nothing exits 1, names the likely cause, and commits nothing."""
    clock = TestClock()
    with serve(_unshared_workspace(clock)) as server:
        config = tmp_path / "config.toml"
        config.write_text(
            f'[notion]\ntoken = "{TOKEN}"\nbase_url = "{server.base_url}"\n'
            f'[export]\nrepo = "{tmp_path / "m"}"\n'
        )
        try:
            code = main(["sync", "--config", str(config)])
        finally:
            reset_logging()
    err = capsys.readouterr().err
    assert code == 1
    assert "listed no page" in err
    assert "Connections" in err and "integration" in err
    assert sorted(item.name for item in (tmp_path / "m").iterdir()) == [".git"]


def test_sync_mirror_with_pages_then_nothing_listed_is_ordinary(tmp_path: Path) -> None:
    """Once the mirror holds pages, a poll that lists nothing is a normal no-change sync."""
    clock = TestClock()
    workspace = Workspace(clock)
    generate_workspace(workspace, pages=3, depth=1, databases=0, rows_per_database=0)
    clock.advance(minutes=10)
    with serve(workspace) as server:
        settings = make_settings(server, tmp_path / "m")
        assert run_sync(settings, now=clock).count("added") == 3
        for page_id in list(workspace.top_level):
            workspace.unshare(page_id)
        clock.advance(hours=1)
        report = run_sync(settings, now=clock)
    assert report.discovered == 0 and report.commit is None

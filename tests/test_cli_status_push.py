"""`status` and `push` as a user runs them, on a real mirror and a real bare remote."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from synchelpers import TOKEN, TestClock, git, serve

from notion_syncd.cli import main
from notion_syncd.config import load_settings
from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.sync.runner import run_sync


def test_status_and_push_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`status` reports the mirror from the repo alone; `push` publishes it to a remote."""
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=5)
    generate_workspace(workspace, pages=6, depth=2, databases=1, rows_per_database=4)
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    with serve(workspace) as server:
        config = tmp_path / "config.toml"
        config.write_text(
            f'[notion]\ntoken = "{TOKEN}"\nbase_url = "{server.base_url}"\n'
            f'[export]\nrepo = "{tmp_path / "mirror"}"\n'
            f'[[git.remotes]]\nname = "backup"\nurl = "{remote}"\nbranch = "main"\n'
        )
        assert main(["status", "--config", str(config)]) == 0
        assert "not created yet" in capsys.readouterr().out
        run_sync(load_settings(config, environ={}), now=clock)
    assert main(["status", "--config", str(config)]) == 0
    status = capsys.readouterr().out
    assert "pages: 10, data sources: 1" in status
    assert "watermark: 2026-" in status
    assert "remote backup: never pushed" in status
    assert main(["push", "--config", str(config)]) == 0
    assert "backup: pushed" in capsys.readouterr().out
    assert git(remote, "rev-parse", "main") == git(tmp_path / "mirror", "rev-parse", "main")
    assert main(["status", "--config", str(config)]) == 0
    assert "backup" in capsys.readouterr().out
    assert main(["push", "--config", str(config)]) == 0
    assert "up to date" in capsys.readouterr().out

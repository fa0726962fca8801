"""A mirror reached through a symlink, as systemd's DynamicUser lays out StateDirectory=."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from synchelpers import TestClock, git, make_settings, serve

from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.sync.runner import run_sync

UNIT = Path(__file__).resolve().parents[1] / "systemd" / "notion-syncd.service"


def _documented_repo() -> str:
    """The export.repo the unit's comment tells the admin to set."""
    match = re.search(r'export\.repo = "(/var/lib/notion-syncd/[^"]+)"', UNIT.read_text())
    assert match, "the unit no longer documents export.repo"
    return match.group(1)


def test_sync_through_dynamicuser_state_symlink(tmp_path: Path) -> None:
    """With /var/lib/notion-syncd a symlink into /var/lib/private, a sync mirrors everything."""
    root = tmp_path / "root"
    (root / "var/lib/private/notion-syncd").mkdir(parents=True)
    (root / "var/lib/notion-syncd").symlink_to("private/notion-syncd")
    repo = root / _documented_repo().lstrip("/")
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    page_ids = generate_workspace(workspace, pages=12, depth=3, databases=1, rows_per_database=5)
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    with serve(workspace) as server:
        report = run_sync(make_settings(server, repo), now=clock)
    assert report.failed == 0
    assert report.count("added") >= len(page_ids)
    real = root / "var/lib/private/notion-syncd" / repo.name
    assert (real / ".notion-syncd" / "state.json").is_file()
    assert git(real, "status", "--porcelain", "--untracked-files=all") == ""
    tracked = git(real, "ls-files").splitlines()
    assert sum(name.endswith(".md") for name in tracked) >= len(page_ids)

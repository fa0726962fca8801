"""``notion-syncd restore`` through the command line, against the fake over loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from synchelpers import TOKEN, TestClock, serve

from notion_syncd.cli import main
from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt


def _config(tmp_path: Path, base_url: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[notion]\ntoken = "{TOKEN}"\nbase_url = "{base_url}"\nrequests_per_second = 100\n'
        f'[export]\nrepo = "{tmp_path / "mirror"}"\nformats = ["markdown", "json"]\n'
    )
    return config


def test_cli_restore_dry_run_then_missing_capability_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """restore --dry-run prints the plan and writes nothing; without insert content: exit 1."""
    workspace = Workspace(TestClock())
    home = workspace.add_page(None, "Home")
    doc = workspace.add_page(home, "Doc", [rt.paragraph("hello"), rt.unsupported("button")])
    with serve(workspace) as server:
        config = str(_config(tmp_path, server.base_url))
        assert main(["sync", "--config", config]) == 0
        capsys.readouterr()
        assert main(["restore", doc, "--dry-run", "--config", config]) == 0
        plan = capsys.readouterr().out
        assert "pages to create: 1" in plan
        assert "unsupported (button) cannot be created through the API → paragraph" in plan
        assert "write requests: 1 (1 page creations, 0 appends)" in plan
        assert {entry.method for entry in server.request_log} <= {"GET", "POST"}
        assert server.request_log.count("pages.create") == 0
        assert main(["restore", doc, "--replace", "--config", config]) == 2
        assert "--replace not confirmed" in capsys.readouterr().err
        assert server.request_log.count("pages.create") == 0
        server.fake.capabilities = frozenset({"read_content"})
        assert main(["restore", doc, "--config", config]) == 1
        error = capsys.readouterr().err
        assert "restore needs the 'Insert content' capability" in error
        assert server.request_log.count("pages.create", status=403) == 1

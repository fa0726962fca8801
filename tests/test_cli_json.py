"""``sync --json`` and ``status --json``: one JSON object on stdout, logs on stderr only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from synchelpers import TOKEN, TestClock, serve

from notion_syncd.cli import main
from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.logs import reset_logging

SYNC_KEYS = [
    "dry_run", "complete", "added", "updated", "moved", "deleted", "unchanged", "failed",
    "changes", "changes_truncated", "failures", "requests", "rate_limited",
    "duration_seconds", "commit", "watermark", "previous_watermark", "sweep_refused",
    "missing",
]  # fmt: skip
STATUS_KEYS = [
    "mirror", "exists", "branch", "health", "last_sync", "last_success",
    "consecutive_failures", "last_change", "watermark", "pages", "data_sources",
    "failed_objects", "missing", "local_edits", "remotes", "webhooks",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _logging() -> Iterator[None]:
    yield
    reset_logging()


def _config(tmp_path: Path, base_url: str, token: str = TOKEN) -> Path:
    config = tmp_path / f"config-{token}.toml"
    config.write_text(
        f'[notion]\ntoken = "{token}"\nbase_url = "{base_url}"\n'
        'max_retry_time = "2s"\nrequests_per_second = 200\nburst = 10\n'
        f'[export]\nrepo = "{tmp_path / "mirror"}"\n[log]\nformat = "json"\n'
        f'[[git.remotes]]\nname = "backup"\nurl = "{tmp_path / "remote.git"}"\n'
    )
    return config


def test_sync_and_status_json_parse_and_keep_logs_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """sync --json prints one object with stable keys; status --json then shows a healthy
    mirror; after a failed sync (revoked token) status says so. Logs never reach stdout."""
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=5)
    generate_workspace(workspace, pages=3, depth=1, databases=1, rows_per_database=2)
    clock.tick = timedelta(0)
    with serve(workspace) as server:
        config = _config(tmp_path, server.base_url)
        assert main(["sync", "--json", "--config", str(config)]) == 0
        out, err = capsys.readouterr()
        summary = json.loads(out)
        assert list(summary) == SYNC_KEYS and out.count("\n") == 1
        assert summary["dry_run"] is False and summary["added"] == len(summary["changes"]) > 0
        assert summary["commit"] and summary["failures"] == [] and summary["complete"]
        assert '"event": "sync.finished"' in err  # the logs went to stderr

        assert main(["status", "--json", "--config", str(config)]) == 0
        status = json.loads(capsys.readouterr().out)
        assert list(status) == STATUS_KEYS
        assert status["health"] == {"verdict": "ok", "reasons": []}
        assert status["last_sync"] == status["last_success"]
        assert status["last_sync"]["commit"] == summary["commit"]
        assert status["last_change"]["commit"] == summary["commit"]
        assert status["pages"] + status["data_sources"] == summary["added"]
        assert status["remotes"] == [{"name": "backup", "state": "never pushed"}]

        revoked = _config(tmp_path, server.base_url, token="secret_revoked")
        assert main(["sync", "--json", "--config", str(revoked)]) == 1
        out, err = capsys.readouterr()
        assert out == "" and "notion-syncd: " in err
    assert main(["status", "--json", "--config", str(config)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["health"]["verdict"] == "warning"
    assert status["consecutive_failures"] == 1
    assert status["last_sync"]["outcome"] == "failure"
    assert status["last_sync"]["error_kind"] == "NotionUnauthorized"
    assert status["last_success"]["commit"] == summary["commit"]
    assert main(["status", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("health: warning (the last 1 sync failed: ")
    assert lines[2].startswith("last sync: ") and ", failure (" in lines[2]
    assert lines[3].startswith("last success: ") and ", success (" in lines[3]
    assert lines[4] == "failed syncs in a row: 1"

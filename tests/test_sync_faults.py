"""Resilience: 429 storms, 5xx, a canary token, crashes — the mirror stays right."""

from __future__ import annotations

import io
import os
import random
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from synchelpers import TOKEN, TestClock, git, make_settings, serve

from notion_syncd.cli import main
from notion_syncd.errors import NotionUnauthorized
from notion_syncd.fake_notion import FakeNotionServer, Workspace, generate_workspace
from notion_syncd.logs import configure_logging, reset_logging
from notion_syncd.sync.runner import run_sync

LEDGER = ".notion-syncd/last-sync.json"


def _workspace(clock: TestClock, pages: int = 15) -> Workspace:
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    generate_workspace(workspace, pages=pages, depth=3, databases=1, rows_per_database=10)
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    return workspace


def _tree(repo: Path) -> dict[str, bytes]:
    """Every file of a mirror but the ledger, with the fake server's port blanked."""
    files = {}
    for path in repo.rglob("*"):
        rel = path.relative_to(repo).as_posix()
        if path.is_file() and not rel.startswith(".git/") and rel != LEDGER:
            files[rel] = re.sub(rb"127\.0\.0\.1:\d+", b"127.0.0.1:PORT", path.read_bytes())
    return files


def test_sync_survives_429_storms_and_5xx(tmp_path: Path) -> None:
    """With 429 storms and 5 % random 5xx the mirror equals a fault-free one, within budget."""
    clock = TestClock()
    workspace = _workspace(clock)
    with serve(workspace) as server:
        run_sync(make_settings(server, tmp_path / "clean"), now=clock)
    with serve(workspace, seed=3) as server:
        server.faults.rate_limit_storm(every=9, retry_after=1)
        server.faults.random_errors(0.05)
        settings = make_settings(server, tmp_path / "faulty", rate=20)
        started = time.monotonic()
        report = run_sync(settings, now=clock)
        elapsed = time.monotonic() - started
        statuses = [entry.status for entry in server.request_log.entries()]
    assert report.failed == 0
    assert 429 in statuses and any(status >= 500 for status in statuses)
    assert _tree(tmp_path / "faulty") == _tree(tmp_path / "clean")
    api_requests = len(statuses)
    assert api_requests / elapsed <= 20 * 1.05 + settings.notion.burst / elapsed


def test_sync_canary_token_never_leaks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The token is found in no log line, traceback, file of the mirror or .git/config."""
    canary = "secret_CANARYtoken5f3e9a1b7c"
    clock = TestClock()
    workspace = _workspace(clock, pages=5)
    output = io.StringIO()
    configure_logging("debug", "json", stream=output, secrets=[canary])
    try:
        server = FakeNotionServer(workspace, token=canary, seed=5)
        with server:
            server.faults.random_errors(0.2)
            settings = make_settings(server, tmp_path / "m")
            settings = settings.model_copy(
                update={"notion": settings.notion.model_copy(update={"token": None})}
            )
            os.environ["NOTION_TOKEN"] = canary
            try:
                run_sync(settings, now=clock)
                config = tmp_path / "bad.toml"
                config.write_text(
                    f'[notion]\nbase_url = "{server.base_url}"\nmax_retry_time = 2\n'
                    f'[export]\nrepo = "{tmp_path / "m"}"\n'
                )
                os.environ["NOTION_TOKEN"] = canary + "wrong"
                assert main(["sync", "--config", str(config)]) == 1
                with pytest.raises(NotionUnauthorized) as caught:
                    run_sync(settings.model_copy(), now=clock, client=None)
                del caught
            finally:
                os.environ.pop("NOTION_TOKEN", None)
    finally:
        reset_logging()
    captured = capsys.readouterr()
    everything = output.getvalue() + captured.out + captured.err
    assert "notion.retry" in everything or "sync.finished" in everything
    assert canary not in everything
    for path in (tmp_path / "m").rglob("*"):
        if path.is_file():
            assert canary.encode() not in path.read_bytes(), path
    assert canary not in git(tmp_path / "m", "log", "-p", "--all")


def test_sync_resumes_after_sigkill(tmp_path: Path) -> None:
    """Killed at random moments, a sync restarts, finishes, and equals an uninterrupted run."""
    clock = TestClock()
    workspace = _workspace(clock, pages=60)
    with serve(workspace, latency=0.02) as server:
        run_sync(make_settings(server, tmp_path / "reference"), now=clock)
        config = tmp_path / "config.toml"
        config.write_text(
            f'[notion]\nbase_url = "{server.base_url}"\nrequests_per_second = 100\n'
            f'[export]\nrepo = "{tmp_path / "killed"}"\n'
            'formats = ["markdown", "json", "csv", "html"]\n'
            "[sync]\ncheckpoint_pages = 7\n"
        )
        env = {**os.environ, "NOTION_TOKEN": TOKEN}
        command = [sys.executable, "-m", "notion_syncd", "sync", "--config", str(config)]
        rng = random.Random(7)
        killed_mid_export = 0
        for _attempt in range(6):
            requests_before = len(server.request_log)
            process = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            # Start the random delay once the sync talks to Notion, not at process start:
            # on a busy machine (or under coverage) start-up alone can take longer.
            deadline = time.monotonic() + 60
            while len(server.request_log) == requests_before and time.monotonic() < deadline:
                if process.poll() is not None:
                    break
                time.sleep(0.02)
            time.sleep(rng.uniform(0.1, 1.5))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                killed_mid_export += (tmp_path / "killed" / ".git").exists()
            process.wait()
        assert killed_mid_export >= 3
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert finished.returncode == 0, finished.stderr
    killed = tmp_path / "killed"
    subprocess.run(
        ["git", "-C", str(killed), "fsck", "--full", "--strict"], check=True, capture_output=True
    )
    assert git(killed, "status", "--porcelain") == ""
    assert _tree(killed) == _tree(tmp_path / "reference")


def test_demo_runs_from_the_cli(tmp_path: Path) -> None:
    """`notion-syncd demo DIR` mirrors, edits, mirrors again and shows the history."""
    result = subprocess.run(
        [sys.executable, "-m", "notion_syncd", "demo", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "second sync: 0 added, 0 updated" in result.stdout
    assert "1 request; no commit" in result.stdout
    assert git(tmp_path / "demo", "rev-list", "--count", "HEAD").strip() == "2"
    again = subprocess.run(
        [sys.executable, "-m", "notion_syncd", "demo", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr

"""A Retry-After longer than a request may wait stops the sync at once and says so."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from synchelpers import TestClock, make_settings, serve

from notion_syncd.errors import NotionRateLimited
from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.heartbeat import Heartbeat
from notion_syncd.service.jobs import SyncJobs
from notion_syncd.service.notify import Notifier
from notion_syncd.service.state import SyncStatus
from notion_syncd.sync.runner import run_sync


def _workspace(clock: TestClock) -> Workspace:
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    generate_workspace(workspace, pages=30, depth=3, databases=0, rows_per_database=0)
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    return workspace


def test_sync_retry_after_over_bound_fails_at_once(tmp_path: Path) -> None:
    """Workers waiting in the limiter do not sit out a 30 s Retry-After the 10 s bound
    forbids: the sync stops within seconds with an error naming the wait."""
    clock = TestClock()
    with serve(_workspace(clock)) as server:
        server.faults.fail_path(r"/v1/blocks/.+/children", 429, retry_after=30, times=1)
        settings = make_settings(server, tmp_path / "m", rate=3, notion={"max_retry_time": 10})
        started = time.monotonic()
        with pytest.raises(NotionRateLimited, match="wait 30 s") as raised:
            run_sync(settings, now=clock)
        elapsed = time.monotonic() - started
    assert raised.value.wait_seconds == pytest.approx(30, abs=1)
    assert elapsed < 8


class _NotifySocket:
    """A datagram socket standing in for systemd's $NOTIFY_SOCKET."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))
        self._sock.settimeout(0.2)

    def statuses(self) -> list[str]:
        lines = []
        while True:
            try:
                message = self._sock.recv(65536).decode()
            except TimeoutError:
                return lines
            lines += [line[7:] for line in message.splitlines() if line.startswith("STATUS=")]

    def close(self) -> None:
        self._sock.close()


def test_daemon_job_long_retry_after_tells_status(tmp_path: Path) -> None:
    """A daemon sync meeting a 290 s Retry-After returns at once (the schedule goes on) and
    STATUS= names the wait."""
    clock = TestClock()
    notify = _NotifySocket(tmp_path / "notify")
    try:
        with serve(_workspace(clock)) as server:
            server.faults.fail_path(r"/v1/search", 429, retry_after=290)
            settings = make_settings(server, tmp_path / "m", notion={"max_retry_time": 120})
            status = SyncStatus()
            jobs = SyncJobs(
                settings=lambda: settings,
                status=status,
                heartbeat=Heartbeat(),
                stop=threading.Event(),
                notifier=Notifier({"NOTIFY_SOCKET": str(notify.path)}),
                homedir=tmp_path / "home",
            )
            started = time.monotonic()
            jobs.sync()
            elapsed = time.monotonic() - started
        lines = notify.statuses()
    finally:
        notify.close()
    assert elapsed < 5
    assert status.last is not None and status.last.reason == "NotionRateLimited"
    assert "NotionRateLimited" in lines[-1]
    assert "Notion asked to wait 290 s, until" in lines[-1]

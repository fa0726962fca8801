"""Tests for the systemd notify client and the watchdog pinger, on a real AF_UNIX socket."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from notion_syncd.service.notify import Notifier, one_line, watchdog_interval
from notion_syncd.service.watchdog import WatchdogPinger, loop_is_healthy

TITLE = "Roadmap 🚀 Ünïcode — 日本語"


@pytest.fixture(params=["filesystem", "abstract"])
def notify_socket(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, socket.socket]]:
    """A bound datagram socket and the NOTIFY_SOCKET value that names it."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if request.param == "filesystem":
        path = str(tmp_path / "notify.sock")
        sock.bind(path)
        name = path
    else:
        abstract = f"notion-syncd-test-{uuid.uuid4().hex}"
        sock.bind(b"\0" + abstract.encode())
        name = "@" + abstract
    sock.settimeout(2)
    try:
        yield name, sock
    finally:
        sock.close()


def _receive(sock: socket.socket) -> str:
    return sock.recv(65536).decode("utf-8")


def test_notifier_status_emoji_arrives_intact(notify_socket: tuple[str, socket.socket]) -> None:
    """A STATUS= with emoji and non-Latin text arrives as UTF-8, on one line."""
    name, sock = notify_socket
    notifier = Notifier({"NOTIFY_SOCKET": name})
    assert notifier.status(f"syncing: {TITLE}\nsecond line")
    assert _receive(sock) == f"STATUS=syncing: {TITLE} second line"


def test_notifier_watchdog_ping(notify_socket: tuple[str, socket.socket]) -> None:
    """watchdog() sends exactly WATCHDOG=1."""
    name, sock = notify_socket
    assert Notifier({"NOTIFY_SOCKET": name}).watchdog()
    assert _receive(sock) == "WATCHDOG=1"


def test_notifier_ready_stopping_reloading(notify_socket: tuple[str, socket.socket]) -> None:
    """ready/stopping/reloading send their keys; RELOADING carries MONOTONIC_USEC."""
    name, sock = notify_socket
    notifier = Notifier({"NOTIFY_SOCKET": name})
    notifier.ready(status=TITLE)
    assert _receive(sock) == f"READY=1\nSTATUS={TITLE}"
    notifier.reloading()
    fields = _receive(sock).split("\n")
    assert fields[0] == "RELOADING=1"
    assert fields[1].startswith("MONOTONIC_USEC=")
    assert int(fields[1].split("=", 1)[1]) > 0
    notifier.stopping()
    assert _receive(sock) == "STOPPING=1"


def test_notifier_without_socket_is_noop() -> None:
    """No NOTIFY_SOCKET: every call returns False and does nothing."""
    notifier = Notifier({})
    assert not notifier.enabled
    assert not notifier.ready()
    assert not notifier.watchdog()


def test_notifier_missing_socket_never_raises(tmp_path: Path) -> None:
    """A NOTIFY_SOCKET that points nowhere is reported as not delivered, not raised."""
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    assert notifier.enabled
    assert not notifier.watchdog()
    assert not Notifier({"NOTIFY_SOCKET": "relative/path"}).watchdog()


def test_watchdog_interval_from_environment() -> None:
    """WATCHDOG_USEC gives seconds; a foreign WATCHDOG_PID or bad value disables it."""
    pid = os.getpid()
    assert watchdog_interval({"WATCHDOG_USEC": "3000000"}) == 3.0
    assert watchdog_interval({"WATCHDOG_USEC": "500000", "WATCHDOG_PID": str(pid)}) == 0.5
    assert watchdog_interval({"WATCHDOG_USEC": "500000", "WATCHDOG_PID": str(pid + 1)}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "0"}) is None
    assert watchdog_interval({}) is None


def test_one_line_collapses_and_truncates() -> None:
    """Control characters become single spaces and long text is cut with an ellipsis."""
    assert one_line("a\r\n\tb\x00c") == "a b c"
    assert one_line("x" * 10, limit=5) == "xxxx…"


def test_watchdog_pinger_pings_only_while_healthy(tmp_path: Path) -> None:
    """WATCHDOG=1 arrives every half period while healthy and stops when progress stops."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(0.5)
    healthy = threading.Event()
    healthy.set()
    pinger = WatchdogPinger(
        Notifier({"NOTIFY_SOCKET": str(tmp_path / "notify.sock")}), 0.2, healthy.is_set
    )
    pinger.start()
    try:
        assert [_receive(sock) for _ in range(3)] == ["WATCHDOG=1"] * 3
        healthy.clear()
        time.sleep(0.15)  # a ping already under way may still arrive
        with contextlib.suppress(TimeoutError):
            while True:
                sock.recv(100)
        with pytest.raises(TimeoutError):
            sock.recv(100)
    finally:
        pinger.stop()
        sock.close()


@pytest.mark.parametrize(
    ("scheduler_age", "running", "progress_age", "expected"),
    [
        (0.5, False, 999.0, True),  # idle, scheduler ticking: ping
        (6.0, False, 0.0, False),  # scheduler loop stalled: no ping
        (0.5, True, 10.0, True),  # sync running and progressing: ping
        (0.5, True, 30.0, False),  # sync hung for a whole watchdog period: no ping
    ],
)
def test_loop_is_healthy_rule(
    scheduler_age: float, running: bool, progress_age: float, expected: bool
) -> None:
    """The watchdog rule: scheduler ticking, and a running sync not stalled."""
    assert (
        loop_is_healthy(
            scheduler_age=scheduler_age,
            scheduler_limit=5.0,
            sync_running=running,
            sync_progress_age=progress_age,
            watchdog_seconds=30.0,
        )
        is expected
    )

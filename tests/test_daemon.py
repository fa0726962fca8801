"""End-to-end tests of ``notion-syncd run``: a real daemon process against the fake Notion API.

The test binds the systemd notify socket itself (NOTIFY_SOCKET, WATCHDOG_USEC), reads the
daemon's JSON log lines and asks its health endpoint, exactly as systemd, journald and
Prometheus would. Seams faked: Notion (the loopback fake server) and systemd (the socket).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from notion_syncd.fake_notion import FakeClock, FakeNotionServer, Workspace, generate_workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.service.executor import DaemonWorker
from notion_syncd.service.reload import ConfigWatcher

pytestmark = pytest.mark.slow

CANARY = "canary-3b8f1e2d9c7a4b5e6f01"
EMOJI_TITLE = "Launch 🚀 plan"
ROOT = Path(__file__).resolve().parent.parent


# -- the fake systemd ------------------------------------------------------------------


class NotifyListener:
    """A bound NOTIFY_SOCKET collecting (arrival time, datagram) in a thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))
        self._sock.settimeout(0.1)
        self._lock = threading.Lock()
        self._messages: list[tuple[float, str]] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._closed.is_set():
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                continue
            with self._lock:
                self._messages.append((time.monotonic(), data.decode("utf-8")))

    @property
    def messages(self) -> list[tuple[float, str]]:
        with self._lock:
            return list(self._messages)

    def times(self, field: str) -> list[float]:
        return [at for at, text in self.messages if field in text.split("\n")]

    def wait_for(
        self, predicate: Callable[[str], bool], timeout: float, after: float = 0.0
    ) -> tuple[float, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, text in self.messages:
                if at >= after and predicate(text):
                    return at, text
            time.sleep(0.05)
        raise AssertionError(f"no matching notification within {timeout} s: {self.messages}")

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=2)
        self._sock.close()


# -- the daemon process ----------------------------------------------------------------


def write_config(path: Path, base_url: str, repo: Path, **schedule: str) -> None:
    """Write the daemon's config atomically (temporary file + rename, like an editor)."""
    values = {"interval": "1s", "sweep_interval": "1h", **schedule}
    lines = [
        "[notion]",
        f'base_url = "{base_url}"',
        "requests_per_second = 200",
        "burst = 50",
        'timeout = "30s"',
        'max_retry_time = "1s"',
        "[export]",
        f'repo = "{repo}"',
        "[schedule]",
        *(f'{key} = "{value}"' for key, value in values.items()),
        "[server]",
        'listen = "127.0.0.1:0"',
        "[log]",
        'format = "json"',
    ]
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    temporary.replace(path)


class Daemon:
    """``python -m notion_syncd run`` as a child process, its log in a file."""

    def __init__(self, tmp_path: Path, config: Path, watchdog_usec: int, name: str) -> None:
        self.log_path = tmp_path / f"{name}.log"
        self.notify = NotifyListener(tmp_path / f"{name}.notify")
        (tmp_path / "home").mkdir(exist_ok=True)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("NOTION_SYNCD_", "NOTION_TOKEN", "WATCHDOG_", "NOTIFY_"))
        }
        env |= {
            "NOTION_TOKEN": CANARY,
            "NOTIFY_SOCKET": str(self.notify.path),
            "WATCHDOG_USEC": str(watchdog_usec),
            "HOME": str(tmp_path / "home"),
            "PYTHONPATH": str(ROOT),
        }
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "notion_syncd", "run", "--config", str(config)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
        self.started = time.monotonic()
        self._url: str | None = None

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def events(self) -> list[dict[str, object]]:
        events = []
        for line in self.output().splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                events.append({"event": "(not json)", "line": line})
        return events

    def count(self, event: str, **fields: object) -> int:
        return sum(
            1
            for item in self.events()
            if item.get("event") == event and all(item.get(k) == v for k, v in fields.items())
        )

    def wait_log(self, event: str, timeout: float, at_least: int = 1, **fields: object) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count(event, **fields) >= at_least:
                return
            assert self.process.poll() is None, f"daemon exited early:\n{self.output()}"
            time.sleep(0.05)
        raise AssertionError(f"{event} {fields} not logged {at_least}x:\n{self.output()[-4000:]}")

    @property
    def url(self) -> str:
        if self._url is None:
            self.wait_log("health.listening", timeout=15)
            listening = next(e for e in self.events() if e.get("event") == "health.listening")
            self._url = str(listening["url"])
        return self._url

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode()

    def wait_http(self, path: str, status: int, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        last: tuple[int, str] = (0, "")
        while time.monotonic() < deadline:
            last = self.get(path)
            if last[0] == status:
                return time.monotonic()
            time.sleep(0.1)
        raise AssertionError(f"{path} stayed {last} instead of {status}:\n{self.output()[-3000:]}")

    def stop(self, timeout: float = 10) -> tuple[int, float]:
        """SIGTERM; returns (exit status, seconds it took)."""
        sent = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        return code, time.monotonic() - sent

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()
        self.notify.close()


@pytest.fixture
def workspace() -> tuple[Workspace, FakeClock, dict[str, str]]:
    """A small workspace, written two hours ago (its edit times have settled)."""
    clock = FakeClock(datetime.now(UTC) - timedelta(hours=2))
    ws = Workspace(clock)
    home = ws.add_page(None, "Home", [rt.paragraph("Start here.")])
    launch = ws.add_page(home, EMOJI_TITLE, [rt.paragraph("Ship it.")])
    notes = ws.add_page(home, "Notes", [rt.bulleted("one"), rt.bulleted("two")])
    return ws, clock, {"home": home, "launch": launch, "notes": notes}


@pytest.fixture
def server(workspace: tuple[Workspace, FakeClock, dict[str, str]]) -> Iterator[FakeNotionServer]:
    fake = FakeNotionServer(workspace[0], token=CANARY).start()
    try:
        yield fake
    finally:
        fake.faults.clear()
        fake.stop()


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    """Start daemons; every one still running at the end is killed and closed."""
    daemons: list[Daemon] = []

    def start(config: Path, *, watchdog_usec: int = 2_000_000) -> Daemon:
        daemon = Daemon(tmp_path, config, watchdog_usec, name=f"daemon{len(daemons)}")
        daemons.append(daemon)
        return daemon

    yield start
    for daemon in daemons:
        daemon.close()


def branch_moves(repo: Path) -> int:
    """How many times the mirror's branch moved (its reflog)."""
    result = subprocess.run(
        ["git", "-C", str(repo), "reflog", "show", "--format=%H", "main"],
        capture_output=True,
        text=True,
        check=True,
    )
    return len(result.stdout.split())


def commit_count(repo: Path) -> int:
    result = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--count", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return int(result.stdout.strip()) if result.returncode == 0 else 0


def assert_fsck_clean(repo: Path) -> None:
    result = subprocess.run(
        ["git", "-C", str(repo), "fsck", "--no-progress", "--strict"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stderr.lower()


def metric_value(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def max_gap(times: list[float], start: float, end: float) -> float:
    points = [start, *[t for t in times if start <= t <= end], end]
    return max(b - a for a, b in itertools.pairwise(points))


# -- unit tests of the daemon's parts ---------------------------------------------------


def test_config_watcher_debounces_real_edits(tmp_path: Path) -> None:
    """An editor-style save calls back once; reads and other files do not."""
    config = tmp_path / "config.toml"
    config.write_text("a = 1\n")
    calls: list[float] = []
    watcher = ConfigWatcher(config, lambda: calls.append(time.monotonic()), debounce=0.3)
    watcher.start()
    try:
        time.sleep(0.2)
        config.read_text()
        (tmp_path / "other.txt").write_text("x")
        time.sleep(0.8)
        assert calls == []
        for value in range(3):
            temporary = tmp_path / "config.toml.swp"
            temporary.write_text(f"a = {value}\n")
            temporary.replace(config)
            time.sleep(0.05)
        deadline = time.monotonic() + 5
        while not calls and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.6)
        assert len(calls) == 1
    finally:
        watcher.stop()


def test_daemon_worker_hung_job_does_not_block_shutdown() -> None:
    """A hung job leaves shutdown(wait=False) and join(timeout) bounded; the thread is a daemon."""
    worker = DaemonWorker("test-sync")
    release = threading.Event()
    started = threading.Event()

    def hang() -> str:
        started.set()
        release.wait(10)
        return "done"

    future = worker.submit(hang)
    assert started.wait(2)
    worker.shutdown(wait=False)
    assert worker.join(timeout=0.1) is False
    with pytest.raises(RuntimeError):
        worker.submit(hang)
    release.set()
    assert future.result(timeout=2) == "done"
    assert worker.join(timeout=2) is True


# -- end-to-end tests --------------------------------------------------------------------


def test_daemon_config_error_exits_78(tmp_path: Path) -> None:
    """An invalid config at start-up exits 78 (EX_CONFIG) with a one-line message."""
    config = tmp_path / "config.toml"
    config.write_text('[export]\nrepo = "m"\n[schedule]\ninterval = "soon"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTION_SYNCD_")}
    result = subprocess.run(
        [sys.executable, "-m", "notion_syncd", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
        env=env | {"NOTION_TOKEN": CANARY, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.returncode == 78
    assert len(result.stderr.strip().splitlines()) == 1
    assert "schedule.interval" in result.stderr
    assert CANARY not in result.stdout + result.stderr


def test_daemon_full_lifecycle(
    tmp_path: Path,
    server: FakeNotionServer,
    workspace: tuple[Workspace, FakeClock, dict[str, str]],
    spawn: Callable[..., Daemon],
) -> None:
    """READY before the first sync ends, watchdog pings, commits, metrics, reloads, clean stop."""
    ws, clock, ids = workspace
    repo = tmp_path / "mirror"
    config = tmp_path / "config.toml"
    write_config(config, server.base_url, repo)
    daemon = spawn(config, watchdog_usec=2_000_000)

    ready_at, _ = daemon.notify.wait_for(lambda m: "READY=1" in m.split("\n"), timeout=20)
    first_idle, _ = daemon.notify.wait_for(lambda m: "STATUS=idle; last sync" in m, timeout=20)
    assert ready_at < first_idle
    assert daemon.get("/healthz") == (200, "ok\n")
    daemon.wait_http("/readyz", 200, timeout=10)
    initial_commits = commit_count(repo)
    initial_moves = branch_moves(repo)
    assert initial_commits >= 1

    # An edit in Notion becomes a commit within one interval (plus the sync itself).
    clock.advance(minutes=10)
    ws.set_title(ids["notes"], f"Notes {EMOJI_TITLE}")
    edited = time.monotonic()
    deadline = edited + 6
    while commit_count(repo) <= initial_commits and time.monotonic() < deadline:
        time.sleep(0.1)
    # One sync moves the branch once (it may chain a move step and one commit per editor).
    assert commit_count(repo) > initial_commits
    assert branch_moves(repo) == initial_moves + 1
    daemon.notify.wait_for(lambda m: f"latest: Notes {EMOJI_TITLE}" in m, timeout=5)

    # Metrics: sync runs and Notion requests are counted.
    code, metrics = daemon.get("/metrics")
    assert code == 200
    assert metric_value(metrics, "notion_syncd_sync_runs_total", result="success") >= 2
    assert metric_value(metrics, "notion_syncd_notion_requests_total") >= 2
    assert metric_value(metrics, "notion_syncd_last_sync_success_timestamp_seconds") > 0

    # WATCHDOG=1 at least every WATCHDOG_USEC/2 (1 s) while healthy.
    pings = daemon.notify.times("WATCHDOG=1")
    assert pings
    assert max_gap(pings, pings[0], time.monotonic()) < 1.6

    # A config edit (interval 1 s -> 1 h) is applied without a restart.
    reload_mark = time.monotonic()
    write_config(config, server.base_url, repo, interval="1h")
    daemon.notify.wait_for(lambda m: m.startswith("RELOADING=1\nMONOTONIC_USEC="), 5, reload_mark)
    daemon.notify.wait_for(lambda m: "READY=1" in m.split("\n"), 5, reload_mark)
    daemon.wait_log("config.reloaded", timeout=5, source="file")
    time.sleep(0.5)  # a sync that was already running may still finish
    syncs = daemon.count("sync.finished")
    time.sleep(2.5)
    assert daemon.count("sync.finished") == syncs

    # An invalid edit is logged with its problem; the daemon keeps running on the old config.
    config.write_text(config.read_text().replace('interval = "1h"', 'interval = "soon"'))
    daemon.wait_log("config.invalid", timeout=5)
    invalid = next(e for e in daemon.events() if e.get("event") == "config.invalid")
    assert "schedule.interval" in str(invalid["error"])
    assert daemon.get("/healthz")[0] == 200
    assert daemon.process.poll() is None
    # ... and it is visible where an operator looks: STATUS, /readyz detail, a metric.
    daemon.notify.wait_for(lambda m: "config reload failed" in m, timeout=5)
    code, body = daemon.get("/readyz")
    assert "; config reload failed " in body
    assert body.endswith(", previous config in force\n")
    _, metrics = daemon.get("/metrics")
    assert metric_value(metrics, "notion_syncd_config_last_reload_successful") == 0
    good_reload = metric_value(metrics, "notion_syncd_config_last_reload_success_timestamp_seconds")
    assert good_reload > 0

    # SIGHUP reloads too: back to 1 s, and syncs resume.
    write_config(config, server.base_url, repo, interval="1s")
    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_log("config.reloaded", timeout=5, source="signal")
    daemon.wait_log("sync.finished", timeout=5, at_least=syncs + 1)
    _, metrics = daemon.get("/metrics")
    assert metric_value(metrics, "notion_syncd_config_last_reload_successful") == 1
    assert (
        metric_value(metrics, "notion_syncd_config_last_reload_success_timestamp_seconds")
        > good_reload
    )
    assert "config reload failed" not in daemon.get("/readyz")[1]

    # SIGTERM: STOPPING=1 and exit 0 quickly.
    stop_mark = time.monotonic()
    code, took = daemon.stop()
    assert code == 0
    assert took < 10
    daemon.notify.wait_for(lambda m: "STOPPING=1" in m.split("\n"), 2, stop_mark)
    assert_fsck_clean(repo)
    output = daemon.output()
    assert CANARY not in output
    assert all(event["event"] != "(not json)" for event in daemon.events()), output


def test_daemon_readyz_503_when_syncs_keep_failing(
    tmp_path: Path, server: FakeNotionServer, spawn: Callable[..., Daemon]
) -> None:
    """/readyz turns 503 once the last success is older than 3 intervals; /healthz stays 200."""
    config = tmp_path / "config.toml"
    write_config(config, server.base_url, tmp_path / "mirror")
    daemon = spawn(config)
    daemon.wait_log("sync.finished", timeout=20)  # /readyz is 200 during a first export
    daemon.wait_http("/readyz", 200, timeout=20)
    broken = time.monotonic()
    server.faults.random_errors(1.0, statuses=(500,))
    became_stale = daemon.wait_http("/readyz", 503, timeout=15)
    assert became_stale - broken >= 2.5
    assert daemon.get("/readyz") == (503, "stale\n")
    assert daemon.get("/healthz")[0] == 200
    daemon.wait_log("sync.failed", timeout=5, error_type="NotionUnavailable")
    code, _ = daemon.stop()
    assert code == 0
    assert CANARY not in daemon.output()


def test_daemon_hung_sync_stops_watchdog_and_stop_still_exits(
    tmp_path: Path, server: FakeNotionServer, spawn: Callable[..., Daemon]
) -> None:
    """A sync stuck on a stalled server stops the pings; SIGTERM still exits 0 within 10 s."""
    repo = tmp_path / "mirror"
    config = tmp_path / "config.toml"
    write_config(config, server.base_url, repo)
    daemon = spawn(config, watchdog_usec=1_000_000)
    daemon.wait_log("sync.finished", timeout=20)  # /readyz is 200 during a first export
    daemon.notify.wait_for(lambda m: m == "WATCHDOG=1", timeout=5)
    server.faults.stall(True)
    stalled = time.monotonic()
    time.sleep(6)
    pings = daemon.notify.times("WATCHDOG=1")
    assert any(t < stalled for t in pings)
    assert max_gap(pings, stalled, time.monotonic()) >= 3
    assert not [t for t in pings if t > stalled + 3.5]
    assert daemon.process.poll() is None

    code, took = daemon.stop(timeout=15)
    assert code == 0
    assert took < 10
    server.faults.stall(False)
    assert_fsck_clean(repo)

    again = spawn(config)
    again.wait_log("sync.finished", timeout=20)
    assert again.stop()[0] == 0


def test_daemon_sigterm_while_first_export_hangs_exits_in_time(
    tmp_path: Path,
    server: FakeNotionServer,
    workspace: tuple[Workspace, FakeClock, dict[str, str]],
    spawn: Callable[..., Daemon],
) -> None:
    """SIGTERM while the first export's requests hang on a stalled server still exits 0 fast."""
    ws, _, _ = workspace
    generate_workspace(ws, pages=40, databases=0, seed=5)
    server.faults.latency = 0.05
    repo = tmp_path / "mirror"
    config = tmp_path / "config.toml"
    write_config(config, server.base_url, repo)
    daemon = spawn(config)
    daemon.notify.wait_for(lambda m: bool(re.search(r"STATUS=syncing: [1-9]", m)), timeout=20)
    server.faults.stall(True)
    time.sleep(1)  # every fetcher is now waiting on an answer that never comes
    code, took = daemon.stop(timeout=20)
    server.faults.stall(False)
    assert code == 0
    assert took < 12
    assert daemon.count("sync.finished") == 0
    assert_fsck_clean(repo)


def test_daemon_sigterm_mid_sync_resumes_next_start(
    tmp_path: Path,
    server: FakeNotionServer,
    workspace: tuple[Workspace, FakeClock, dict[str, str]],
    spawn: Callable[..., Daemon],
) -> None:
    """SIGTERM during a long first export exits 0 fast; the next start completes the mirror."""
    ws, _, _ = workspace
    generate_workspace(ws, pages=80, databases=0, seed=3)
    server.faults.latency = 0.05
    repo = tmp_path / "mirror"
    config = tmp_path / "config.toml"
    write_config(config, server.base_url, repo)
    text = config.read_text().replace("[export]", "concurrency = 1\n[export]")
    config.write_text(text)
    daemon = spawn(config)
    daemon.notify.wait_for(lambda m: bool(re.search(r"STATUS=syncing: [1-9]", m)), timeout=20)
    code, body = daemon.get("/readyz")  # a readiness probe passes during a first export
    assert code == 200
    assert re.fullmatch(r"first export: [0-9,]+ objects so far\n", body), body
    stop_mark = time.monotonic()
    code, took = daemon.stop()
    assert code == 0
    assert took < 10
    daemon.notify.wait_for(lambda m: "STOPPING=1" in m.split("\n"), 2, stop_mark)
    assert daemon.count("sync.finished") == 0
    assert_fsck_clean(repo)

    server.faults.latency = 0.0
    again = spawn(config)
    again.wait_log("sync.finished", timeout=30)
    again.wait_http("/readyz", 200, timeout=5)
    assert again.stop()[0] == 0
    assert_fsck_clean(repo)
    assert CANARY not in daemon.output() + again.output()


def test_daemon_second_run_on_same_mirror_refuses(
    tmp_path: Path, server: FakeNotionServer, spawn: Callable[..., Daemon]
) -> None:
    """A second ``run`` on a mirror that a daemon serves exits 1 within 2 s, naming the first.

    Python's own start-up (imports), which a loaded machine stretches to seconds, is
    measured beside it and not counted: the bound is on what the second daemon does.
    """
    config = tmp_path / "config.toml"
    write_config(config, server.base_url, tmp_path / "mirror")
    first = spawn(config)
    first.wait_log("daemon.started", timeout=20)
    second = spawn(config)
    code = second.process.wait(timeout=10)
    took = time.monotonic() - second.started
    started = time.monotonic()
    imports = "import notion_syncd.cli, notion_syncd.service.daemon"
    subprocess.run([sys.executable, "-c", imports], check=True, timeout=30)
    startup = time.monotonic() - started
    assert code == 1
    assert took - startup < 2.0, f"took {took:.2f} s, of which {startup:.2f} s start-up"
    assert f"pid {first.process.pid}" in second.output()
    assert "another notion-syncd daemon is already running" in second.output()
    assert first.process.poll() is None
    code, _ = first.stop()
    assert code == 0
    third = spawn(config)
    third.wait_log("daemon.started", timeout=20)
    assert third.stop()[0] == 0


def _fails_permanently_then_exits_75(
    daemon: Daemon, break_it: Callable[[], None], reason: str, interval: float
) -> None:
    """Break a dependency after a good sync: /readyz 503 within about one interval with the
    reason, STATUS and metrics say it, and after 3 such syncs the process exits 75."""
    daemon.wait_http("/readyz", 200, timeout=20)
    daemon.wait_log("sync.finished", timeout=20)
    broken = time.monotonic()
    break_it()
    failing_at = daemon.wait_http("/readyz", 503, timeout=interval + 10)
    assert failing_at - broken < interval + 5
    code, body = daemon.get("/readyz")
    assert (code, body) == (503, f"failing: {reason} (1 sync(s) in a row)\n")
    _, metrics = daemon.get("/metrics")
    assert metric_value(metrics, "notion_syncd_sync_consecutive_permanent_failures") >= 1
    assert metric_value(metrics, "notion_syncd_sync_permanent_failure_limit") == 3
    assert metric_value(metrics, "notion_syncd_last_sync_failure_info", reason=reason) == 1
    daemon.notify.wait_for(lambda m: f"({reason}); 1 in a row, exits after 3" in m, timeout=5)
    assert daemon.process.wait(timeout=4 * interval + 15) == 75
    daemon.notify.wait_for(
        lambda m: f"STATUS=failed: 3 syncs in a row failed ({reason})" in m, timeout=2
    )
    assert daemon.notify.times("STOPPING=1")
    assert daemon.count("daemon.giving_up", reason=reason, in_a_row=3, exit_code=75) == 1
    assert CANARY not in daemon.output()


def test_daemon_revoked_token_not_ready_then_exits_75(
    tmp_path: Path, server: FakeNotionServer, spawn: Callable[..., Daemon]
) -> None:
    """A token Notion starts refusing (401) is reported at once and ends in exit 75."""
    config = tmp_path / "config.toml"
    write_config(config, server.base_url, tmp_path / "mirror", interval="2s")
    daemon = spawn(config)

    def revoke() -> None:
        server.fake.token = "revoked-by-the-workspace-owner"

    _fails_permanently_then_exits_75(daemon, revoke, "NotionUnauthorized", interval=2)


def test_daemon_mirror_deleted_not_ready_then_exits_75(
    tmp_path: Path, server: FakeNotionServer, spawn: Callable[..., Daemon]
) -> None:
    """A mirror removed under the daemon is not silently re-created: reported, exit 75."""
    repo = tmp_path / "mirror"
    config = tmp_path / "config.toml"
    write_config(config, server.base_url, repo, interval="2s")
    daemon = spawn(config)

    def delete() -> None:
        moved = tmp_path / "deleted"
        repo.rename(moved)  # atomic, unlike rmtree beside a running sync
        shutil.rmtree(moved, ignore_errors=True)

    _fails_permanently_then_exits_75(daemon, delete, "MirrorMissing", interval=2)

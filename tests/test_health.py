"""Tests for the health endpoint (notion_syncd.service.health) and the sync status it reads."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from prometheus_client import CollectorRegistry, Counter

from notion_syncd.service.health import HealthServer, parse_listen
from notion_syncd.service.state import SyncStatus


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class Step:
    phase: str
    done: int
    total: int | None
    message: str


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def status(clock: FakeClock) -> SyncStatus:
    return SyncStatus(monotonic=clock, wall=lambda: 1_767_268_800.0 + clock.now)


@pytest.fixture
def server(status: SyncStatus) -> Iterator[tuple[HealthServer, dict[str, bool]]]:
    """A health server on a free loopback port with a switchable liveness flag."""
    flags = {"live": True}
    registry = CollectorRegistry()
    Counter("notion_syncd_test_runs_total", "Test runs.", registry=registry).inc()
    health = HealthServer(
        "127.0.0.1:0",
        live=lambda: flags["live"],
        ready=lambda: status.readiness(interval=60),
        registry=registry,
    )
    health.start()
    try:
        yield health, flags
    finally:
        health.stop()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def test_health_server_binds_loopback_and_reports_port(
    server: tuple[HealthServer, dict[str, bool]],
) -> None:
    """Port 0 binds a free loopback port and address reports it."""
    health, _ = server
    host, port = health.address
    assert host == "127.0.0.1"
    assert port > 0
    assert health.url == f"http://127.0.0.1:{port}"


def test_health_healthz_follows_liveness(server: tuple[HealthServer, dict[str, bool]]) -> None:
    """/healthz is 200 while the loop is alive and 503 when it stalls."""
    health, flags = server
    assert _get(health.url + "/healthz") == (200, "ok\n")
    assert _get(health.url + "/livez")[0] == 200
    flags["live"] = False
    assert _get(health.url + "/healthz") == (503, "stalled\n")


def test_health_readyz_after_success_until_stale(
    server: tuple[HealthServer, dict[str, bool]], status: SyncStatus, clock: FakeClock
) -> None:
    """/readyz is 200 from the start and after a success, 503 3 intervals after it."""
    health, _ = server
    assert _get(health.url + "/readyz") == (200, "starting\n")
    status.started()
    status.succeeded(changed=2, commit="abc")
    assert _get(health.url + "/readyz") == (200, "ok\n")
    clock.now += 3 * 60
    status.started()
    status.failed("NotionUnavailable")
    assert _get(health.url + "/readyz") == (200, "ok\n")
    clock.now += 1
    assert _get(health.url + "/readyz") == (503, "stale\n")
    status.stopping()
    assert _get(health.url + "/readyz") == (503, "stopping\n")


def test_health_readyz_ready_during_first_export(
    server: tuple[HealthServer, dict[str, bool]], status: SyncStatus, clock: FakeClock
) -> None:
    """A first export longer than 3 intervals stays ready, its progress in the body."""
    health, _ = server
    status.started()
    status.progressed(Step("exporting", 1234, None, "exported 1,234 objects"))
    clock.now += 10 * 60
    assert _get(health.url + "/readyz") == (200, "first export: 1,234 objects so far\n")
    status.failed("NotionUnavailable")
    assert _get(health.url + "/readyz") == (503, "stale\n")


def test_health_readyz_503_at_first_permanent_failure(
    server: tuple[HealthServer, dict[str, bool]], status: SyncStatus
) -> None:
    """A permanent failure is 503 at once with its reason; a success clears it."""
    health, _ = server
    status.started()
    status.succeeded(changed=1, commit="abc")
    status.started()
    status.failed("NotionUnauthorized", permanent=True)
    assert _get(health.url + "/readyz") == (
        503,
        "failing: NotionUnauthorized (1 sync(s) in a row)\n",
    )
    assert "NotionUnauthorized" in status.status_line()
    assert "1 in a row, exits after 3" in status.status_line()
    status.started()
    status.failed("NotionUnavailable")
    assert status.permanent_in_a_row == 0
    assert status.failures_in_a_row == 2
    assert _get(health.url + "/readyz") == (200, "ok\n")
    status.started()
    status.succeeded(changed=0, commit=None)
    assert status.failures_in_a_row == 0


def test_status_gave_up_line_names_reason(status: SyncStatus) -> None:
    """After giving up, STATUS says why and that the daemon exits for a restart."""
    for _ in range(3):
        status.started()
        status.failed("MirrorMissing", permanent=True)
    status.gave_up()
    line = status.status_line()
    assert line.startswith("failed: 3 syncs in a row failed (MirrorMissing)")
    assert "exiting for a restart" in line


def test_status_rejected_reload_noted_until_a_good_one(status: SyncStatus) -> None:
    """A rejected config shows in STATUS and the /readyz detail, not in readiness itself."""
    status.started()
    status.succeeded(changed=0, commit=None)
    status.config_rejected()
    note = "; config reload failed 12:16 UTC, previous config in force"
    assert status.readiness(interval=60) == (True, "ok" + note)
    assert status.status_line().endswith(note)
    status.config_accepted()
    assert status.readiness(interval=60) == (True, "ok")
    assert "config" not in status.status_line()


def test_health_livez_says_why(status: SyncStatus) -> None:
    """A liveness probe may answer (alive, word): the word is the body."""
    health = HealthServer("127.0.0.1:0", live=lambda: (False, "failed"), ready=lambda: (True, "ok"))
    assert health.respond("/livez")[0] == 503
    assert health.respond("/livez")[2] == b"failed\n"


def test_health_metrics_serves_registry(server: tuple[HealthServer, dict[str, bool]]) -> None:
    """/metrics is the Prometheus text of the given registry."""
    health, _ = server
    code, body = _get(health.url + "/metrics")
    assert code == 200
    assert "notion_syncd_test_runs_total 1.0" in body


def test_health_unknown_path_404(server: tuple[HealthServer, dict[str, bool]]) -> None:
    """Any other path is 404."""
    health, _ = server
    assert _get(health.url + "/admin")[0] == 404


def test_health_probe_error_is_500_without_details() -> None:
    """A failing probe answers 500 with a status word, not the exception text."""

    def broken() -> bool:
        raise RuntimeError("ntn_leaky details")

    health = HealthServer("127.0.0.1:0", live=broken, ready=lambda: (True, "ok"))
    health.start()
    try:
        assert _get(health.url + "/healthz") == (500, "error\n")
    finally:
        health.stop()


def test_parse_listen_ipv4_and_ipv6() -> None:
    """HOST:PORT splits at the last colon; IPv6 hosts lose their brackets."""
    assert parse_listen("127.0.0.1:9184") == ("127.0.0.1", 9184)
    assert parse_listen("[::1]:0") == ("::1", 0)
    with pytest.raises(ValueError):
        parse_listen("9184")


def test_sync_status_line_progress_and_idle(status: SyncStatus) -> None:
    """STATUS text shows progress while syncing and the last result when idle."""
    assert status.status_line() == "idle; no sync yet"
    status.started()
    assert status.status_line() == "syncing: starting"
    status.progressed(Step("fetch", 1234, 10000, "Roadmap 🚀"))
    assert status.status_line() == "syncing: 1,234 / 10,000 pages (Roadmap 🚀)"
    status.progressed(Step("listing", 5, None, ""))
    assert status.status_line() == "syncing: 5 pages (listing)"
    status.succeeded(changed=3, commit="abc", latest_title="Launch 🚀")
    assert status.status_line() == "idle; last sync 12:16 UTC, 3 pages changed (latest: Launch 🚀)"
    status.started()
    status.succeeded(changed=1, commit=None)
    assert status.status_line() == "idle; last sync 12:16 UTC, 1 page changed"
    status.started()
    status.failed("NotionUnavailable")
    assert status.status_line() == (
        "idle; last sync failure 12:16 UTC (NotionUnavailable); last success 12:16 UTC"
    )


def test_health_process_metrics_without_created_series() -> None:
    """The process registry has the process collector and the pace, and no ``_created`` noise."""
    from prometheus_client.parser import text_string_to_metric_families

    from notion_syncd.notion.ratelimit import RateLimiter

    RateLimiter(7.0, 3)
    health = HealthServer("127.0.0.1:0", live=lambda: True, ready=lambda: (True, "ok"))
    health.start()
    try:
        code, body = _get(health.url + "/metrics")
    finally:
        health.stop()
    assert code == 200
    families = {family.name: family for family in text_string_to_metric_families(body)}
    assert "process_resident_memory_bytes" in families
    assert "process_open_fds" in families
    assert families["notion_syncd_notion_pace_requests_per_second"].samples[0].value == 7.0
    assert "_created" not in body

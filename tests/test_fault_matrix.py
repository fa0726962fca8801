"""The fault matrix: each fault, seeded, against the fake; the mirror is complete within
three syncs, and no sync that exits 0 leaves anything missing.

Each case runs through ``FakeNotion.handle`` (``httpx.MockTransport``, no socket) with a
virtual clock for the client's waits, so a ``Retry-After: 150`` costs no real time; a
stalled request is the timeout the client would see. A sync "exits 0" as ``notion-syncd
sync`` does: no failure, no gap, no exception.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from synchelpers import TOKEN, TestClock

from notion_syncd.config import Settings, load_settings
from notion_syncd.errors import NotionSyncdError
from notion_syncd.fake_notion import FakeNotion, Workspace, generate_workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.fake_notion.faults import Faults
from notion_syncd.fake_notion.generate import tiny_png
from notion_syncd.notion.client import NotionClient
from notion_syncd.sync.runner import run_sync

FAKE_URL = "http://fake-notion.test"
PAGE_SIZE = 4
"""Small pages, so search and data-source queries need cursors."""
VOLATILE = {".notion-syncd/last-sync.json", ".notion-syncd/state.json"}


class InstantTime:
    """A clock whose sleeps return at once and move it forward (waits cost no time)."""

    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += max(0.0, seconds)


@dataclass(frozen=True)
class Case:
    name: str
    inject: Callable[[Faults], None]
    heal_after: int | None = None
    """Faults are cleared after this many syncs (None: they stay for all three)."""


def _mixed(rate: float) -> Callable[[Faults], None]:
    def inject(faults: Faults) -> None:
        faults.random_errors(rate)
        faults.overload(rate, retry_after=3)
        faults.rate_limit_storm(probability=rate, retry_after=2)
        faults.reset_connection(r"/v1/blocks/", times=2)
        faults.malformed_json(r"/v1/pages/", times=1)
        faults.stall_path(r"/v1/blocks/", times=1)
        faults.cut_listing("search", page=2, stale_cursor=True)
        faults.expire_file_urls(probability=rate * 10, times=2)

    return inject


CASES = [
    Case(
        "429-retry-after-150", lambda f: f.fail_path(r"/v1/blocks/", 429, retry_after=150, times=2)
    ),
    Case("429-storm-retry-after-30", lambda f: f.rate_limit_storm(every=9, retry_after=30)),
    Case("529-overload", lambda f: f.overload(0.1, retry_after=5)),
    Case("500", lambda f: f.random_errors(0.1, statuses=(500,))),
    Case("502-html", lambda f: f.random_errors(0.1, statuses=(502,))),
    Case("503", lambda f: f.random_errors(0.1, statuses=(503,))),
    Case("504", lambda f: f.random_errors(0.1, statuses=(504,))),
    Case("connection-reset", lambda f: f.reset_connection(r"/v1/(blocks|pages|search)", times=4)),
    Case("truncated-body", lambda f: f.malformed_json(r"/v1/(blocks|pages|data_sources)", times=4)),
    Case("stalled-beyond-timeout", lambda f: f.stall_path(r"/v1/blocks/", times=3)),
    Case("expired-search-cursor", lambda f: f.cut_listing("search", page=2, stale_cursor=True)),
    Case(
        "expired-query-cursor",
        lambda f: f.cut_listing("data_sources.query", page=2, stale_cursor=True, times=2),
    ),
    Case("file-urls-expire-once", lambda f: f.expire_file_urls(first_only=True)),
    Case("file-urls-expire-always", lambda f: f.expire_file_urls(), heal_after=1),
    Case("mixed-1-percent", _mixed(0.01)),
    Case("mixed-5-percent", _mixed(0.05)),
]


def _workspace(clock: TestClock) -> Workspace:
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    generate_workspace(workspace, pages=7, depth=2, databases=1, rows_per_database=9, seed=4)
    for number in range(3):
        image = workspace.add_file(tiny_png(4 + number, 4), f"scan-{number}.png")
        workspace.add_page(None, f"Scan {number}", [rt.media("image", image)])
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    return workspace


def _settings(repo: Path) -> Settings:
    return load_settings(
        None,
        overrides={
            "notion": {
                "token": TOKEN,
                "base_url": FAKE_URL,
                "requests_per_second": 1000,
                "burst": 1000,
                "concurrency": 2,
                "max_retry_time": 600,
            },
            "export": {"repo": str(repo), "formats": ["markdown", "json", "csv"]},
        },
        environ={},
    )


def _sync(fake: FakeNotion, settings: Settings, clock: TestClock) -> int:
    """One sync as ``notion-syncd sync`` would end: its exit status."""
    time = InstantTime()
    client = NotionClient(
        TOKEN,
        base_url=FAKE_URL,
        requests_per_second=1000,
        burst=1000,
        timeout=5,
        transport=httpx.MockTransport(fake.handle),
        sleep=time.sleep,
        clock=time.clock,
    )
    try:
        report = run_sync(settings, client=client, now=clock)
    except NotionSyncdError:
        return 1
    finally:
        client.close()
    return 1 if report.failures or report.gaps else 0


def _tree(repo: Path) -> dict[str, bytes]:
    files = {}
    for path in repo.rglob("*"):
        rel = path.relative_to(repo).as_posix()
        if path.is_file() and not rel.startswith(".git/") and rel not in VOLATILE:
            files[rel] = path.read_bytes()
    return files


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Workspace, TestClock, dict[str, bytes]]:
    """The workspace every case mirrors, and its fault-free mirror."""
    clock = TestClock()
    workspace = _workspace(clock)
    repo = tmp_path_factory.mktemp("reference") / "m"
    fake = FakeNotion(workspace, token=TOKEN, page_size_cap=PAGE_SIZE)
    assert _sync(fake, _settings(repo), clock) == 0
    return workspace, clock, _tree(repo)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_fault_matrix_mirror_complete_within_three_syncs(
    case: Case, reference: tuple[Workspace, TestClock, dict[str, bytes]], tmp_path: Path
) -> None:
    """Complete within three syncs; a sync that exits 0 leaves nothing missing."""
    workspace, clock, expected = reference
    fake = FakeNotion(workspace, token=TOKEN, page_size_cap=PAGE_SIZE, seed=17)
    case.inject(fake.faults)
    settings = _settings(tmp_path / "m")
    statuses = []
    for number in range(1, 4):
        statuses.append(_sync(fake, settings, clock))
        if statuses[-1] == 0:
            assert _tree(tmp_path / "m") == expected, f"sync {number} exited 0 incomplete"
            break
        if case.heal_after == number:
            fake.faults.clear()
    assert statuses[-1] == 0, statuses
    assert _tree(tmp_path / "m") == expected
    answers = [entry.status for entry in fake.request_log.entries()]
    assert any(status != 200 for status in answers), "the fault never fired"


def test_fault_matrix_search_lag(tmp_path: Path) -> None:
    """Search 90 s behind: new and edited pages are mirrored within three syncs, with no
    known gap left by a sync that exits 0."""
    clock = TestClock()
    workspace = Workspace(clock)
    generate_workspace(workspace, pages=4, depth=2, databases=0, rows_per_database=0, seed=2)
    clock.advance(minutes=10)
    fake = FakeNotion(workspace, token=TOKEN, page_size_cap=PAGE_SIZE)
    settings = _settings(tmp_path / "m")
    assert _sync(fake, settings, clock) == 0
    clock.advance(minutes=10)
    fake.faults.search_lag = 90
    workspace.add_page(None, "Written just now", [rt.paragraph("new")])
    statuses = []
    mirrored = []
    for _number in range(3):
        statuses.append(_sync(fake, settings, clock))
        assert not list((tmp_path / "m").glob(".notion-syncd/gaps.json"))
        mirrored.append(any((tmp_path / "m").glob("Written just now*.md")))
        clock.advance(seconds=60)
    assert mirrored[0] is False and mirrored[-1] is True, mirrored  # the lag hid it at first
    fresh = FakeNotion(workspace, token=TOKEN, page_size_cap=PAGE_SIZE)
    assert _sync(fresh, _settings(tmp_path / "fresh"), clock) == 0
    assert _tree(tmp_path / "m") == _tree(tmp_path / "fresh")
    assert statuses == [0, 0, 0]

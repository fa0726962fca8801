"""Fifty seeded kills across a first export, incremental syncs and sweeps.

Kills are simulated in process (``killswitch``: the transport dies after N requests; see
its limits); one fetch worker, and every request moves the clock by a third of a second
(3 requests/s in virtual time), so checkpoints by time fire as in production. After
every kill the next open must find a whole repository (``git fsck``), no git lock file
left, and a working tree equal to HEAD; at the end the mirror equals a fresh export.
"""

from __future__ import annotations

import random
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from killswitch import Killed, KillSwitch, PacedTransport
from synchelpers import TOKEN, TestClock, git

from notion_syncd.config import Settings, load_settings
from notion_syncd.fake_notion import FakeNotion, Workspace, generate_workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.gitstore import open_mirror
from notion_syncd.notion.client import NotionClient
from notion_syncd.sync.runner import run_sync

FAKE_URL = "http://fake-notion.test"
VOLATILE = {".notion-syncd/last-sync.json", ".notion-syncd/state.json"}


def _settings(repo: Path) -> Settings:
    return load_settings(
        None,
        overrides={
            "notion": {"token": TOKEN, "base_url": FAKE_URL, "concurrency": 1},
            "export": {"repo": str(repo), "formats": ["markdown", "json", "csv"]},
            "sync": {"checkpoint_seconds": 2},
        },
        environ={},
    )


def _tree(repo: Path) -> dict[str, bytes]:
    return {
        path.relative_to(repo).as_posix(): path.read_bytes()
        for path in repo.rglob("*")
        if path.is_file()
        and ".git" not in path.relative_to(repo).parts[:1]
        and path.relative_to(repo).as_posix() not in VOLATILE
    }


class Runner:
    """Runs syncs of one mirror, killed or not, and checks the invariants after each."""

    def __init__(self, fake: FakeNotion, clock: TestClock, repo: Path) -> None:
        self.paced = PacedTransport(httpx.MockTransport(fake.handle), clock)
        self.clock = clock
        self.repo = repo
        self.settings = _settings(repo)
        self.kills = 0

    def sync(self, *, kill_after: int | None = None, sweep: bool = False) -> bool:
        """One sync; True when it finished (False: killed)."""
        transport: httpx.BaseTransport = self.paced
        if kill_after is not None:
            transport = KillSwitch(self.paced, kill_after)
        client = NotionClient(
            TOKEN, base_url=FAKE_URL, requests_per_second=1000, burst=1000, transport=transport
        )
        try:
            run_sync(self.settings, client=client, now=self.clock, sweep=sweep)
        except Killed:
            self.kills += 1
            self.check()
            return False
        finally:
            client.close()
        self.check()
        return True

    def until_done(self, rng: random.Random, kills: int, low: int, high: int, **kw: bool) -> None:
        """Kill ``kills`` runs at seeded instants (each gets further), then finish."""
        for _ in range(kills):
            if self.sync(kill_after=rng.randint(low, high), **kw):
                return
        assert self.sync(**kw)

    def check(self) -> None:
        if not (self.repo / ".git").exists():
            return
        open_mirror(self.repo).close()  # what the next run does first
        git_dir = self.repo / ".git"
        assert not [p for p in git_dir.rglob("*.lock") if p.name != "notion-syncd.lock"]
        assert git(self.repo, "status", "--porcelain") == ""
        head = subprocess.run(
            ["git", "-C", str(self.repo), "rev-parse", "--verify", "-q", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if head:  # a kill before the first commit leaves no HEAD (and nothing to check)
            subprocess.run(
                ["git", "-C", str(self.repo), "fsck", "--full", "--strict"],
                check=True,
                capture_output=True,
            )


@pytest.mark.slow
def test_kills_fifty_across_export_incremental_and_sweep(tmp_path: Path) -> None:
    """50 seeded kills: fsck clean, no stale lock, tree = HEAD, mirror = fresh export."""
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    pages = generate_workspace(workspace, pages=14, depth=3, databases=1, rows_per_database=6)
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    fake = FakeNotion(workspace, token=TOKEN)
    runner = Runner(fake, clock, tmp_path / "m")
    rng = random.Random(5)
    runner.until_done(rng, 25, 3, 12)  # the first export
    for round_number in range(3):  # incremental syncs
        clock.advance(minutes=5)
        for page in rng.sample(pages, 4):
            workspace.append_blocks(page, [rt.paragraph(f"edit {round_number}")])
        workspace.set_title(rng.choice(pages), f"Renamed {round_number}")
        clock.advance(minutes=5)
        runner.until_done(rng, 5, 1, 4)
    clock.advance(minutes=5)
    workspace.trash(pages[-1])
    workspace.trash(pages[-2])
    clock.advance(minutes=5)
    runner.until_done(rng, 10, 1, 5, sweep=True)
    assert runner.kills == 50
    fresh = Runner(FakeNotion(workspace, token=TOKEN), clock, tmp_path / "fresh")
    assert fresh.sync(sweep=True)
    assert _tree(tmp_path / "m") == _tree(tmp_path / "fresh")

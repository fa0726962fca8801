"""Resume without repeating work: a first export killed again and again costs little more.

Kills are simulated in process (``killswitch``: the transport dies after N requests, one
fetch worker so the instant is deterministic); every request moves the test clock by a
third of a second, Notion's 3 requests/s in virtual time, so checkpoints by time fire at
the same requests on every run.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from killswitch import Killed, KillSwitch, PacedTransport
from synchelpers import IN_PROCESS_URL, TOKEN, TestClock, git, in_process_settings

from notion_syncd.config import Settings
from notion_syncd.fake_notion import FakeNotion, Workspace, generate_workspace
from notion_syncd.notion.client import NotionClient
from notion_syncd.sync.fetchjournal import JOURNAL_DIR
from notion_syncd.sync.runner import run_sync

FAKE_URL = IN_PROCESS_URL


def _settings(repo: Path, checkpoint_seconds: float) -> Settings:
    return in_process_settings(
        repo,
        formats=("markdown", "json"),
        sync={"checkpoint_seconds": checkpoint_seconds, "checkpoint_pages": 500},
    )


def _export(
    fake: FakeNotion, clock: TestClock, settings: Settings, kills: list[int]
) -> tuple[int, int]:
    """Requests of a first export whose runs are killed after each of ``kills`` requests
    (until a run finishes before its kill), then finished; and how many runs were killed."""
    paced = PacedTransport(httpx.MockTransport(fake.handle), clock)
    killed = 0
    for after in [*kills, None]:
        transport: httpx.BaseTransport = paced if after is None else KillSwitch(paced, after)
        client = NotionClient(
            TOKEN, base_url=FAKE_URL, requests_per_second=1000, burst=1000, transport=transport
        )
        try:
            run_sync(settings, client=client, now=clock)
        except Killed:
            killed += 1
            continue
        finally:
            client.close()
        break
    return paced.requests, killed


@pytest.mark.slow
def test_resume_killed_first_export_costs_at_most_a_fifth_more(tmp_path: Path) -> None:
    """Kills during a first export: total requests ≤ 1.2 × an uninterrupted export's.

    A kill loses the fetch in flight and one listing: what was fetched is committed by a
    checkpoint (here every 2 s: 6 requests) or kept in the fetch journal until one.
    """
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    generate_workspace(workspace, pages=60, depth=3, databases=1, rows_per_database=30)
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    fake = FakeNotion(workspace, token=TOKEN)
    uninterrupted, _ = _export(fake, clock, _settings(tmp_path / "whole", 2), [])
    rng = random.Random(11)
    kills = [rng.randint(40, 80) for _ in range(3)]
    total, killed = _export(fake, clock, _settings(tmp_path / "killed", 2), kills)
    assert killed == 3
    assert total - uninterrupted <= killed * 20, (total, uninterrupted)
    assert total <= 1.2 * uninterrupted, (total, uninterrupted)
    repo = tmp_path / "killed"
    assert git(repo, "status", "--porcelain") == ""
    assert "Checkpoint:" in git(repo, "log", "--format=%s")
    # With no checkpoint at all before the end (500 objects, no time), the fetch journal
    # keeps every killed run's work: a kill costs about as much as with checkpoints.
    by_count, _ = _export(fake, clock, _settings(tmp_path / "by-count", 0), kills)
    assert by_count - uninterrupted <= killed * 20, (by_count, uninterrupted)
    assert not (tmp_path / "by-count" / ".git" / JOURNAL_DIR).exists()  # gone once complete

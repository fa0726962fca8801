"""The daemon with webhooks on, in-process against the fake Notion API over loopback.

Each test waits on a condition with a deadline (never on a fixed sleep): outcomes do
not depend on thread timing, only how long the wait takes does.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pygit2
import pytest

from notion_syncd.config import ServerSettings, WebhookSettings
from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.service.daemon import Daemon
from notion_syncd.webhooks.receiver import WebhookReceiver, WebhookServer
from notion_syncd.webhooks.store import Journal
from notion_syncd.webhooks.verify import sign
from tests.synchelpers import git, make_settings, serve

pytestmark = pytest.mark.slow

SECRET = "secret_webhook_token_for_tests_42"
DEADLINE = 30.0


def wait_until(what: str, condition: Callable[[], bool], timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def event(n: int, entity: str, kind: str = "page.content_updated") -> bytes:
    return json.dumps(
        {
            "id": f"ev-{n}",
            "timestamp": "2026-11-30T06:00:00.000Z",
            "type": kind,
            "entity": {"id": entity, "type": "page"},
            "authors": [{"id": "user-1", "type": "person"}],
            "attempt_number": 1,
        }
    ).encode()


def post(url: str, body: bytes, signature: str | None) -> int:
    headers = {} if signature is None else {"X-Notion-Signature": signature}
    return httpx.post(url, content=body, headers=headers, timeout=10).status_code


def commits(repo: Path) -> int:
    """How many syncs committed: moves of the branch (a sync may chain several commits,
    one per editor and a move step, and moves the branch once)."""
    try:
        return len(git(repo, "reflog", "show", "--format=%H", "main").split())
    except Exception:
        return 0


def mirrored(repo: Path, text: str) -> bool:
    try:
        return text in git(repo, "grep", "-l", "-F", text, "HEAD", "--")
    except Exception:
        return False


@contextmanager
def running_daemon(
    tmp_path: Path, fake: Any, debounce: str = "0.3s", lighter: str = "30m", **schedule: str
) -> Iterator[Daemon]:
    token_file = tmp_path / "webhook-token"
    token_file.write_text(SECRET + "\n")
    config = tmp_path / "config.toml"
    config.write_text("# settings are passed directly\n")
    settings = make_settings(
        fake,
        tmp_path / "mirror",
        schedule={"interval": "1h", "sweep_interval": "1h", **schedule},
        webhooks={
            "enabled": True,
            "listen": "127.0.0.1:0",
            "debounce": debounce,
            "poll_interval_when_healthy": lighter,
            "verification_token_file": str(token_file),
        },
    )
    settings = settings.model_copy(update={"server": ServerSettings(enabled=False)})
    daemon = Daemon(config, settings, environ={})
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    try:
        wait_until("the first sync", lambda: commits(tmp_path / "mirror") >= 1)
        wait_until("the receiver", lambda: daemon.webhooks is not None)
        wait_until("the first sync to end", lambda: not daemon._status.running)
        yield daemon
    finally:
        daemon.request_stop()
        thread.join(timeout=20)


def url(daemon: Daemon) -> str:
    assert daemon.webhooks is not None
    return daemon.webhooks.server.url + "/notion/webhook"


def test_webhook_daemon_event_is_committed_early(tmp_path: Path) -> None:
    """With a 1 h poll, a signed event gets the edit committed; a bad signature changes nothing."""
    workspace = Workspace()
    pages = generate_workspace(workspace, pages=8, databases=0, depth=2)
    repo = tmp_path / "mirror"
    with serve(workspace) as server, running_daemon(tmp_path, server) as daemon:
        assert "webhooks: not verified (token configured" in daemon.ready()[1]
        before = commits(repo)
        workspace.set_title(pages[3], "Edited by webhook 7f3a")
        body = event(1, pages[3])
        assert post(url(daemon), body, sign(body, "wrong-token")) == 401
        assert post(url(daemon), body, None) == 401
        assert daemon.webhooks is not None and daemon.webhooks.journal.events() == []
        assert post(url(daemon), body, sign(body, SECRET)) == 200
        wait_until("the edit in the mirror", lambda: mirrored(repo, "Edited by webhook 7f3a"))
        assert commits(repo) == before + 1
        wait_until("the journal cleared", lambda: not daemon.webhooks.journal.events())  # type: ignore[union-attr]
        for text in (daemon.ready()[1], daemon._status.status_line()):
            assert "; webhooks: verified, last event " in text and text.endswith(", 0 queued")
            assert SECRET not in text
        assert SECRET not in git(repo, "log", "--all", "-p", "--format=%B")


def test_webhook_daemon_event_commits_page_search_does_not_list(tmp_path: Path) -> None:
    """An edited page search leaves out (index lag) is still committed after its event."""
    workspace = Workspace()
    pages = generate_workspace(workspace, pages=8, databases=0, depth=2)
    repo = tmp_path / "mirror"
    with serve(workspace) as server, running_daemon(tmp_path, server) as daemon:
        workspace.set_title(pages[5], "Not in search yet 3c8")
        workspace.lag_search(pages[5])
        body = event(1, pages[5])
        assert post(url(daemon), body, sign(body, SECRET)) == 200
        wait_until("the edit in the mirror", lambda: mirrored(repo, "Not in search yet 3c8"))
        assert daemon.webhooks is not None
        wait_until("the early sync counted", lambda: daemon.webhooks.worker.syncs == 1)  # type: ignore[union-attr]


def test_webhook_daemon_burst_makes_few_syncs(tmp_path: Path) -> None:
    """500 events (with replays) for 50 edited pages make a handful of syncs and requests."""
    workspace = Workspace()
    pages = generate_workspace(workspace, pages=50, databases=0, depth=2)
    repo = tmp_path / "mirror"
    with serve(workspace) as server, running_daemon(tmp_path, server, debounce="2s") as daemon:
        assert daemon.webhooks is not None
        before = commits(repo)
        requests_before = len(server.request_log)
        started = time.monotonic()
        for index, page in enumerate(pages):
            workspace.set_title(page, f"Burst title {index}")
        with httpx.Client(timeout=10) as client:
            for n in range(500):
                body = event(n % 450, pages[n % 50])  # 50 replays of earlier ids
                response = client.post(
                    url(daemon), content=body, headers={"X-Notion-Signature": sign(body, SECRET)}
                )
                assert response.status_code == 200
        burst = time.monotonic() - started
        wait_until("every edit mirrored", lambda: mirrored(repo, "Burst title 49"))
        wait_until("the journal cleared", lambda: not daemon.webhooks.journal.events())  # type: ignore[union-attr]
        # During a burst that never goes quiet a sync runs every max_wait (5 windows =
        # 10 s), plus the one after it: on a loaded machine the 500 POSTs take longer.
        allowed = 3 + int(burst // 10)
        syncs = daemon.webhooks.worker.syncs
        assert syncs <= allowed, (syncs, burst)
        assert commits(repo) - before <= allowed
        # Each changed page costs a few requests once per sync that sees it; never per event.
        requests = len(server.request_log) - requests_before
        assert requests <= 4 * 50 * min(syncs, 2) + 10 * syncs, (requests, syncs)


def test_webhook_daemon_replays_journal_after_crash(tmp_path: Path) -> None:
    """An event answered 200 but never synced (crash) is applied at the next start."""
    workspace = Workspace()
    pages = generate_workspace(workspace, pages=6, databases=0, depth=2)
    repo = tmp_path / "mirror"
    with serve(workspace) as server:
        with running_daemon(tmp_path, server):
            pass
        git_dir = Path(pygit2.Repository(str(repo)).path)
        # The daemon is gone: a receiver alone answers, journals, and "crashes" before any sync.
        receiver = WebhookReceiver(
            WebhookSettings(verification_token_file=tmp_path / "webhook-token"),
            git_dir,
            environ={},
            on_event=lambda _e, _t: None,
        )
        lone = WebhookServer("127.0.0.1:0", receiver)
        lone.start()
        workspace.set_title(pages[2], "Applied after restart 91c")
        body = event(1, pages[2])
        try:
            assert post(lone.url + "/notion/webhook", body, sign(body, SECRET)) == 200
        finally:
            lone.stop()
        assert [e.id for e in Journal(git_dir).events()] == ["ev-1"]
        with running_daemon(tmp_path, server) as daemon:
            assert daemon.webhooks is not None
            wait_until("the replayed sync", lambda: daemon.webhooks.worker.syncs >= 1)  # type: ignore[union-attr]
            assert mirrored(repo, "Applied after restart 91c")
            wait_until("the journal cleared", lambda: not Journal(git_dir).events())


def test_webhook_daemon_lost_event_caught_by_poll(tmp_path: Path) -> None:
    """An edit whose event never arrives is still mirrored by the regular poll."""
    workspace = Workspace()
    pages = generate_workspace(workspace, pages=6, databases=0, depth=2)
    repo = tmp_path / "mirror"
    with serve(workspace) as server, running_daemon(tmp_path, server, interval="1s") as daemon:
        workspace.set_title(pages[1], "Caught by the poll 5e2")
        wait_until("the poll", lambda: mirrored(repo, "Caught by the poll 5e2"))
        assert daemon.webhooks is not None and daemon.webhooks.worker.syncs == 0


def test_webhook_daemon_polls_less_while_webhooks_are_healthy(tmp_path: Path) -> None:
    """A 1 s poll keeps running until a signed event arrives; then it waits for the 1 h
    lighter interval, since the early sync was itself a poll."""
    workspace = Workspace()
    pages = generate_workspace(workspace, pages=4, databases=0, depth=2)
    with (
        serve(workspace) as server,
        running_daemon(tmp_path, server, interval="1s", lighter="1h") as daemon,
    ):
        first = daemon._status.last
        wait_until("a poll while not healthy", lambda: daemon._status.last is not first)
        body = event(1, pages[0])
        assert post(url(daemon), body, sign(body, SECRET)) == 200
        assert daemon.webhooks is not None
        wait_until("the early sync", lambda: daemon.webhooks.worker.syncs == 1)  # type: ignore[union-attr]
        wait_until("idle", lambda: not daemon._status.running)
        after = daemon._status.last
        time.sleep(3)  # three poll firings, each skipped
        assert daemon._status.last is after


def test_webhook_daemon_deleted_event_sweeps(tmp_path: Path) -> None:
    """A page.deleted event runs the sweep, which removes the trashed page from the mirror."""
    workspace = Workspace()
    pages = generate_workspace(workspace, pages=6, databases=0, depth=2)
    repo = tmp_path / "mirror"
    with serve(workspace) as server, running_daemon(tmp_path, server) as daemon:
        workspace.set_title(pages[4], "Doomed page 4ab")
        workspace.touch(pages[4])
        body = event(1, pages[4])
        assert post(url(daemon), body, sign(body, SECRET)) == 200
        wait_until("the title", lambda: mirrored(repo, "Doomed page 4ab"))
        workspace.trash(pages[4])
        body = event(2, pages[4], "page.deleted")
        assert post(url(daemon), body, sign(body, SECRET)) == 200
        wait_until("the removal", lambda: not mirrored(repo, "Doomed page 4ab"))


def test_webhook_daemon_out_of_order_events_do_not_resurrect(tmp_path: Path) -> None:
    """A deletion delivered before the edit that preceded it still ends with the page gone:
    the sync reads Notion's current state, not the events' order."""
    workspace = Workspace()
    pages = generate_workspace(workspace, pages=6, databases=0, depth=2)
    repo = tmp_path / "mirror"
    with serve(workspace) as server, running_daemon(tmp_path, server) as daemon:
        workspace.set_title(pages[4], "Edited then trashed 6e1")
        workspace.trash(pages[4])
        for body in (event(2, pages[4], "page.deleted"), event(1, pages[4])):
            assert post(url(daemon), body, sign(body, SECRET)) == 200
        assert daemon.webhooks is not None
        wait_until("the sync", lambda: daemon.webhooks.worker.syncs >= 1)  # type: ignore[union-attr]
        wait_until("idle", lambda: not daemon._status.running)
        assert not mirrored(repo, "Edited then trashed 6e1")
        assert pages[4] not in git(repo, "ls-tree", "-r", "--name-only", "HEAD")


def test_webhook_daemon_aggregated_event_commits_latest_version(tmp_path: Path) -> None:
    """One event standing for several edits (Notion aggregates) commits the last version."""
    workspace = Workspace()
    pages = generate_workspace(workspace, pages=6, databases=0, depth=2)
    repo = tmp_path / "mirror"
    with serve(workspace) as server, running_daemon(tmp_path, server) as daemon:
        for n in range(3):
            workspace.set_title(pages[2], f"Aggregated edit {n} 0f5")
        body = event(1, pages[2])
        assert post(url(daemon), body, sign(body, SECRET)) == 200
        wait_until("the last edit", lambda: mirrored(repo, "Aggregated edit 2 0f5"))
        assert not mirrored(repo, "Aggregated edit 1 0f5")

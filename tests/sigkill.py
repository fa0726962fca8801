"""Real ``SIGKILL`` of ``notion-syncd`` processes at a chosen request, and the invariants after.

``RequestKiller`` sits in front of the fake Notion server's ``handle``: it counts every
request that reaches the server (answered or not), and when the armed process sends its
N-th request it sends that process ``SIGKILL`` before answering. With one fetch worker
the instant is the same on every run up to the listing's read-ahead; what the process
was doing at that moment (writing files, committing, fsyncing, waiting) is whatever its
threads were doing, as with a real crash.

``check_after_kill`` holds after any kill: the repository reads back whole (``git fsck``)
and the committed watermark is not past a page the committed index lacks.
``check_after_run`` holds once a run finished: no git lock file left, the working tree
equal to HEAD, ``git fsck`` clean.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
import pygit2

from notion_syncd.fake_notion import FakeNotion, Workspace
from notion_syncd.fake_notion.api import ConnectionReset
from notion_syncd.fake_notion.clock import minute_timestamp
from notion_syncd.sync.state import STATE_FILE, IndexEntry, index_path

KILLED = -signal.SIGKILL


class RequestKiller:
    """Counts the fake's requests; SIGKILLs the armed process at its ``at``-th request."""

    def __init__(self, fake: FakeNotion) -> None:
        self._answer = fake.handle
        fake.handle = self.handle  # type: ignore[method-assign]
        self._lock = threading.Lock()
        self.requests = 0
        self._start = 0
        self._at: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._started = threading.Event()

    def arm(self, at: int | None) -> None:
        """The next process started is killed at its ``at``-th request (None: never)."""
        with self._lock:
            self._at, self._start, self._process = at, self.requests, None
            self._started.clear()

    def started(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._process = process
        self._started.set()

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests += 1
            due = self._at is not None and self.requests - self._start >= self._at
            if due:
                self._at = None
        if due:
            self._started.wait(30)
            assert self._process is not None
            os.kill(self._process.pid, signal.SIGKILL)
            raise ConnectionReset("the client was killed", request=request)
        return self._answer(request)


def kill_child_after(code: str, args: list[str], seconds: float) -> None:
    """Run ``python -c code *args`` on this checkout and ``SIGKILL`` it after ``seconds``."""
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "PATH": "/usr/bin:/bin"}
    child = subprocess.Popen([sys.executable, "-c", code, *args], env=env)
    time.sleep(seconds)
    child.send_signal(signal.SIGKILL)
    child.wait()


def run_cli(
    killer: RequestKiller | None,
    args: list[str],
    env: dict[str, str],
    log: Path,
    kill_at: int | None,
) -> bool:
    """Run ``python -m notion_syncd ARGS``; True when it exited 0, False when killed."""
    if killer is not None:
        killer.arm(kill_at)
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "notion_syncd", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
        )
        if killer is not None:
            killer.started(process)
        code = process.wait(timeout=300)
    if killer is not None:
        killer.arm(None)
    if code == KILLED:
        return False
    assert code == 0, f"exit {code}: {log.read_text(errors='replace')[-3000:]}"
    return True


def fsck(repo: Path) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "fsck", "--full", "--strict", "--no-dangling"],
        check=True,
        capture_output=True,
    )


def check_after_kill(repo: Path, workspace: Workspace) -> None:
    """Whole objects, and no page at or below the committed watermark missing from HEAD."""
    if not (repo / ".git" / "HEAD").exists():
        return
    git_repo = pygit2.Repository(str(repo))
    if git_repo.head_is_unborn:
        return  # killed before the first commit: nothing committed, nothing to check
    fsck(repo)
    tree = git_repo.head.peel(pygit2.Commit).tree
    watermark = _json_field(git_repo, tree, STATE_FILE, "watermark")
    if watermark is None:
        return
    with workspace.lock:
        pages = [
            (page.id, minute_timestamp(page.last_edited_time))
            for page in workspace.pages.values()
            if not page.in_trash and page.shared
        ]
    for page_id, edited in pages:
        if _when(edited) > _when(watermark):
            continue
        blob = _blob(git_repo, tree, index_path(page_id))
        assert blob is not None, f"{page_id} (edited {edited}) unmirrored below {watermark}"
        assert IndexEntry.from_json(blob).last_edited_time == edited, page_id


def check_after_run(repo: Path) -> None:
    """After a finished run: no git lock file, the working tree equal to HEAD, fsck clean,
    and no side ref of local edits (nobody edits these mirrors: a killed sync's own writes
    are not a person's)."""
    git_dir = repo / ".git"
    assert not [p for p in git_dir.rglob("*.lock") if p.name != "notion-syncd.lock"]
    local = [ref for ref in pygit2.Repository(str(repo)).references if "/local/" in ref]
    assert local == [], local
    status = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert status == ""
    fsck(repo)


def _blob(repo: pygit2.Repository, tree: pygit2.Tree, path: str) -> bytes | None:
    try:
        entry = tree[path]
    except KeyError:
        return None
    blob = repo[entry.id]
    assert isinstance(blob, pygit2.Blob)
    return blob.data


def _json_field(repo: pygit2.Repository, tree: pygit2.Tree, path: str, key: str) -> str | None:
    raw = _blob(repo, tree, path)
    if raw is None:
        return None
    value = json.loads(raw).get(key)
    return None if value is None else str(value)


def _when(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))

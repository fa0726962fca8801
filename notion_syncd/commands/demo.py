"""``notion-syncd demo`` and ``notion-syncd fake-server``: the product without a token.

The demo starts the built-in fake Notion API on loopback with a sample workspace,
mirrors it, edits a few pages, mirrors again and prints the history — the same code
path as a real sync, with no token and no network.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

import pygit2

from notion_syncd.config import load_settings
from notion_syncd.errors import UsageError
from notion_syncd.fake_notion import (
    FakeClock,
    FakeNotionServer,
    Workspace,
    demo_edits,
    demo_workspace,
)
from notion_syncd.sync.runner import run_sync

DEMO_TOKEN = "secret_demo_token_for_the_fake_server"
DEMO_MARKER = "notion-syncd-demo"


def _prepare(directory: Path) -> None:
    """Use an empty or missing folder, or replace a mirror an earlier demo made."""
    if not directory.exists():
        return
    if (directory / ".git" / DEMO_MARKER).exists():
        shutil.rmtree(directory)
        return
    if any(directory.iterdir()):
        raise UsageError(f"{directory} is not empty", hint="give the demo an empty or new folder")


def _history(directory: Path, out: TextIO) -> None:
    repo = pygit2.Repository(str(directory))
    commits = list(repo.walk(repo.head.target, pygit2.enums.SortMode.TIME))
    for commit in commits:
        if commit.parents:
            diff = commit.parents[0].tree.diff_to_tree(commit.tree)
        else:
            diff = commit.tree.diff_to_tree(swap=True)
        out.write(f"commit {str(commit.id)[:12]}\n")
        out.write("".join(f"    {line}\n" for line in commit.message.rstrip().splitlines()))
        out.write(f"    ({diff.stats.files_changed} files changed)\n\n")


def run_demo(directory: Path, *, out: TextIO) -> int:
    directory = directory.resolve()
    _prepare(directory)
    # The sample workspace was "written" two hours ago, so its edits have settled.
    clock = FakeClock(datetime.now(UTC) - timedelta(hours=2))
    workspace = Workspace(clock)
    demo_workspace(workspace)
    with FakeNotionServer(workspace, token=DEMO_TOKEN) as server:
        settings = load_settings(
            None,
            overrides={
                "notion": {
                    "token": DEMO_TOKEN,
                    "base_url": server.base_url,
                    "requests_per_second": 50,
                    "burst": 10,
                },
                "export": {"repo": str(directory), "formats": ["markdown", "json", "csv", "html"]},
            },
            environ={},
        )
        out.write(f"Fake Notion workspace at {server.base_url}; mirroring into {directory}\n\n")
        first = run_sync(settings)
        (directory / ".git" / DEMO_MARKER).write_text("made by notion-syncd demo\n")
        out.write(f"first sync:  {first.summary()}\n")
        again = run_sync(settings)
        out.write(f"second sync: {again.summary()}\n")
        clock.advance(minutes=10)
        demo_edits(workspace)
        out.write("\n(edited in Notion: 2 pages changed, a task done, a task and a page added)\n")
        third = run_sync(settings)
        out.write(f"third sync:  {third.summary()}\n\n")
    out.write("git log of the mirror:\n\n")
    _history(directory, out)
    out.write(f"Open {directory / 'index.html'} in a browser, or browse the Markdown files.\n")
    return 0


def serve_fake(port: int, *, token: str, out: TextIO) -> int:
    """Serve the sample workspace until interrupted (for trying notion-syncd by hand)."""
    workspace = Workspace()
    demo_workspace(workspace)
    with FakeNotionServer(workspace, token=token, port=port) as server:
        out.write(
            f"Fake Notion API at {server.base_url} (token {token!r}). "
            "Set notion.base_url to it. Ctrl-C stops.\n"
        )
        out.flush()
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0

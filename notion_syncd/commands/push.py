"""``notion-syncd push``: push the mirror to every configured remote now."""

from __future__ import annotations

from typing import TextIO

from notion_syncd.config import Settings
from notion_syncd.errors import UsageError
from notion_syncd.gitremote import default_homedir, push_all


def push_now(settings: Settings, *, out: TextIO) -> int:
    """Push to every remote, ignoring backoff; exit status 1 if any remote failed."""
    if not settings.git.remotes:
        raise UsageError("no remotes configured", hint="add a [[git.remotes]] section")
    results = push_all(
        settings.export.repo,
        settings.git,
        local_branch=settings.export.branch,
        homedir=default_homedir(settings.export.repo),
        force_attempt=True,
    )
    for result in results:
        if result.ok:
            state = "up to date" if result.skipped else f"pushed {(result.commit or '')[:12]}"
            out.write(f"{result.remote}: {state}\n")
        else:
            out.write(f"{result.remote}: FAILED: {result.error}\n")
    return 0 if all(result.ok for result in results) else 1

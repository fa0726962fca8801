"""``notion-syncd check``'s index entries: compared with the JSON records, and repaired.

The comparison (:func:`index_damage`) reads the working tree a sync would read, or the
branch's tree while a sync holds the mirror lock (its working tree is in flux) or after
a crash (the next open resets the working tree to it); it changes nothing. The repair
(:func:`repair_index`, ``check --repair``) opens the mirror like a sync (lock, reset of
a crashed sync's writes), rewrites every index file that differs from the records,
removes those that name no record, and commits that as one normal commit (a person's
uncommitted edit of a rewritten file is kept on a side ref first, as a sync does; see
:mod:`notion_syncd.localedits`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pygit2

from notion_syncd import gittree, mirrorcheck, mirrorguard
from notion_syncd.config import Settings
from notion_syncd.gitstore import UNCOMMITTED_MARKER, Author, open_mirror
from notion_syncd.sync import lag, planner
from notion_syncd.sync.indexrepair import Damage, Settling, find_damage
from notion_syncd.sync.snapshot import CommittedTree, WorkingTree
from notion_syncd.sync.state import IndexEntry, MirrorFiles, read_state

LISTED_IN_COMMIT = 200
"""Files named in the repair commit's message; the count says how many more."""
HISTORY_DEPTH = 100
"""Commits searched for an earlier version of a rebuilt entry (``Settling.earlier``)."""


@dataclass
class IndexReport:
    """How many index files differ from the records, and the first few of them."""

    count: int = 0
    listed: list[Damage] = field(default_factory=list)
    commit: str | None = None

    def add(self, damage: Damage, keep: int) -> None:
        self.count += 1
        if len(self.listed) < keep:
            self.listed.append(damage)


def listing_floor(files: MirrorFiles, settings: Settings) -> datetime | None:
    """Where the next sync's listing stops (``runner``); raises on a damaged state file."""
    state = read_state(files)
    reach = lag.listing_reach(settings.sync.overlap, state.search_lag)
    return planner.listing_floor(state.watermark, reach)


def earlier_entries(repo: Any, branch: str) -> Callable[[str], IndexEntry | None]:
    """The newest readable version of an index file in the branch's last
    ``HISTORY_DEPTH`` commits (first parents), or None."""

    def earlier(rel: str) -> IndexEntry | None:
        try:
            commit = repo.revparse_single(f"refs/heads/{branch}").peel(pygit2.Commit)
        except (KeyError, pygit2.GitError):
            return None
        for _ in range(HISTORY_DEPTH):
            blob = gittree.blob_at(commit.tree, rel)
            if blob is not None:
                with contextlib.suppress(ValueError, TypeError, AttributeError):
                    return IndexEntry.from_json(repo[blob].data)
            if not commit.parents:
                return None
            commit = commit.parents[0]
        return None

    return earlier


def _settling(files: MirrorFiles, repo: Any, settings: Settings) -> Settling:
    floor = listing_floor(files, settings)
    return Settling(floor, earlier_entries(repo, settings.export.branch))


def _mirror_path(settings: Settings) -> Path:
    return Path(os.path.realpath(settings.export.repo))


def index_damage(settings: Settings, keep: int) -> IndexReport:
    """Compare the index with the records, read-only; the first ``keep`` damages listed."""
    path = _mirror_path(settings)
    files: MirrorFiles
    git_dir = path / ".git"
    if mirrorcheck.sync_running(git_dir) or (git_dir / UNCOMMITTED_MARKER).exists():
        # A sync is writing, or one died and the next open resets to the branch.
        files = CommittedTree(path, settings.export.branch)
    else:
        files = WorkingTree(path)
    report = IndexReport()
    repo = mirrorguard.open_repository(path)
    try:
        for damage in find_damage(files, _settling(files, repo, settings)):
            report.add(damage, keep)
    finally:
        repo.free()
    return report


def repair_message(report: IndexReport) -> str:
    noun = "file" if report.count == 1 else "files"
    lines = [f"- {damage.rel}: {damage.problem}" for damage in report.listed]
    if report.count > len(report.listed):
        lines.append(f"- … and {report.count - len(report.listed)} more")
    return (
        f"Repair the index: {report.count} {noun} rebuilt from the JSON records\n\n"
        "notion-syncd check --repair found these index files differing from the\n"
        "lossless JSON records they are derived from, and rewrote or removed them:\n"
        + "\n".join(lines)
        + "\n"
    )


def repair_index(settings: Settings) -> IndexReport:
    """Rewrite what differs from the records and commit it (nothing to do: no commit)."""
    report = IndexReport()
    with open_mirror(
        settings.export.repo,
        branch=settings.export.branch,
        keep_git_index=settings.export.keep_git_index,
    ) as mirror:
        for damage in find_damage(mirror, _settling(mirror, mirror.repo, settings)):
            if damage.entry is None:
                mirror.delete(damage.rel)
            else:
                mirror.write(damage.rel, damage.entry)
            report.add(damage, LISTED_IN_COMMIT)
        if report.count:
            author = Author(settings.git.author_name, settings.git.author_email)
            report.commit = mirror.commit(repair_message(report), author)
    return report

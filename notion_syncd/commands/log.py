"""``notion-syncd log [PAGE]``: who changed what and when, from the mirror's commits.

With a PAGE (id, Notion URL or path in the mirror): one line per version of that page,
newest first, followed by id across renames and moves (:mod:`notion_syncd.mirrorhistory`),
with its author, the author date (the Notion edit when the commit is authored by an
editor) and what changed (``summary``). Without: one line per commit of the mirror
branch. The moves step a sync commits before its edits is part of the sync's version
and is not listed. Only the repository is read: no lock, no network.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TextIO

import pygit2

from notion_syncd.config import Settings
from notion_syncd.errors import UsageError
from notion_syncd.mirrorhistory import (
    MirrorHistory,
    PageChange,
    PageState,
    author_time,
    page_changes,
    page_id_of,
)


def summary(before: PageState | None, after: PageState | None, lines: tuple[int, int]) -> str:
    """What one version changed, in words: created, removed, renamed, moved, lines."""
    if before is None:
        return "created"
    if after is None:
        return "removed"
    parts = []
    if after.title != before.title:
        parts.append(f"renamed {before.title!r} → {after.title!r}")
    folder_before, folder_after = _folder(before.stem), _folder(after.stem)
    if folder_after != folder_before:
        parts.append(f"moved {folder_before or '(top)'} → {folder_after or '(top)'}")
    elif after.stem != before.stem and after.title == before.title:
        parts.append(f"path {before.stem}.md → {after.stem}.md")
    added, deleted = lines
    if added or deleted:
        parts.append(f"+{added} -{deleted} lines")
    elif after.blobs != before.blobs and not parts:
        parts.append("properties or metadata only")
    return ", ".join(parts) or "unchanged"


def _folder(stem: str) -> str:
    return stem.rsplit("/", 1)[0] if "/" in stem else ""


def _line_counts(mirror: MirrorHistory, change: PageChange) -> tuple[int, int]:
    """Markdown lines added and deleted by a version (0, 0 without Markdown)."""
    old = change.before.blobs[0] if change.before else None
    new = change.after.blobs[0] if change.after else None
    if old == new:
        return 0, 0
    patch = pygit2.Patch.create_from(
        mirror.repo[old] if old else None, mirror.repo[new] if new else None
    )
    _, added, deleted = patch.line_stats
    return added, deleted


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if moment else "-"


def page_log(settings: Settings, page: str) -> list[str]:
    """The lines of ``log PAGE``: commit, author date, author, what changed; newest first."""
    mirror = MirrorHistory(settings)
    object_id = page_id_of(mirror, page)
    changes = page_changes(mirror, object_id)
    if not changes:
        raise UsageError(f"page {object_id} was never in the mirror at {settings.export.repo}")
    lines = []
    for change in changes:
        version = change.version
        what = summary(change.before, change.after, _line_counts(mirror, change))
        where = "" if version.removed else f"  ({version.path}.md)"
        name = version.author.split(" <", 1)[0]
        lines.append(f"{version.commit[:12]}  {_when(version.authored)}  {name}  {what}{where}")
    return lines


def workspace_log(settings: Settings) -> list[str]:
    """The lines of ``log``: every commit of the mirror branch, newest first."""
    mirror = MirrorHistory(settings)
    return [_commit_line(commit) for commit in mirror.commits()]


def _commit_line(commit: Any) -> str:
    subject = commit.message.split("\n", 1)[0]
    return f"{str(commit.id)[:12]}  {_when(author_time(commit))}  {commit.author.name}  {subject}"


def print_log(settings: Settings, page: str | None, *, out: TextIO) -> int:
    """``notion-syncd log [PAGE]``."""
    lines = page_log(settings, page) if page else workspace_log(settings)
    for line in lines:
        out.write(line + "\n")
    return 0

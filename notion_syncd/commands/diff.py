"""``notion-syncd diff PAGE``: a page's Markdown change between two versions, unified.

Each end is a WHEN: a commit of the mirror (as ``history`` and ``log`` list them, or any
revision git understands) or an ISO date or datetime (the mirror as it was then,
naive = UTC, a date means its end). ``--to`` defaults to the branch head; ``--from``
to the version before the one ``--to`` shows, so a bare ``diff PAGE`` shows the page's
last change and ``--at WHEN`` the change that made the version current at WHEN. The
page is followed by id across renames and moves; an end where the page is not in the
mirror is empty (``/dev/null``). No change prints nothing. Only the repository is read.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from notion_syncd.config import Settings
from notion_syncd.errors import UsageError
from notion_syncd.mirrorhistory import MirrorHistory, page_id_of, parse_when, versions_of

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Side:
    """One end of a diff: the commit (None: before the mirror began) and what it holds."""

    commit: Any | None
    label: str
    markdown: str


def unified(before: Side, after: Side) -> str:
    """The unified diff of two sides' Markdown; empty when they are equal."""
    lines = difflib.unified_diff(
        before.markdown.splitlines(keepends=True),
        after.markdown.splitlines(keepends=True),
        fromfile=before.label,
        tofile=after.label,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


class PageDiff:
    """Resolves the ends of a diff of one page on the mirror's first-parent chain."""

    def __init__(self, settings: Settings, page: str) -> None:
        self.mirror = MirrorHistory(settings)
        self.page_id = page_id_of(self.mirror, page)
        self.chain = self.mirror.commits()
        self.position = {str(commit.id): number for number, commit in enumerate(self.chain)}
        if not versions_of(self.mirror, self.page_id):
            raise UsageError(
                f"page {self.page_id} was never in the mirror at {settings.export.repo}"
            )

    def at(self, when: str, option: str) -> int:
        """Position in the chain (0 = head) of a WHEN; len(chain) = before the first commit."""
        if DATE.match(when.strip()):
            moment = parse_when(when, option)
            for number, commit in enumerate(self.chain):
                if datetime.fromtimestamp(commit.commit_time, UTC) <= moment:
                    return number
            return len(self.chain)
        commit = self.mirror.commit(when)
        while str(commit.id) not in self.position:  # a moves step: its parent's content
            if not commit.parents:
                raise UsageError(f"{option} {when}: not a commit of the mirror branch")
            commit = commit.parents[0]
        return self.position[str(commit.id)]

    def previous(self, position: int) -> int:
        """Position of the commit just before the version shown at ``position``."""
        for version in versions_of(self.mirror, self.page_id):
            number = self.position[version.commit]
            if number >= position:
                return number + 1
        return len(self.chain)

    def side(self, position: int) -> Side:
        if position >= len(self.chain):
            return Side(None, "/dev/null", "")
        commit = self.chain[position]
        state = self.mirror.state(commit, self.page_id)
        markdown = self.mirror.markdown(commit, self.page_id)
        if state is None or markdown is None:
            return Side(commit, "/dev/null", "")
        when = datetime.fromtimestamp(commit.commit_time, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        return Side(commit, f"{state.stem}.md\t{str(commit.id)[:12]} {when}", markdown)


def page_diff(
    settings: Settings,
    page: str,
    *,
    start: str | None = None,
    end: str | None = None,
    at: str | None = None,
) -> str:
    """The unified diff of a page between ``start`` and ``end`` (or the change ``at``)."""
    if at is not None and (start is not None or end is not None):
        raise UsageError("diff takes --at alone, or --from and/or --to")
    diff = PageDiff(settings, page)
    newer = diff.at(at, "--at") if at else diff.at(end, "--to") if end else 0
    older = diff.at(start, "--from") if start else diff.previous(newer)
    return unified(diff.side(older), diff.side(newer))


def print_diff(
    settings: Settings,
    page: str,
    *,
    start: str | None,
    end: str | None,
    at: str | None,
    out: TextIO,
) -> int:
    """``notion-syncd diff PAGE [--from WHEN] [--to WHEN] | [--at WHEN]``."""
    out.write(page_diff(settings, page, start=start, end=end, at=at))
    return 0

"""``notion-syncd history`` and ``show --at``: a page's versions, its Markdown at a date.

The versions come from :mod:`notion_syncd.mirrorhistory` (followed by id across
renames and moves). Only the repository is read: no lock, no network.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TextIO

from notion_syncd.config import Settings
from notion_syncd.errors import UsageError
from notion_syncd.mirrorhistory import (
    MirrorHistory,
    Version,
    page_id_of,
    parse_when,
    versions_of,
)


def page_history(settings: Settings, page: str) -> list[Version]:
    """Every version of a page (newest first), followed across renames and moves by id."""
    mirror = MirrorHistory(settings)
    object_id = page_id_of(mirror, page)
    versions = versions_of(mirror, object_id)
    if not versions:
        raise UsageError(f"page {object_id} was never in the mirror at {settings.export.repo}")
    return versions


def show_page(settings: Settings, page: str, at: datetime) -> str:
    """The page's Markdown as of the newest commit at or before ``at``."""
    mirror = MirrorHistory(settings)
    object_id = page_id_of(mirror, page)
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    for version in versions_of(mirror, object_id):
        if version.time > at:
            continue
        if version.removed:
            raise UsageError(
                f"page {object_id} was not in the mirror at {at.isoformat()} "
                f"(removed by commit {version.commit[:12]}: {version.subject})"
            )
        markdown = mirror.markdown(mirror.repo[version.commit], object_id)
        assert markdown is not None  # a version that is not removed holds the page
        return markdown
    raise UsageError(f"page {object_id} was not in the mirror yet at {at.isoformat()}")


def format_version(version: Version) -> str:
    """One line of ``notion-syncd history``."""
    when = version.time.strftime("%Y-%m-%d %H:%M:%S")
    what = "(removed)" if version.removed else f"{version.path}.md"
    return f"{version.commit[:12]}  {when}Z  {what}  {version.title!r}  {version.subject}"


def print_history(settings: Settings, page: str, *, out: TextIO) -> int:
    """``notion-syncd history PAGE``: one line per version, newest first."""
    for version in page_history(settings, page):
        out.write(format_version(version) + "\n")
    return 0


def print_page_at(settings: Settings, page: str, at: str, *, out: TextIO) -> int:
    """``notion-syncd show PAGE --at DATE``: the page's Markdown as it was then."""
    out.write(show_page(settings, page, parse_when(at)))
    return 0

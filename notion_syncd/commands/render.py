"""``notion-syncd render``: rebuild every view from the JSON stored in the mirror, offline."""

from __future__ import annotations

from notion_syncd.config import Settings
from notion_syncd.gitstore import Author, open_mirror
from notion_syncd.sync.rerender import rebuild_views
from notion_syncd.sync.state import Index


def render_mirror(settings: Settings) -> str:
    """Rewrite Markdown/HTML/CSV from the stored JSON and commit; a line for a person."""
    formats = tuple(settings.export.formats)
    with open_mirror(
        settings.export.repo,
        branch=settings.export.branch,
        keep_git_index=settings.export.keep_git_index,
    ) as mirror:
        count = rebuild_views(mirror, Index(mirror), formats)
        commit = mirror.commit(
            "Render: rebuild views from the stored JSON\n",
            Author(settings.git.author_name, settings.git.author_email),
        )
    if commit is None:
        return f"re-rendered {count} objects; every file was already up to date"
    return f"re-rendered {count} objects; commit {commit[:12]}"

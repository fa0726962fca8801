"""Page history from the mirror's git log: ``notion-syncd history`` and ``show --at``.

A page is followed by its Notion id, not by its path, so renames and moves do not
break the chain. For each commit on the mirror branch (first parents, newest first)
the page's path stem is derived exactly as the sync derives it: from the index entry
``.notion-syncd/index/<2 hex>/<id>.json`` in that commit's tree (its ``name``), then its
parent's entry, up to the top level. That costs a few tree lookups per commit (the
depth of the page), whatever the size of the mirror or of the commit's diff, and parsed
entries are cached by blob id (an entry that did not change is parsed once). A commit
is a *version* when the page's stem or the blobs of its ``.md``/``.json`` differ from
the next older commit's; a commit where the page disappears is a version with
``removed=True``.

History only reads the repository (no lock): it can run while the daemon syncs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO

import pygit2

from notion_syncd import gittree
from notion_syncd.config import Settings
from notion_syncd.errors import GitStoreError, UsageError
from notion_syncd.gittree import MOVES_TRAILER
from notion_syncd.sync.state import index_path
from notion_syncd.terms import compact_id, dashed_id

HEX32 = re.compile(r"([0-9a-f]{32})$")
UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$")
FRONT_MATTER_ID = re.compile(r'^id: "([0-9a-f-]{36})"$', re.MULTILINE)
MAX_DEPTH = 200


@dataclass(frozen=True)
class Version:
    """One version of a page in the mirror: the commit that wrote (or removed) it."""

    commit: str
    time: datetime
    title: str
    path: str  # repo-relative path stem (add .md / .json)
    subject: str
    removed: bool = False


@dataclass(frozen=True)
class _State:
    stem: str
    title: str
    blobs: tuple[str | None, str | None]  # (.md, .json)


class _Mirror:
    """Read-only view of the mirror's commits and trees."""

    def __init__(self, settings: Settings) -> None:
        path = Path(settings.export.repo)
        try:
            self.repo: Any = pygit2.Repository(str(path))
        except (pygit2.GitError, KeyError):
            raise GitStoreError(f"no mirror repository at {path}") from None
        self.path = path.resolve()
        self.branch = settings.export.branch
        self._entries: dict[str, dict[str, Any] | None] = {}

    def head(self) -> Any | None:
        try:
            return self.repo.revparse_single(f"refs/heads/{self.branch}")
        except (KeyError, pygit2.GitError):
            return None

    def commits(self) -> list[Any]:
        """First-parent chain of the branch, newest first; moves-only commits left out.

        A sync whose moved files also changed commits the moves first (``gittree``):
        that step is part of the sync's version, not a version of its own.
        """
        commits = []
        commit = self.head()
        while commit is not None:
            if not commit.message.rstrip().endswith(MOVES_TRAILER):
                commits.append(commit)
            commit = commit.parents[0] if commit.parents else None
        return commits

    @staticmethod
    def blob_id(tree: Any, rel: str) -> str | None:
        blob = gittree.blob_at(tree, rel)  # not tree[rel]: it leaks rel (``gittree``)
        return str(blob) if blob is not None else None

    def read(self, tree: Any, rel: str) -> bytes | None:
        blob = self.blob_id(tree, rel)
        return bytes(self.repo[blob].data) if blob is not None else None

    def entry(self, tree: Any, object_id: str) -> dict[str, Any] | None:
        blob = self.blob_id(tree, index_path(object_id))
        if blob is None:
            return None
        if blob not in self._entries:
            try:
                value = json.loads(self.repo[blob].data)
            except ValueError:
                value = None
            self._entries[blob] = value if isinstance(value, dict) else None
        return self._entries[blob]

    def stem(self, tree: Any, object_id: str) -> tuple[str, str] | None:
        """(path stem, title) of an object in a commit's tree, or None if not mirrored."""
        parts: list[str] = []
        title: str | None = None
        current: str | None = object_id
        for _ in range(MAX_DEPTH):
            if current is None:
                return "/".join(reversed(parts)), title or ""
            entry = self.entry(tree, current)
            if entry is None:
                return None
            if entry.get("alias_of"):
                current = str(entry["alias_of"])
                continue
            if title is None:
                title = str(entry.get("title") or "")
            parts.append(str(entry["name"]))
            parent = entry.get("parent")
            current = str(parent) if parent else None
        return None

    def state(self, commit: Any, object_id: str) -> _State | None:
        tree = commit.tree
        found = self.stem(tree, object_id)
        if found is None:
            return None
        stem, title = found
        blobs = (self.blob_id(tree, f"{stem}.md"), self.blob_id(tree, f"{stem}.json"))
        return _State(stem, title, blobs)


def page_id_of(mirror: _Mirror, page: str) -> str:
    """The dashed Notion id named by PAGE: an id, a Notion URL, or a path in the mirror."""
    text = page.strip()
    if UUID.match(text.lower()):
        return dashed_id(compact_id(text.lower()))
    if "notion.so" in text or text.startswith(("http://", "https://")):
        last = text.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        match = HEX32.search(last.replace("-", "").lower())
        if match:
            return dashed_id(match.group(1))
        raise UsageError(f"no page id at the end of the URL {page!r}")
    return _id_from_path(mirror, text)


def _id_from_path(mirror: _Mirror, text: str) -> str:
    candidate = Path(text)
    if candidate.is_absolute():
        try:
            candidate = candidate.resolve().relative_to(mirror.path)
        except ValueError:
            raise UsageError(f"{text} is not inside the mirror at {mirror.path}") from None
    rel = candidate.as_posix()
    stem = rel.rsplit(".", 1)[0] if rel.endswith((".md", ".json", ".html")) else rel
    for commit in mirror.commits():  # HEAD first; a path that no longer exists still works
        raw = mirror.read(commit.tree, f"{stem}.json")
        if raw is not None:
            try:
                data = json.loads(raw)
                holder = data.get("page") or data.get("data_source") or {}
                return dashed_id(str(holder["id"]))
            except (ValueError, KeyError, AttributeError, TypeError):
                pass
        markdown = mirror.read(commit.tree, f"{stem}.md")
        if markdown is not None and (match := FRONT_MATTER_ID.search(markdown.decode())):
            return match.group(1)
    raise UsageError(f"{text} is not a page of the mirror (give its id, URL or .md path)")


def _versions(mirror: _Mirror, object_id: str) -> list[Version]:
    commits = mirror.commits()
    states = [mirror.state(commit, object_id) for commit in commits]
    versions = []
    for position, (commit, state) in enumerate(zip(commits, states, strict=True)):
        older = states[position + 1] if position + 1 < len(states) else None
        if state == older:
            continue
        when = datetime.fromtimestamp(commit.commit_time, UTC)
        subject = commit.message.split("\n", 1)[0]
        if state is None:
            assert older is not None
            versions.append(Version(str(commit.id), when, older.title, older.stem, subject, True))
        else:
            versions.append(Version(str(commit.id), when, state.title, state.stem, subject))
    return versions


def page_history(settings: Settings, page: str) -> list[Version]:
    """Every version of a page (newest first), followed across renames and moves by id."""
    mirror = _Mirror(settings)
    object_id = page_id_of(mirror, page)
    versions = _versions(mirror, object_id)
    if not versions:
        raise UsageError(f"page {object_id} was never in the mirror at {settings.export.repo}")
    return versions


def show_page(settings: Settings, page: str, at: datetime) -> str:
    """The page's Markdown as of the newest commit at or before ``at``."""
    mirror = _Mirror(settings)
    object_id = page_id_of(mirror, page)
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    for version in _versions(mirror, object_id):
        if version.time > at:
            continue
        if version.removed:
            raise UsageError(
                f"page {object_id} was not in the mirror at {at.isoformat()} "
                f"(removed by commit {version.commit[:12]}: {version.subject})"
            )
        commit = mirror.repo[version.commit]
        markdown = mirror.read(commit.tree, f"{version.path}.md")
        if markdown is None:
            raise UsageError(f"the mirror has no Markdown for {version.path} (formats setting)")
        return markdown.decode()
    raise UsageError(f"page {object_id} was not in the mirror yet at {at.isoformat()}")


def parse_when(text: str) -> datetime:
    """``--at`` DATE: an ISO date or datetime; naive means UTC; a date means its end."""
    try:
        if len(text.strip()) == 10:
            day = datetime.fromisoformat(text.strip()).date()
            return datetime.combine(day + timedelta(days=1), time(0), UTC) - timedelta(
                microseconds=1
            )
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--at wants an ISO date or datetime, not {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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

"""The mirror's history, read-only: its commits and the versions of one page, by id.

Shared by the verbs that read history (``history``, ``show``, ``log``, ``diff``,
``restore``). A page is followed by its Notion id, not by its path, so renames and
moves do not break the chain. For each commit on the mirror branch (first parents,
newest first) the page's path stem is derived exactly as the sync derives it: from the
index entry ``.notion-syncd/index/<2 hex>/<id>.json`` in that commit's tree (its
``name``), then its parent's entry, up to the top level. That costs a few tree lookups
per commit (the depth of the page), whatever the size of the mirror or of the commit's
diff, and parsed entries are cached by blob id (an entry that did not change is parsed
once). A commit is a *version* when the page's stem or the blobs of its ``.md``/``.json``
differ from the next older commit's; a commit where the page disappears is a version
with ``removed=True``.

Reading history takes no lock and makes no network request: it can run while the
daemon syncs, and without a token.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

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
    time: datetime  # committer time: when the mirror had it
    title: str
    path: str  # repo-relative path stem (add .md / .json)
    subject: str
    removed: bool = False
    author: str = ""  # "Name <e-mail>" of the commit's author
    authored: datetime | None = None  # author time: the Notion edit, when authored


@dataclass(frozen=True)
class PageState:
    """Where a page is in one commit's tree, its title, and the blobs of its files."""

    stem: str
    title: str
    blobs: tuple[str | None, str | None]  # (.md, .json)


class MirrorHistory:
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

    def commit(self, revision: str) -> Any:
        """The commit a revision (hash, ``HEAD~2``, branch) names; UsageError if none."""
        try:
            return self.repo.revparse_single(revision).peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError) as error:
            raise UsageError(f"{revision}: no such commit in the mirror") from error

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

    def state(self, commit: Any, object_id: str) -> PageState | None:
        tree = commit.tree
        found = self.stem(tree, object_id)
        if found is None:
            return None
        stem, title = found
        blobs = (self.blob_id(tree, f"{stem}.md"), self.blob_id(tree, f"{stem}.json"))
        return PageState(stem, title, blobs)

    def markdown(self, commit: Any, object_id: str) -> str | None:
        """The page's Markdown in a commit; None when the page is not in it."""
        state = self.state(commit, object_id)
        if state is None:
            return None
        markdown = self.read(commit.tree, f"{state.stem}.md")
        if markdown is None:
            raise UsageError(f"the mirror has no Markdown for {state.stem} (formats setting)")
        return markdown.decode()


def page_id_of(mirror: MirrorHistory, page: str) -> str:
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


def _id_from_path(mirror: MirrorHistory, text: str) -> str:
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


@dataclass(frozen=True)
class PageChange:
    """One version of a page and its state before (None: new) and after (None: removed)."""

    version: Version
    before: PageState | None
    after: PageState | None


def page_changes(mirror: MirrorHistory, object_id: str) -> list[PageChange]:
    """Every commit that changed the page (newest first), empty if it was never mirrored."""
    commits = mirror.commits()
    states = [mirror.state(commit, object_id) for commit in commits]
    changes = []
    for position, (commit, state) in enumerate(zip(commits, states, strict=True)):
        older = states[position + 1] if position + 1 < len(states) else None
        if state == older:
            continue
        shown = state if state is not None else older
        assert shown is not None
        version = Version(
            str(commit.id),
            datetime.fromtimestamp(commit.commit_time, UTC),
            shown.title,
            shown.stem,
            commit.message.split("\n", 1)[0],
            removed=state is None,
            author=signature_text(commit.author),
            authored=author_time(commit),
        )
        changes.append(PageChange(version, older, state))
    return changes


def versions_of(mirror: MirrorHistory, object_id: str) -> list[Version]:
    """Every version of the page (newest first), empty if it was never mirrored."""
    return [change.version for change in page_changes(mirror, object_id)]


def signature_text(signature: Any) -> str:
    """``Name <e-mail>`` of a git signature."""
    return f"{signature.name} <{signature.email}>"


def author_time(commit: Any) -> datetime:
    """A commit's author time, in its own offset."""
    offset = timezone(timedelta(minutes=commit.author.offset))
    return datetime.fromtimestamp(commit.author.time, offset)


def parse_when(text: str, option: str = "--at") -> datetime:
    """A DATE option: an ISO date or datetime; naive means UTC; a date means its end."""
    try:
        if len(text.strip()) == 10:
            day = datetime.fromisoformat(text.strip()).date()
            return datetime.combine(day + timedelta(days=1), time(0), UTC) - timedelta(
                microseconds=1
            )
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} wants an ISO date or datetime, not {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)

"""Who a commit is by: the Notion editors of what it writes (pure decisions).

Every written page and data source carries ``last_edited_by`` (a user id) and
``last_edited_time``. A commit whose written objects share one editor is authored by
that editor, dated by the newest of their edits. With several editors, each editor's
objects are committed first, one chained commit per editor (``by_editor``: the
earliest edit first), and what remains (index of other objects, state, re-rendered
links, deletions) is committed by the daemon, with a ``Co-authored-by:`` trailer for
each editor. A sync that deletes is shaped the same way even with one editor, so a
deletion is never authored by an editor. Co-editors of a page come from its blocks'
``last_edited_by`` and from the ``authors`` of the webhook events about it
(``with_event_authors``). The committer is always the daemon at the time of the
commit (never backdated).

Identities: the user's name from the users endpoints when the integration may read
them, else the user id; the e-mail is ``<user id>@users.noreply.notion.invalid``
(``.invalid`` can neither reach anyone nor collide) unless the operator opted into
real addresses (``git.author_emails``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from notion_syncd.gitstore import Author

NOREPLY_DOMAIN = "users.noreply.notion.invalid"


@dataclass(frozen=True, slots=True)
class Edit:
    """One written object's last edit: who, when (ISO 8601 as Notion gives it), and the
    others who edited its blocks since the previous sync (``page_edit``).

    A sync keeps one per object written until it ends: slots, and the few editors' ids
    interned (``edit_of``), keep that under 100 bytes (issue 10)."""

    user_id: str
    edited: str
    co_editors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Authorship:
    """The author of one commit, the author date (None: now) and the message trailers."""

    author: Author
    when: int | None
    trailers: tuple[str, ...] = ()


def edit_of(obj: Mapping[str, Any]) -> Edit | None:
    """The last edit of a page or data source object, or None when it names no user."""
    editor = obj.get("last_edited_by")
    user_id = editor.get("id") if isinstance(editor, Mapping) else None
    if not user_id:
        return None
    return Edit(sys.intern(str(user_id)), str(obj.get("last_edited_time") or ""))


def page_edit(record: Mapping[str, Any], since: str | None) -> Edit | None:
    """A page record's last edit, with the editors of blocks edited after ``since``.

    ``since`` is the page's ``last_edited_time`` at the previous sync (None: a new page,
    every block's editor counts). The page's last editor is not their own co-editor.
    """
    edit = edit_of(record.get("page") or {})
    if edit is None:
        return None
    others = set(_block_editors(record.get("blocks") or [], since)) - {edit.user_id}
    return Edit(edit.user_id, edit.edited, tuple(sorted(others)))


def with_event_authors(
    edits: Mapping[str, Edit], authors: Mapping[str, Iterable[str]]
) -> dict[str, Edit]:
    """Edits (object id -> edit) with the webhook events' authors of each object as
    co-editors; the last editor is not their own co-editor."""
    merged = {}
    for object_id, edit in edits.items():
        others = set(edit.co_editors) | set(authors.get(object_id, ()))
        others.discard(edit.user_id)
        merged[object_id] = Edit(edit.user_id, edit.edited, tuple(sorted(others)))
    return merged


def _block_editors(blocks: Iterable[Mapping[str, Any]], since: str | None) -> Iterator[str]:
    for block in blocks:
        edit = edit_of(block)
        if edit is not None and (since is None or edit.edited > since):
            yield edit.user_id
        yield from _block_editors(block.get("children") or [], since)


def identity(user_id: str, user: Mapping[str, Any] | None, *, real_emails: bool) -> Author:
    """``Name <e-mail>`` of a Notion user; the fallback when the user could not be read."""
    name = str((user or {}).get("name") or "").strip() or user_id
    person = (user or {}).get("person")
    email = person.get("email") if isinstance(person, Mapping) else None
    if real_emails and isinstance(email, str) and "@" in email:
        return Author(name, email)
    return Author(name, f"{user_id}@{NOREPLY_DOMAIN}")


def authorship(
    edits: Iterable[Edit],
    identities: Mapping[str, Author],
    daemon: Author,
    *,
    by_daemon: bool = False,
) -> Authorship:
    """One editor: that editor, at their newest edit. Several (or ``by_daemon``: the
    editors had commits of their own): the daemon, with trailers."""
    newest: dict[str, str] = {}
    helpers: set[str] = set()
    for edit in edits:
        newest[edit.user_id] = max(newest.get(edit.user_id, ""), edit.edited)
        helpers.update(edit.co_editors)
    if not newest:
        return Authorship(daemon, None)
    if len(newest) == 1 and not by_daemon:
        [(user_id, edited)] = newest.items()
        return Authorship(
            identities[user_id], epoch(edited), co_authored(helpers - {user_id}, identities)
        )
    return Authorship(daemon, None, co_authored(helpers | set(newest), identities))


def co_authored(user_ids: Iterable[str], identities: Mapping[str, Author]) -> tuple[str, ...]:
    """``Co-authored-by:`` trailers, one per identity, sorted."""
    people = sorted({identities[user_id] for user_id in user_ids}, key=lambda a: (a.name, a.email))
    return tuple(f"Co-authored-by: {a.name} <{a.email}>" for a in people)


@dataclass(frozen=True)
class EditorGroup:
    """The objects one editor last edited, and their newest edit."""

    user_id: str
    ids: tuple[str, ...]
    newest: str


def by_editor(edits: Mapping[str, Edit]) -> list[EditorGroup]:
    """Written objects (id -> edit) grouped by editor; earliest newest-edit first, ties by id."""
    grouped: dict[str, list[str]] = {}
    for object_id, edit in sorted(edits.items()):
        grouped.setdefault(edit.user_id, []).append(object_id)
    groups = [
        EditorGroup(user_id, tuple(ids), max(edits[i].edited for i in ids))
        for user_id, ids in grouped.items()
    ]
    return sorted(groups, key=lambda group: (group.newest, group.user_id))


def epoch(edited: str) -> int | None:
    """Seconds since the epoch of a Notion time; None when it is not one."""
    try:
        return int(datetime.fromisoformat(edited.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None

"""Where an object goes in the mirror: its name under its parent, and what changed. Pure.

A name is ``<title> <id8>`` (``export.paths.safe_name``). Two siblings can only share
that *short* name when their titles clean to the same text and their ids end with the
same 8 hex digits; then the sibling with the smallest id keeps the short name and the
others take the long one (all 32 digits). The rule depends only on the set of siblings,
never on the order they were written in, so an incremental mirror names objects as a
fresh export does. The facts it needs are collected by the caller: the object's index
entry and which object holds the short name under the new parent now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from notion_syncd.export.paths import safe_name
from notion_syncd.sync.state import IndexEntry
from notion_syncd.terms import compact_id

Move = Literal["added", "moved", "renamed", "unchanged"]
ChangeKind = Literal["added", "moved", "updated"]


@dataclass(frozen=True)
class Placement:
    """The decision for one object: its name, how it got there, and who must make way."""

    name: str
    move: Move
    displaced: str | None = None
    """A sibling that holds the short name now and must take its long name (larger id)."""


def short_name(title: str, object_id: str) -> str:
    """The name an object gets unless a sibling with a smaller id shares it."""
    return safe_name(title, object_id)


def keeps_name(entry: IndexEntry | None, title: str, parent_id: str | None) -> bool:
    """An object whose title and parent did not change keeps its name (no facts needed)."""
    return entry is not None and entry.title == title and entry.parent == parent_id


def place(
    object_id: str,
    entry: IndexEntry | None,
    title: str,
    parent_id: str | None,
    short_name_owner: str | None,
) -> Placement:
    """Decide the name of ``object_id`` titled ``title`` under ``parent_id``.

    ``entry`` is the object's index entry (None when it is new); ``short_name_owner`` is
    the id of the object that holds ``short_name(title, object_id)`` under ``parent_id``
    now, or None when nobody does. An object whose title and parent did not change keeps
    its name.
    """
    if entry is not None and keeps_name(entry, title, parent_id):
        return Placement(entry.name, "unchanged")
    name = short_name(title, object_id)
    displaced = None
    owner = short_name_owner
    if owner is not None and compact_id(owner) != compact_id(object_id):
        if compact_id(owner) < compact_id(object_id):
            name = safe_name(title, object_id, long_suffix=True)
        else:
            displaced = owner
    if entry is None:
        move: Move = "added"
    elif entry.parent != parent_id:
        move = "moved"
    elif entry.name != name:
        move = "renamed"
    else:
        move = "unchanged"
    return Placement(name, move, displaced)


def displaced_name(entry: IndexEntry) -> str:
    """The long name a displaced sibling takes (its title and parent stay)."""
    return safe_name(entry.title, entry.id, long_suffix=True)


def change_kind(placement: Placement, old_stem: str | None, stem: str) -> ChangeKind:
    """How the report and the commit message call what happened to a written object."""
    if placement.move == "added":
        return "added"
    if old_stem is not None and old_stem != stem:
        return "moved"
    return "updated"

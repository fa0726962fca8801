"""Intermediate versions of a page several users edited between two syncs (pure).

A sync makes one commit per editor (``sync.authors``). A page is last edited by its
owner (the page's ``last_edited_by``); others may have changed some of its blocks
(each block carries its own ``last_edited_by``). So that ``git blame`` names the editor
of each changed line, the commits of those co-editors that come before the owner's
carry an intermediate version of the page: the previous record (``old``) with the
blocks changed or added by the co-editors committed so far taken from the new record
(``new``). Everything else goes with the owner's version, which is ``new`` itself:
removed blocks (they name no editor), page properties, blocks whose editor is not a
co-editor of this sync, and the blocks of co-editors whose commit comes later.

``editor_chain`` orders the commits: the owners' groups (``authors.by_editor``) and a
group for each co-editor who owns no object, earliest newest edit first.
``intermediate_records`` builds the versions of one page along that chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from notion_syncd.sync.authors import EditorGroup, edit_of

Block = Mapping[str, Any]
Record = Mapping[str, Any]


@dataclass(frozen=True)
class SharedPage:
    """A page changed by its owner and co-editors: the mirrored and the new record."""

    owner: str
    co_editors: frozenset[str]
    old: Record
    new: Record


def co_edits(page: SharedPage) -> dict[str, str]:
    """Co-editor -> their newest edit among the page's changed or added blocks."""
    old_blocks = dict(_by_id(page.old.get("blocks") or []))
    newest: dict[str, str] = {}
    for block_id, block in _by_id(page.new.get("blocks") or []):
        edit = edit_of(block)
        if edit is None or edit.user_id not in page.co_editors:
            continue
        before = old_blocks.get(block_id)
        if before is None or _own_fields(before) != _own_fields(block):
            newest[edit.user_id] = max(newest.get(edit.user_id, ""), edit.edited)
    return newest


def editor_chain(
    groups: Sequence[EditorGroup], pages: Mapping[str, SharedPage]
) -> list[EditorGroup]:
    """The commit order: the owners' groups, plus a group with no objects for each
    co-editor who owns none; each dated by its newest edit, earliest first."""
    newest = {group.user_id: group.newest for group in groups}
    owned = {group.user_id: group.ids for group in groups}
    for page_id in sorted(pages):
        for user_id, edited in co_edits(pages[page_id]).items():
            newest[user_id] = max(newest.get(user_id, ""), edited)
    chain = [EditorGroup(user, owned.get(user, ()), edited) for user, edited in newest.items()]
    return sorted(chain, key=lambda group: (group.newest, group.user_id))


def intermediate_records(page: SharedPage, chain: Sequence[str]) -> list[tuple[str, Record]]:
    """(co-editor, the page as of their commit) for each co-editor whose commit comes
    before the owner's in ``chain`` (user ids in commit order; an owner not in it
    commits last) and changes the page; each version builds on the one before."""
    editing = co_edits(page)
    before_owner = chain[: chain.index(page.owner)] if page.owner in chain else chain
    versions: list[tuple[str, Record]] = []
    included: set[str] = set()
    previous: list[Block] = list(page.old.get("blocks") or [])
    new_ids = {block_id for block_id, _ in _by_id(page.new.get("blocks") or [])}
    for user_id in before_owner:
        if user_id not in editing:
            continue
        included.add(user_id)
        blocks = _merged(
            page.old.get("blocks") or [],
            page.new.get("blocks") or [],
            lambda block: _editor(block) in included,
            new_ids,
        )
        if blocks != previous:
            versions.append((user_id, {**page.old, "blocks": blocks}))
            previous = blocks
    return versions


def _merged(
    old: Sequence[Block],
    new: Sequence[Block],
    taken: Callable[[Block], bool],
    new_ids: set[str],
) -> list[Block]:
    """The new block order, each block new when ``taken`` else old (a new block not
    taken is left out), removed blocks where they were (after their old predecessor)."""
    old_by_id = {str(block.get("id")): block for block in old}
    removed_after: dict[str | None, list[Block]] = {}
    predecessor: str | None = None
    for block in old:
        block_id = str(block.get("id"))
        if block_id in new_ids:
            predecessor = block_id
        else:
            removed_after.setdefault(predecessor, []).append(block)
    result = list(removed_after.get(None, []))
    for block in new:
        block_id = str(block.get("id"))
        before = old_by_id.get(block_id)
        if before is None:
            if taken(block):
                result.append(block)
        else:
            chosen = dict(block if taken(block) else before)
            children = _merged(
                before.get("children") or [], block.get("children") or [], taken, new_ids
            )
            if children or "children" in chosen:
                chosen["children"] = children
            result.append(chosen)
        result.extend(removed_after.get(block_id, []))
    return result


def _by_id(blocks: Iterable[Block]) -> Iterator[tuple[str, Block]]:
    for block in blocks:
        yield str(block.get("id")), block
        yield from _by_id(block.get("children") or [])


def _own_fields(block: Block) -> dict[str, Any]:
    return {key: value for key, value in block.items() if key != "children"}


def _editor(block: Block) -> str | None:
    edit = edit_of(block)
    return edit.user_id if edit is not None else None

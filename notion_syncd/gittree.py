"""Commit trees that follow the change: the previous commit's tree plus the changed paths.

A commit of a one-page change in a 50,000-page mirror must not cost O(mirror). Instead
of an index of every tracked file (tens of megabytes to load and rewrite), a commit's
tree is built from the previous commit's tree: only the trees along the changed paths
are read and written again (tree builders), every other subtree is shared by id.

``changes`` maps a repo-relative path to the id of its new blob (already in the object
database) or to ``None`` for a deletion. A folder left empty disappears from its
parent, as git has no empty trees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pygit2

FILE_MODE = int(pygit2.enums.FileMode.BLOB)
TREE_MODE = int(pygit2.enums.FileMode.TREE)

Changes = Mapping[str, pygit2.Oid | None]
_Node = dict[str, "pygit2.Oid | _Node | None"]


def build_tree(repo: Any, base: Any | None, changes: Changes) -> pygit2.Oid:
    """The id of ``base`` (a tree, or None for none) with ``changes`` applied."""
    root = _nest(changes)
    built = _build(repo, base, root)
    if built is None:
        return repo.TreeBuilder().write()  # type: ignore[no-any-return]
    return built


def blob_at(tree: Any | None, rel: str) -> pygit2.Oid | None:
    """The id of the blob at ``rel`` in ``tree``, or None."""
    if tree is None:
        return None
    try:
        entry = tree[rel]
    except KeyError:
        return None
    return entry.id if entry.type_str == "blob" else None


def _nest(changes: Changes) -> _Node:
    root: _Node = {}
    for rel, blob in changes.items():
        *folders, name = rel.split("/")
        node = root
        for folder in folders:
            child = node.get(folder)
            if not isinstance(child, dict):
                child = {}
                node[folder] = child
            node = child
        node[name] = blob
    return root


def _build(repo: Any, tree: Any | None, node: _Node) -> pygit2.Oid | None:
    """Write ``tree`` with ``node`` applied; None when the result is empty."""
    builder = repo.TreeBuilder(tree) if tree is not None else repo.TreeBuilder()
    for name, change in sorted(node.items()):
        existing = _entry(tree, name)
        if isinstance(change, dict):
            subtree = existing if existing is not None and existing.type_str == "tree" else None
            built = _build(repo, subtree, change)
            if built is None:
                if existing is not None:
                    builder.remove(name)
            else:
                builder.insert(name, built, TREE_MODE)
        elif change is None:
            if existing is not None:
                builder.remove(name)
        else:
            builder.insert(name, change, FILE_MODE)
    if len(builder) == 0:
        return None
    return builder.write()  # type: ignore[no-any-return]


def _entry(tree: Any | None, name: str) -> Any | None:
    if tree is None:
        return None
    try:
        return tree[name]
    except KeyError:
        return None


MOVES_TRAILER = "Notion-Syncd-Step: moves"
"""Ends the message of a moves-only commit (``moves_first``); ``history`` skips those."""


def moves_first(base: Any | None, origins: Mapping[str, str], changes: Changes) -> Changes | None:
    """The moves alone, when a moved file also changed: files at their new paths, old bytes.

    ``origins`` maps a path a file was moved to onto the path it had in ``base`` (the
    previous commit's tree). When any moved file's new bytes differ from its old ones,
    the answer is the changes of a commit that only moves (each file keeps the blob it
    had in ``base``), to be committed before ``changes``: git then sees an exact rename,
    and ``git log --follow`` crosses it whatever the edit. None when no moved file
    changed (one commit shows the renames) or nothing was moved.
    """
    moves: dict[str, pygit2.Oid] = {}
    edited = False
    for new, old in sorted(origins.items()):
        before, after = blob_at(base, old), changes.get(new)
        if before is None or after is None or new == old:
            continue
        moves[new] = before
        edited = edited or after != before
    if not edited:
        return None
    step: dict[str, pygit2.Oid | None] = {old: None for new, old in origins.items() if new in moves}
    step.update(moves)
    return step

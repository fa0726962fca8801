"""Commit trees that follow the change: the previous commit's tree plus the changed paths.

A commit of a one-page change in a 50,000-page mirror must not cost O(mirror). Instead
of an index of every tracked file (tens of megabytes to load and rewrite), a commit's
tree is built from the previous commit's tree: only the trees along the changed paths
are read and written again (tree builders), every other subtree is shared by id.

``changes`` maps a repo-relative path to the id of its new blob (already in the object
database) or to ``None`` for a deletion. A folder left empty disappears from its
parent, as git has no empty trees.

No name or path is ever passed to pygit2 to look an entry up (``tree[name]``, ``name in
tree``, ``TreeBuilder.get`` or ``.remove``): pygit2 1.21 keeps a reference to every
string given to those (measured: one leaked string per call, hit or miss), so a 10,000-page
export kept some 40 path strings per object alive for good, about 3 MB per 1,000
objects, and a daemon kept them for months (issue 10). Entries are found by a binary
search over integer positions (``tree[i]`` leaks nothing), and a folder that loses
entries is copied without them; ``TreeBuilder.insert`` leaks nothing either.
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
    entry = entry_at(tree, rel)
    return entry.id if entry is not None and entry.type_str == "blob" else None


def entry_at(tree: Any | None, rel: str) -> Any | None:
    """The object at ``rel`` (a path) in ``tree``, or None; ``tree[rel]`` without its leak."""
    node = tree
    for name in rel.split("/"):
        if node is None or node.type_str != "tree":
            return None
        node = entry_named(node, name)
    return node


def entry_named(tree: Any | None, name: str) -> Any | None:
    """The object named ``name`` directly in ``tree``, or None.

    Git sorts a tree's entries by the bytes of their names, a folder's as if it ended in
    ``/``: ``name`` is a file at the first position not below ``name`` or a folder at most a
    few positions further (names like ``name.md`` sort between).
    """
    if tree is None:
        return None
    wanted = name.encode()
    low, high = 0, len(tree)
    while low < high:
        middle = (low + high) // 2
        if _sort_key(tree[middle]) < wanted:
            low = middle + 1
        else:
            high = middle
    last = wanted + b"/"
    for position in range(low, len(tree)):
        entry = tree[position]
        if entry.name == name:
            return entry
        if _sort_key(entry) >= last:
            return None
    return None


def _sort_key(entry: Any) -> bytes:
    key: bytes = entry.name.encode()
    return key + b"/" if entry.type_str == "tree" else key


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
    inserts: dict[str, tuple[pygit2.Oid, int]] = {}
    removals: set[str] = set()
    for name, change in sorted(node.items()):
        if isinstance(change, dict):
            existing = entry_named(tree, name)
            subtree = existing if existing is not None and existing.type_str == "tree" else None
            built = _build(repo, subtree, change)
            if built is None:
                removals.add(name)
            else:
                inserts[name] = (built, TREE_MODE)
        elif change is None:
            removals.add(name)
        else:
            inserts[name] = (change, FILE_MODE)  # replaces an entry of that name, if any
    builder = _builder(repo, tree, removals)
    for name, (oid, mode) in inserts.items():
        builder.insert(name, oid, mode)
    if len(builder) == 0:
        return None
    return builder.write()  # type: ignore[no-any-return]


def _builder(repo: Any, tree: Any | None, removals: set[str]) -> Any:
    """A tree builder holding ``tree``'s entries but ``removals`` (no ``remove``: it leaks)."""
    if tree is None:
        return repo.TreeBuilder()
    if not removals:
        return repo.TreeBuilder(tree)
    builder = repo.TreeBuilder()
    for entry in tree:  # only folders that lose entries are copied; removals are rare
        if entry.name not in removals:
            builder.insert(entry.name, entry.id, entry.filemode)
    return builder


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

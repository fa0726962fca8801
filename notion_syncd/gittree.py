"""Commit trees that follow the change: the previous commit's tree plus the changed paths.

A commit of a one-page change in a 50,000-page mirror must not cost O(mirror). Instead
of an index of every tracked file (tens of megabytes to load and rewrite), a commit's
tree is built from the previous commit's tree: only the trees along the changed paths
are read and written again, every other subtree is shared by id.

``changes`` maps a repo-relative path to the id of its new blob (already in the object
database) or to ``None`` for a deletion. A folder left empty disappears from its
parent, as git has no empty trees.

Trees are read and written as raw bytes, not with libgit2's tree builders: each
builder's tree became a loose object (a lookup everywhere, a temporary file, a rename:
about 0.5 ms each, a second per checkpoint of a first export at 2,000 pages, issue 10),
where the bytes now go to the mirror's pack writer with its blobs. The format is
git's: per entry the octal mode, a space, the name, a NUL and the 20-byte id, sorted by
name with a folder's name compared as if it ended in ``/``.

No name or path is ever passed to pygit2 to look an entry up (``tree[name]``, ``name in
tree``): pygit2 1.21 keeps a reference to every string given to those (measured: one
leaked string per call, hit or miss), so a 10,000-page export kept some 40 path strings
per object alive for good, about 3 MB per 1,000 objects, and a daemon kept them for
months (issue 10). Readers find entries by a binary search over integer positions
(``tree[i]`` leaks nothing)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import pygit2

FILE_MODE = int(pygit2.enums.FileMode.BLOB)
TREE_MODE = int(pygit2.enums.FileMode.TREE)
_FILE = b"%o" % FILE_MODE
_TREE = b"%o" % TREE_MODE
_SUBMODULE = b"%o" % int(pygit2.enums.FileMode.COMMIT)
"""Modes as a raw tree writes them (octal, no leading zero)."""

Changes = Mapping[str, pygit2.Oid | None]
_Node = dict[str, "pygit2.Oid | _Node | None"]


def build_tree(
    repo: Any,
    base: Any | None,
    changes: Changes,
    write_tree: Callable[[bytes], pygit2.Oid],
    cache: TreeCache | None = None,
) -> pygit2.Oid:
    """The id of ``base`` (a tree, or None for none) with ``changes`` applied.

    Every new tree's bytes go to ``write_tree`` (the mirror's pack writer), which returns
    its id; the trees of ``base`` are read through ``cache`` (which learns the new ones)
    from ``repo``'s object database.
    """
    root = _nest(changes)
    folders = cache if cache is not None else TreeCache()
    built = _build(repo, base.id if base is not None else None, root, write_tree, folders)
    return built if built is not None else write_tree(b"")


def blob_at(tree: Any | None, rel: str) -> pygit2.Oid | None:
    """The id of the blob at ``rel`` in ``tree``, or None."""
    entry = entry_at(tree, rel)
    return entry.id if entry is not None and entry.type_str == "blob" else None


Entries = dict[bytes, tuple[bytes, bytes]]
"""A folder's entries: name -> (mode, 20-byte id), as a raw tree holds them."""


class TreeCache:
    """Parsed folders by tree id: the reads of HEAD's folders and the builds of commits.

    Keyed by id, a folder stays valid across commits until it changes, and a commit's
    build adds the folders it writes; so the lookups of the next batch of writes (is this
    file a person's edit?) and the next build find many of the folders along their paths
    here, not in the object database, where libgit2 probes pack after pack until it finds
    an object, mapping pages of each pack's ``.idx``. A reader per commit kept its folders
    by path and forgot them at each commit, and the build read every base folder through
    libgit2: at 5,000 pages the folder reads from the object database per checkpoint went
    from about 2,800 to 1,750 with this cache (issue 10).

    At most ``max_entries`` entries in all (about 230 bytes each), the least recently
    used folder forgotten first. A folder of more than ``BIG_FOLDER`` entries (a data
    source with thousands of rows) is kept apart, the last one used: inside the bound it
    would push every other folder out, and be read again for each of its rows, as each
    row's write also looks up its index entry elsewhere (a 10,050-row data source took
    minutes). A folder given out is shared: never to be changed.
    """

    MAX_ENTRIES = 8_192
    BIG_FOLDER = 1_024
    READS_PER_RELEASE = 16
    """Folders read from the object database between two ``repo.free()``.

    libgit2 maps each pack's ``.idx`` as it probes it, and the kernel maps 64 KiB around
    every page read: one read of an old folder probed up to every pack (155 at 50,000
    pages) and mapped up to 9.7 MB, and what a commit's ~1,000 reads mapped stayed until
    the commit dropped the packs. Dropping them every 16 reads bounds what they hold; in
    ``bench/bench_checkpoint.py`` (500 pages into a 50,000-page mirror, no multi-pack
    index) the writes peaked at 69.4 MB without, 66.4 every 64 reads and 64.9 every 16,
    in 1.7, 2.2 and 2.5 s."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._folders: OrderedDict[bytes, Entries] = OrderedDict()
        self._entries = 0
        self._big: tuple[bytes, Entries] | None = None
        self._reads = 0

    def read(self, repo: Any, tree_id: pygit2.Oid) -> Entries:
        """The entries of the tree ``tree_id``, from ``repo``'s objects unless known.

        Every :attr:`READS_PER_RELEASE` reads from the object database, ``repo.free()``
        drops what libgit2 mapped of the packs (the next read maps what it needs); no
        object database of ``repo`` may be held meanwhile, or its packs stay mapped."""
        key = tree_id.raw
        if self._big is not None and self._big[0] == key:
            return self._big[1]
        entries = self._folders.get(key)
        if entries is not None:
            self._folders.move_to_end(key)
            return entries
        entries = _entries(repo.odb, tree_id)
        self._reads += 1
        if self._reads % self.READS_PER_RELEASE == 0:
            repo.free()
        self.remember(tree_id, entries)
        return entries

    def remember(self, tree_id: pygit2.Oid, entries: Entries) -> None:
        """``entries`` are those of the tree ``tree_id`` (one just written, say)."""
        key = tree_id.raw
        if len(entries) > self.BIG_FOLDER:
            self._big = (key, entries)
            return
        previous = self._folders.pop(key, None)
        if previous is not None:
            self._entries -= len(previous)
        self._folders[key] = entries
        self._entries += len(entries)
        while self._entries > self.max_entries and len(self._folders) > 1:
            _, forgotten = self._folders.popitem(last=False)
            self._entries -= len(forgotten)


class TreeReader:
    """Finds blobs by path in one tree, its folders from a :class:`TreeCache`.

    For the many lookups of one commit's paths (is this file a person's edit?): a lookup
    through pygit2 objects made some 40 of them per path (a binary search per folder),
    5 % of a first export's CPU at 10,000 pages.
    """

    def __init__(self, repo: Any, tree_id: pygit2.Oid, cache: TreeCache | None = None) -> None:
        self.tree_id = tree_id
        self._repo = repo  # not its odb: a held odb would keep the packs ``free`` drops
        self._cache = cache if cache is not None else TreeCache()

    def blob_at(self, rel: str) -> pygit2.Oid | None:
        """The id of the blob at ``rel``, or None (nothing there, or a folder)."""
        *folders, name = rel.split("/")
        entries = self._cache.read(self._repo, self.tree_id)
        for folder in folders:
            entry = entries.get(folder.encode())
            if entry is None or entry[0] != _TREE:
                return None
            entries = self._cache.read(self._repo, pygit2.Oid(raw=entry[1]))
        found = entries.get(name.encode())
        if found is None or found[0] in (_TREE, _SUBMODULE):
            return None
        return pygit2.Oid(raw=found[1])


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


def _build(
    repo: Any,
    tree_id: pygit2.Oid | None,
    node: _Node,
    write_tree: Callable[[bytes], pygit2.Oid],
    cache: TreeCache,
) -> pygit2.Oid | None:
    """Write the tree ``tree_id`` with ``node`` applied; None when the result is empty."""
    entries = dict(cache.read(repo, tree_id)) if tree_id is not None else {}
    for name, change in node.items():
        key = name.encode()
        _check_name(key)
        if isinstance(change, dict):
            existing = entries.get(key)
            subtree = pygit2.Oid(raw=existing[1]) if existing and existing[0] == _TREE else None
            built = _build(repo, subtree, change, write_tree, cache)
            if built is None:
                entries.pop(key, None)
            else:
                entries[key] = (_TREE, built.raw)
        elif change is None:
            entries.pop(key, None)
        else:
            entries[key] = (_FILE, change.raw)  # replaces an entry of that name, if any
    if not entries:
        return None
    written = write_tree(_tree_bytes(entries))
    cache.remember(written, entries)  # what the next batch's lookups and build read
    return written


def _entries(odb: Any, tree_id: pygit2.Oid | None) -> dict[bytes, tuple[bytes, bytes]]:
    """A tree's entries as name -> (mode, 20-byte id), parsed from its raw bytes.

    Git's tree format: per entry the octal mode, a space, the name, a NUL, the id.
    """
    entries: dict[bytes, tuple[bytes, bytes]] = {}
    if tree_id is None:
        return entries
    _kind, data = odb.read(tree_id)
    at, end = 0, len(data)
    while at < end:
        space = data.index(b" ", at)
        nul = data.index(b"\0", space)
        entries[data[space + 1 : nul]] = (data[at:space], data[nul + 1 : nul + 21])
        at = nul + 21
    return entries


def _tree_bytes(entries: dict[bytes, tuple[bytes, bytes]]) -> bytes:
    """A tree object's bytes: entries sorted as git sorts them (a folder as ``name/``)."""
    ordered = sorted(entries.items(), key=_raw_sort_key)
    return b"".join(mode + b" " + name + b"\0" + oid for name, (mode, oid) in ordered)


def _raw_sort_key(item: tuple[bytes, tuple[bytes, bytes]]) -> bytes:
    name, (mode, _oid) = item
    return name + b"/" if mode == _TREE else name


def _check_name(name: bytes) -> None:
    """Refuse what libgit2's tree builder refused: no entry git could not check out."""
    if name in {b"", b".", b".."} or b"/" in name or b"\0" in name or name.lower() == b".git":
        raise ValueError(f"not a file name git can store: {name!r}")


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

"""Update ``.git/index`` for a commit's changed paths, in bounded memory.

The index keeps ``git status`` clean for people who browse the mirror's checkout
(``export.keep_git_index``). libgit2 loads the whole index to change one entry: at
220,000 tracked files (a 50,000-page mirror, a 38-47 MB index) that is about 0.65 s and
120 MB of native memory per commit. This module never loads it:

- a small index (fewer than :data:`SPLIT_AT` entries) is streamed: read in 1 MiB chunks
  and written beside, the unchanged entries copied, the changed paths' entries replaced,
  added or dropped (one sequential rewrite of a file of at most ~1.5 MB);
- a large one becomes git's *split index* (``gitsplitindex``): the first commit writes
  its entries once into ``.git/sharedindex.<id>``, and from then on a commit looks its
  paths up in that file (``gitsharedindex``) and rewrites only the small ``.git/index``
  that lists what changed since (bounded, ~0.5 MB at most, whatever the mirror's
  size). Small mirrors keep an ordinary index, which every tool reads (libgit2, JGit
  and others do not read a split one).

Only what we can write exactly is handled: index versions 2 and 3 (git's and libgit2's
default) with optional extensions. The cache tree (``TREE``) and the extensions that
record entry positions are dropped when entries change; git rebuilds them when it needs
them. Anything else (version 4's compressed paths, a sparse index) returns False and
leaves the index untouched for the caller's fallback.

Writing follows git's lock protocol: ``index.lock`` is created exclusively before the
index is read, written, and renamed over ``index``; a kill in between leaves the old
index and a stale lock, which the mirror removes when it next opens.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from notion_syncd import gitsplitindex
from notion_syncd.gitsharedindex import write_shared
from notion_syncd.indexfile import (
    CHUNK,
    HEADER,
    SIGNATURE,
    VERSIONS,
    IndexFormatError,
    IndexLock,
    append_checksum,
    is_optional,
    layout,
    merge_entries,
    set_count,
)

__all__ = ["CHUNK", "SPLIT_AT", "IndexFormatError", "update_index"]

SPLIT_AT = 10_000
"""Entries from which the index is split: below, rewriting it costs a few milliseconds
(~1.5 MB) and every git tool reads it; above, the rewrite grows with the mirror."""


def update_index(
    index_path: Path, changes: Mapping[str, bytes | None], *, split_at: int = SPLIT_AT
) -> bool:
    """Apply ``changes`` (path → 20-byte blob id, or None to remove) to the index file.

    Returns False, writing nothing, when there is no index or it uses a format this
    module does not write (see the module docstring). Raises ``FileExistsError`` while
    someone holds ``index.lock``, :class:`IndexFormatError` for a damaged index, and
    ``OSError`` for a file-system failure (the lock is removed).
    """
    ordered = sorted((path.encode(), blob) for path, blob in changes.items())
    git_dir = index_path.parent
    if not index_path.exists():
        return False
    with IndexLock(index_path) as lock:
        try:
            source = index_path.open("rb")
        except FileNotFoundError:
            return False
        with source:
            version, count, extensions = layout(source)
            if version not in VERSIONS:
                return False
            if any(signature == gitsplitindex.LINK for signature, _ in extensions):
                split = gitsplitindex.read_split(index_path)
                assert split is not None  # the lock keeps others from changing it
                gitsplitindex.update(lock, git_dir, split, ordered)
                return True
            if not all(is_optional(signature) for signature, _ in extensions):
                return False  # a sparse index, say: not ours to write
            kept = [
                (signature, raw)
                for signature, raw in extensions
                if signature not in gitsplitindex.STALE_EXTENSIONS
            ]
            source.seek(HEADER.size)
            if count >= split_at:
                _split(lock, git_dir, source, version, count, ordered, kept)
            else:
                _rewrite(lock.file, source, version, count, ordered, kept)
            lock.commit()
    return True


def _rewrite(
    target: BinaryIO,
    source: BinaryIO,
    version: int,
    count: int,
    ordered: list[tuple[bytes, bytes | None]],
    extensions: list[tuple[bytes, bytes]],
) -> None:
    """The ordinary index with the changes, streamed from ``source`` into ``target``."""
    target.write(HEADER.pack(SIGNATURE, version, 0))
    written, _rest = merge_entries(source, count, version, ordered, target)
    set_count(target, written)
    for _signature, raw in extensions:
        target.write(raw)
    append_checksum(target)


def _split(
    lock: IndexLock,
    git_dir: Path,
    source: BinaryIO,
    version: int,
    count: int,
    ordered: list[tuple[bytes, bytes | None]],
    extensions: list[tuple[bytes, bytes]],
) -> None:
    """The entries with the changes become a shared index; the index names it."""

    def entries(target: BinaryIO) -> int:
        return merge_entries(source, count, version, ordered, target)[0]

    shared_id = write_shared(git_dir, version, entries)
    split = gitsplitindex.SplitIndex(version, shared_id, extensions=extensions)
    lock.file.write(gitsplitindex.small_index(split))

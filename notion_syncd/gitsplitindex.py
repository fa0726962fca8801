"""git's split index: a commit rewrites a small ``.git/index``, not one that grows.

A split index is two files (git's ``Documentation/technical/index-format.txt``, "split
index"). ``.git/sharedindex.<id>`` is an ordinary index, named after its trailing
SHA-1, written rarely. ``.git/index`` holds what changed since: the ``link`` extension
names the shared index and carries two EWAH bitmaps (``ewah``) over its entries,
*deleted* and *replaced*; the index's entries are first the replacements, in the order of
the entries they replace and with their paths left out, then the added entries, sorted.

A commit (:func:`update`) reads the small index, finds where the changed paths sit in the
shared index (``gitsharedindex``: through its positions table, 128 KiB a path; nothing of
it kept or written), and writes a new small index. When the changes since the shared
index was written pass :func:`resplit_bound`, they are merged into a new shared index
(:func:`resplit`), so the small file stays small. Files are replaced by rename under
git's ``index.lock``, the shared one before the index that names it, the old shared one
removed after: a kill at any instant leaves a readable index. ``sharedindex.*`` files
no index names (a killed re-split, or one git left behind) are removed when the mirror
opens (``gitunsplit``).

libgit2 cannot read a split index ("unsupported mandatory extension"); ``gitunsplit``
merges it back into an ordinary one for the rare paths that hand it to libgit2.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from notion_syncd import ewah
from notion_syncd.gitsharedindex import (
    find_positions,
    read_shared_header,
    remove_shared,
    shared_path,
    write_shared,
)
from notion_syncd.indexfile import (
    HEADER,
    SIGNATURE,
    VERSIONS,
    EntryStream,
    IndexFormatError,
    IndexLock,
    entry,
    extension,
    flags_of,
    layout,
    named,
    read_extensions,
    read_header,
    stage,
)

LINK = b"link"
MAX_NOT_SHARED = 5_000
"""Entries of the small index (replaced, added, deleted) before a re-split, at most."""
MAX_PERCENT_CHANGE = 20
"""As git's ``splitIndex.maxPercentChange``: a re-split when the changes pass 20 % of
the shared entries (the bound that counts in small mirrors)."""
STALE_EXTENSIONS = {b"TREE", b"EOIE", b"IEOT", b"FSMN"}
"""Extensions that describe the entries as they were (the cache tree) or their
positions: dropped when the entries change; git rebuilds them when it needs them."""
POSITIONED = STALE_EXTENSIONS - {b"TREE"}


@dataclass
class SplitIndex:
    """The small index, read: what it changes in the shared index it names."""

    version: int
    shared_id: bytes
    replaced: dict[int, bytes] = field(default_factory=dict)
    """Shared position -> the entry replacing it (path left out)."""
    deleted: set[int] = field(default_factory=set)
    added: dict[bytes, list[bytes]] = field(default_factory=dict)
    """Path -> its entries (one per stage) not in the shared index."""
    extensions: list[tuple[bytes, bytes]] = field(default_factory=list)
    """The other extensions, as read."""

    def size(self) -> int:
        return len(self.replaced) + len(self.deleted) + sum(map(len, self.added.values()))


def resplit_bound(shared_count: int) -> int:
    """How many changes the small index may carry: a bounded rewrite per commit at any
    size (~5,000 entries, ~0.5 MB), and git's 20 % where that is less."""
    return min(MAX_NOT_SHARED, shared_count * MAX_PERCENT_CHANGE // 100)


def parse(data: bytes) -> SplitIndex | None:
    """The small index in ``data``; None when the index is not split.

    Raises :class:`IndexFormatError` for a damaged one, or a version we do not read.
    """
    source = io.BytesIO(data)
    version, count = read_header(source)
    if version not in VERSIONS:
        raise IndexFormatError(f"index version {version} is not one we write")
    stream = EntryStream(source, count, version)
    entries = list(stream)
    extensions = read_extensions(stream.rest, source)
    links = [raw for signature, raw in extensions if signature == LINK]
    if not links:
        return None
    link = links[0][8:]
    if len(link) < 20:
        raise IndexFormatError("the index's link extension is too short")
    split = SplitIndex(version, link[:20])
    split.extensions = [item for item in extensions if item[0] != LINK]
    deleted: list[int] = []
    replaced: list[int] = []
    try:
        if len(link) > 20:
            deleted, at = ewah.decode(link, 20)
            replaced, at = ewah.decode(link, at)
            if at != len(link):
                raise IndexFormatError("the index's link extension has bytes after its bitmaps")
    except ewah.EwahFormatError as exc:
        raise IndexFormatError(f"the index's link extension is damaged: {exc}") from None
    if len(replaced) > len(entries) or any(name for name, _, _ in entries[: len(replaced)]):
        raise IndexFormatError("the index's replaced entries do not match its link extension")
    split.deleted = set(deleted)
    split.replaced = {
        position: raw for position, (_, _, raw) in zip(replaced, entries, strict=False)
    }
    for name, _flags, raw in entries[len(replaced) :]:
        if not name:
            raise IndexFormatError("an added index entry has no path")
        split.added.setdefault(name, []).append(raw)
    return split


def read_split(index_path: Path) -> SplitIndex | None:
    """The split index at ``index_path``; None when it is missing or not split.

    Raises :class:`IndexFormatError` for a damaged index or a version we do not read.
    """
    try:
        with index_path.open("rb") as source:
            version, _count, extensions = layout(source)
            if version not in VERSIONS:
                raise IndexFormatError(f"index version {version} is not one we read")
            if not any(signature == LINK for signature, _ in extensions):
                return None
            source.seek(0)
            data = source.read()  # a split index: the small one
    except FileNotFoundError:
        return None
    return parse(data)


def update(
    lock: IndexLock,
    git_dir: Path,
    split: SplitIndex,
    changes: Sequence[tuple[bytes, bytes | None]],
) -> None:
    """Write the index with ``changes`` (sorted; blob id or None) applied into ``lock``,
    commit it; re-split first when the changes have grown past the bound."""
    shared = shared_path(git_dir, split.shared_id)
    count, positions = find_positions(shared, [name for name, _ in changes])
    if any(position >= count for position in [*split.replaced, *split.deleted]):
        raise IndexFormatError("the index's link extension names entries past the shared index")
    for name, blob in changes:
        _apply(split, positions.get(name, []), name, blob)
    split.extensions = [item for item in split.extensions if item[0] not in STALE_EXTENSIONS]
    if split.size() > resplit_bound(count):
        resplit(lock, git_dir, split)
        return
    lock.file.write(small_index(split))
    lock.commit()
    with contextlib.suppress(OSError):
        os.utime(shared)  # git's freshening: the shared index in use stays young


def _apply(split: SplitIndex, shared: list[int], name: bytes, blob: bytes | None) -> None:
    """Change ``name`` (at ``shared`` positions of the shared index) to ``blob``."""
    split.added.pop(name, None)
    for position in shared:  # its stages: all gone, but one replaced
        split.replaced.pop(position, None)
        split.deleted.add(position)
    if blob is None:
        return
    if shared:
        split.deleted.discard(shared[0])
        split.replaced[shared[0]] = entry(b"", blob)
    else:
        split.added[name] = [entry(name, blob)]


def small_index(split: SplitIndex) -> bytes:
    """The bytes of ``.git/index`` for ``split``, its checksum included."""
    entries = [split.replaced[position] for position in sorted(split.replaced)]
    entries += [raw for name in sorted(split.added) for raw in split.added[name]]
    link = (
        split.shared_id + ewah.encode(sorted(split.deleted)) + ewah.encode(sorted(split.replaced))
    )
    body = b"".join(
        [
            HEADER.pack(SIGNATURE, split.version, len(entries)),
            *entries,
            extension(LINK, link),
            *(raw for _, raw in split.extensions),
        ]
    )
    return body + _sha1(body)


def _sha1(data: bytes) -> bytes:
    return hashlib.sha1(data, usedforsecurity=False).digest()


def resplit(lock: IndexLock, git_dir: Path, split: SplitIndex) -> None:
    """Merge ``split``'s changes into a new shared index and commit an index that names
    it with no changes of its own; the old shared index is removed last."""
    old = shared_path(git_dir, split.shared_id)
    with old.open("rb") as source:
        shared_version, count = read_shared_header(source)
        version = max(shared_version, split.version)
        split.shared_id = write_shared(
            git_dir,
            version,
            lambda target: write_merged(source, shared_version, count, split, target),
        )
    split.version = version
    split.replaced, split.deleted, split.added = {}, set(), {}
    lock.file.write(small_index(split))
    lock.commit()
    if old != shared_path(git_dir, split.shared_id):
        remove_shared(old)


def write_merged(
    source: BinaryIO, version: int, count: int, split: SplitIndex, target: BinaryIO
) -> int:
    """Write the entries of the shared index in ``source`` (its header read) with
    ``split``'s changes; how many."""
    written = 0
    for raw in _merged(source, version, count, split):
        target.write(raw)
        written += 1
    return written


def _merged(source: BinaryIO, version: int, count: int, split: SplitIndex) -> Iterator[bytes]:
    """The entries of the whole index, in order: the shared ones but the deleted, the
    replacements at their places (with their paths back), the added ones among them."""
    added = [
        ((name, stage(flags_of(raw))), raw)
        for name in sorted(split.added)
        for raw in split.added[name]
    ]
    next_added = 0
    for position, (name, flags, raw) in enumerate(EntryStream(source, count, version)):
        key = (name, stage(flags))
        while next_added < len(added) and added[next_added][0] < key:
            yield added[next_added][1]
            next_added += 1
        if next_added < len(added) and added[next_added][0] == key:
            continue  # an added entry takes the place of this one, as git reads it
        if position in split.deleted:
            continue
        replacement = split.replaced.get(position)
        yield raw if replacement is None else named(replacement, name, split.version)
    for _key, raw in added[next_added:]:
        yield raw

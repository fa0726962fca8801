"""Update ``.git/index`` for a commit's changed paths by streaming it, in bounded memory.

The index keeps ``git status`` clean for people who browse the mirror's checkout
(``export.keep_git_index``). libgit2 loads the whole index to change one entry: at
220,000 tracked files (a 50,000-page mirror, a 47 MB index) that is about 0.65 s and
120 MB of native memory per commit, which alone broke the service's memory bound
(issue 10). This module instead reads the old index in 1 MiB chunks and writes the new
one beside it: the entries before, between and after the changed paths are copied as
they are, the changed paths' entries are replaced, added or dropped. Memory stays a few
MiB at any size; the time is one sequential read and write of the file (about 0.3 s at
220,000 entries), and nothing else in a commit grows with the mirror.

Only what we can write exactly is handled here: index versions 2 and 3 (git's and
libgit2's default) with optional extensions. The cache-tree extension (``TREE``) is
dropped, because its hashes describe the old entries; git rebuilds it when it needs it.
Anything else (version 4's compressed paths, a split or sparse index: mandatory
extensions) returns False and leaves the index untouched for the caller's fallback.

Writing follows git's lock protocol: the new index goes to ``index.lock`` (created
exclusively) and is renamed over ``index``; a kill in between leaves the old index and
a stale lock, which the mirror removes when it next opens.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
"""How much of the old index is read at a time."""

_HEADER = struct.Struct(">4sII")
_FIXED = 62
"""Bytes of an entry before its path: ten 32-bit stat fields, the object id, the flags."""
_ENTRY = struct.Struct(">10I20sH")
_FLAGS = struct.Struct(">H")
_NAME_MASK = 0x0FFF
_EXTENDED = 0x4000
_REGULAR_FILE = 0o100644
_LONGEST_ENTRY = 1 << 16
"""Bytes kept ahead of the entry being read (a path is at most 4,096 bytes on Linux)."""
_DROPPED_EXTENSIONS = {b"TREE"}


class IndexFormatError(ValueError):
    """The index file is damaged (not one git or libgit2 wrote)."""


def update_index(index_path: Path, changes: Mapping[str, bytes | None]) -> bool:
    """Apply ``changes`` (path → 20-byte blob id, or None to remove) to the index file.

    Returns False, writing nothing, when there is no index or it uses a format this
    module does not write (see the module docstring). Raises :class:`IndexFormatError`
    for a damaged index and ``OSError`` for a file-system failure (the lock is removed).
    """
    try:
        source = index_path.open("rb")
    except FileNotFoundError:
        return False
    lock = index_path.with_name(index_path.name + ".lock")
    with source:
        header = source.read(_HEADER.size)
        if len(header) < _HEADER.size:
            raise IndexFormatError(f"{index_path} is truncated")
        signature, version, count = _HEADER.unpack(header)
        if signature != b"DIRC":
            raise IndexFormatError(f"{index_path} is not a git index")
        if version not in (2, 3):
            return False
        ordered = sorted((path.encode(), blob) for path, blob in changes.items())
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(fd, "w+b") as target:
                target.write(_HEADER.pack(b"DIRC", version, 0))  # the count is set below
                try:
                    written, rest = _merge_entries(source, count, version, ordered, target)
                except struct.error:  # an entry's fixed part runs past the end
                    raise IndexFormatError(f"{index_path} ends inside an entry") from None
                if not _copy_extensions(rest, source, target):
                    target.close()
                    lock.unlink()
                    return False
                target.seek(8)
                target.write(struct.pack(">I", written))
                _append_checksum(target)
            os.replace(lock, index_path)
        except BaseException:
            lock.unlink(missing_ok=True)
            raise
    return True


def _merge_entries(
    source: BinaryIO,
    count: int,
    version: int,
    changes: list[tuple[bytes, bytes | None]],
    target: BinaryIO,
) -> tuple[int, bytes]:
    """Copy the entries with ``changes`` applied; entries written, and the unread bytes.

    The hot loop of a large index: unchanged entries are copied in runs straight from
    the read buffer, and an entry's path is compared only while a change is still ahead.
    """
    pending = iter(changes)
    change = next(pending, None)
    replaced: bytes | None = None  # the path just changed: drop its other stages
    written = count
    buffer = b""
    at = run = 0
    refill_at = -1  # the offset from which fewer than _LONGEST_ENTRY bytes are buffered
    for _ in range(count):
        if at > refill_at:
            target.write(buffer[run:at])
            more = source.read(CHUNK)
            buffer = buffer[at:] + more
            at = run = 0
            refill_at = len(buffer) - _LONGEST_ENTRY if more else len(buffer)
            if len(buffer) < _FIXED:
                raise IndexFormatError("the index ends inside an entry")
        (flags,) = _FLAGS.unpack_from(buffer, at + _FIXED - 2)
        start = at + _FIXED + (2 if version == 3 and flags & _EXTENDED else 0)
        length = flags & _NAME_MASK
        if length == _NAME_MASK:
            length = buffer.find(b"\0", start) - start
            if length < 0:
                raise IndexFormatError("an index entry's path has no end")
        size = (start - at + length + 8) & ~7
        if change is None and replaced is None:
            at += size  # the fast path: nothing left to change
            continue
        name = buffer[start : start + length]
        if name == replaced:  # another stage of the path just changed
            target.write(buffer[run:at])
            written -= 1
            at = run = at + size
            continue
        replaced = None
        if change is None or name < change[0]:
            at += size
            continue
        target.write(buffer[run:at])
        run = at
        while change is not None and change[0] < name:
            written += _write_entry(target, change)
            change = next(pending, None)
        if change is not None and change[0] == name:
            written += _write_entry(target, change) - 1
            change = next(pending, None)
            replaced = name
            run = at + size
        at += size
    if at > len(buffer):
        raise IndexFormatError("the index ends inside an entry")
    target.write(buffer[run:at])
    while change is not None:
        written += _write_entry(target, change)
        change = next(pending, None)
    return written, buffer[at:]


def _write_entry(target: BinaryIO, change: tuple[bytes, bytes | None]) -> int:
    """Write the entry of a changed path (nothing for a removal); entries written."""
    name, blob = change
    if blob is None:
        return 0
    if len(blob) != 20:
        raise ValueError(f"not a blob id: {blob!r}")
    fixed = _ENTRY.pack(0, 0, 0, 0, 0, 0, _REGULAR_FILE, 0, 0, 0, blob, min(len(name), _NAME_MASK))
    target.write(fixed + name + b"\0" * (8 - (_FIXED + len(name)) % 8))
    return 1


def _copy_extensions(rest: bytes, source: BinaryIO, target: BinaryIO) -> bool:
    """Copy the optional extensions but ``TREE``; False at a mandatory one (nothing copied)."""
    kept = []
    while True:
        while len(rest) < 28 and (more := source.read(CHUNK)):
            rest += more
        if len(rest) == 20:
            break
        if len(rest) < 28:
            raise IndexFormatError("the index ends inside an extension")
        signature, size = struct.unpack_from(">4sI", rest)
        while len(rest) < 8 + size + 20 and (more := source.read(max(CHUNK, size))):
            rest += more
        if len(rest) < 8 + size + 20:
            raise IndexFormatError("the index ends inside an extension")
        if not b"A"[0] <= signature[0] <= b"Z"[0]:
            return False  # a mandatory extension (split or sparse index): not ours to write
        if signature not in _DROPPED_EXTENSIONS:
            kept.append(rest[: 8 + size])
        rest = rest[8 + size :]
    for raw in kept:
        target.write(raw)
    return True


def _append_checksum(target: BinaryIO) -> None:
    """Hash the file written so far and append git's trailing SHA-1."""
    target.flush()
    target.seek(0)
    digest = hashlib.sha1(usedforsecurity=False)
    while block := target.read(CHUNK):
        digest.update(block)
    target.seek(0, os.SEEK_END)
    target.write(digest.digest())

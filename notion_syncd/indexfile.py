"""git's index file format (versions 2 and 3), read and written in bounded memory.

The pieces ``gitindex`` and ``gitsplitindex`` build on: the header, entries read in
1 MiB chunks (:class:`EntryStream`; :func:`merge_entries` copies them with changes
spliced in), the extensions after them, an entry of our own (a blob at a path, no stat
data), the trailing SHA-1, and git's lock protocol (:class:`IndexLock`).

An entry is ten 32-bit stat fields, a 20-byte object id and 16-bit flags (stage in bits
12-13, "extended" in bit 14, the path's length in the low 12 bits, 0xFFF when longer),
in version 3 a second 16-bit flags field when "extended" is set, then the path and one to
eight NULs up to a multiple of 8 bytes. An extension is a 4-byte signature (upper case
first letter: optional), a 32-bit size and its data; the file ends with the SHA-1 of all
bytes before it.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

CHUNK = 1 << 18
"""How much of an index is read at a time. A read holds up to four times this (the
chunk, the bytes left of the last, the two joined, the old buffer): with 1 MiB chunks
a commit's index update held ~4 MB while it streamed a 50,000-page mirror's 25 MB
shared index, at the peak of the export. 256 KiB reads are as fast: 0.05 s to merge a
change into a 25 MB index with either (issue 10)."""

HEADER = struct.Struct(">4sII")
SIGNATURE = b"DIRC"
VERSIONS = (2, 3)
"""The versions we read and write (git's and libgit2's default); 4 compresses paths."""
_FIXED = 62
"""Bytes of an entry before its path: ten 32-bit stat fields, the object id, the flags."""
_ENTRY = struct.Struct(">10I20sH")
_FLAGS = struct.Struct(">H")
_EXTENSION = struct.Struct(">4sI")
NAME_MASK = 0x0FFF
_EXTENDED = 0x4000
_REGULAR_FILE = 0o100644
_LONGEST_ENTRY = 1 << 16
"""Bytes kept ahead of the entry being read (a path is at most 4,096 bytes on Linux)."""

Entry = tuple[bytes, int, bytes]
"""An entry as read: its path, its flags (the stage is ``flags >> 12 & 3``), its bytes."""


class IndexFormatError(ValueError):
    """The index file is damaged (not one git or libgit2 wrote)."""


def read_header(source: BinaryIO) -> tuple[int, int]:
    """The version and the entry count of the index open in ``source``."""
    header = source.read(HEADER.size)
    if len(header) < HEADER.size:
        raise IndexFormatError("the index is truncated")
    signature, version, count = HEADER.unpack(header)
    if signature != SIGNATURE:
        raise IndexFormatError("the file is not a git index")
    return int(version), int(count)


def stage(flags: int) -> int:
    return flags >> 12 & 3


class EntryStream:
    """The entries of an index, in order, from just after its header; ``rest`` after them.

    ``rest`` holds the bytes read past the last entry (the start of the extensions).
    """

    def __init__(self, source: BinaryIO, count: int, version: int) -> None:
        self._source = source
        self._count = count
        self._extended = version == 3
        self.rest = b""

    def __iter__(self) -> Iterator[Entry]:
        buffer = b""
        at = 0
        refill_at = -1  # the offset from which fewer than _LONGEST_ENTRY bytes are buffered
        for _ in range(self._count):
            if at > refill_at:
                more = self._source.read(CHUNK)
                buffer = buffer[at:] + more
                at = 0
                refill_at = len(buffer) - _LONGEST_ENTRY if more else len(buffer)
            flags, start, length, size = _measure(buffer, at, self._extended)
            yield buffer[start : start + length], flags, buffer[at : at + size]
            at += size
        if at > len(buffer):
            raise IndexFormatError("the index ends inside an entry")
        self.rest = buffer[at:]


def _measure(buffer: bytes, at: int, extended: bool) -> tuple[int, int, int, int]:
    """The flags of the entry at ``at``, where its path starts, its length, its size."""
    if len(buffer) < at + _FIXED:
        raise IndexFormatError("the index ends inside an entry")
    (flags,) = _FLAGS.unpack_from(buffer, at + _FIXED - 2)
    start = at + _FIXED + (2 if extended and flags & _EXTENDED else 0)
    length = flags & NAME_MASK
    if length == NAME_MASK:
        length = buffer.find(b"\0", start) - start
        if length < 0:
            raise IndexFormatError("an index entry's path has no end")
    return flags, start, length, (start - at + length + 8) & ~7


def layout(source: BinaryIO) -> tuple[int, int, list[tuple[bytes, bytes]]]:
    """The version, entry count and extensions of the index open in ``source``.

    The entries are skipped, not kept: one sequential read of the file, in chunks.
    A version we do not read (not in :data:`VERSIONS`) is returned with no extensions.
    """
    version, count = read_header(source)
    if version not in VERSIONS:
        return version, count, []
    extended = version == 3
    buffer = b""
    at = 0
    refill_at = -1
    for _ in range(count):
        if at > refill_at:
            more = source.read(CHUNK)
            buffer = buffer[at:] + more
            at = 0
            refill_at = len(buffer) - _LONGEST_ENTRY if more else len(buffer)
        at += _measure(buffer, at, extended)[3]
    if at > len(buffer):
        raise IndexFormatError("the index ends inside an entry")
    return version, count, read_extensions(buffer[at:], source)


def flags_of(raw: bytes) -> int:
    return int(_FLAGS.unpack_from(raw, _FIXED - 2)[0])


def merge_entries(
    source: BinaryIO,
    count: int,
    version: int,
    changes: list[tuple[bytes, bytes | None]],
    target: BinaryIO,
) -> tuple[int, bytes]:
    """Copy the entries with ``changes`` (sorted) applied; entries written, unread bytes.

    The hot loop of a large index: unchanged entries are copied in runs straight from
    the read buffer, and an entry's path is compared only while a change is still ahead.
    """
    extended = version == 3
    pending = iter(changes)
    change = next(pending, None)
    replaced: bytes | None = None  # the path just changed: drop its other stages
    written = count
    buffer = b""
    at = run = 0
    refill_at = -1
    for _ in range(count):
        if at > refill_at:
            target.write(buffer[run:at])
            more = source.read(CHUNK)
            buffer = buffer[at:] + more
            at = run = 0
            refill_at = len(buffer) - _LONGEST_ENTRY if more else len(buffer)
        _flags, start, length, size = _measure(buffer, at, extended)
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
            written += write_entry(target, *change)
            change = next(pending, None)
        if change is not None and change[0] == name:
            written += write_entry(target, *change) - 1
            change = next(pending, None)
            replaced = name
            run = at + size
        at += size
    if at > len(buffer):
        raise IndexFormatError("the index ends inside an entry")
    target.write(buffer[run:at])
    while change is not None:
        written += write_entry(target, *change)
        change = next(pending, None)
    return written, buffer[at:]


def entry(name: bytes, blob: bytes) -> bytes:
    """A stage-0 entry of a regular file at ``name`` (no stat data: git re-hashes it once).

    An empty ``name`` makes a split index's replacement entry (it takes the shared one's).
    """
    if len(blob) != 20:
        raise ValueError(f"not a blob id: {blob!r}")
    fixed = _ENTRY.pack(0, 0, 0, 0, 0, 0, _REGULAR_FILE, 0, 0, 0, blob, min(len(name), NAME_MASK))
    return fixed + name + b"\0" * (8 - (_FIXED + len(name)) % 8)


def write_entry(target: BinaryIO, name: bytes, blob: bytes | None) -> int:
    """Write the entry of a changed path (nothing for a removal); entries written."""
    if blob is None:
        return 0
    target.write(entry(name, blob))
    return 1


def named(raw: bytes, name: bytes, version: int) -> bytes:
    """The entry ``raw`` (a split index's replacement, its path left out) at ``name``."""
    (flags,) = _FLAGS.unpack_from(raw, _FIXED - 2)
    fixed = _FIXED + (2 if version == 3 and flags & _EXTENDED else 0)
    flags = flags & ~NAME_MASK | min(len(name), NAME_MASK)
    head = raw[: _FIXED - 2] + _FLAGS.pack(flags) + raw[_FIXED:fixed]
    return head + name + b"\0" * (8 - (fixed + len(name)) % 8)


def read_extensions(rest: bytes, source: BinaryIO) -> list[tuple[bytes, bytes]]:
    """The extensions after the entries: (signature, bytes with their 8-byte header).

    ``rest``: the bytes already read past the entries; ``source`` holds the others.
    """
    extensions: list[tuple[bytes, bytes]] = []
    while True:
        while len(rest) < 28 and (more := source.read(CHUNK)):
            rest += more
        if len(rest) == 20:
            return extensions
        if len(rest) < 28:
            raise IndexFormatError("the index ends inside an extension")
        signature, size = _EXTENSION.unpack_from(rest)
        while len(rest) < 8 + size + 20 and (more := source.read(max(CHUNK, size))):
            rest += more
        if len(rest) < 8 + size + 20:
            raise IndexFormatError("the index ends inside an extension")
        extensions.append((signature, rest[: 8 + size]))
        rest = rest[8 + size :]


def extension(signature: bytes, data: bytes) -> bytes:
    return _EXTENSION.pack(signature, len(data)) + data


def is_optional(signature: bytes) -> bool:
    """An extension a reader may ignore (its signature starts with an upper-case letter)."""
    return b"A"[0] <= signature[0] <= b"Z"[0]


def append_checksum(target: BinaryIO) -> bytes:
    """Hash the file written so far, append git's trailing SHA-1, and return it."""
    target.flush()
    target.seek(0)
    digest = hashlib.sha1(usedforsecurity=False)
    while block := target.read(CHUNK):
        digest.update(block)
    target.seek(0, os.SEEK_END)
    target.write(digest.digest())
    return digest.digest()


def set_count(target: BinaryIO, count: int) -> None:
    """Write the entry count into the header of the file being written."""
    target.seek(8)
    target.write(struct.pack(">I", count))
    target.seek(0, os.SEEK_END)


class IndexLock:
    """git's lock protocol: ``<index>.lock`` is created exclusively (``FileExistsError``
    when someone holds it) and written; :meth:`commit` renames it over the index, leaving
    the block without committing removes it. A kill in between leaves a stale lock, which
    the mirror removes when it next opens (it holds the mirror's own lock then)."""

    def __init__(self, index_path: Path) -> None:
        self.index_path = index_path
        self.path = index_path.with_name(index_path.name + ".lock")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        self.file: BinaryIO = os.fdopen(fd, "w+b")
        self._done = False

    def commit(self) -> None:
        self.file.close()
        os.replace(self.path, self.index_path)
        self._done = True

    def __enter__(self) -> IndexLock:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._done:
            self.file.close()
            self.path.unlink(missing_ok=True)

"""The shared file of git's split index: ``.git/sharedindex.<id>``, written and searched.

A shared index is an ordinary index named after its trailing SHA-1 (``gitsplitindex``
describes the split index). It is written whole, rarely (:func:`write_shared`): beside,
flushed, then renamed, so an index that names it never finds it partial. A commit only
reads it, to learn where its changed paths sit (:func:`find_positions`).

Entries have no fixed size, so finding a path's position (its entry number) means
walking the entries before it: 0.1-0.15 s at 220,000 entries. The first walk of a
shared index therefore also notes every :data:`TABLE_EVERY`-th entry (number, byte
offset, path) in a *positions table*, ``.git/notion-syncd/<shared name>.positions``
(~50 KB at 220,000 entries, written once); later commits look a path up in the table
and walk at most that many entries from there. The table is a cache: one that is
missing, damaged or does not match its shared index (the entry at a noted offset has
another path) is ignored and rebuilt by a whole walk. It cannot go in the shared index
itself: git prints "ignoring ... extension" for an extension it does not know.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from notion_syncd.indexfile import (
    CHUNK,
    HEADER,
    NAME_MASK,
    SIGNATURE,
    VERSIONS,
    IndexFormatError,
    append_checksum,
    read_header,
    set_count,
)

SHARED_PREFIX = "sharedindex."
TABLE_EVERY = 512
"""Entries between two rows of a positions table: a lookup walks at most this many."""
TABLE_FOLDER = "notion-syncd"
"""In the git directory, beside the mirror's *uncommitted* marker."""
_TABLE_SUFFIX = ".positions"
_TABLE_MAGIC = b"NSPT\0\0\0\1"
_ROW = struct.Struct(">IQH")
_WALK_CHUNK = 1 << 17
"""Bytes read at a time when walking from a table row (a row covers ~75 KB)."""
Row = tuple[int, int, bytes]
"""A positions table's row: an entry's number, its byte offset in the file, its path."""
_PARTIAL_SHARED = SHARED_PREFIX + "notion-syncd-partial"
"""Where a new shared index is written before it is renamed to its id."""


def shared_path(git_dir: Path, shared_id: bytes) -> Path:
    return git_dir / f"{SHARED_PREFIX}{shared_id.hex()}"


def write_shared(git_dir: Path, version: int, write_entries: Callable[[BinaryIO], int]) -> bytes:
    """Write a shared index (``write_entries`` writes its entries and counts them); its id.

    Written beside, flushed to disk, then renamed to its name: an index that names it
    never finds it partial, even after a power cut.
    """
    partial = git_dir / _PARTIAL_SHARED
    try:
        with partial.open("w+b") as target:
            target.write(HEADER.pack(SIGNATURE, version, 0))
            set_count(target, write_entries(target))
            shared_id = append_checksum(target)
            target.flush()
            os.fsync(target.fileno())
        os.replace(partial, shared_path(git_dir, shared_id))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return shared_id


def read_shared_header(source: BinaryIO) -> tuple[int, int]:
    """The version and entry count of a shared index; one we do not read raises
    :class:`IndexFormatError` (version 4, written by a git configured for it)."""
    version, count = read_header(source)
    if version not in VERSIONS:
        raise IndexFormatError(f"the shared index has version {version}, not one we read")
    return version, count


def table_path(shared: Path) -> Path:
    return shared.parent / TABLE_FOLDER / (shared.name + _TABLE_SUFFIX)


def remove_shared(shared: Path) -> None:
    """Remove a shared index and its positions table."""
    shared.unlink(missing_ok=True)
    table_path(shared).unlink(missing_ok=True)


def remove_tables(git_dir: Path, keep: str | None) -> None:
    """Remove the positions tables but the one of the shared index named ``keep``."""
    with contextlib.suppress(FileNotFoundError):
        for path in (git_dir / TABLE_FOLDER).glob(f"{SHARED_PREFIX}*"):
            if keep is None or path.name != keep + _TABLE_SUFFIX:
                path.unlink(missing_ok=True)


def find_positions(shared: Path, names: list[bytes]) -> tuple[int, dict[bytes, list[int]]]:
    """The shared index's entry count, and where each of ``names`` (sorted) sits in it.

    Raises :class:`IndexFormatError` when the file is missing or damaged.
    """
    table = _read_table(table_path(shared))
    try:
        source = shared.open("rb")
    except FileNotFoundError:
        raise IndexFormatError(f"the shared index {shared.name} is missing") from None
    with source:
        version, count = read_shared_header(source)
        if table:
            found = _look_up(source, version, count, table, names)
            if found is not None:
                return count, found
            source.seek(HEADER.size)
        found, rows = _walk(source, version, count, (0, HEADER.size, None), names, TABLE_EVERY)
    with contextlib.suppress(OSError):
        _write_table(table_path(shared), rows)
    return count, found


def _look_up(
    source: BinaryIO, version: int, count: int, table: list[Row], names: list[bytes]
) -> dict[bytes, list[int]] | None:
    """``names`` found by walking from the table's rows before them; None when the
    table does not match the file."""
    paths = [path for _, _, path in table]
    groups: dict[int, list[bytes]] = {}
    for name in names:  # from the last row before it: all its stages are after
        groups.setdefault(max(bisect.bisect_left(paths, name) - 1, 0), []).append(name)
    found: dict[bytes, list[int]] = {}
    for row, group in groups.items():
        source.seek(table[row][1])
        try:
            part, _ = _walk(source, version, count, table[row], group, 0, _WALK_CHUNK)
        except _TableMismatch:
            return None
        found.update(part)
    return found


class _TableMismatch(Exception):
    """The entry at a table row's offset is not the row's."""


def _walk(
    source: BinaryIO,
    version: int,
    count: int,
    start: tuple[int, int, bytes | None],
    names: list[bytes],
    every: int,
    chunk: int = CHUNK,
) -> tuple[dict[bytes, list[int]], list[Row]]:
    """Walk the entries from ``start`` (number, offset: where ``source`` is; the path
    expected there, if known): where each of ``names`` (sorted) sits, and with ``every``
    the rows of a positions table (the walk then goes to the end).

    The hot loop of a commit: no entry is copied, a path is compared only when one of
    ``names`` may have been reached.
    """
    found: dict[bytes, list[int]] = {}
    rows: list[Row] = []
    pending = iter(names)
    target = next(pending, None)
    first, offset, expected = start
    extended = version == 3
    unpack = struct.Struct(">H").unpack_from
    buffer = b""
    at = 0
    refill_at = -1
    for position in range(first, count):
        if target is None and not every:
            break
        if at > refill_at:
            more = source.read(chunk)
            offset += at
            buffer = buffer[at:] + more
            at = 0
            refill_at = len(buffer) - (1 << 16) if more else len(buffer)
        if len(buffer) < at + 62:
            raise IndexFormatError("the shared index ends inside an entry")
        (flags,) = unpack(buffer, at + 60)
        begin = at + 62 + (2 if extended and flags & 0x4000 else 0)
        length = flags & NAME_MASK
        if length == NAME_MASK:
            length = buffer.find(b"\0", begin) - begin
        if expected is not None:
            if buffer[begin : begin + length] != expected:
                raise _TableMismatch()
            expected = None
        if every and position % every == 0:
            rows.append((position, offset + at, buffer[begin : begin + length]))
        if target is not None:
            name = buffer[begin : begin + length]
            if name >= target:
                while target is not None and target < name:
                    target = next(pending, None)
                if name == target:
                    found.setdefault(name, []).append(position)
        at += (begin - at + length + 8) & ~7
    return found, rows


def _write_table(path: Path, rows: list[Row]) -> None:
    path.parent.mkdir(exist_ok=True)
    data = _TABLE_MAGIC + b"".join(
        _ROW.pack(position, offset, len(name)) + name for position, offset, name in rows
    )
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _read_table(path: Path) -> list[Row] | None:
    """The rows of a positions table; None when it is missing or damaged."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(_TABLE_MAGIC):
        return None
    rows = []
    at = len(_TABLE_MAGIC)
    try:
        while at < len(data):
            position, offset, length = _ROW.unpack_from(data, at)
            at += _ROW.size + length
            rows.append((position, offset, data[at - length : at]))
    except struct.error:
        return None
    return rows if at == len(data) else None

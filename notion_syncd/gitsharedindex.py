"""The shared file of git's split index: ``.git/sharedindex.<id>``, written and searched.

A shared index is an ordinary index named after its trailing SHA-1 (``gitsplitindex``
describes the split index). It is written whole, rarely (:func:`write_shared`): beside,
flushed, then renamed, so an index that names it never finds it partial. A commit only
reads it, to learn where its changed paths sit (:func:`find_positions`).
"""

from __future__ import annotations

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
    IndexFormatError,
    append_checksum,
    read_header,
    set_count,
)

SHARED_PREFIX = "sharedindex."
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


def find_positions(shared: Path, names: list[bytes]) -> tuple[int, dict[bytes, list[int]]]:
    """The shared index's entry count, and where each of ``names`` (sorted) sits in it.

    Raises :class:`IndexFormatError` when the file is missing or damaged.
    """
    try:
        with shared.open("rb") as source:
            version, count = read_header(source)
            return count, _positions(source, count, version, names)
    except FileNotFoundError:
        raise IndexFormatError(f"the shared index {shared.name} is missing") from None


def _positions(
    source: BinaryIO, count: int, version: int, names: list[bytes]
) -> dict[bytes, list[int]]:
    """Where each of ``names`` (sorted) sits in the index read from ``source``.

    The one read of the shared index per commit, stopped after the last name: a tight
    loop (no entry is copied, a path is compared only when it may have been passed).
    """
    found: dict[bytes, list[int]] = {}
    pending = iter(names)
    target = next(pending, None)
    extended = version == 3
    unpack = struct.Struct(">H").unpack_from
    buffer = b""
    at = 0
    refill_at = -1
    for position in range(count):
        if target is None:
            break
        if at > refill_at:
            more = source.read(CHUNK)
            buffer = buffer[at:] + more
            at = 0
            refill_at = len(buffer) - (1 << 16) if more else len(buffer)
        if len(buffer) < at + 62:
            raise IndexFormatError("the shared index ends inside an entry")
        (flags,) = unpack(buffer, at + 60)
        start = at + 62 + (2 if extended and flags & 0x4000 else 0)
        length = flags & NAME_MASK
        if length == NAME_MASK:
            length = buffer.find(b"\0", start) - start
        name = buffer[start : start + length]
        if name >= target:
            while target is not None and target < name:
                target = next(pending, None)
            if name == target:
                found.setdefault(name, []).append(position)
        at += (start - at + length + 8) & ~7
    return found

"""Blobs and trees written straight into a pack file: one append each, not one loose file each.

libgit2 stores every new object as a loose file, and each such write costs a dozen
system calls: it first looks for the object everywhere (a miss rescans the pack folder),
then creates a temporary file in a fan-out folder and renames it. That was a fifth of
the writer's time in a first export, and the loose files were packed again after each
commit (issue 10). A mirror's blobs are all new, so :class:`PackWriter` appends them,
compressed, to one temporary pack, and so do the commit's new trees
(:mod:`notion_syncd.gittree`); before the commit is created (libgit2 checks that its
tree exists), :meth:`PackWriter.finish` completes the pack: the object count in its
header, the SHA-1 trailer, and a version 2 ``.idx`` (the format git documents in
``gitformat-pack``). The pack is renamed into place before its index,
as git does; libgit2 finds it when it next misses an object.

No deltas: the pack holds whole blobs, compressed at zlib's fastest level as libgit2's
loose objects are; :mod:`notion_syncd.gitpack` rewrites small packs into one with deltas.

Crash safety: nothing refers to the pack's objects before ``finish`` returns (commits
are created after it), and the commit flushes the filesystem before the branch moves. A kill
before that leaves a temporary file that :func:`remove_unfinished` deletes on the next
open, and a working tree the next open resets to HEAD; at worst a finished pack nothing
refers to, which costs disk until git's own ``gc``. The caller holds the mirror lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import zlib
from pathlib import Path
from typing import IO

import pygit2

TEMPORARY_PREFIX = "tmp_notion-syncd_"
"""Unfinished packs in ``objects/pack`` (libgit2 only reads ``pack-*.idx``)."""
_TREE = 2
_BLOB = 3
"""Object types in a pack entry's header."""
_LEVEL = 1
"""zlib's fastest level, as libgit2 uses for loose objects."""
_CHUNK = 1024 * 1024


class PackWriter:
    """Appends blobs to a temporary pack in ``pack_dir``; ``finish`` makes it a pack."""

    def __init__(self, pack_dir: Path) -> None:
        self.pack_dir = pack_dir
        self._file: IO[bytes] | None = None
        self._temporary: Path | None = None
        self._size = 0
        self._entries: dict[bytes, tuple[int, int]] = {}
        """Object id (20 bytes) -> (CRC-32 of its entry, its offset in the pack)."""

    def add_blob(self, data: bytes) -> pygit2.Oid:
        """The blob's id; its bytes go into the pack unless it already holds them.

        Raises OSError (a full disk, say); the pack is then abandoned by ``discard``.
        """
        return self._add(_BLOB, pygit2.hash(data), data)

    def add_tree(self, data: bytes) -> pygit2.Oid:
        """The id of the tree object whose bytes are ``data``; added as ``add_blob`` adds."""
        header = b"tree %d\0" % len(data)
        return self._add(_TREE, pygit2.Oid(raw=hashlib.sha1(header + data).digest()), data)

    def _add(self, kind: int, oid: pygit2.Oid, data: bytes) -> pygit2.Oid:
        key = oid.raw
        if key in self._entries:
            return oid
        handle = self._open()
        entry = entry_header(kind, len(data)) + zlib.compress(data, _LEVEL)
        try:
            _write_all(handle, entry)  # unbuffered: an error is this entry's, raised here
        except OSError:
            handle.truncate(self._size)  # no partial entry: the pack stays whole
            handle.seek(self._size)
            raise
        self._entries[key] = (zlib.crc32(entry), self._size)
        self._size += len(entry)
        return oid

    def finish(self) -> Path | None:
        """Complete the pack and its index and rename them into place; its path, or None
        when nothing was added. Raises OSError."""
        if self._file is None or self._temporary is None:
            return None
        handle, temporary = self._file, self._temporary
        handle.seek(8)
        _write_all(handle, len(self._entries).to_bytes(4, "big"))
        trailer = _sha1_of(temporary)
        handle.seek(0, os.SEEK_END)
        _write_all(handle, trailer)
        handle.close()
        self._file = None
        name = f"pack-{trailer.hex()}"
        index = temporary.with_name(temporary.name + ".idx")
        _write_read_only(index, pack_index(self._entries, trailer))
        pack = self.pack_dir / f"{name}.pack"
        if (self.pack_dir / f"{name}.idx").exists():  # the very same objects: already there
            temporary.unlink()
            index.unlink()
        else:
            os.replace(temporary, pack)
            os.replace(index, self.pack_dir / f"{name}.idx")
        self._reset()
        return pack

    def discard(self) -> None:
        """Drop the unfinished pack (its objects are not referred to by anything)."""
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
        if self._temporary is not None:
            with contextlib.suppress(OSError):
                self._temporary.unlink()
        self._reset()

    def _reset(self) -> None:
        """No pack in progress."""
        self._file = None
        self._temporary = None
        self._entries = {}
        self._size = 0

    def _open(self) -> IO[bytes]:
        if self._file is not None:
            return self._file
        self.pack_dir.mkdir(parents=True, exist_ok=True)
        temporary = self.pack_dir / f"{TEMPORARY_PREFIX}{os.getpid()}.pack"
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o444)
        handle = os.fdopen(fd, "w+b", buffering=0)
        _write_all(handle, b"PACK" + (2).to_bytes(4, "big") + (0).to_bytes(4, "big"))
        self._file, self._temporary, self._size = handle, temporary, 12
        return handle


def entry_header(kind: int, size: int) -> bytes:
    """A pack entry's header: type and size, 4 bits then 7 per byte, low bits first."""
    first = (kind << 4) | (size & 0x0F)
    size >>= 4
    out = bytearray()
    while size:
        out.append(first | 0x80)
        first = size & 0x7F
        size >>= 7
    out.append(first)
    return bytes(out)


def pack_index(entries: dict[bytes, tuple[int, int]], pack_checksum: bytes) -> bytes:
    """A version 2 pack index of ``entries`` (id -> CRC-32, offset)."""
    ids = sorted(entries)
    fanout = [0] * 256
    for key in ids:
        fanout[key[0]] += 1
    parts = [b"\xfftOc", (2).to_bytes(4, "big")]
    total = 0
    for count in fanout:
        total += count
        parts.append(total.to_bytes(4, "big"))
    parts.extend(ids)
    parts.extend(entries[key][0].to_bytes(4, "big") for key in ids)
    large: list[int] = []
    for key in ids:
        offset = entries[key][1]
        if offset < 0x80000000:
            parts.append(offset.to_bytes(4, "big"))
        else:  # past 2 GiB: an index into the table of 8-byte offsets
            parts.append((0x80000000 | len(large)).to_bytes(4, "big"))
            large.append(offset)
    parts.extend(offset.to_bytes(8, "big") for offset in large)
    parts.append(pack_checksum)
    body = b"".join(parts)
    return body + hashlib.sha1(body).digest()


def remove_unfinished(pack_dir: Path) -> None:
    """Delete the temporary packs (and indexes) a killed process left in ``pack_dir``."""
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for name in os.listdir(pack_dir):
            if name.startswith(TEMPORARY_PREFIX):
                with contextlib.suppress(FileNotFoundError):
                    (pack_dir / name).unlink()


def _write_all(handle: IO[bytes], data: bytes) -> None:
    """Write all of ``data`` with an unbuffered handle (a write may take part of it)."""
    view = memoryview(data)
    while view:
        view = view[handle.write(view) :]


def _write_read_only(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o444)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _sha1_of(path: Path) -> bytes:
    digest = hashlib.sha1()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.digest()

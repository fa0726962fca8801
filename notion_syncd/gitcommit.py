"""Commit objects written as loose files, without libgit2's look for them in every pack.

Before it writes any object, libgit2 checks whether the object database has it already
(``git_odb_write`` freshens an existing copy instead). A new commit is in no pack, so
that check looks it up in each pack's ``.idx`` in turn, and the kernel maps 64 KiB
around every page read: in a 50,000-page mirror (155 packs, one per checkpoint of the
first export) each ``create_commit`` mapped 9.4 MB of ``.idx`` pages, held until the
commit ended, at every checkpoint (``bench/bench_checkpoint.py``, issue 10). A new
commit is all but always a new object (its parent, tree or time differ from every
earlier one's; the same commit again is not rewritten if loose, and stored twice,
harmlessly, if packed), so it is written here straight to ``objects/<2 hex>/<38
hex>``: git's loose format (the header ``commit <size>``, a NUL, the body;
zlib-compressed), the body byte for byte as libgit2 writes it, so the id is the one
libgit2 would give. The mirror has libgit2 look loose objects up before packs, so
reading it back probes no pack either.

Crash safety as for libgit2's own loose objects: a temporary file renamed into place,
flushed by the commit's filesystem flush before the branch moves to it. A kill may
leave the temporary file: the mirror's open after a crash removes it
(:func:`remove_unfinished`), and git's fsck and gc know the prefix.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import zlib
from collections.abc import Sequence
from pathlib import Path

import pygit2

TEMPORARY_PREFIX = "tmp_obj_notion-syncd_"
"""git's own prefix for a loose object being written: git's fsck passes over a file a kill
left, and its gc removes it."""
_LEVEL = 1
"""zlib's fastest level, as libgit2 uses for loose objects."""


def commit_body(
    tree: pygit2.Oid,
    parents: Sequence[pygit2.Oid],
    author: pygit2.Signature,
    committer: pygit2.Signature,
    message: str,
) -> bytes:
    """A commit object's bytes (without the ``commit <size>`` header), as libgit2 writes
    them for ``create_commit`` without a message encoding."""
    lines = [b"tree %s\n" % str(tree).encode()]
    lines += [b"parent %s\n" % str(parent).encode() for parent in parents]
    lines.append(b"author " + _signature(author))
    lines.append(b"committer " + _signature(committer))
    return b"".join(lines) + b"\n" + message.encode()


def write_commit(
    objects: Path,
    tree: pygit2.Oid,
    parents: Sequence[pygit2.Oid],
    author: pygit2.Signature,
    committer: pygit2.Signature,
    message: str,
) -> pygit2.Oid:
    """Write the commit into the object folder ``objects``; its id. Raises OSError."""
    body = commit_body(tree, parents, author, committer, message)
    data = b"commit %d\0" % len(body) + body
    hex_id = hashlib.sha1(data).hexdigest()
    folder = objects / hex_id[:2]
    target = folder / hex_id[2:]
    if not target.exists():
        folder.mkdir(exist_ok=True)
        temporary = folder / f"{TEMPORARY_PREFIX}{os.getpid()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o444)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(zlib.compress(data, _LEVEL))
            os.replace(temporary, target)
        except OSError:
            temporary.unlink(missing_ok=True)
            raise
    return pygit2.Oid(hex=hex_id)


def remove_unfinished(objects: Path) -> None:
    """Delete the temporary commit files a killed process left in the object folder
    ``objects`` (only after a crash: a listing of its 256 fan-out folders)."""
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for fanout in os.listdir(objects):
            if len(fanout) != 2:
                continue
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                for name in os.listdir(objects / fanout):
                    if name.startswith(TEMPORARY_PREFIX):
                        (objects / fanout / name).unlink(missing_ok=True)


def _signature(signature: pygit2.Signature) -> bytes:
    """``Name <email> <seconds> <+hhmm>`` and a newline, as git and libgit2 write it."""
    offset = signature.offset
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    return b"%s <%s> %d %s%02d%02d\n" % (
        signature.raw_name,
        signature.raw_email,
        signature.time,
        sign.encode(),
        hours,
        minutes,
    )

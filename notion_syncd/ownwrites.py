"""What a mirror's writer put in the working tree since the last commit: its own writes.

``gitstore``'s *uncommitted* marker doubles as this journal. Before a write, delete or
move changes a working-tree file, one line ``[blob id, path]`` is appended to it (blob
``null``: deleted). After a crash, the open-time reset reads it back
(:func:`read_own_writes`): a changed path whose content is one the dead process wrote
there, or which it deleted, is that process's own write, redone by the next sync, and
is discarded; anything else is a person's and is kept on a side ref
(:mod:`notion_syncd.localedits`), so ``status`` names only edits someone made.

Appends are not fsynced (one flush per commit stays the rule, ``gitdurable``): a killed
process leaves them in the page cache; a power loss may lose the last lines, and then
a write of ours looks like a person's and is kept, as before this journal. The reverse
cannot happen: a line is appended before its file changes, and a file a person changed
afterwards no longer holds the bytes the line names.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path

import pygit2

OwnWrites = dict[str, set[str | None]]
"""Path -> every blob id the writer left there since the last commit (None: deleted)."""


class OwnWriteJournal:
    """Appends a line per change to the marker file (opened once, on first use)."""

    def __init__(self, marker: Path) -> None:
        self._marker = marker
        self._fd: int | None = None

    def record(self, rel: str, blob: pygit2.Oid | None) -> None:
        """Before ``rel`` changes: it will hold ``blob`` (None: be deleted). Raises OSError."""
        if self._fd is None:
            self._fd = os.open(self._marker, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        line = json.dumps([str(blob) if blob is not None else None, rel], ensure_ascii=False)
        os.write(self._fd, (line + "\n").encode())

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def read_own_writes(marker: Path) -> OwnWrites:
    """The journal in ``marker``; a line a kill cut short (or any unreadable one) is skipped."""
    own: OwnWrites = {}
    try:
        lines = marker.read_bytes().splitlines()
    except OSError:
        return own
    for line in lines:
        try:
            blob, rel = json.loads(line)
        except (ValueError, TypeError):
            continue
        if isinstance(rel, str) and (blob is None or isinstance(blob, str)):
            own.setdefault(rel, set()).add(blob)
    return own


def is_own_write(path: Path, rel: str, own: OwnWrites) -> bool:
    """True when the working tree's ``rel`` is as the writer left it (content or absence)."""
    written = own.get(rel)
    if not written:
        return False
    full = path / rel
    try:
        info = os.lstat(full)
    except FileNotFoundError:
        return None in written
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_mode & stat.S_IXUSR:
        return False  # the writer only makes regular files, not executable
    try:
        return str(pygit2.hashfile(str(full))) in written
    except (OSError, pygit2.GitError):
        return False

"""Local edits in a mirror's working tree are kept on a side ref before the tree is reset.

A mirror's working tree must equal HEAD (every sync starts from it), so opening a mirror
resets whatever differs. What differs may be a person's edits or files: before the reset
they are committed (HEAD's tree plus every changed, added or deleted file) to
``refs/notion-syncd/local/<UTC time>``, named in the log and in ``status``. Writes of a
sync killed before its commit are kept the same way; they cost almost nothing, since
the next sync writes the same bytes (git stores each blob once).

Cheap: it looks only at the paths the caller's status already found; nothing else of
the tree is read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pygit2

LOCAL_REFS = "refs/notion-syncd/local/"
_AUTHOR = pygit2.Signature("notion-syncd", "notion-syncd@localhost")


def save_local_changes(
    repo: Any, path: Path, changed: Iterable[str], head: Any | None, now: datetime
) -> str | None:
    """Commit the working tree's ``changed`` paths on top of ``head`` to a new side ref.

    Returns the ref's name, or None when nothing differs from ``head``.
    """
    index = pygit2.Index()
    if head is not None:
        index.read_tree(head.tree)
    names = sorted(set(changed))
    for rel in names:
        entry = _entry_of(repo, path, rel)
        if entry is not None:
            index.add(entry)
        elif rel in index:
            index.remove(rel)
    tree_id = index.write_tree(repo)
    if head is not None and tree_id == head.tree_id:
        return None
    ref = _free_ref(repo, now)
    listed = "\n".join(f"- {rel}" for rel in names[:200])
    more = f"\n- … and {len(names) - 200} more" if len(names) > 200 else ""
    message = (
        f"Local changes found in the mirror's working tree ({len(names)} paths)\n\n"
        f"Kept here before the working tree was reset to {head.id if head else 'nothing'}:\n"
        f"{listed}{more}\n"
    )
    signature = pygit2.Signature(_AUTHOR.name, _AUTHOR.email, int(now.timestamp()), 0)
    parents = [head.id] if head is not None else []
    repo.create_commit(ref, signature, signature, message, tree_id, parents)
    return ref


def _entry_of(repo: Any, path: Path, rel: str) -> Any | None:
    """An index entry for a working-tree file (None when it is gone or not a file)."""
    full = path / rel
    try:
        info = os.lstat(full)
        if stat.S_ISLNK(info.st_mode):
            blob = repo.create_blob(os.fsencode(os.readlink(full)))
            return pygit2.IndexEntry(rel, blob, pygit2.enums.FileMode.LINK)
        if not stat.S_ISREG(info.st_mode):
            return None
        blob = repo.create_blob(full.read_bytes())
    except OSError:
        return None
    executable = bool(info.st_mode & stat.S_IXUSR)
    mode = pygit2.enums.FileMode.BLOB_EXECUTABLE if executable else pygit2.enums.FileMode.BLOB
    return pygit2.IndexEntry(rel, blob, mode)


def _free_ref(repo: Any, now: datetime) -> str:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    ref, number = f"{LOCAL_REFS}{stamp}", 1
    while ref in repo.references:
        number += 1
        ref = f"{LOCAL_REFS}{stamp}-{number}"
    return ref


def local_refs(repo: Any) -> list[str]:
    """Every side ref of saved local changes, newest first."""
    return sorted((name for name in repo.references if name.startswith(LOCAL_REFS)), reverse=True)

"""Local edits in a mirror's working tree are kept on a side ref before they are replaced.

A mirror's working tree must equal HEAD (every sync starts from it), so opening a mirror
resets whatever differs. What differs may be a person's edits or files: before the reset
they are committed (HEAD's tree plus every changed, added or deleted file) to
``refs/notion-syncd/local/<UTC time>``, named in the log and in ``status``. Writes of a
sync killed before its commit are not a person's: the dead process listed them in the
uncommitted marker (:mod:`notion_syncd.ownwrites`), and a path still as it left it is
simply reset (the next sync writes it again).

Cheap: nothing scans the tree. After a crash (``gitstore``'s *uncommitted* marker) the
open-time reset passes the paths its status found; between syncs, ``LocalEditKeeper``
looks only at the paths a sync is about to overwrite, delete or move (the cost follows
the change), so edits of files no sync touches simply stay in the working tree.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pygit2
import structlog

from notion_syncd import gittree

log = structlog.get_logger(__name__)

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
    if not names:
        return None
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


class LocalEditKeeper:
    """Before a sync replaces a file that a person changed, keep that version on a side ref.

    One ref per mirror session (``refs/notion-syncd/local/<UTC time>``), updated as more
    such files turn up: HEAD's tree plus each kept file as it was before the sync
    touched it.

    A file that is missing when the sync writes it is not looked up: if HEAD has it, a
    person deleted it, and what they deleted is in HEAD already, so writing it again
    loses nothing of theirs. Such writes are nine in ten of a first export's (every new
    page's files), and looking each path up in HEAD's tree read about 1,350 folders per
    checkpoint from the packs at 10,000 pages, whose pages stayed mapped until the
    commit (issue 10).
    """

    def __init__(
        self,
        repo: Any,
        path: Path,
        now: Callable[[], datetime],
        folders: gittree.TreeCache | None = None,
    ) -> None:
        self._repo = repo
        self._path = path
        self._now = now
        self._folders = folders if folders is not None else gittree.TreeCache()
        """HEAD's folders, shared with the mirror's builds (``gittree.TreeCache``)."""
        self._kept: dict[str, Any | None] = {}
        self.ref: str | None = None
        self._reader: gittree.TreeReader | None = None
        """HEAD's tree (a sync looks up every path it writes)."""

    def check(self, rel: str, head: Any | None, current: bytes | None) -> None:
        """``current``: the working tree's bytes at ``rel`` now (None when missing: nothing
        to keep, see the class)."""
        if current is None or rel in self._kept:
            return
        committed = self._committed_blob(head, rel)
        if committed is not None and pygit2.hash(current) == committed:
            return
        self._kept[rel] = _entry_of(self._repo, self._path, rel)
        self._save(head)

    def _committed_blob(self, head: Any | None, rel: str) -> pygit2.Oid | None:
        if head is None:
            return None
        if self._reader is None or self._reader.tree_id != head.tree_id:
            self._reader = gittree.TreeReader(self._repo, head.tree_id, self._folders)
        return self._reader.blob_at(rel)

    def _save(self, head: Any | None) -> None:
        index = pygit2.Index()
        if head is not None:
            index.read_tree(head.tree)
        for rel, entry in sorted(self._kept.items()):
            if entry is not None:
                index.add(entry)
            elif rel in index:
                index.remove(rel)
        tree_id = index.write_tree(self._repo)
        now = self._now()
        if self.ref is None:
            self.ref = _free_ref(self._repo, now)
        names = sorted(self._kept)
        message = (
            f"Local changes found in the mirror's working tree ({len(names)} paths)\n\n"
            "Kept here before the sync replaced them:\n"
            + "\n".join(f"- {rel}" for rel in names[:200])
            + "\n"
        )
        signature = pygit2.Signature(_AUTHOR.name, _AUTHOR.email, int(now.timestamp()), 0)
        parents = [head.id] if head is not None else []
        commit_id = self._repo.create_commit(None, signature, signature, message, tree_id, parents)
        self._repo.references.create(self.ref, commit_id, force=True)
        log.warning(
            "mirror.local_changes_saved",
            ref=self.ref,
            paths=len(names),
            hint=f"a file you changed in the mirror was replaced by the sync; get it back with "
            f"git -C {self._path} checkout {self.ref} -- PATH",
        )

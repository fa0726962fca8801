"""The mirror repository: open or create, lock, recover, write files, commit.

One process writes a mirror at a time (``flock`` on ``.git/notion-syncd.lock``).
Opening a mirror first checks that the folder is one notion-syncd may write (see
:mod:`notion_syncd.mirrorguard`: a repository of someone else's is refused, never
reset). Stale ``*.lock`` files left by a killed process are removed (we hold the lock,
so nobody else is writing).

Cost follows the change, not the mirror (issue 10). A write puts the file in the
working tree (temporary file + rename, only when its bytes change) and its blob
straight into a pack (``gitpackwriter``: one append, not one loose file each); the mirror
remembers the changed paths. A commit completes the pack, builds its tree from the
previous commit's tree plus those paths (``gittree``), then
updates the on-disk index for those paths only, so ``git status`` stays clean for
people who browse the checkout (``gitindex``: bounded memory; a large index is git's
split index, so a commit rewrites only a small file; ``export.keep_git_index`` false
leaves the index alone). Nothing scans the working tree on open. libgit2 reads no
split index: the crash-recovery reset merges it back into an ordinary one first.

Crash safety: before the first change after a commit, an *uncommitted* marker is made
durable in the git directory; it is removed once a commit (or a reset) made the working
tree equal HEAD again. Opening a mirror that has the marker resets the working tree and
the index to HEAD, because everything not yet committed is redone by the next sync.
Durability costs one filesystem flush per commit instead of one fsync per object
(``gitdurable``): objects and working-tree files are flushed before the branch moves,
and the branch before the marker goes, so a crash at any instant leaves either the old
commit with the marker (reset on open) or the new one complete. The marker also lists
each path this process changes and its new blob, before the change (``ownwrites``), so
the reset keeps on a side ref only what a person changed, not the dead process's own
writes. After each commit the repository is kept packed (``gitpack``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pygit2
import structlog

from notion_syncd import (
    gitcommit,
    gitindex,
    gitpack,
    gitpackwriter,
    gittree,
    gitunsplit,
    localedits,
    mirrorguard,
    ownwrites,
)
from notion_syncd.errors import GitStoreError, MirrorUnusable, RepositoryLocked
from notion_syncd.gitdurable import flush_filesystem, fsync_folder
from notion_syncd.mirrorguard import LOCK_NAME

log = structlog.get_logger(__name__)

WRITABLE_HINT = "make it writable by the user notion-syncd runs as, or point export.repo elsewhere"
DISK_FULL_HINT = "free disk space; the mirror is reset to its last commit on the next start"
UNCOMMITTED_MARKER = "notion-syncd/uncommitted"
"""In the git directory: the working tree may differ from HEAD (reset it on open)."""
OBJECT_CACHE_BYTES = 2 * 1024 * 1024
"""libgit2's object cache (default 256 MiB): a commit reads only the trees on its paths.

It fills as an export commits new trees (+1.5 MB per 1,000 objects, measured), so its cap
is part of the peak; 2 MiB still holds the trees along the paths of a checkpoint."""
MAPPED_PACK_BYTES = 4 * 1024 * 1024
"""libgit2's pack windows mapped at once (default 8 GiB): mapped pages count in RSS.

An export's packs grow with it and the mapped pages grew RSS by 3 MB per 1,000 objects
up to this cap (0.8 MB with 4 MiB and 1 MiB windows, measured at 1,500 pages)."""
PACK_WINDOW_BYTES = 1024 * 1024
"""One pack window (default 1 GiB, a whole pack): small, so the mapped limit can hold."""
LOOSE_OBJECTS_FIRST = 3
"""libgit2's priority for loose objects, above the packs' (libgit2: 1 loose, 2 packed).

libgit2 looks an object up in the packs first, one ``.idx`` after the other, and the
kernel maps 64 KiB around every page read. A mirror's commits are loose until
``gitpack`` packs them, so reading HEAD's commit (every commit reads the parent) probed
every pack first: 9.3 MB of ``.idx`` pages at 50,000 pages (155 packs), held until the
commit ended (``bench/bench_checkpoint.py``). Loose first, it is one file open; a
packed object costs one failed ``stat`` more."""
INDEX_LOCK_TRIES = 20
INDEX_LOCK_WAIT = 0.05
"""How long a commit waits for a user's git command to release ``.git/index.lock``."""
FOLDERS_REMEMBERED = 1024
"""Folders ``Mirror._full`` remembers as checked to lie inside the mirror (about 150 KB)."""


@dataclass(frozen=True)
class Author:
    name: str
    email: str


@dataclass(frozen=True)
class CommitStep:
    """A commit of some changed paths before the rest: one editor's pages, say.

    ``contents``: paths this step writes with bytes of its own (an intermediate version
    of a page several editors changed); a later step or the last commit that names a
    path brings it to its final content.
    """

    paths: frozenset[str]
    author: Author
    when: int | None
    message: str
    contents: Mapping[str, bytes] = field(default_factory=dict, hash=False)


def _check_relative(rel: str) -> None:
    parts = rel.split("/")
    if rel.startswith("/") or any(part in {"", ".", ".."} for part in parts):
        raise GitStoreError(f"refusing unsafe path in the mirror: {rel!r}")
    if any(part.lower() == ".git" for part in parts):
        raise GitStoreError(f"refusing a path inside .git: {rel!r}")


class Mirror:
    """An open, locked mirror repository with a working tree."""

    def __init__(
        self,
        path: Path,
        repo: Any,
        lock_file: IO[bytes],
        branch: str,
        *,
        keep_git_index: bool = True,
        split_index_at: int = gitindex.SPLIT_AT,
    ) -> None:
        self.path = path
        self.keep_git_index = keep_git_index
        """Update ``.git/index`` at each commit (``export.keep_git_index``)."""
        self.split_index_at = split_index_at
        """Entries from which ``.git/index`` is split (``gitindex``); tests pass fewer."""
        self.repo = repo
        self.branch = branch
        self._lock_file = lock_file
        self._git_dir = Path(repo.path)
        self._changes: dict[str, pygit2.Oid | None] = {}
        """Paths changed since the last commit: new blob id, or None when deleted."""
        self._tree_id: pygit2.Oid | None = None
        """The tree of HEAD plus ``_changes``, as far as it was built (None: not yet)."""
        self._unbuilt: dict[str, pygit2.Oid | None] = {}
        """Changes since ``_tree_id`` was built: the next build starts from that tree, so
        a checkpoint that writes its state after asking ``has_staged_changes`` builds
        the trees of those few paths again, not of every path it changed (issue 10)."""
        self._origins: dict[str, str] = {}
        """Paths files were moved to since the last commit -> their paths in HEAD."""
        self._marked = (self._git_dir / UNCOMMITTED_MARKER).exists()
        self._own_writes = ownwrites.OwnWriteJournal(self._git_dir / UNCOMMITTED_MARKER)
        """Each change's path and blob, in the marker, before the change (``ownwrites``)."""
        self._adopted: set[str] = set()
        """Paths holding a person's edit staged by ``adopt``: never listed as our own."""
        self._inside: set[str] = set()
        """Folders (repo-relative) whose real path was checked to be in the mirror."""
        self._folders = gittree.TreeCache()
        """Folders by tree id, read or written: HEAD's lookups and the builds share them."""
        self._local_edits = localedits.LocalEditKeeper(
            repo, path, lambda: datetime.now(UTC), self._folders
        )
        """Keeps a person's version of a file before a sync replaces it (a side ref)."""
        self._pack = gitpackwriter.PackWriter(self._git_dir / "objects" / "pack")
        """The blobs of ``write`` and the trees of a commit, appended to a pack until
        the next tree is built."""
        self._head: Any | None = None
        self._head_known = False
        """HEAD's commit, looked up once per commit: resolving the branch costs a dozen
        system calls (ref files, packed-refs), and every write asked for it."""

    # -- reading -------------------------------------------------------------------

    def _full(self, rel: str) -> Path:
        _check_relative(rel)
        full = self.path / rel
        folder = rel.rpartition("/")[0]
        if folder in self._inside:
            return full
        # Never follow a symlink out of the mirror. Resolving a path costs an lstat per
        # component (16 % of an export's CPU), so a folder found inside is remembered
        # while the mirror is open (one sync): only this process writes the mirror, and
        # it makes folders, never symlinks. At most FOLDERS_REMEMBERED of them, so the
        # memory does not grow with the workspace.
        real_parent = Path(os.path.realpath(full.parent))
        if real_parent != self.path and self.path not in real_parent.parents:
            raise GitStoreError(f"refusing to write outside the mirror: {rel!r}")
        if len(self._inside) >= FOLDERS_REMEMBERED:
            self._inside.clear()
        self._inside.add(folder)
        return full

    def read(self, rel: str) -> bytes | None:
        """Bytes of a working-tree file, or None if it does not exist."""
        try:
            return self._full(rel).read_bytes()
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None

    def exists(self, rel: str) -> bool:
        return self._full(rel).exists()

    def listdir(self, rel: str) -> list[str]:
        """Names in a working-tree folder ('' = the root), sorted; [] if missing."""
        folder = self.path if rel == "" else self._full(rel)
        try:
            return sorted(name for name in os.listdir(folder) if name != ".git")
        except (FileNotFoundError, NotADirectoryError):
            return []

    def walk_files(self, rel: str) -> Iterator[str]:
        """Every file below a folder, as repo-relative paths, in sorted order."""
        return working_tree_files(self.path, rel)

    # -- writing -------------------------------------------------------------------

    def write(self, rel: str, data: bytes) -> bool:
        """Write a file atomically and stage it; False if it already had these bytes."""
        full = self._full(rel)
        try:
            current: bytes | None = full.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            current = None
        if current == data:
            return False
        self._keep_local_edit(rel, current)
        self._mark_uncommitted()  # before the temporary file: a kill may leave it behind
        try:
            temporary = full.parent / _temporary_name(full.name)
            fd = _create(temporary)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise _os_error("write", rel, exc) from None
        try:
            blob = self._pack.add_blob(data)
            self._record_own(rel, blob)
            os.replace(temporary, full)
        except OSError as exc:
            raise _os_error("write", rel, exc) from None
        except pygit2.GitError as exc:
            raise GitStoreError(f"cannot store {rel!r} in the mirror: {exc}") from None
        self._changed(rel, blob)
        return True

    def adopt(self, rel: str) -> bool:
        """Stage a working-tree file as it is (a person's edit of a file the sync reads).

        The next commit carries it, and a later ``write`` of the same path builds on it
        instead of keeping it on a side ref. False when it equals HEAD's (or is absent).
        The working tree is not changed, so no uncommitted marker is needed.
        """
        data = self.read(rel)
        if data is None:
            return False
        blob = self.repo.create_blob(data)
        if blob == self._blob_of(rel):
            return False
        self._changed(rel, blob)
        self._adopted.add(rel)
        return True

    def delete(self, rel: str) -> bool:
        """Remove a file (and folders left empty) and stage it; False if absent."""
        full = self._full(rel)
        if not full.exists():
            return False
        if rel not in self._changes:
            with contextlib.suppress(OSError):
                self._keep_local_edit(rel, full.read_bytes())
        self._mark_uncommitted()
        try:
            self._record_own(rel, None)
            full.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise _os_error("delete", rel, exc) from None
        self._changed(rel, None)
        self._origins.pop(rel, None)
        self._prune_empty_parents(full)
        return True

    def move(self, old: str, new: str) -> None:
        """Rename a file within the mirror and stage both sides."""
        source, target = self._full(old), self._full(new)
        if old not in self._changes:
            with contextlib.suppress(OSError):
                self._keep_local_edit(old, source.read_bytes())
        self._mark_uncommitted()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            blob = self._blob_of(old) or self.repo.create_blob_fromdisk(str(source))
            self._record_own(old, None)
            self._record_own(new, blob)
            os.replace(source, target)
        except OSError as exc:
            raise _os_error("move", old, exc) from None
        except pygit2.GitError as exc:
            raise GitStoreError(f"cannot store {new!r} in the mirror: {exc}") from None
        self._changed(old, None)
        self._changed(new, blob)
        self._origins[new] = self._origins.pop(old, old)
        self._prune_empty_parents(source)

    def _record_own(self, rel: str, blob: pygit2.Oid | None) -> None:
        """Before changing ``rel``: list it as our own write, unless it builds on a
        person's adopted edit (after a crash that stays a local edit, kept on a side ref).
        Raises OSError."""
        if rel not in self._adopted:
            self._own_writes.record(rel, blob)

    def _keep_local_edit(self, rel: str, current: bytes | None) -> None:
        """Before the first change of ``rel`` since the last commit: is it a person's edit?

        Only the paths a sync touches are looked at, so this costs what the change costs.
        """
        if rel in self._changes:
            return
        try:
            self._local_edits.check(rel, self.head_commit(), current)
        except (OSError, pygit2.GitError) as exc:
            raise GitStoreError(f"cannot keep the local edit of {rel!r}: {exc}") from None

    def _prune_empty_parents(self, removed: Path) -> None:
        """Remove the folders a removed file leaves empty, up to the mirror's root."""
        parent = removed.parent
        while parent != self.path:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def _changed(self, rel: str, blob: pygit2.Oid | None) -> None:
        self._changes[rel] = blob
        self._unbuilt[rel] = blob

    def _blob_of(self, rel: str) -> pygit2.Oid | None:
        """The blob of ``rel`` as the next commit would have it (before this change)."""
        if rel in self._changes:
            return self._changes[rel]
        head = self.head_commit()
        return gittree.blob_at(head.tree if head is not None else None, rel)

    def _mark_uncommitted(self) -> None:
        """Make the marker durable before the working tree first differs from HEAD."""
        if self._marked:
            return
        marker = self._git_dir / UNCOMMITTED_MARKER
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            fsync_folder(marker.parent)
        except OSError as exc:
            raise _os_error("write", ".git", exc) from None
        self._marked = True

    # -- committing ----------------------------------------------------------------

    def head_commit(self) -> Any | None:
        if not self._head_known:
            try:
                self._head = self.repo.revparse_single(f"refs/heads/{self.branch}")
            except (KeyError, pygit2.GitError):
                self._head = None
            self._head_known = True
        return self._head

    def _next_tree(self, head: Any | None) -> pygit2.Oid:
        if self._tree_id is None:
            base = head.tree if head is not None else None
            self._tree_id = self._build_tree(base, self._changes)
        elif self._unbuilt:
            self._tree_id = self._build_tree(self.repo[self._tree_id], self._unbuilt)
        self._unbuilt.clear()
        return self._tree_id

    def _build_tree(self, base: Any | None, changes: gittree.Changes) -> pygit2.Oid:
        """``base`` with ``changes``, its new trees in the pack with the blobs, and the
        pack completed: a commit may refer to the tree, and a next build read it."""
        self.repo.free()  # what the reads since the last commit mapped (see below)
        try:
            tree = gittree.build_tree(self.repo, base, changes, self._pack.add_tree, self._folders)
            self._pack.finish()
        except OSError as exc:
            raise _os_error("write", ".git/objects/pack", exc) from None
        # The trees of a build are read from packs all over the mirror's history: libgit2
        # maps each pack's whole .idx for its lookups, and a lookup probes every pack
        # until it finds the object. At 50,000 pages, a final-phase batch's reads and
        # build held 8.9 MB of .idx pages through the commit's index update, the peak of
        # the export. Dropping the packs here and before the build keeps the reads of
        # the batch, of the build and of the index update from adding up.
        self.repo.free()
        return tree

    def has_staged_changes(self) -> bool:
        if not self._changes:
            return False
        head = self.head_commit()
        return head is None or head.tree_id != self._next_tree(head)

    def commit(
        self,
        message: str,
        author: Author,
        *,
        committer: Author | None = None,
        author_time: int | None = None,
        steps: tuple[CommitStep, ...] = (),
        moves_first: bool = True,
    ) -> str | None:
        """Commit the changes; None when the tree equals HEAD's (nothing changed).

        ``committer`` (default: ``author``) commits now; ``author_time`` (default: now)
        dates the authorship, e.g. the Notion edit's time. ``steps`` commit some of the
        changed paths first, in order, each with its own author (the committer commits
        them all); this commit has what remains.

        When a moved file also changed, a moves-only commit comes first
        (``gittree.moves_first``; not with ``moves_first=False``), the rest after it,
        chained: the branch moves once, to the last. Order for crash safety: objects and
        files flushed, then the branch moved and flushed, then the marker removed (a
        crash before that resets to HEAD on open).
        """
        try:
            head = self.head_commit()
            tree_id = self._next_tree(head)
            if head is not None and head.tree_id == tree_id:
                self._committed()
                return None
            now = int(time.time())
            by = committer or author
            signature = pygit2.Signature(by.name, by.email, now, 0)
            written_by = pygit2.Signature(author.name, author.email, author_time or now, 0)
            parents = [head.id] if head is not None else []
            base = head.tree if head is not None else None
            moves = gittree.moves_first(base, self._origins, self._changes)
            if moves is not None and moves_first:
                moved_tree = self._build_tree(base, moves)
                moved = self._write_commit(
                    moved_tree, parents, signature, signature, moves_message(moves)
                )
                parents = [moved]
                base = self.repo[moved_tree]
            parents = self._commit_steps(steps, base, parents, signature)
            if parents and self.repo[parents[0]].tree_id == tree_id:
                commit_id = parents[0]  # the steps left nothing for a last commit
            else:
                commit_id = self._write_commit(tree_id, parents, written_by, signature, message)
            flush_filesystem(self.path)
            self._head, self._head_known = None, False  # the branch moves now
            self.repo.references.create(f"refs/heads/{self.branch}", commit_id, force=True)
            self._head, self._head_known = self._new_head(commit_id), True
            if self.keep_git_index:
                self._update_index(tree_id)
            flush_filesystem(self.path)
            self._committed()
        except pygit2.GitError as exc:
            if "no space left" in str(exc).lower():
                raise GitStoreError(
                    f"disk full while committing to the mirror at {self.path}", hint=DISK_FULL_HINT
                ) from None
            raise GitStoreError(f"cannot commit to the mirror: {exc}") from None
        except OSError as exc:
            raise _os_error("commit", ".git", exc) from None
        self._maintain()
        # libgit2 keeps, per open repository, the packs it has read (index maps, delta
        # base caches of up to 16 MiB each) and its object cache: an export adds packs at
        # every checkpoint, and that native memory grew RSS by ~4.5 MB per 1,000 objects
        # (issue 10, measured at 1,500 pages). Dropping them after each commit is cheap:
        # the next read reopens what it needs.
        self.repo.free()
        return str(commit_id)

    def _write_commit(
        self, tree: pygit2.Oid, parents: list[Any], author: Any, committer: Any, message: str
    ) -> pygit2.Oid:
        """A new commit object (``gitcommit``: no look for it in every pack first)."""
        return gitcommit.write_commit(
            self._git_dir / "objects", tree, parents, author, committer, message
        )

    def _new_head(self, commit_id: pygit2.Oid) -> Any:
        """The commit just made, read now: the branch need not be resolved again (its
        ref files and ``packed-refs``) at the next batch's first lookup."""
        return self.repo[commit_id]

    def _commit_steps(
        self, steps: tuple[CommitStep, ...], base: Any | None, parents: list[Any], by: Any
    ) -> list[Any]:
        """Chain a commit per step (its paths on top of the earlier steps'); the new parents."""
        applied: dict[str, pygit2.Oid | None] = {}
        last_tree = base.id if base is not None else None
        for step in steps:
            for rel in sorted(step.paths):
                if rel in self._changes:
                    applied[rel] = self._changes[rel]
                elif rel in applied:  # an earlier step's own version: back to the final one
                    applied[rel] = gittree.blob_at(base, rel)
            for rel, data in sorted(step.contents.items()):
                _check_relative(rel)
                applied[rel] = self.repo.create_blob(data)
            tree = self._build_tree(base, applied)
            if tree == last_tree:
                continue
            author = pygit2.Signature(step.author.name, step.author.email, step.when or by.time, 0)
            parents = [self._write_commit(tree, parents, author, by, step.message)]
            last_tree = tree
        return parents

    def _update_index(self, tree_id: Any) -> None:
        """Bring the on-disk index to the new commit for the changed paths only.

        ``gitindex`` applies the changes without loading the index: a few MiB of
        memory, and from 10,000 entries (``split_index_at``) git's split index, of which
        a commit rewrites only the small ``.git/index`` (about 0.02 s at 220,000 tracked
        files, where libgit2 took 0.65 s and 120 MB to load it). Entries carry no stat data,
        so ``git status`` re-hashes only the changed files once, and shows the checkout
        clean. An index that is missing, damaged or in a format ``gitindex`` does not
        write is rebuilt whole from the commit's tree with libgit2 (once; O(mirror)).
        A git command of the user's holding ``index.lock`` is waited for, briefly.
        git's ``core.splitIndex``, when set, wins over ``split_index_at``: true splits
        at any size, false never (and a split index is merged back, once).
        """
        index_path = self._git_dir / "index"
        changes = {
            rel: (bytes(blob.raw) if blob is not None else None)
            for rel, blob in self._changes.items()
        }
        wanted = _core_split_index(self.repo)
        split_at = self.split_index_at if wanted is None else 0 if wanted else sys.maxsize
        for _ in range(INDEX_LOCK_TRIES):
            try:
                if gitindex.update_index(index_path, changes, split_at=split_at):
                    if wanted is False and any(self._git_dir.glob("sharedindex.*")):
                        gitunsplit.unsplit(self._git_dir)
                    return
                break
            except FileExistsError:
                time.sleep(INDEX_LOCK_WAIT)
            except gitindex.IndexFormatError as exc:
                log.warning("mirror.index_rebuilt", reason=str(exc))
                break
        else:
            log.warning(
                "mirror.index_busy",
                hint=f"another git command held {index_path}.lock; `git -C {self.path} reset` "
                "refreshes the index if `git status` shows changes",
            )
            return
        index_path.unlink(missing_ok=True)
        index = pygit2.Index(str(index_path))
        index.read_tree(self.repo[tree_id])
        index.write()
        del index
        with contextlib.suppress(OSError):
            gitunsplit.remove_orphans(self._git_dir)  # the shared file of a split one

    def _committed(self) -> None:
        """The working tree equals HEAD: forget the changes, drop the marker."""
        self._changes.clear()
        self._unbuilt.clear()
        self._origins.clear()
        self._tree_id = None
        self._adopted.clear()
        self._own_writes.close()
        if self._marked:
            with contextlib.suppress(FileNotFoundError):
                (self._git_dir / UNCOMMITTED_MARKER).unlink()
            self._marked = False

    def _maintain(self) -> None:
        """Keep the repository packed (``gitpack``); a failure there never fails a commit."""
        try:
            gitpack.maintain(self.repo)
        except (pygit2.GitError, OSError) as exc:
            log.warning("git.maintenance_failed", error=str(exc))

    def close(self) -> None:
        self._pack.discard()  # uncommitted writes: the next open resets them to HEAD
        self._own_writes.close()
        with contextlib.suppress(OSError):
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
        self.repo.free()

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def moves_message(moves: gittree.Changes) -> str:
    """The message of a moves-only commit: how many files, and the trailer history skips."""
    count = sum(1 for blob in moves.values() if blob is not None)
    noun = "file" if count == 1 else "files"
    return (
        f"Move {count} {noun} before their edits\n\n"
        "Renames and moves alone, so git follows them; the next commit has the edits.\n\n"
        f"{gittree.MOVES_TRAILER}\n"
    )


def _create(temporary: Path) -> int:
    """Create a temporary file for writing, and its folders when they are missing.

    The folders are made only when the file cannot be created: a ``mkdir`` of a folder
    that exists was one failing system call per write (issue 10)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    try:
        return os.open(temporary, flags, 0o644)
    except FileNotFoundError:
        temporary.parent.mkdir(parents=True, exist_ok=True)
        return os.open(temporary, flags, 0o644)


def _os_error(action: str, rel: str, exc: OSError) -> GitStoreError:
    if exc.errno == errno.ENOSPC:
        return GitStoreError(
            f"disk full while trying to {action} {rel!r} in the mirror", hint=DISK_FULL_HINT
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return MirrorUnusable(
            f"cannot {action} {rel!r} in the mirror: {exc.strerror} (the mirror is not writable)",
            hint=WRITABLE_HINT,
        )
    return GitStoreError(f"cannot {action} {rel!r} in the mirror: {exc.strerror or exc}")


def _acquire_lock(git_dir: Path) -> IO[bytes]:
    lock_path = git_dir / LOCK_NAME
    handle = lock_path.open("a+b")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise RepositoryLocked(
            f"another notion-syncd process is using the mirror at {git_dir.parent}",
            hint="stop the other process (only one sync may write a mirror at a time)",
        ) from None
    return handle


def _remove_stale_locks(git_dir: Path) -> list[str]:
    """Remove *.lock files a killed process left behind (we hold the mirror lock)."""
    removed = []
    for candidate in [git_dir / "index.lock", git_dir / "HEAD.lock", git_dir / "packed-refs.lock"]:
        if candidate.exists():
            candidate.unlink()
            removed.append(candidate.name)
    refs = git_dir / "refs"
    if refs.is_dir():
        for lock in refs.rglob("*.lock"):
            lock.unlink()
            removed.append(str(lock.relative_to(git_dir)))
    return removed


def working_tree_files(path: Path, rel: str) -> Iterator[str]:
    """Every file below ``rel`` in the working tree at ``path``, as repo-relative paths,
    in sorted order (``.git`` left out)."""
    for root, dirs, files in os.walk(path / rel if rel else path):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        base = Path(root).relative_to(path).as_posix()
        for name in sorted(files):
            yield name if base == "." else f"{base}/{name}"


_TEMPORARY = re.compile(r"\..+\.[0-9]+\.tmp")
"""What ``_temporary_name`` makes."""


def _temporary_name(name: str) -> str:
    """Where ``Mirror.write`` puts a file's new bytes before renaming them over it."""
    return f".{name[:200]}.{os.getpid()}.tmp"


def _reset_to_head(repo: Any, path: Path, branch: str) -> bool:
    """Make the working tree and index equal HEAD; True if anything was reset."""
    status = repo.status(untracked_files="all")
    for rel in [rel for rel in status if _TEMPORARY.fullmatch(Path(rel).name)]:
        with contextlib.suppress(OSError):
            (path / rel).unlink()  # a write the dead process did not finish: not a local edit
        del status[rel]
    if not status:
        return False
    try:
        head = repo.revparse_single(f"refs/heads/{branch}").peel(pygit2.Commit)
    except (KeyError, pygit2.GitError):
        head = None
    own = ownwrites.read_own_writes(Path(repo.path) / UNCOMMITTED_MARKER)
    theirs = [rel for rel in status if not ownwrites.is_own_write(path, rel, own)]
    saved = localedits.save_local_changes(repo, path, theirs, head, datetime.now(UTC))
    if saved is not None:
        log.warning(
            "mirror.local_changes_saved",
            ref=saved,
            paths=len(theirs),
            hint=f"the working tree differed from HEAD; get a file back with "
            f"git -C {path} checkout {saved} -- PATH",
        )
    for rel, flags in status.items():
        if flags & pygit2.enums.FileStatus.WT_NEW and not flags & pygit2.enums.FileStatus.INDEX_NEW:
            with contextlib.suppress(OSError):
                (path / rel).unlink()
    if head is None:
        # No commit yet: nothing to keep. Remove whatever a crashed first export wrote.
        for rel in status:
            with contextlib.suppress(OSError):
                (path / rel).unlink()
        index = repo.index
        index.clear()
        index.write()
    else:
        repo.reset(head.id, pygit2.enums.ResetMode.HARD)
        for rel, flags in repo.status(untracked_files="all").items():
            if flags & pygit2.enums.FileStatus.WT_NEW:
                with contextlib.suppress(OSError):
                    (path / rel).unlink()
    for root, dirs, _files in os.walk(path, topdown=False):
        if ".git" in Path(root).relative_to(path).parts[:1]:
            continue
        for name in dirs:
            if name == ".git":
                continue
            with contextlib.suppress(OSError):
                (Path(root) / name).rmdir()
    return True


def _limit_libgit2_memory() -> None:
    """Bound libgit2's process-wide caches (see the constants); packs are flushed by us."""
    pygit2.settings.enable_fsync_gitdir(False)  # one _flush per commit instead
    pygit2.settings.cache_max_size(OBJECT_CACHE_BYTES)
    pygit2.settings.mwindow_mapped_limit = MAPPED_PACK_BYTES
    pygit2.settings.mwindow_size = PACK_WINDOW_BYTES
    pygit2.settings.set_odb_loose_priority(LOOSE_OBJECTS_FIRST)


def _prepare_folder(path: Path) -> None:
    """The mirror's folder exists and is writable, or ``MirrorUnusable`` says what to fix."""
    if path.exists() and not path.is_dir():
        raise MirrorUnusable(
            f"export.repo {path} is a file, not a folder",
            hint="point export.repo at a folder (it is created if missing)",
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise _os_error("create", str(path), exc) from None
        raise MirrorUnusable(
            f"cannot create the mirror folder {path}: {exc.strerror}",
            hint="create it, writable by the user notion-syncd runs as, "
            "or point export.repo at a folder that can be created",
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise MirrorUnusable(f"the mirror folder {path} is read-only", hint=WRITABLE_HINT)


def open_mirror(
    path: Path,
    *,
    branch: str = "main",
    keep_git_index: bool = True,
    split_index_at: int = gitindex.SPLIT_AT,
) -> Mirror:
    """Open (creating if needed) and lock the mirror at ``path``, recovering from crashes.

    ``split_index_at``: entries from which ``.git/index`` is split (``gitindex``).
    """
    _limit_libgit2_memory()
    _prepare_folder(Path(os.path.abspath(path)))
    try:
        # The resolved path: the write check compares resolved paths, and a mirror reached
        # through a symlink (systemd's DynamicUser puts StateDirectory= behind one) is
        # still inside itself.
        path = Path(os.path.realpath(path))
        mirrorguard.discard_unfinished_init(path)
        if not (path / ".git").exists():
            mirrorguard.check_empty_folder(path)
            pygit2.init_repository(str(path), initial_head=branch)
        repo = mirrorguard.open_repository(path)
        if repo.is_bare:
            raise GitStoreError(f"{path} is a bare repository; the mirror needs a working tree")
        mirrorguard.check_ours(repo, path)
    except pygit2.GitError as exc:
        raise GitStoreError(f"cannot open the mirror at {path}: {exc}") from None
    except OSError as exc:
        raise _os_error("open", str(path), exc) from None
    git_dir = Path(repo.path)
    try:
        lock = _acquire_lock(git_dir)
    except OSError as exc:
        raise _os_error("lock", str(git_dir / LOCK_NAME), exc) from None
    try:
        _remove_stale_locks(git_dir)
        _remove_orphan_shared_indexes(git_dir)
        gitpackwriter.remove_unfinished(git_dir / "objects" / "pack")
        if not repo.head_is_unborn and repo.head.shorthand != branch:
            repo.set_head(f"refs/heads/{branch}")
        marker = git_dir / UNCOMMITTED_MARKER
        if marker.exists():
            # A process died between a change and its commit: back to HEAD. Only then is
            # the working tree scanned (a status costs O(mirror) time and memory), by
            # libgit2, which reads no split index: it is merged back first.
            _unsplit_index(repo, branch)
            gitcommit.remove_unfinished(git_dir / "objects")
            _reset_to_head(repo, path, branch)
            _remove_orphan_shared_indexes(git_dir)  # the reset wrote an ordinary index
            flush_filesystem(path)
            marker.unlink()
            repo.free()  # drop the index the reset loaded
            repo = mirrorguard.open_repository(path)
    except BaseException:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
        raise
    return Mirror(
        path, repo, lock, branch, keep_git_index=keep_git_index, split_index_at=split_index_at
    )


def _core_split_index(repo: Any) -> bool | None:
    """git's ``core.splitIndex`` for this repository; None when unset."""
    try:
        return bool(repo.config.get_bool("core.splitIndex"))
    except (KeyError, pygit2.GitError):
        return None


def _unsplit_index(repo: Any, branch: str) -> None:
    """Make a split ``.git/index`` an ordinary one; one we cannot read (its shared file
    lost, say) is rebuilt from the branch's tree, as the reset would leave it."""
    git_dir = Path(repo.path)
    try:
        gitunsplit.unsplit(git_dir)
        return
    except gitindex.IndexFormatError as exc:
        log.warning("mirror.index_rebuilt", reason=str(exc))
    (git_dir / "index").unlink(missing_ok=True)
    index = pygit2.Index(str(git_dir / "index"))
    with contextlib.suppress(KeyError, pygit2.GitError):
        index.read_tree(repo.revparse_single(f"refs/heads/{branch}").peel(pygit2.Commit).tree)
    index.write()


def _remove_orphan_shared_indexes(git_dir: Path) -> None:
    """Remove ``sharedindex.*`` files the index does not name (a killed re-split's).

    Housekeeping: a file-system error here is logged, never a reason not to open."""
    try:
        removed = gitunsplit.remove_orphans(git_dir)
    except OSError as exc:
        log.warning("mirror.shared_index_cleanup_failed", error=str(exc))
        return
    if removed:
        log.info("mirror.shared_index_removed", files=removed)

"""The mirror repository: open or create, lock, recover, write files, commit.

One process writes a mirror at a time (``flock`` on ``.git/notion-syncd.lock``).
Opening a mirror first checks that the folder is one notion-syncd may write (see
:mod:`notion_syncd.mirrorguard`: a repository of someone else's is refused, never
reset). It then recovers from any earlier crash: stale ``*.lock`` files left by a
killed process are removed (we hold the lock, so nobody else is writing), and a working
tree or index that differs from HEAD is reset to HEAD, because everything not yet
committed is redone by the next sync. After every commit the working tree and the index
equal HEAD, so ``git status`` is clean.

Files are written atomically (temporary file + rename) and only when their bytes
change; every write or delete is staged in the index at once, so the cost of a commit
follows the number of changed files, not the size of the mirror. After each commit the
repository is kept packed (``gitpack``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pygit2
import structlog

from notion_syncd import gitpack, localedits, mirrorguard
from notion_syncd.errors import GitStoreError, MirrorUnusable, RepositoryLocked
from notion_syncd.mirrorguard import LOCK_NAME

log = structlog.get_logger(__name__)

WRITABLE_HINT = "make it writable by the user notion-syncd runs as, or point export.repo elsewhere"
DISK_FULL_HINT = "free disk space; the mirror is reset to its last commit on the next start"


@dataclass(frozen=True)
class Author:
    name: str
    email: str


def _check_relative(rel: str) -> None:
    parts = rel.split("/")
    if rel.startswith("/") or any(part in {"", ".", ".."} for part in parts):
        raise GitStoreError(f"refusing unsafe path in the mirror: {rel!r}")
    if any(part.lower() == ".git" for part in parts):
        raise GitStoreError(f"refusing a path inside .git: {rel!r}")


class Mirror:
    """An open, locked mirror repository with a working tree."""

    def __init__(self, path: Path, repo: Any, lock_file: IO[bytes], branch: str) -> None:
        self.path = path
        self.repo = repo
        self.branch = branch
        self._lock_file = lock_file
        self._index = repo.index
        self._staged = 0

    # -- reading -------------------------------------------------------------------

    def _full(self, rel: str) -> Path:
        _check_relative(rel)
        full = self.path / rel
        parent = full.parent
        # Never follow a symlink out of the mirror.
        real_parent = Path(os.path.realpath(parent))
        if real_parent != self.path and self.path not in real_parent.parents:
            raise GitStoreError(f"refusing to write outside the mirror: {rel!r}")
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
        folder = self.path / rel if rel else self.path
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != ".git")
            base = Path(root).relative_to(self.path).as_posix()
            for name in sorted(files):
                yield name if base == "." else f"{base}/{name}"

    # -- writing -------------------------------------------------------------------

    def write(self, rel: str, data: bytes) -> bool:
        """Write a file atomically and stage it; False if it already had these bytes."""
        full = self._full(rel)
        try:
            if full.read_bytes() == data:
                return False
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            pass
        try:
            full.parent.mkdir(parents=True, exist_ok=True)
            temporary = full.parent / f".{full.name[:200]}.{os.getpid()}.tmp"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, full)
        except OSError as exc:
            raise _os_error("write", rel, exc) from None
        self._index.add(rel)
        self._staged += 1
        return True

    def delete(self, rel: str) -> bool:
        """Remove a file (and folders left empty) and stage it; False if absent."""
        full = self._full(rel)
        try:
            full.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise _os_error("delete", rel, exc) from None
        with contextlib.suppress(KeyError, OSError, pygit2.GitError):
            self._index.remove(rel)
        self._staged += 1
        self._prune_empty_parents(full)
        return True

    def move(self, old: str, new: str) -> None:
        """Rename a file within the mirror and stage both sides."""
        source, target = self._full(old), self._full(new)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        except OSError as exc:
            raise _os_error("move", old, exc) from None
        with contextlib.suppress(KeyError, OSError, pygit2.GitError):
            self._index.remove(old)
        self._index.add(new)
        self._staged += 1
        self._prune_empty_parents(source)

    def _prune_empty_parents(self, removed: Path) -> None:
        """Remove the folders a removed file leaves empty, up to the mirror's root."""
        parent = removed.parent
        while parent != self.path:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    # -- committing ----------------------------------------------------------------

    def head_commit(self) -> Any | None:
        try:
            return self.repo.revparse_single(f"refs/heads/{self.branch}")
        except (KeyError, pygit2.GitError):
            return None

    def has_staged_changes(self) -> bool:
        if self._staged == 0:
            return False
        head = self.head_commit()
        tree_id = self._index.write_tree()
        return head is None or head.tree_id != tree_id

    def commit(self, message: str, author: Author) -> str | None:
        """Commit what is staged; None when the tree equals HEAD's (nothing changed)."""
        try:
            tree_id = self._index.write_tree()
            head = self.head_commit()
            if head is not None and head.tree_id == tree_id:
                self._index.write()
                self._staged = 0
                return None
            signature = pygit2.Signature(author.name, author.email, int(time.time()), 0)
            parents = [head.id] if head is not None else []
            commit_id = self.repo.create_commit(
                f"refs/heads/{self.branch}", signature, signature, message, tree_id, parents
            )
            self._index.write()
            self._staged = 0
        except pygit2.GitError as exc:
            if "no space left" in str(exc).lower():
                raise GitStoreError(
                    f"disk full while committing to the mirror at {self.path}", hint=DISK_FULL_HINT
                ) from None
            raise GitStoreError(f"cannot commit to the mirror: {exc}") from None
        except OSError as exc:
            raise _os_error("commit", ".git", exc) from None
        self._maintain()
        return str(commit_id)

    def _maintain(self) -> None:
        """Keep the repository packed (``gitpack``); a failure there never fails a commit."""
        try:
            gitpack.maintain(self.repo)
        except (pygit2.GitError, OSError) as exc:
            log.warning("git.maintenance_failed", error=str(exc))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
        self.repo.free()

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


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


def _reset_to_head(repo: Any, path: Path, branch: str) -> bool:
    """Make the working tree and index equal HEAD; True if anything was reset."""
    status = repo.status(untracked_files="all")
    if not status:
        return False
    try:
        head = repo.revparse_single(f"refs/heads/{branch}").peel(pygit2.Commit)
    except (KeyError, pygit2.GitError):
        head = None
    saved = localedits.save_local_changes(repo, path, status, head, datetime.now(UTC))
    if saved is not None:
        log.warning(
            "mirror.local_changes_saved",
            ref=saved,
            paths=len(status),
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


def open_mirror(path: Path, *, branch: str = "main") -> Mirror:
    """Open (creating if needed) and lock the mirror at ``path``, recovering from crashes."""
    pygit2.settings.enable_fsync_gitdir(True)
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
        if not repo.head_is_unborn and repo.head.shorthand != branch:
            repo.set_head(f"refs/heads/{branch}")
        _reset_to_head(repo, path, branch)
        repo = mirrorguard.open_repository(path)
    except BaseException:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
        raise
    return Mirror(path, repo, lock, branch)

"""Read-only checks of a mirror repository, for ``notion-syncd check``.

Nothing here takes the mirror lock, resets or rewrites anything, so the checks may run
beside a running daemon (before a reload). Each function returns the problems it
found as one-line texts; an empty list means the mirror passed.

- :func:`writable_problems`: the folders a sync writes (the working tree's root and the
  git directory; the nearest existing parent when the mirror is not created yet) take
  a new file. A probe file is created and removed, because permission bits do not tell
  everything (read-only mounts, immutable files, root).
- :func:`object_problems`: like ``git fsck``: every object in the object database reads
  back with its hash (libgit2 verifies it on read), and every commit, tree and blob
  reachable from the branch exists.
- :func:`index_problems`: the index names only stored blobs; :func:`index_drift`: unless
  a sync holds the mirror lock right now, the index equals the branch's tree (after
  every commit it does; see :mod:`notion_syncd.gitstore`). libgit2 reads no split index
  (``gitsplitindex``): one is merged into a temporary ordinary copy for it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pygit2

from notion_syncd import gitunsplit
from notion_syncd.indexfile import IndexFormatError
from notion_syncd.mirrorguard import LOCK_NAME

#: Problems listed at most per check; the count says how many more there were.
MAX_LISTED = 5


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def _probe_write(folder: Path) -> str | None:
    """None if a file can be created in ``folder``, else why not."""
    try:
        handle, name = tempfile.mkstemp(prefix=".notion-syncd-check-", dir=folder)
    except OSError as error:
        return f"cannot create a file in {folder}: {error.strerror or type(error).__name__}"
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(name)
    return None


def writable_problems(mirror: Path) -> list[str]:
    """Why a sync could not write the mirror at ``mirror`` (empty: it can)."""
    if not mirror.exists():
        parent = _nearest_existing(mirror)
        if not parent.is_dir():
            return [f"{parent} is not a folder, so the mirror {mirror} cannot be created"]
        problem = _probe_write(parent)
        return [f"the mirror {mirror} does not exist and {problem}"] if problem else []
    if not mirror.is_dir():
        return [f"the mirror {mirror} is not a folder"]
    folders = [mirror]
    if (mirror / ".git").is_dir():
        folders.append(mirror / ".git")
    return [problem for folder in folders if (problem := _probe_write(folder)) is not None]


def _listed(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_LISTED:
        return problems
    return [*problems[:MAX_LISTED], f"… and {len(problems) - MAX_LISTED} more"]


def _unreadable_objects(repo: Any) -> list[str]:
    problems = []
    for oid in repo.odb:
        try:
            repo.odb.read(oid)
        except (pygit2.GitError, ValueError, OSError) as error:
            problems.append(f"object {oid} is corrupt: {error}")
    return problems


def _missing_reachable(repo: Any, head: Any) -> list[str]:
    """Objects the branch's history names that the object database does not have."""
    problems: list[str] = []
    seen: set[str] = set()
    trees: list[tuple[Any, str]] = []
    commits = [head]
    while commits:
        oid = commits.pop()
        if str(oid) in seen:
            continue
        seen.add(str(oid))
        if oid not in repo.odb:
            problems.append(f"commit {oid} is missing")
            continue
        commit = repo[oid]
        trees.append((commit.tree_id, f"commit {str(oid)[:12]}"))
        commits.extend(commit.parent_ids)
    while trees:
        oid, where = trees.pop()
        if str(oid) in seen:
            continue
        seen.add(str(oid))
        if oid not in repo.odb:
            problems.append(f"tree {oid} (in {where}) is missing")
            continue
        for entry in repo[oid]:
            if entry.type_str == "tree":
                trees.append((entry.id, where))
            elif entry.type_str == "blob" and str(entry.id) not in seen:
                seen.add(str(entry.id))
                if entry.id not in repo.odb:
                    problems.append(f"blob {entry.id} ({entry.name}, in {where}) is missing")
    return problems


def branch_head(repo: Any, branch: str) -> Any | None:
    """The commit id the branch points to, None when it has no commit yet."""
    reference = repo.references.get(f"refs/heads/{branch}")
    return None if reference is None else reference.resolve().target


def object_problems(repo: Any, branch: str) -> list[str]:
    """Corrupt objects, and objects missing from the branch's history."""
    problems = _unreadable_objects(repo)
    head = branch_head(repo, branch)
    if head is not None:
        try:
            problems += _missing_reachable(repo, head)
        except (pygit2.GitError, ValueError) as error:
            problems.append(f"the history of {branch} cannot be read: {error}")
    return _listed(problems)


def sync_running(git_dir: Path) -> bool:
    """True while another process holds the mirror lock (a sync is writing)."""
    try:
        with (git_dir / LOCK_NAME).open("rb") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
    except FileNotFoundError:
        return False
    return False


@contextlib.contextmanager
def _read_index(repo: Any) -> Iterator[Any]:
    """The index, as libgit2 reads it: a split one from a temporary ordinary copy.

    Raises ``pygit2.GitError`` or :class:`IndexFormatError` when it cannot be read.
    """
    with tempfile.TemporaryDirectory(prefix="notion-syncd-index-") as folder:
        copy = Path(folder) / "index"
        if gitunsplit.write_unsplit(Path(repo.path), copy):
            yield pygit2.Index(str(copy))
            return
        index = repo.index
        index.read()
        yield index


def index_problems(repo: Any) -> list[str]:
    """Index entries whose blob is not stored (the index is corrupt or half-written)."""
    try:
        with _read_index(repo) as index:
            missing = [
                f"the index names {entry.path} with blob {entry.id}, which is missing"
                for entry in index
                if entry.id not in repo.odb
            ]
    except (pygit2.GitError, IndexFormatError, OSError) as error:
        return [f"the index cannot be read: {error}"]
    return _listed(missing)


def index_drift(repo: Any, branch: str) -> str | None:
    """How the index differs from the branch's tree, when no sync is writing.

    Not a failure: a sync killed mid-way leaves such a difference, and the next sync
    resets the index to the branch (see :mod:`notion_syncd.gitstore`).
    """
    head = branch_head(repo, branch)
    if head is None or sync_running(Path(repo.path)):
        return None
    try:
        with _read_index(repo) as index:
            differences = repo[head].tree.diff_to_index(index)
    except (pygit2.GitError, KeyError, IndexFormatError, OSError) as error:
        return f"the index cannot be compared with {branch}: {error}"
    paths = sorted({delta.new_file.path for delta in differences.deltas})
    if not paths:
        return None
    return (
        f"the index differs from {branch} in {len(paths)} file(s), e.g. {paths[0]} "
        "(an interrupted sync; the next sync resets it)"
    )

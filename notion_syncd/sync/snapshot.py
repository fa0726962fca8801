"""The mirror as last committed, read-only: what a dry run plans against.

A real sync opens the mirror with its lock and resets the working tree to the branch
head, so the head's tree is exactly what it starts from. Reading that tree (not the
working tree) needs no lock, never races a daemon in the middle of a sync, and cannot
change anything: ``write`` and ``delete`` raise. A missing repository or an unborn
branch reads as empty (a first sync); a folder or repository the real sync would refuse
(``mirrorguard``) is refused the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pygit2

from notion_syncd import gittree, mirrorguard
from notion_syncd.errors import GitStoreError
from notion_syncd.gitstore import working_tree_files


class CommittedTree:
    """``MirrorFiles`` over the tree of ``refs/heads/<branch>``; writes are refused."""

    def __init__(self, repo_path: Path, branch: str) -> None:
        self.path = repo_path
        self._repo: Any = None
        self._tree: Any = None
        self.head: str | None = None
        if not (repo_path / ".git").exists():
            if repo_path.is_dir():
                mirrorguard.check_empty_folder(repo_path)  # as the real sync would refuse
            return
        try:
            self._repo = mirrorguard.open_repository(repo_path)
        except pygit2.GitError as exc:
            raise GitStoreError(f"cannot open the mirror at {repo_path}: {exc}") from None
        mirrorguard.check_ours(self._repo, repo_path)  # someone else's repository: refused
        try:
            commit = self._repo.revparse_single(f"refs/heads/{branch}").peel(pygit2.Commit)
        except (KeyError, pygit2.GitError):
            return
        self._tree = commit.tree
        self.head = str(commit.id)

    def _entry(self, rel: str) -> Any:
        if self._tree is None or not rel:
            return None
        return gittree.entry_at(self._tree, rel)  # not self._tree[rel]: it leaks rel

    def read(self, rel: str) -> bytes | None:
        entry = self._entry(rel)
        if entry is None or entry.type_str != "blob":
            return None
        data: bytes = self._repo[entry.id].data
        return data

    def exists(self, rel: str) -> bool:
        return self._entry(rel) is not None

    def walk_files(self, rel: str) -> Iterator[str]:
        """Every file below a folder, as repo-relative paths, in sorted order."""
        folder = self._tree if not rel else self._entry(rel)
        if folder is None or folder.type_str != "tree":
            return
        yield from self._walk(self._repo[folder.id], rel)

    def _walk(self, tree: Any, prefix: str) -> Iterator[str]:
        for entry in sorted(tree, key=lambda item: item.name):
            path = f"{prefix}/{entry.name}" if prefix else entry.name
            if entry.type_str == "tree":
                yield from self._walk(self._repo[entry.id], path)
            elif entry.type_str == "blob":
                yield path

    def write(self, rel: str, data: bytes) -> bool:
        raise GitStoreError(f"dry run: refusing to write {rel!r}")

    def delete(self, rel: str) -> bool:
        raise GitStoreError(f"dry run: refusing to delete {rel!r}")


class WorkingTree:
    """``MirrorFiles`` over the mirror's working tree, read without its lock; writes are
    refused. What a sync that opens the mirror now reads, for a check beside no daemon."""

    def __init__(self, repo_path: Path) -> None:
        self.path = repo_path

    def read(self, rel: str) -> bytes | None:
        try:
            return (self.path / rel).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def walk_files(self, rel: str) -> Iterator[str]:
        """Every file below a folder, as repo-relative paths (``.git`` left out)."""
        return working_tree_files(self.path, rel)

    def write(self, rel: str, data: bytes) -> bool:
        raise GitStoreError(f"read-only: refusing to write {rel!r}")

    def delete(self, rel: str) -> bool:
        raise GitStoreError(f"read-only: refusing to delete {rel!r}")

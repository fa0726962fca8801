"""Which folders may become a mirror, and what a killed ``git init`` leaves behind.

Opening a mirror resets its working tree to HEAD (everything uncommitted is redone by
the next sync), which is only safe in a repository notion-syncd writes. So before
anything is reset or removed:

- a folder without ``.git`` must be empty (or hold only debris of our own ``git init``);
- a git repository is adopted only when it is one of ours: notion-syncd opened it
  before (its lock file ``.git/notion-syncd.lock`` exists: that file doubles as the
  mark), or HEAD has a ``.notion-syncd/`` folder (a clone of a mirror), or it has no
  commit and nothing in its working tree or index (a bare ``git init``);
- anything else is refused with :class:`~notion_syncd.errors.ForeignRepository`, which
  names the path; nothing in it is touched.

A process killed inside ``git init`` can leave a ``.git`` that does not open, and
libgit2's probe file (``_git2_<hex>``, made to test symlink support) in the working
tree. Both are recognised and removed, so the next run creates the repository afresh.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pygit2

from notion_syncd.errors import ForeignRepository, GitStoreError

LOCK_NAME = "notion-syncd.lock"
STATE_FOLDER = ".notion-syncd"
_PROBE = re.compile(r"_git2_[0-9A-Za-z]+")
_ADVICE = "point export.repo at an empty folder or an existing notion-syncd mirror"


def is_init_probe(entry: Path) -> bool:
    """A file or symlink libgit2 made while testing the file system during ``git init``."""
    if not _PROBE.fullmatch(entry.name):
        return False
    if entry.is_symlink():
        return os.readlink(entry) == "testing"
    return entry.is_file() and entry.stat().st_size == 0


def discard_unfinished_init(path: Path) -> None:
    """Remove what a process killed during ``git init`` left: a ``.git`` that does not open
    (and has no ref: nothing was ever committed), and libgit2's probe files."""
    git_dir = path / ".git"
    if git_dir.is_dir() and not _opens(path):
        refs = git_dir / "refs"
        has_refs = refs.is_dir() and any(item.is_file() for item in refs.rglob("*"))
        if has_refs or (git_dir / "packed-refs").exists():
            return  # a damaged repository with history: not ours to remove
        shutil.rmtree(git_dir)
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(path):
            if is_init_probe(path / name):
                (path / name).unlink()


def _opens(path: Path) -> bool:
    try:
        open_repository(path).free()
    except pygit2.GitError:
        return False
    return True


def open_repository(path: Path) -> Any:
    """The repository whose ``.git`` is in ``path`` itself (never a parent's repository)."""
    return pygit2.Repository(str(path), pygit2.enums.RepositoryOpenFlag.NO_SEARCH)


def check_empty_folder(path: Path) -> None:
    """Refuse a folder that has files of its own and no ``.git``."""
    if os.listdir(path):
        raise GitStoreError(
            f"{path} exists, is not empty and is not a git repository", hint=_ADVICE
        )


def check_ours(repo: Any, path: Path) -> None:
    """Refuse a git repository that is not a notion-syncd mirror (see the module docstring)."""
    if (Path(repo.path) / LOCK_NAME).exists():
        return
    if repo.head_is_unborn:
        if not repo.status(untracked_files="all") and len(repo.index) == 0:
            return
        why = "it has no commit but holds files notion-syncd did not write"
    else:
        tree = repo.head.peel(pygit2.Commit).tree
        if STATE_FOLDER in tree and tree[STATE_FOLDER].type_str == "tree":
            return
        why = f"its HEAD has no {STATE_FOLDER}/ folder"
    raise ForeignRepository(
        f"{path} is a git repository that is not a notion-syncd mirror ({why}); "
        "refusing to touch it",
        hint=_ADVICE,
    )

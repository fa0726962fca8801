"""Commits written as loose files are the very objects libgit2 would write."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pygit2
import pytest

from notion_syncd import gitcommit


@pytest.mark.parametrize(
    ("message", "offset", "parents"),
    [
        ("Sync: 3 changed\n\nNotion-Page: abc\n", 0, 1),
        ("first commit, no newline, no parent", 0, 0),
        ("ünïcode and a merge\n", 0, 2),
        ("west of UTC\n", -330, 1),
        ("east of UTC\n", 120, 1),
    ],
)
def test_gitcommit_writes_the_commit_libgit2_writes(
    tmp_path: Path, message: str, offset: int, parents: int
) -> None:
    """Same id, same object, for every shape of commit the mirror makes; git reads it."""
    repo = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    tree = repo.TreeBuilder().write()
    parent_ids = [
        repo.create_commit(
            None,
            pygit2.Signature("p", "p@x", 1, 0),
            pygit2.Signature("p", "p@x", 1, 0),
            f"p{number}",
            tree,
            [],
        )
        for number in range(parents)
    ]
    author = pygit2.Signature("Ada Lövelace", "ada@example.invalid", 1_796_166_544, offset)
    committer = pygit2.Signature("notion-syncd", "notion-syncd@localhost", 1_796_166_600, 0)
    ours = gitcommit.write_commit(
        Path(repo.path) / "objects", tree, parent_ids, author, committer, message
    )
    theirs = repo.create_commit(None, author, committer, message, tree, parent_ids)
    assert ours == theirs
    commit = repo[ours]
    assert commit.message == message and commit.author.offset == offset
    assert [parent.id for parent in commit.parents] == parent_ids
    shown = subprocess.run(
        ["git", "--git-dir", repo.path, "cat-file", "-p", str(ours)],
        check=True,
        capture_output=True,
    ).stdout
    assert shown.endswith(message.encode()) and b"\nauthor Ada L\xc3\xb6velace" in shown
    assert not list(Path(repo.path).glob(f"objects/*/{gitcommit.TEMPORARY_PREFIX}*"))
    subprocess.run(["git", "--git-dir", repo.path, "fsck", "--strict"], check=True)

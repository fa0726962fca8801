"""Commits written as loose files are the very objects libgit2 would write."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pygit2
import pytest

from notion_syncd import gitcommit
from notion_syncd.gitstore import UNCOMMITTED_MARKER, Author, open_mirror


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


def test_gitcommit_an_unfinished_commit_file_is_removed_when_the_mirror_recovers(
    tmp_path: Path,
) -> None:
    """A kill while a commit file was written leaves its temporary file; the open after
    the crash (the uncommitted marker) removes it, and nothing else."""
    path = tmp_path / "m"
    author = Author("test", "test@example.invalid")
    with open_mirror(path) as mirror:
        mirror.write("a.md", b"a\n")
        mirror.commit("first", author)
    objects = path / ".git" / "objects"
    before = sorted(objects.rglob("*"))
    left = objects / "ab" / f"{gitcommit.TEMPORARY_PREFIX}4242"
    left.parent.mkdir(exist_ok=True)
    left.write_bytes(b"half a commit")
    (path / ".git" / UNCOMMITTED_MARKER).write_bytes(b"")  # the dead process's
    with open_mirror(path) as mirror:
        assert mirror.read("a.md") == b"a\n"
    assert not left.exists()
    assert sorted(p for p in objects.rglob("*") if p != left.parent) == [
        p for p in before if p != left.parent
    ]

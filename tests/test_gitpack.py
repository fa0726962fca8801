"""The mirror stays packed: loose objects and pack files stay few, nothing is ever lost."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pygit2
import pytest
from sigkill import fsck, kill_child_after
from structlog.testing import capture_logs

from notion_syncd import gitpack
from notion_syncd.gitstore import Author, open_mirror

AUTHOR = Author("test", "test@example.invalid")
ROOT = Path(__file__).resolve().parents[1]


def _count_objects(repo: Path) -> dict[str, int]:
    out = subprocess.run(
        ["git", "-C", str(repo), "count-objects", "-v"], check=True, capture_output=True, text=True
    ).stdout
    return {key: int(value) for key, value in (line.split(": ") for line in out.splitlines())}


def test_gitpack_mirror_commits_keep_loose_objects_bounded(tmp_path: Path) -> None:
    """200 one-file commits through the mirror leave fewer loose objects than the pack limit."""
    path = tmp_path / "m"
    with open_mirror(path) as mirror:
        for number in range(200):
            mirror.write(f"pages/p{number % 50}.md", f"version {number}\n".encode())
            assert mirror.commit(f"commit {number}", AUTHOR)
    counts = _count_objects(path)
    assert counts["count"] < gitpack.LOOSE_OBJECTS_TO_PACK
    assert counts["in-pack"] >= 500
    assert counts["packs"] >= 1
    fsck(path)
    log = subprocess.run(
        ["git", "-C", str(path), "log", "--format=%s"], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    assert len(log) == 200 and log[0] == "commit 199"
    shown = subprocess.run(
        ["git", "-C", str(path), "show", "HEAD~199:pages/p0.md"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert shown == "version 0\n"


@pytest.mark.parametrize("git", ["git", None, "false"])
def test_gitpack_consolidates_the_smallest_packs_up_to_the_object_limit(
    tmp_path: Path, git: str | None
) -> None:
    """Once the packs not settled reach the limit, they become one; a pack of over half a
    consolidation's object limit (the first export's) is left alone, and not counted.
    Written by ``git pack-objects``, by libgit2 (no git), or by libgit2 after git failed
    (``false`` exits 1)."""
    path = tmp_path / "m"
    with open_mirror(path) as mirror:
        for number in range(60):
            mirror.write(f"first/p{number}.md", b"x" * 2000 + str(number).encode())
        mirror.commit("big first export", AUTHOR)
        gitpack.maintain(mirror.repo, loose_limit=1, pack_limit=1000)
        objects = path / ".git" / "objects"
        largest = max(gitpack.pack_files(objects), key=gitpack.objects_in_pack)
        assert gitpack.objects_in_pack(largest) == 62  # the blobs and 2 trees, straight in
        assert len(gitpack.pack_files(objects)) == 2  # and the commit, packed
        for number in range(6):
            mirror.write(f"later/p{number}.md", f"small {number}\n".encode())
            mirror.commit(f"small {number}", AUTHOR)
            gitpack.maintain(mirror.repo, loose_limit=1, pack_limit=1000)
        assert len(gitpack.pack_files(objects)) == 14  # a blob and trees pack, a commit's each
        # The first export's pack (62 objects, over half the limit) is settled: it does not
        # count, so 14 packs are 13 towards the trigger and nothing is rewritten yet.
        limits = {"loose_limit": 1, "consolidation_limit": 60, "git": git}
        done = gitpack.maintain(mirror.repo, pack_limit=14, **limits)
        assert done.consolidated_packs == 0 and len(gitpack.pack_files(objects)) == 14
        with capture_logs() as logs:
            done = gitpack.maintain(mirror.repo, pack_limit=13, **limits)
        (event,) = [e for e in logs if e["event"] == "git.packs_consolidated"]
        assert event["writer"] == ("git" if git == "git" else "libgit2")
        assert done.consolidated_packs == 13
        packs = gitpack.pack_files(objects)
        assert largest in packs and len(packs) == 2
        assert gitpack.loose_objects(objects) == {}
        assert (
            sum(gitpack.objects_in_pack(pack) for pack in packs) == 63 + 6 * 4
        )  # blob, two trees, commit each
    fsck(path)
    assert len(list(pygit2.Repository(str(path)).walk(_head(path)))) == 7


def _verify_multi_pack_index(path: Path) -> None:
    subprocess.run(
        ["git", "-C", str(path), "multi-pack-index", "verify"], check=True, capture_output=True
    )


def test_gitpack_indexes_the_packs_together_and_never_names_a_removed_one(tmp_path: Path) -> None:
    """Once enough packs are outside it, git writes the multi-pack index again; it lists
    every pack then, libgit2 reads through it, and a consolidation replaces it."""
    path = tmp_path / "m"
    objects = path / ".git" / "objects"
    limits = {"loose_limit": 1, "pack_limit": 1000, "index_limit": 3}
    with open_mirror(path) as mirror:
        written = []
        for number in range(4):
            mirror.write(f"p{number}.md", f"page {number}\n".encode())
            mirror.commit(f"c{number}", AUTHOR)
            written.append(gitpack.maintain(mirror.repo, **limits).indexed)
        # Each commit: a pack of its blob and trees, and one of its (loose) commit.
        assert written == [False, True, False, True]
        names = {pack.with_suffix(".idx").name for pack in gitpack.pack_files(objects)}
        assert len(names) == 8 and gitpack.indexed_packs(objects) == names
        _verify_multi_pack_index(path)
        fresh = pygit2.Repository(str(path))  # libgit2 reads with the index there
        assert [fresh.revparse_single(f"HEAD:p{n}.md").data for n in range(4)] == [
            f"page {n}\n".encode() for n in range(4)
        ]
        mirror.write("p9.md", b"page 9\n")
        mirror.commit("c9", AUTHOR)
        done = gitpack.maintain(mirror.repo, loose_limit=1, pack_limit=2, index_limit=3)
        assert done.consolidated_packs >= 2 and done.indexed is False  # 1 pack + the settled
        assert not (objects / "pack" / gitpack.MULTI_PACK_INDEX).exists()
        left = {pack.with_suffix(".idx").name for pack in gitpack.pack_files(objects)}
        assert len(left) < gitpack.PACKS_OUTSIDE_MULTI_PACK_INDEX
        for number in range(3):
            mirror.write(f"q{number}.md", f"later {number}\n".encode())
            mirror.commit(f"q{number}", AUTHOR)
            gitpack.maintain(mirror.repo, **limits)
        indexed = gitpack.indexed_packs(objects)
        present = {pack.with_suffix(".idx").name for pack in gitpack.pack_files(objects)}
        assert indexed and indexed <= present and len(present - indexed) < 3
    _verify_multi_pack_index(path)
    fsck(path)
    log = subprocess.run(
        ["git", "-C", str(path), "log", "--format=%s"], check=True, capture_output=True, text=True
    ).stdout.split()
    assert log == ["q2", "q1", "q0", "c9", "c3", "c2", "c1", "c0"]


@pytest.mark.parametrize("git", [None, "false"])
def test_gitpack_without_git_leaves_the_packs_unindexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, git: str | None
) -> None:
    """No git on PATH (or a git that fails): no multi-pack index, nothing else changes."""
    program = shutil.which(git) if git else None
    path = tmp_path / "m"
    with monkeypatch.context() as patch:
        patch.setenv("PATH", str(tmp_path / "no-programs-here"))  # also the commits' own
        with open_mirror(path) as mirror:
            for number in range(6):
                mirror.write(f"p{number}.md", f"page {number}\n".encode())
                mirror.commit(f"c{number}", AUTHOR)
                done = gitpack.maintain(mirror.repo, loose_limit=1, index_limit=2, git=program)
                assert done.indexed is False
            assert len(gitpack.pack_files(path / ".git" / "objects")) == 12
    assert gitpack.indexed_packs(path / ".git" / "objects") == set()
    assert not (path / ".git" / "objects" / "pack" / gitpack.MULTI_PACK_INDEX).exists()
    fsck(path)


def test_gitpack_reads_no_names_from_a_damaged_multi_pack_index(tmp_path: Path) -> None:
    """A multi-pack index cut short (a power cut before it was flushed) names no pack:
    the next maintenance writes it again."""
    path = tmp_path / "m"
    objects = path / ".git" / "objects"
    with open_mirror(path) as mirror:
        for number in range(3):
            mirror.write(f"p{number}.md", f"page {number}\n".encode())
            mirror.commit(f"c{number}", AUTHOR)
        assert gitpack.maintain(mirror.repo, loose_limit=1, index_limit=2).indexed
        index = objects / "pack" / gitpack.MULTI_PACK_INDEX
        whole = index.read_bytes()
        for cut in (0, 11, 40, len(whole) // 2):
            index.unlink()  # git wrote it read-only
            index.write_bytes(whole[:cut])
            assert gitpack.indexed_packs(objects) == set()
        fresh = pygit2.Repository(str(path))  # libgit2 ignores a damaged one
        assert fresh.revparse_single("HEAD:p1.md").data == b"page 1\n"
        assert gitpack.maintain(mirror.repo, loose_limit=1, index_limit=2).indexed
        assert index.read_bytes() == whole
    _verify_multi_pack_index(path)


def test_gitpack_smallest_packs_fit_the_limit_and_need_two() -> None:
    """The smallest packs are taken while their objects fit; one pack alone is not merged,
    nor a pack of more than half the limit (it would be most of the rewrite)."""
    a, b, c, d = (Path(f"pack-{name}.pack") for name in "abcd")
    counts = {a: 900, b: 100, c: 300, d: 100}
    assert gitpack.smallest_packs(counts, 500) == [b, d]  # c: 300 of a 500 limit
    assert gitpack.smallest_packs(counts, 600) == [b, d, c]
    assert gitpack.smallest_packs(counts, 1_400) == [b, d, c]  # a: 900 of 1,400
    assert gitpack.smallest_packs(counts, 1_800) == [b, d, c, a]
    assert gitpack.smallest_packs(counts, 150) == []
    assert gitpack.smallest_packs({a: 10}, 500) == []


def _head(path: Path) -> pygit2.Oid:
    return pygit2.Repository(str(path)).head.target


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from notion_syncd import gitpack
    from notion_syncd.gitstore import Author, open_mirror
    path, start = Path(sys.argv[1]), int(sys.argv[2])
    with open_mirror(path) as mirror:
        for number in range(start, start + 150):
            mirror.write(f"p{number % 40}.md", (f"v{number}\\n" * 200).encode())
            mirror.commit(f"c{number}", Author("t", "t@example.invalid"))
            gitpack.maintain(mirror.repo, loose_limit=20, pack_limit=4)
    """
)


def test_gitpack_sigkill_during_packing_loses_nothing(tmp_path: Path) -> None:
    """Killed at random instants while committing and packing, the repository stays whole."""
    path = tmp_path / "m"
    rng = random.Random(11)
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    for attempt in range(8):
        kill_child_after(CHILD, [str(path), str(attempt * 1000)], rng.uniform(0.8, 2.5))
        with open_mirror(path) as mirror:  # recovers, as a restarted sync would
            head = mirror.head_commit()
        if head is not None:
            fsck(path)
    final = subprocess.run([sys.executable, "-c", CHILD, str(path), "99000"], env=env, timeout=300)
    assert final.returncode == 0
    fsck(path)
    assert _count_objects(path)["packs"] <= 4

"""Blobs go straight into a pack: git reads it, verifies it, and a kill loses nothing."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pygit2
import pytest
from sigkill import fsck, kill_child_after

from notion_syncd import gitpack, gitpackwriter
from notion_syncd.gitstore import Author, open_mirror

AUTHOR = Author("test", "test@example.invalid")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.parametrize("size", [0, 1, 15, 16, 127, 2047, 2048, 300_000])
def test_gitpackwriter_entry_header_sizes_read_back_by_git(tmp_path: Path, size: int) -> None:
    """Every size class of an entry's header (4 bits, then 7 per byte) reads back in git."""
    pygit2.init_repository(str(tmp_path))
    writer = gitpackwriter.PackWriter(tmp_path / ".git" / "objects" / "pack")
    data = bytes(random.Random(size).getrandbits(8) for _ in range(size))
    oid = writer.add_blob(data)
    pack = writer.finish()
    assert pack is not None and pack.exists() and pack.with_suffix(".idx").exists()
    _git(tmp_path, "verify-pack", str(pack.with_suffix(".idx")))
    shown = subprocess.run(
        ["git", "-C", str(tmp_path), "cat-file", "blob", str(oid)], check=True, capture_output=True
    ).stdout
    assert shown == data and str(oid) == str(pygit2.hash(data))


def test_gitpackwriter_trees_read_back_by_git(tmp_path: Path) -> None:
    """Trees go into the pack with their blobs; git reads them and the commit is whole."""
    repo = pygit2.init_repository(str(tmp_path))
    writer = gitpackwriter.PackWriter(tmp_path / ".git" / "objects" / "pack")
    blob = writer.add_blob(b"page\n")
    inner = writer.add_tree(b"100644 page.md\0" + blob.raw)
    root = writer.add_tree(b"40000 folder\0" + inner.raw + b"100644 top.md\0" + blob.raw)
    assert writer.add_tree(b"") == pygit2.Oid(hex="4b825dc642cb6eb9a060e54bf8d69288fbee4904")
    writer.finish()
    signature = pygit2.Signature("t", "t@example.invalid", 0, 0)
    repo.create_commit("refs/heads/main", signature, signature, "m", root, [])
    assert _git(tmp_path, "ls-tree", "-r", "--name-only", "main").split() == [
        "folder/page.md",
        "top.md",
    ]
    assert _git(tmp_path, "cat-file", "-t", str(inner)).strip() == "tree"
    fsck(tmp_path)


def test_gitpackwriter_index_matches_gits_own(tmp_path: Path) -> None:
    """The index written for a pack is byte for byte the one ``git index-pack`` makes."""
    pygit2.init_repository(str(tmp_path))
    writer = gitpackwriter.PackWriter(tmp_path / ".git" / "objects" / "pack")
    for number in range(300):
        writer.add_blob(f"page {number}\n".encode() * (number % 7 + 1))
    writer.add_blob(b"page 1\n" * 2)  # the same bytes again: stored once
    pack = writer.finish()
    assert pack is not None
    ours = pack.with_suffix(".idx").read_bytes()
    theirs = tmp_path / "theirs.idx"
    _git(tmp_path, "index-pack", "-o", str(theirs), str(pack))
    assert ours == theirs.read_bytes()
    assert gitpack.objects_in_pack(pack) == 300
    assert stat_mode(pack) == stat_mode(pack.with_suffix(".idx")) == 0o444


FULL_DISK_CHILD = textwrap.dedent(
    """
    import json, os, resource, signal, sys
    from pathlib import Path
    from notion_syncd.gitpackwriter import PackWriter
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write fails (EFBIG)
    writer = PackWriter(Path(sys.argv[1]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, resource.RLIM_INFINITY))
    kept = []
    for number in range(100):
        data = os.urandom(1_000 + number)  # incompressible: the limit comes soon
        try:
            kept.append(str(writer.add_blob(data)))
        except OSError:
            break
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
    pack = writer.finish()
    print(json.dumps({"kept": kept, "pack": str(pack)}))
    """
)


def test_gitpackwriter_a_failed_write_leaves_the_pack_whole(tmp_path: Path) -> None:
    """A write that fails (the disk full, here a file size limit) leaves no partial entry:
    the blobs written before it are in a pack git verifies."""
    pygit2.init_repository(str(tmp_path))
    pack_dir = tmp_path / ".git" / "objects" / "pack"
    out = subprocess.run(
        [sys.executable, "-c", FULL_DISK_CHILD, str(pack_dir)],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "PATH": "/usr/bin:/bin"},
    ).stdout
    result = json.loads(out)
    assert 10 < len(result["kept"]) < 100  # some were written, then the limit struck
    _git(tmp_path, "verify-pack", str(Path(result["pack"]).with_suffix(".idx")))
    for oid in result["kept"]:
        assert _git(tmp_path, "cat-file", "-t", oid).strip() == "blob"


def test_gitpackwriter_large_offsets_use_the_eight_byte_table() -> None:
    """Offsets past 2 GiB go into the table of 8-byte offsets, in id order."""
    entries = {
        bytes([1]) * 20: (7, 12),
        bytes([2]) * 20: (8, 2**31 + 5),
        bytes([3]) * 20: (9, 2**33),
    }
    index = gitpackwriter.pack_index(entries, b"\x00" * 20)
    offsets_at = 8 + 256 * 4 + 3 * 20 + 3 * 4
    offsets = [
        int.from_bytes(index[offsets_at + 4 * i : offsets_at + 4 * i + 4], "big") for i in range(3)
    ]
    assert offsets == [12, 0x80000000, 0x80000001]
    table = index[offsets_at + 12 : offsets_at + 12 + 16]
    assert [int.from_bytes(table[i : i + 8], "big") for i in (0, 8)] == [2**31 + 5, 2**33]
    assert len(index) == offsets_at + 12 + 16 + 20 + 20


def test_gitpackwriter_mirror_writes_only_commits_loose(tmp_path: Path) -> None:
    """A commit's blobs and trees are in one pack; only the commit is loose; fsck is clean."""
    path = tmp_path / "m"
    with open_mirror(path) as mirror:
        for number in range(40):
            mirror.write(f"pages/p{number}.md", f"page {number}\n".encode())
        mirror.commit("forty pages", AUTHOR)
        mirror.write("pages/p1.md", b"edited\n")
        mirror.commit("one edit", AUTHOR)
    objects = path / ".git" / "objects"
    loose = gitpack.loose_objects(objects)
    kinds = {_git(path, "cat-file", "-t", oid).strip() for oid in loose}
    assert kinds == {"commit"} and len(loose) == 2
    packs = gitpack.pack_files(objects)
    assert sorted(gitpack.objects_in_pack(pack) for pack in packs) == [3, 42]  # two trees each
    fsck(path)
    assert _git(path, "show", "HEAD:pages/p1.md") == "edited\n"
    assert _git(path, "show", "HEAD~1:pages/p1.md") == "page 1\n"
    assert _git(path, "status", "--porcelain") == ""


def test_gitpackwriter_uncommitted_pack_is_dropped_on_close(tmp_path: Path) -> None:
    """Writes never committed leave no pack behind; the next open is back at HEAD."""
    path = tmp_path / "m"
    with open_mirror(path) as mirror:
        mirror.write("a.md", b"a\n")
        mirror.commit("a", AUTHOR)
        mirror.write("b.md", b"never committed\n")
    pack_dir = path / ".git" / "objects" / "pack"
    assert not [n for n in os.listdir(pack_dir) if n.startswith(gitpackwriter.TEMPORARY_PREFIX)]
    with open_mirror(path) as mirror:
        assert mirror.read("b.md") is None and mirror.read("a.md") == b"a\n"


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from notion_syncd.gitstore import Author, open_mirror
    path, start = Path(sys.argv[1]), int(sys.argv[2])
    with open_mirror(path) as mirror:
        for number in range(start, start + 400):
            for page in range(25):
                mirror.write(f"p{page}/{number % 9}.md", (f"v{number} {page}\\n" * 300).encode())
            mirror.commit(f"c{number}", Author("t", "t@example.invalid"))
    """
)


@pytest.mark.slow
def test_gitpackwriter_sigkill_during_packed_writes_loses_nothing(tmp_path: Path) -> None:
    """Killed at random instants while blobs stream into a pack or it is finished, the
    mirror reopens at a complete commit, with no temporary pack left and fsck clean."""
    path = tmp_path / "m"
    rng = random.Random(23)
    pack_dir = path / ".git" / "objects" / "pack"
    for attempt in range(8):
        kill_child_after(CHILD, [str(path), str(attempt * 1000)], rng.uniform(0.8, 2.0))
        with open_mirror(path) as mirror:  # recovers, as a restarted sync would
            head = mirror.head_commit()
            assert not [n for n in os.listdir(pack_dir) if n.startswith("tmp_")]
            if head is not None:
                for page in range(25):
                    name = f"p{page}/{int(head.message[1:]) % 9}.md"
                    assert mirror.read(name) == (f"v{head.message[1:]} {page}\n" * 300).encode()
        if head is not None:
            fsck(path)
            assert _git(path, "status", "--porcelain") == ""


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777

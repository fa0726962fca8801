"""The split index (notion_syncd.gitsplitindex, ewah) against git's own index code."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pygit2
import pytest
from sigkill import fsck, kill_child_after

from notion_syncd import ewah, gitindex, gitsharedindex, gitsplitindex, gitunsplit, mirrorcheck
from notion_syncd.gitstore import Author, open_mirror

BOT = Author("notion-syncd", "bot@example.invalid")
PATHS = [f"pages/p{i:04d}/page.{ext}" for i in range(0, 2000, 3) for ext in ("json", "md")]


def _git(repo: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, input=stdin
    ).stdout


def _repo(tmp_path: Path, name: str, paths: list[str]) -> Path:
    repo = tmp_path / name
    _git(tmp_path, "init", "-q", str(repo))
    blob = _blob(repo, "x\n")
    listing = "".join(f"100644 {blob}\t{path}\n" for path in paths)
    _git(repo, "update-index", "--add", "--index-info", stdin=listing)
    return repo


def _blob(repo: Path, text: str) -> str:
    return _git(repo, "hash-object", "-w", "--stdin", stdin=text).strip()


def _apply_with_git(repo: Path, changes: dict[str, str | None]) -> None:
    lines = []
    for path, blob in changes.items():
        lines.append(f"0 {'0' * 40}\t{path}\n" if blob is None else f"100644 {blob}\t{path}\n")
    _git(repo, "update-index", "--add", "--force-remove", "--index-info", stdin="".join(lines))


def _update(repo: Path, changes: dict[str, str | None], split_at: int = 100) -> None:
    raw = {path: bytes.fromhex(blob) if blob else None for path, blob in changes.items()}
    assert gitindex.update_index(repo / ".git" / "index", raw, split_at=split_at)
    assert not (repo / ".git" / "index.lock").exists()


def _shared(repo: Path) -> list[str]:
    return sorted(path.name for path in (repo / ".git").glob("sharedindex.*"))


def _random_changes(rng: random.Random, blobs: list[str], count: int) -> dict[str, str | None]:
    names = [*PATHS[::7], *(f"new/{n:03d}.md" for n in range(40))]
    return {path: rng.choice([*blobs, None]) for path in rng.sample(names, count)}


def test_ewah_round_trips_and_reads_gits_runs_of_ones() -> None:
    """Positions survive encode/decode; git's empty bitmap and its runs of ones read back."""
    rng = random.Random(5)
    for _ in range(300):
        size = rng.choice([64, 200, 5_000, 3_000_000])
        positions = sorted(rng.sample(range(size), rng.randint(0, 60)))
        data = ewah.encode(positions)
        assert ewah.decode(data + b"tail") == (positions, len(data))
    assert ewah.encode([]) == bytes.fromhex("0000000000000001000000000000000000000000")
    ones = bytes.fromhex("000000c800000002000000020000000700000000000000ff00000000")
    assert ewah.decode(ones) == (list(range(200)), len(ones))  # as git writes 200 set bits
    with pytest.raises(ewah.EwahFormatError):
        ewah.decode(ones[:-6])


def test_shared_index_positions_table_finds_what_a_whole_walk_finds(tmp_path: Path) -> None:
    """Paths found through the positions table sit where git lists them; a bad table is
    ignored and rebuilt."""
    repo = _repo(tmp_path, "r", PATHS[:1500])
    blob = _blob(repo, "s\n")
    stages = "".join(f"100644 {blob} {stage}\t{PATHS[511]}\n" for stage in (1, 2, 3))
    _git(repo, "update-index", "--index-info", stdin=stages)  # stages across a row
    listed = [line.split("\t")[1] for line in _git(repo, "ls-files", "-s").splitlines()]
    shared = tmp_path / "sharedindex.test"
    shared.write_bytes((repo / ".git" / "index").read_bytes())
    rng = random.Random(9)
    names = sorted({*rng.sample(listed, 40), PATHS[511], listed[0], listed[-1], "a", "zz"})
    expected = {name: [n for n, path in enumerate(listed) if path == name] for name in names}
    expected = {name: positions for name, positions in expected.items() if positions}
    wanted = {name.encode(): positions for name, positions in expected.items()}
    table = gitsharedindex.table_path(shared)
    assert not table.exists()
    found = gitsharedindex.find_positions(shared, [n.encode() for n in names])
    assert found == (len(listed), wanted)
    written = table.read_bytes()  # by the whole walk: rows at entries 0, 512 and 1024
    assert written.count(b"pages/") == 3
    assert gitsharedindex.find_positions(shared, [n.encode() for n in names])[1] == wanted
    for damage in (b"", written[:-3], written.replace(b"pages", b"pagez")):
        table.write_bytes(damage)
        assert gitsharedindex.find_positions(shared, [n.encode() for n in names])[1] == wanted
        assert table.read_bytes() == written  # rebuilt


def test_split_index_matches_git_over_rounds_of_changes(tmp_path: Path) -> None:
    """A large index is split once; later commits rewrite only the small index, as git reads it."""
    ours, theirs = _repo(tmp_path, "ours", PATHS), _repo(tmp_path, "theirs", PATHS)
    blobs = [_blob(repo, f"v{n}\n") for n in range(3) for repo in (ours, theirs)][::2]
    rng = random.Random(7)
    for round_number in range(6):
        changes = _random_changes(rng, blobs, 25)
        _update(ours, changes)
        _apply_with_git(theirs, changes)
        assert _git(ours, "ls-files", "-s") == _git(theirs, "ls-files", "-s"), round_number
        if round_number == 0:
            shared = _shared(ours)
            assert len(shared) == 1
        assert _shared(ours) == shared  # never rewritten below the bound
        assert (ours / ".git" / "index").stat().st_size < 20_000
    fsck(ours)  # the index's checksum, entries and link extension
    assert _git(ours, "status", "--porcelain", "--untracked-files=no")  # git reads the index
    _git(ours, "update-index", "--add", "--cacheinfo", f"100644,{blobs[0]},after.md")
    assert "after.md" in _git(ours, "ls-files")


def test_split_index_resplits_past_the_bound(tmp_path: Path) -> None:
    """Changes past the bound go into a new shared index; the old one is removed."""
    ours, theirs = _repo(tmp_path, "ours", PATHS), _repo(tmp_path, "theirs", PATHS)
    blob = _blob(ours, "y\n")
    _blob(theirs, "y\n")
    _update(ours, {PATHS[0]: blob})
    before = _shared(ours)
    bound = gitsplitindex.resplit_bound(len(PATHS))
    changes: dict[str, str | None] = {path: blob for path in PATHS[1 : bound + 2]}
    changes[PATHS[-1]] = None
    _update(ours, changes)
    _apply_with_git(theirs, {PATHS[0]: blob, **changes})
    assert _git(ours, "ls-files", "-s") == _git(theirs, "ls-files", "-s")
    after = _shared(ours)
    assert len(after) == 1 and after != before
    index = (ours / ".git" / "index").read_bytes()
    assert index[8:12] == b"\0\0\0\0"  # no entries of its own: all in the shared index
    fsck(ours)


def test_split_index_written_by_git_is_updated(tmp_path: Path) -> None:
    """git's split index (replacements with stat data, deletions, additions) is updated right."""
    ours, theirs = _repo(tmp_path, "ours", PATHS), _repo(tmp_path, "theirs", PATHS)
    for repo in (ours, theirs):
        (repo / "work").mkdir()
        for n in range(70):
            (repo / "work" / f"{n}.md").write_text(f"{n}\n")
        _git(repo, "add", "work")
    _git(ours, "-c", "core.splitIndex=true", "update-index", "--split-index")
    blob = _blob(ours, "z\n")
    _blob(theirs, "z\n")
    git_changes: dict[str, str | None] = {PATHS[3]: blob, PATHS[4]: None, "added-by-git.md": blob}
    for repo in (ours, theirs):
        _apply_with_git(repo, git_changes)
    assert b"link" in (ours / ".git" / "index").read_bytes()
    changes: dict[str, str | None] = {
        PATHS[3]: None,  # replaced by git, now removed
        PATHS[4]: blob,  # deleted by git, back
        "added-by-git.md": None,
        "work/5.md": blob,
        PATHS[9]: blob,
        "zz.md": blob,
    }
    _update(ours, changes)
    _apply_with_git(theirs, changes)
    assert _git(ours, "ls-files", "-s") == _git(theirs, "ls-files", "-s")
    fsck(ours)


def test_unsplit_gives_libgit2_an_index_it_reads(tmp_path: Path) -> None:
    """A split index merged back is an ordinary one libgit2 reads; no shared file is left."""
    repo = _repo(tmp_path, "r", PATHS)
    blob = _blob(repo, "w\n")
    _update(repo, {PATHS[1]: blob, PATHS[2]: None, "a.md": blob})
    with pytest.raises(pygit2.GitError, match="link"):
        pygit2.Repository(str(repo)).index  # noqa: B018 (libgit2 refuses it)
    listed = _git(repo, "ls-files", "-s")
    copy = tmp_path / "copy"
    assert gitunsplit.write_unsplit(repo / ".git", copy)
    assert len(pygit2.Index(str(copy))) == len(PATHS)
    assert gitunsplit.unsplit(repo / ".git")
    assert _shared(repo) == []
    index = pygit2.Repository(str(repo)).index
    assert [(e.path, str(e.id)) for e in index] == [
        (line.split("\t")[1], line.split()[1]) for line in listed.splitlines()
    ]
    assert not gitunsplit.unsplit(repo / ".git")


def test_mirror_with_a_split_index_works_with_the_users_git(tmp_path: Path) -> None:
    """git status stays clean after our commits; a user's git add and git's re-split are kept."""
    path = tmp_path / "m"
    with open_mirror(path, split_index_at=50) as mirror:
        for n in range(80):
            mirror.write(f"pages/{n:03d}.md", f"{n}\n".encode())
        mirror.commit("one", BOT)  # a new repository's first index is written by libgit2
        mirror.write("pages/000.md", b"zero\n")
        mirror.commit("one more", BOT)
    assert len(_shared(path)) == 1
    index = (path / ".git" / "index").read_bytes()
    _git(path, "update-index", "--refresh")  # git writes stat data into the entries
    assert (path / ".git" / "index").read_bytes() != index
    assert _git(path, "status", "--porcelain", "--untracked-files=all") == ""
    (path / "mine.md").write_text("mine\n")
    _git(path, "add", "mine.md")  # git writes its own split index
    with open_mirror(path, split_index_at=50) as mirror:
        mirror.write("pages/001.md", b"changed\n")
        mirror.delete("pages/002.md")
        mirror.commit("two", BOT)
    assert _git(path, "status", "--porcelain") == "A  mine.md\n"
    _git(path, "-c", "splitIndex.maxPercentChange=0", "update-index", "--split-index")
    _git(path, "reset", "-q", "mine.md")
    with open_mirror(path, split_index_at=50) as mirror:  # removes shared files git left
        mirror.write("pages/003.md", b"again\n")
        mirror.commit("three", BOT)
    assert _git(path, "status", "--porcelain", "--untracked-files=all") == "?? mine.md\n"
    assert len(_shared(path)) == 1
    repo = pygit2.Repository(str(path))
    assert mirrorcheck.index_problems(repo) == []
    assert mirrorcheck.index_drift(repo, "main") is None
    fsck(path)


def test_mirror_follows_gits_core_split_index_setting(tmp_path: Path) -> None:
    """core.splitIndex=true splits a small index; false merges a split one back."""
    path = tmp_path / "m"
    with open_mirror(path) as mirror:
        mirror.write("a.md", b"a\n")
        mirror.commit("one", BOT)
        _git(path, "config", "core.splitIndex", "true")
        mirror.write("b.md", b"b\n")
        mirror.commit("two", BOT)
        assert len(_shared(path)) == 1
        _git(path, "config", "core.splitIndex", "false")
        mirror.write("c.md", b"c\n")
        mirror.commit("three", BOT)
    assert _shared(path) == []
    assert b"link" not in (path / ".git" / "index").read_bytes()
    assert _git(path, "status", "--porcelain", "--untracked-files=all") == ""
    assert _git(path, "ls-files") == "a.md\nb.md\nc.md\n"


def _split_mirror(path: Path) -> None:
    """A mirror of 30 files whose index was split at its second commit."""
    with open_mirror(path, split_index_at=20) as mirror:
        for n in range(30):
            mirror.write(f"{n:02d}.md", f"{n}\n".encode())
        mirror.commit("one", BOT)
        mirror.write("00.md", b"0\n")
        mirror.write("01.md", b"one\n")
        mirror.commit("split", BOT)


def test_mirror_recovers_a_crash_with_a_split_index(tmp_path: Path) -> None:
    """An uncommitted change over a split index is reset on open: libgit2 gets an ordinary one."""
    path = tmp_path / "m"
    _split_mirror(path)
    with open_mirror(path, split_index_at=20) as mirror:
        assert len(_shared(path)) == 1
        mirror.write("00.md", b"lost\n")
        mirror.write("new.md", b"lost\n")  # never committed: the process "died"
    (path / ".git" / f"{gitsharedindex.SHARED_PREFIX}notion-syncd-partial").write_bytes(b"DIRC")
    with open_mirror(path, split_index_at=20) as mirror:
        assert mirror.read("00.md") == b"0\n" and not mirror.exists("new.md")
    assert _shared(path) == []  # the reset wrote an ordinary index; the partial file is gone
    assert _git(path, "status", "--porcelain", "--untracked-files=all") == ""


def test_mirror_rebuilds_an_index_whose_shared_file_is_lost(tmp_path: Path) -> None:
    """A split index without its shared file is rebuilt from the commit; check says why first."""
    path = tmp_path / "m"
    _split_mirror(path)
    (path / ".git" / _shared(path)[0]).unlink()
    problems = mirrorcheck.index_problems(pygit2.Repository(str(path)))
    assert problems and "shared index is missing" in problems[0]
    with open_mirror(path, split_index_at=20) as mirror:
        mirror.write("new.md", b"n\n")
        mirror.commit("two", BOT)
    assert _git(path, "status", "--porcelain", "--untracked-files=all") == ""


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from notion_syncd.gitstore import Author, open_mirror
    path, start, commits = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    with open_mirror(path, split_index_at=200) as mirror:
        for number in range(start, start + commits):
            for k in range(12):
                mirror.write(f"p{(number * 7 + k) % 300:03d}.md", f"v{number}\\n".encode())
            mirror.commit(f"c{number}", Author("t", "t@example.invalid"))
    """
)


@pytest.mark.slow
def test_split_index_sigkill_during_commits_leaves_a_readable_index(tmp_path: Path) -> None:
    """Killed at random instants while committing and re-splitting: git reads the index,
    the next open leaves the working tree at HEAD and no stray shared file."""
    path = tmp_path / "m"
    rng = random.Random(3)
    with open_mirror(path) as mirror:
        for n in range(300):
            mirror.write(f"p{n:03d}.md", b"base\n")
        mirror.commit("base", BOT)
    for attempt in range(6):
        kill_child_after(CHILD, [str(path), str(attempt * 1000), "400"], rng.uniform(0.8, 2.0))
        _git(path, "ls-files", "-s")  # git reads whatever index the kill left
        with open_mirror(path, split_index_at=200):
            pass  # recovers, as a restarted sync would
        assert _git(path, "status", "--porcelain", "--untracked-files=all") == ""
        assert len(_shared(path)) <= 1
        fsck(path)
    final = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), "99000", "20"],
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert final.returncode == 0
    assert len(_shared(path)) == 1
    assert _git(path, "status", "--porcelain", "--untracked-files=all") == ""

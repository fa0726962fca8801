"""Keep the mirror repository packed: loose objects stay few, pack files stay few.

Every commit writes its new trees as loose objects (one file each; its blobs go into a
pack of their own, :mod:`notion_syncd.gitpackwriter`). Left alone,
a 10,000-page mirror is over 100,000 files in ``.git/objects``. After each commit the
mirror calls :func:`maintain`, which costs a directory listing when there is nothing to
do and otherwise:

1. **Packs the loose objects** once there are :data:`LOOSE_OBJECTS_TO_PACK` of them:
   libgit2's pack builder writes them into one new pack (with deltas), the pack is checked
   to hold every one of them, and only then are the loose files removed.
2. **Consolidates small packs** once there are :data:`PACKS_TO_CONSOLIDATE` of them:
   the smallest, up to :data:`OBJECTS_PER_CONSOLIDATION` objects together, are
   rewritten into one, checked, and only then are the old ones removed. Packs of more
   than half that (the first export's checkpoints, earlier consolidations) are
   *settled*: left alone, and not counted, so one consolidation's work and memory are
   bounded whatever the mirror's size, and a daemon's commits consolidate once per two
   dozen or so; the price is about one pack per 2,000–4,000 objects of history.

3. **Indexes the packs together** once :data:`PACKS_OUTSIDE_MULTI_PACK_INDEX` of them are
   not in the repository's multi-pack index: ``git multi-pack-index write`` (git's
   format, read by libgit2 and git alike) lists every pack's objects in one sorted
   table. libgit2 looks an object up in that one table instead of in each pack's
   ``.idx`` in turn; the kernel maps 64 KiB of a file around each page read
   (fault-around), so each pack probed cost up to 64 KiB of RSS, and a first export
   leaves a pack per checkpoint (155 at 50,000 pages): one read of an old folder mapped
   up to 9.7 MB of ``.idx`` pages. Through the multi-pack index a read maps a few
   windows of it (a lookup that finds nothing: 0.14 MB instead of 9.3). Its pages add
   up over many reads as the ``.idx`` pages did, so it pays only with
   ``gittree.TreeCache`` dropping the packs every few reads: in
   ``bench/bench_checkpoint.py`` (500 new pages into that mirror) the writes peaked at
   61.4 MB with it against 64.9 without, in 0.9–1.4 s against 1.7 (issue 10). Written
   only by git (0.1 s for those 431,000 objects); without git there is none, and
   lookups probe each pack as before. A consolidation removes the index before the
   packs it replaces, so it never names a pack that is gone.

A consolidation is written by git's own ``git pack-objects`` when ``git`` is on PATH,
libgit2's pack builder otherwise. git copies objects that are stored compressed, and
deltas it finds in the packs it reads, as they are; libgit2 inflates every object and
searches deltas anew, so merging the same packs again costs their whole uncompressed
size each time. In a 10,000-page mirror, one-page commits' packs (whose search shards
are 50–100 KB each) took 0.36–0.84 s to consolidate, growing as the merged pack did, and
up to 4 s with the export's last packs (31.8 MB of search shards); ``git pack-objects``
wrote those 1,447 objects in 0.06 s and 1,688 of the others in 0.15 s (issue 10).

Crash safety: nothing is removed before the pack that replaces it is complete on disk
(libgit2 writes packs to a temporary name and renames them into place; the new pack's
files and its folder are fsynced here before anything is removed, as the mirror leaves
libgit2's per-object fsync off). A kill at any instant leaves every object reachable, at
worst stored twice; the next run finishes the job. The caller holds the mirror lock.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pygit2
import structlog

log = structlog.get_logger(__name__)

LOOSE_OBJECTS_TO_PACK = 512
"""Loose objects that make a commit pack them (git's own ``gc.auto`` waits for 6,700)."""
PACKS_TO_CONSOLIDATE = 24
"""Packs not settled that make a commit consolidate the smallest (git: 50 packs)."""
OBJECTS_PER_CONSOLIDATION = 4_096
"""At most this many objects are rewritten by one consolidation.

libgit2's pack builder holds about 1.6 KB per object it rewrites: consolidating the
smallest packs of a 2,000-page export lifted the process's peak by 5.8 MB for 2,660
objects, 11.7 MB for 7,179 and 23 MB for 13,737 (``VmHWM``; blobs are packed without
deltas as they are written, ``gitpackwriter``), and at 10,000 pages such a spike was
the export's peak (issue 10). A first export's checkpoint packs (about 3,500 blobs
each) are left alone; a daemon's one-page packs are merged two dozen at a time."""
SETTLED_BYTES = 2 << 20
"""A pack larger than this is settled whatever its object count. A first export's last
packs hold the search's shards of its final flush (1,622 objects, 9 MB in a 10,000-page
mirror): merging them with the next small packs cost 3.9 s with libgit2, 0.85 s with
git, most of it writing and fsyncing their bytes again (issue 10)."""
_HEX = frozenset("0123456789abcdef")
_WORK_DIR = "notion-syncd/repack"


@dataclass(frozen=True)
class Maintenance:
    """What one :func:`maintain` call did."""

    packed_objects: int = 0
    consolidated_packs: int = 0
    indexed: bool = False
    """Whether the multi-pack index was written."""


GIT_TIMEOUT = 600
"""Seconds a ``git pack-objects`` may take (4,096 objects take well under one)."""
PACKS_OUTSIDE_MULTI_PACK_INDEX = 4
"""Packs not in the multi-pack index that make a commit write it again (the first time:
a mirror's fourth pack). Each costs a lookup up to 64 KiB of ``.idx`` pages until then."""
MULTI_PACK_INDEX = "multi-pack-index"


def maintain(
    repo: Any,
    *,
    loose_limit: int = LOOSE_OBJECTS_TO_PACK,
    pack_limit: int = PACKS_TO_CONSOLIDATE,
    consolidation_limit: int = OBJECTS_PER_CONSOLIDATION,
    index_limit: int = PACKS_OUTSIDE_MULTI_PACK_INDEX,
    git: str | None = "git",
) -> Maintenance:
    """Pack loose objects, consolidate packs and index them together when their numbers
    reach the limits.

    ``git``: the git program consolidations and the multi-pack index run (looked up on
    PATH); None, or a program that is not there or fails, and libgit2 writes the
    consolidations, and the multi-pack index stays as it is."""
    objects = Path(repo.path) / "objects"
    program = shutil.which(git) if git else None
    packed = 0
    loose = loose_objects(objects)
    if len(loose) >= loose_limit:
        packed = _pack_loose(repo, objects, loose)
    consolidated = 0
    packs = pack_files(objects)
    unsettled = {
        pack: count
        for pack in packs
        if not settled(count := objects_in_pack(pack), consolidation_limit, pack.stat().st_size)
    }
    if len(unsettled) >= pack_limit:
        consolidated = _consolidate(repo, objects, unsettled, consolidation_limit, program)
        packs = pack_files(objects)
    indexed = False
    if program is not None:
        outside = {pack.with_suffix(".idx").name for pack in packs} - indexed_packs(objects)
        if len(outside) >= index_limit:
            indexed = _write_multi_pack_index(program, repo)
    return Maintenance(packed, consolidated, indexed)


def settled(count: int, limit: int = OBJECTS_PER_CONSOLIDATION, size: int = 0) -> bool:
    """Whether a pack of ``count`` objects and ``size`` bytes is left alone for good: over
    half ``limit`` objects, or over :data:`SETTLED_BYTES`.

    Only the others count towards :data:`PACKS_TO_CONSOLIDATE`. Counting every pack,
    a mirror with two dozen settled packs (a 10,000-page export's checkpoints) merged
    the same small pack into a new one at every commit, each time a little bigger:
    1.2 s median per one-page commit in a 10,000-page mirror inflated to 197,209 files,
    121 of 150 commits over 0.5 s (`bench_commits.py`, issue 10)."""
    return count > limit // 2 or size > SETTLED_BYTES


def loose_objects(objects: Path) -> dict[str, Path]:
    """Hex id → file of every loose object."""
    found: dict[str, Path] = {}
    for fanout in _listdir(objects):
        if len(fanout) != 2 or not set(fanout) <= _HEX:
            continue
        for name in _listdir(objects / fanout):
            if len(name) == 38 and set(name) <= _HEX:
                found[fanout + name] = objects / fanout / name
    return found


def pack_files(objects: Path) -> list[Path]:
    """Every complete pack (``.pack`` with its ``.idx``), sorted by name."""
    folder = objects / "pack"
    return [
        folder / name
        for name in _listdir(folder)
        if name.endswith(".pack") and (folder / f"{name[:-5]}.idx").exists()
    ]


def _pack_loose(repo: Any, objects: Path, loose: dict[str, Path]) -> int:
    started = time.monotonic()
    oids = [pygit2.Oid(hex=hex_id) for hex_id in sorted(loose)]
    new_pack, _ = _write_pack(repo, objects, oids)
    if new_pack is None:
        return 0
    for hex_id in sorted(loose):
        with contextlib.suppress(FileNotFoundError):
            loose[hex_id].unlink()
    for fanout in {path.parent for path in loose.values()}:
        with contextlib.suppress(OSError):
            fanout.rmdir()
    log.info(
        "git.packed",
        objects=len(oids),
        pack=new_pack.name,
        seconds=round(time.monotonic() - started, 3),
    )
    return len(oids)


def _consolidate(
    repo: Any, objects: Path, counts: Mapping[Path, int], limit: int, git: str | None
) -> int:
    started = time.monotonic()
    chosen = smallest_packs(counts, limit)
    if not chosen:
        return 0
    oids = _objects_in(repo, chosen)
    new_pack, by_git = _write_pack(repo, objects, oids, git)
    if new_pack is None:
        return 0
    remove_multi_pack_index(objects)  # it may name the packs removed next
    for pack in chosen:
        if pack.name == new_pack.name:
            continue
        for suffix in (".keep", ".rev", ".idx", ".pack"):
            with contextlib.suppress(FileNotFoundError):
                pack.with_suffix(suffix).unlink()
    log.info(
        "git.packs_consolidated",
        packs=len(chosen),
        objects=len(oids),
        pack=new_pack.name,
        writer="git" if by_git else "libgit2",
        seconds=round(time.monotonic() - started, 3),
    )
    return len(chosen)


def smallest_packs(counts: Mapping[Path, int], limit: int) -> list[Path]:
    """The smallest packs (by objects, then name) that hold at most ``limit`` objects
    together; none unless at least two fit, as one pack alone is already consolidated.

    A pack of more than half the limit is settled and never taken: with it, each
    consolidation would rewrite more objects than it merges. A first export's checkpoint
    packs (about 3,000 objects each) were rewritten, one per checkpoint, with the few
    objects of the checkpoint before (issue 10: 3,700 objects a checkpoint, the export's
    peak RSS); small packs still grow, two dozen at a time, until they settle."""
    chosen: list[Path] = []
    total = 0
    for pack, count in sorted(counts.items(), key=lambda item: (item[1], item[0].name)):
        if total + count > limit or settled(count, limit):
            break
        chosen.append(pack)
        total += count
    return chosen if len(chosen) >= 2 else []


def indexed_packs(objects: Path) -> set[str]:
    """The ``.idx`` names the multi-pack index lists (none when there is no such index,
    or one this module cannot read: it is then written again, and replaced).

    Its format (git's ``gitformat-pack``): a 12-byte header ending with the number of
    chunks and of packs, a table of chunk ids and offsets (the last one: where the
    20-byte trailer starts), and in chunk ``PNAM`` the packs' index names, each ended by
    a NUL."""
    try:
        with (objects / "pack" / MULTI_PACK_INDEX).open("rb") as index:
            header = index.read(12)
            if len(header) < 12 or header[:4] != b"MIDX" or header[4] != 1:
                return set()
            chunks = header[6]
            table = index.read((chunks + 1) * 12)
            offsets = [
                (table[at : at + 4], int.from_bytes(table[at + 4 : at + 12], "big"))
                for at in range(0, len(table) - 11, 12)
            ]
            if not offsets or os.fstat(index.fileno()).st_size != offsets[-1][1] + 20:
                return set()  # cut short: its last chunk ends where its SHA-1 trailer starts
            for (chunk, start), (_, end) in itertools.pairwise(offsets):
                if chunk == b"PNAM" and 0 <= start <= end:
                    index.seek(start)
                    names = index.read(end - start).split(b"\0")
                    found = {name.decode() for name in names if name}
                    return found if len(found) == int.from_bytes(header[8:12], "big") else set()
    except (OSError, UnicodeDecodeError):
        pass
    return set()


def remove_multi_pack_index(objects: Path) -> None:
    """Remove the multi-pack index, durably, before any pack it may name is removed
    (libgit2 and git then look objects up in each pack)."""
    try:
        (objects / "pack" / MULTI_PACK_INDEX).unlink()
    except FileNotFoundError:
        return
    _fsync_folder(objects / "pack")


def _write_multi_pack_index(git: str, repo: Any) -> bool:
    """``git multi-pack-index write`` for the mirror's packs; False if it failed (git
    writes it to a temporary file renamed into place: the old one stays until then).
    Flushed here, as git does not: after a power cut, a damaged one would make git print
    an error at every command (libgit2 and git then ignore it)."""
    started = time.monotonic()
    if not _run_git(git, repo, ["multi-pack-index", "write"], failed="git.multi_pack_index_failed"):
        return False
    pack_dir = Path(repo.path) / "objects" / "pack"
    with contextlib.suppress(FileNotFoundError):
        _fsync_file(pack_dir / MULTI_PACK_INDEX)
    _fsync_folder(pack_dir)
    log.info("git.multi_pack_index_written", seconds=round(time.monotonic() - started, 3))
    return True


def objects_in_pack(pack: Path) -> int:
    """How many objects a pack holds, from its index's fan-out table (a 1 KiB read)."""
    with pack.with_suffix(".idx").open("rb") as index:
        header = index.read(8 + 256 * 4)
    if header[:4] == b"\xfftOc":  # version 2 and later: magic, version, then the fan-out
        return int.from_bytes(header[8 + 255 * 4 : 8 + 256 * 4], "big")
    return int.from_bytes(header[255 * 4 : 256 * 4], "big")  # version 1: the fan-out first


def _write_pack(
    repo: Any, objects: Path, oids: list[pygit2.Oid], git: str | None = None
) -> tuple[Path | None, bool]:
    """Write ``oids`` into a new pack, with ``git`` when given and it works, else with
    libgit2. Returns the pack, once checked to hold them all (else None), and whether
    git wrote it."""
    before = set(pack_files(objects))
    by_git = git is not None and _git_pack_objects(git, repo, objects, oids)
    if not by_git:

        def add_all(builder: pygit2.PackBuilder) -> None:
            for oid in oids:
                builder.add(oid)

        repo.pack(pack_delegate=add_all, n_threads=1)
    written = [pack for pack in pack_files(objects) if pack not in before]
    if len(written) != 1 or not _holds(repo, written, oids):
        log.warning("git.pack_unverified", written=[pack.name for pack in written])
        return None, by_git
    for suffix in (".pack", ".idx", ".rev"):
        with contextlib.suppress(FileNotFoundError):
            _fsync_file(written[0].with_suffix(suffix))
    _fsync_folder(objects / "pack")
    return written[0], by_git


def _git_pack_objects(git: str, repo: Any, objects: Path, oids: list[pygit2.Oid]) -> bool:
    """``git pack-objects`` of ``oids`` into the mirror's pack folder; False if it failed
    (what it left half written is a ``tmp_pack_*`` file, which neither libgit2 nor this
    module reads). Git's variables of the daemon's environment are not passed on: one
    such as ``GIT_OBJECT_DIRECTORY`` would send the pack elsewhere."""
    return _run_git(
        git,
        repo,
        ["pack-objects", "--quiet", "--threads=1", str(objects / "pack" / "pack")],
        given="".join(f"{oid}\n" for oid in oids).encode(),
        failed="git.pack_objects_failed",
    )


def _run_git(git: str, repo: Any, arguments: list[str], *, failed: str, given: bytes = b"") -> bool:
    """Run ``git`` on the mirror's repository with ``given`` on its input; False (logged
    as ``failed``) if it could not run, failed or timed out. Git's variables of the
    daemon's environment are not passed on (``GIT_DIR`` names the mirror)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    try:
        subprocess.run(
            [git, *arguments],
            input=given,
            env={**environment, "GIT_DIR": str(repo.path)},
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        stderr = getattr(exc, "stderr", None) or b""
        log.warning(failed, error=str(exc), stderr=stderr.decode()[-500:])
        return False
    return True


def _holds(repo: Any, packs: list[Path], oids: Iterable[pygit2.Oid]) -> bool:
    odb = _pack_only_odb(repo, packs)
    try:
        return all(odb.exists(oid) for oid in oids)
    finally:
        shutil.rmtree(Path(repo.path) / _WORK_DIR, ignore_errors=True)


def _objects_in(repo: Any, packs: list[Path]) -> list[pygit2.Oid]:
    odb = _pack_only_odb(repo, packs)
    try:
        return sorted(set(odb), key=str)
    finally:
        shutil.rmtree(Path(repo.path) / _WORK_DIR, ignore_errors=True)


def _pack_only_odb(repo: Any, packs: list[Path]) -> pygit2.Odb:
    """An object database that sees only ``packs`` (hard links in a scratch folder)."""
    scratch = Path(repo.path) / _WORK_DIR
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "pack").mkdir(parents=True)
    for pack in packs:
        for suffix in (".pack", ".idx"):
            source = pack.with_suffix(suffix)
            os.link(source, scratch / "pack" / source.name)
    odb = pygit2.Odb()
    odb.add_backend(pygit2.OdbBackendPack(str(scratch)), 1)
    return odb


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _listdir(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []

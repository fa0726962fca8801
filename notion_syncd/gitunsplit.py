"""A split index merged back into an ordinary one, and shared files no index names.

libgit2 cannot read git's split index (``gitsplitindex``: "unsupported mandatory
extension"). The rare paths that hand the index to it merge it back first: the
crash-recovery reset (:func:`unsplit`, in place, under ``index.lock``) and the
read-only ``check`` (:func:`write_unsplit`, into a temporary file). Both are O(mirror),
once. :func:`remove_orphans` removes the ``sharedindex.*`` files and positions tables
the index does not name (a killed re-split's, a merge's, git's old ones) when the
mirror opens.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from notion_syncd.gitsharedindex import (
    SHARED_PREFIX,
    read_shared_header,
    remove_tables,
    shared_path,
)
from notion_syncd.gitsplitindex import POSITIONED, SplitIndex, read_split, write_merged
from notion_syncd.indexfile import (
    HEADER,
    SIGNATURE,
    IndexFormatError,
    IndexLock,
    append_checksum,
    set_count,
)


def unsplit(git_dir: Path) -> bool:
    """Merge a split ``.git/index`` back into an ordinary one (for libgit2); False when it
    was not split. O(mirror): only for the rare paths that hand the index to libgit2."""
    index_path = git_dir / "index"
    with IndexLock(index_path) as lock:
        split = read_split(index_path)
        if split is None:
            return False
        _write_whole(git_dir, split, lock.file)
        lock.commit()
    remove_orphans(git_dir)
    return True


def write_unsplit(git_dir: Path, target_path: Path) -> bool:
    """Write the split ``.git/index`` as an ordinary index at ``target_path``, changing
    nothing in the repository; False when it is not split."""
    split = read_split(git_dir / "index")
    if split is None:
        return False
    with target_path.open("w+b") as target:
        _write_whole(git_dir, split, target)
    return True


def _write_whole(git_dir: Path, split: SplitIndex, target: BinaryIO) -> None:
    """The ordinary index equal to ``split`` (the cache tree kept: it describes it)."""
    try:
        source = shared_path(git_dir, split.shared_id).open("rb")
    except FileNotFoundError:
        raise IndexFormatError("the index's shared index is missing") from None
    with source:
        shared_version, count = read_shared_header(source)
        target.write(HEADER.pack(SIGNATURE, max(shared_version, split.version), 0))
        set_count(target, write_merged(source, shared_version, count, split, target))
    for signature, raw in split.extensions:
        if signature not in POSITIONED:
            target.write(raw)
    append_checksum(target)


def remove_orphans(git_dir: Path) -> list[str]:
    """Remove the ``sharedindex.*`` files ``.git/index`` does not name; their names.

    Only while we hold ``index.lock`` (a git command writing the index may be about to
    name a new one), and never when the index cannot be read.
    """
    try:
        names = sorted(name for name in os.listdir(git_dir) if name.startswith(SHARED_PREFIX))
    except FileNotFoundError:
        return []
    if not names:
        remove_tables(git_dir, None)
        return []
    index_path = git_dir / "index"
    try:
        lock = IndexLock(index_path)
    except FileExistsError:
        return []
    with lock:
        try:
            split = read_split(index_path)
        except IndexFormatError:
            return []
        used = shared_path(git_dir, split.shared_id).name if split is not None else None
        removed = [name for name in names if name != used]
        for name in removed:
            (git_dir / name).unlink(missing_ok=True)
        remove_tables(git_dir, used)
    return removed

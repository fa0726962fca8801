"""What a finished restore tells the next sync: which new objects came from which version.

A restore creates new pages in Notion; the next sync mirrors them like any other. So
that its commit can say they were restored, and from which version, a finished restore
leaves a small record beside its journal, in the daemon's private state:
``<git dir>/notion-syncd-restore/restored/<restore id>.json`` =
``{"commit": <source commit>, "objects": {<new id>: <original id>, ...}}``.

The sync reads the records (:func:`pending`), its commit message names every restored
object it adds (:func:`trailers`), and once that commit is made the announced ids are
struck from the records (:func:`settle`); a record with nothing left is removed. An
object the sync has not found yet (search lag) stays for a later sync.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from notion_syncd.restore.journal import JOURNAL_DIR
from notion_syncd.terms import dashed_id

RESTORED_DIR = "restored"


@dataclass(frozen=True)
class Restoration:
    """A restored object: the commit it was restored from and its original id."""

    commit: str
    original: str
    record: str  # the file name of the restore's record


def _folder(git_dir: Path) -> Path:
    return git_dir / JOURNAL_DIR / RESTORED_DIR


def _write(path: Path, payload: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(payload, sort_keys=True, separators=(",", ":")))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def record_restored(
    git_dir: Path, restore_id: str, commit: str, objects: Mapping[str, str]
) -> None:
    """A finished restore: ``objects`` maps each new id to the original it recreates."""
    restored = {dashed_id(new): dashed_id(old) for new, old in objects.items()}
    _write(_folder(git_dir) / f"{restore_id}.json", {"commit": commit, "objects": restored})


def pending(git_dir: Path) -> dict[str, Restoration]:
    """Restored objects no commit has announced yet, by new id (unreadable records skipped)."""
    found: dict[str, Restoration] = {}
    folder = _folder(git_dir)
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            commit, objects = str(data["commit"]), dict(data["objects"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        for new, old in objects.items():
            found[str(new)] = Restoration(commit, str(old), path.name)
    return found


def trailers(restored: Mapping[str, Restoration]) -> list[str]:
    """``Restored-from: <commit> <original id> as <new id>``, one per object, sorted."""
    lines = (
        f"Restored-from: {item.commit} {item.original} as {new}" for new, item in restored.items()
    )
    return sorted(lines)


def settle(git_dir: Path, announced: Iterable[str]) -> None:
    """Strike announced ids from their records; remove a record with nothing left."""
    by_record: dict[str, set[str]] = {}
    for new, item in pending(git_dir).items():
        by_record.setdefault(item.record, set()).add(new)
    done = set(announced)
    for name, ids in by_record.items():
        if not ids & done:
            continue
        path = _folder(git_dir) / name
        data = json.loads(path.read_text(encoding="utf-8"))
        left = {new: old for new, old in data["objects"].items() if new not in done}
        if left:
            _write(path, {"commit": data["commit"], "objects": left})
        else:
            path.unlink()

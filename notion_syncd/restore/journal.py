"""The restore journal: what a restore already did, in the daemon's private state.

It lives in the mirror's git directory (``<git dir>/notion-syncd-restore/<restore id>.json``),
never in the mirror's tree, so it is neither committed nor pushed. The restore id is
derived from what was asked (page, version, parent, recursion): re-running the same
command finds the journal and continues.

Before a request is sent, the journal records it as *pending* with how many children its
target held; after the answer, it records the new ids and marks the step done. Each save
is atomic (temporary file, fsync, rename), so a kill at any instant leaves either the
state before the step or after it — and a pending step whose answer was lost is
reconciled by listing the target's children (did the blocks land or not?).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JSON = dict[str, Any]
JOURNAL_DIR = "notion-syncd-restore"
FORMAT = 1


def restore_id(request: JSON) -> str:
    """A stable id of a restore request (same command, same id)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass
class Journal:
    """Completed steps, new ids by key, children counts per created container, the pending step."""

    path: Path
    request: JSON
    done: int = 0  # steps 0 .. done-1 are complete
    ids: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    pending: JSON | None = None  # {"step": n, "label": ..., "before": children count or None}

    @classmethod
    def open(cls, git_dir: Path, request: JSON) -> Journal:
        """The journal of ``request`` (empty when this restore never ran)."""
        path = git_dir / JOURNAL_DIR / f"{restore_id(request)}.json"
        if not path.exists():
            return cls(path, request)
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            path,
            request,
            done=int(data["done"]),
            ids=dict(data["ids"]),
            counts=dict(data["counts"]),
            pending=data.get("pending"),
        )

    @property
    def started(self) -> bool:
        return self.done > 0 or self.pending is not None

    def save(self) -> None:
        """Write atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": FORMAT,
            "request": self.request,
            "done": self.done,
            "ids": self.ids,
            "counts": self.counts,
            "pending": self.pending,
        }
        temporary = self.path.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps(payload, sort_keys=True, separators=(",", ":")))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    def begin(self, step: int, label: str, before: int | None) -> None:
        """Step ``step`` is about to be sent."""
        self.pending = {"step": step, "label": label, "before": before}
        self.save()

    def complete(self, step: int, ids: dict[str, str], counts: dict[str, int]) -> None:
        """Step ``step`` is done: its new ids and the children counts it changed."""
        self.ids.update(ids)
        for key, added in counts.items():
            self.counts[key] = self.counts.get(key, 0) + added
        self.done = step + 1
        self.pending = None
        self.save()

"""What a sync did: progress events, the report, the ledger and the commit message."""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from notion_syncd.restore.announce import Restoration, trailers
from notion_syncd.sync.fetch import FetchReport
from notion_syncd.sync.gaps import Gap

LIST_LIMIT = 50


@dataclass(frozen=True)
class Progress:
    phase: str
    done: int
    total: int | None
    message: str


@dataclass(frozen=True)
class Change:
    kind: str  # added, updated, moved, deleted
    id: str
    title: str
    path: str
    old_path: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Failure:
    id: str
    reason: str
    last_edited_time: str | None = None
    kind: str = "page"


@dataclass
class SyncReport:
    """Counts and facts of one sync; also the machine-readable ledger in every commit."""

    discovered: int = 0
    fetched: int = 0
    unchanged: int = 0
    changes: list[Change] = field(default_factory=list)
    """The changes the commit message lists: at most LIST_LIMIT of each kind (first by path)."""
    change_counts: Counter[str] = field(default_factory=Counter)
    latest_change: Change | None = None
    failures: list[Failure] = field(default_factory=list)
    unsupported_blocks: Counter[str] = field(default_factory=Counter)
    children_errors: list[str] = field(default_factory=list)
    properties_completed: int = 0
    files_downloaded: int = 0
    files_reused: int = 0
    files_failed: list[str] = field(default_factory=list)
    missing_files: dict[str, Gap] = field(default_factory=dict)
    """Objects written by this sync whose record misses hosted files (the last write wins)."""
    gaps_resolved: set[str] = field(default_factory=set)
    """Recorded gaps Notion no longer has (fetched by id: not found)."""
    gaps: dict[str, Gap] = field(default_factory=dict)
    """What the mirror misses after this sync (``gaps.json`` of its last commit)."""
    requests: int = 0
    rate_limited: int = 0
    watermark: str | None = None
    previous_watermark: str | None = None
    commit: str | None = None
    checkpoints: int = 0
    duration: float = 0.0
    complete: bool = True
    restorations: dict[str, Restoration] = field(default_factory=dict)
    """Restored objects no commit has announced yet (``restore.announce.pending``), by new id."""
    restored: dict[str, tuple[Change, Restoration]] = field(default_factory=dict)
    """Of those, the ones this sync added and its next commit announces (by new id)."""

    @property
    def changed(self) -> int:
        return sum(self.change_counts.values())

    def add_change(self, change: Change) -> None:
        """Count a change; keep only what the commit message shows (memory stays bounded)."""
        self.change_counts[change.kind] += 1
        self.latest_change = change
        if change.kind == "added" and change.id in self.restorations:
            self.restored[change.id] = (change, self.restorations.pop(change.id))
        self.changes.append(change)
        if len(self.changes) > 8 * LIST_LIMIT:
            kept: list[Change] = []
            for kind in ("added", "updated", "moved", "deleted"):
                kept += heapq.nsmallest(
                    LIST_LIMIT,
                    (item for item in self.changes if item.kind == kind),
                    key=lambda item: (item.path, item.id),
                )
            self.changes = kept

    @property
    def failed(self) -> int:
        return len(self.failures)

    def count(self, kind: str) -> int:
        return self.change_counts[kind]

    def absorb(self, fetch_report: FetchReport) -> None:
        self.unsupported_blocks.update(fetch_report.unsupported_blocks)
        self.children_errors.extend(fetch_report.children_errors)
        self.properties_completed += fetch_report.properties_completed
        self.files_downloaded += fetch_report.files_downloaded
        self.files_reused += fetch_report.files_reused
        self.files_failed.extend(fetch_report.files_failed)

    def summary(self) -> str:
        parts = [
            f"{self.count('added')} added",
            f"{self.count('updated')} updated",
            f"{self.count('moved')} moved",
            f"{self.count('deleted')} deleted",
            f"{self.unchanged} unchanged",
        ]
        if self.failures:
            parts.append(f"{self.failed} failed")
        missing = sum(len(gap.missing_files) for gap in self.gaps.values())
        if missing:
            parts.append(f"{missing} file{'' if missing == 1 else 's'} missing")
        parts.append(f"{self.requests} request{'' if self.requests == 1 else 's'}")
        text = ", ".join(parts)
        if self.commit:
            text += f"; commit {self.commit[:12]}"
        else:
            text += "; no commit (nothing changed)"
        return text

    def ledger(self) -> dict[str, Any]:
        """The ledger committed as ``.notion-syncd/last-sync.json`` (no wall-clock times)."""
        return {
            "complete": self.complete,
            "discovered": self.discovered,
            "fetched": self.fetched,
            "unchanged": self.unchanged,
            "changes": {
                kind: self.count(kind) for kind in ("added", "updated", "moved", "deleted")
            },
            "failed": [
                {"id": failure.id, "reason": failure.reason}
                for failure in sorted(self.failures, key=lambda item: item.id)
            ],
            "unsupported_blocks": dict(sorted(self.unsupported_blocks.items())),
            "children_errors": sorted(self.children_errors),
            "properties_completed": self.properties_completed,
            "files": {
                "downloaded": self.files_downloaded,
                "reused": self.files_reused,
                "failed": sorted(self.files_failed),
            },
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "watermark": self.watermark,
        }

    def commit_message(self, *, checkpoint: bool = False) -> str:
        counts = [
            f"{self.count(kind)} {kind}"
            for kind in ("added", "updated", "moved", "deleted")
            if self.count(kind)
        ]
        head = "Checkpoint" if checkpoint else "Sync"
        subject = f"{head}: {', '.join(counts) or 'index and state only'}"
        if self.failures:
            subject += f", {self.failed} failed"
        lines = [subject, ""]
        for kind in ("added", "updated", "moved", "deleted"):
            items = sorted(
                (change for change in self.changes if change.kind == kind),
                key=lambda change: (change.path, change.id),
            )
            if not items:
                continue
            lines.append(f"{kind.capitalize()}:")
            for change in items[:LIST_LIMIT]:
                if change.kind == "moved" and change.old_path:
                    lines.append(f"- {change.title} ({change.old_path} → {change.path})")
                elif change.reason:
                    lines.append(f"- {change.title} ({change.path}): {change.reason}")
                else:
                    lines.append(f"- {change.title} ({change.path})")
            if len(items) > LIST_LIMIT:
                lines.append(f"- … and {len(items) - LIST_LIMIT} more")
            lines.append("")
        if self.failures:
            lines.append("Failed (kept their previous version; retried next sync):")
            for failure in sorted(self.failures, key=lambda item: item.id)[:LIST_LIMIT]:
                lines.append(f"- {failure.id}: {failure.reason}")
            lines.append("")
        if self.gaps:
            lines.append("Not in the mirror yet (retried next sync, see .notion-syncd/gaps.json):")
            for gap in list(self.gaps.values())[:LIST_LIMIT]:
                lines.append(f"- {gap.describe()}")
            lines.append("")
        if self.unsupported_blocks:
            kinds = ", ".join(f"{k} ×{n}" for k, n in sorted(self.unsupported_blocks.items()))
            lines.append(f"Unsupported blocks kept as notes: {kinds}")
            lines.append("")
        if self.restored:
            lines.append("Restored from the mirror's history (notion-syncd restore):")
            restored = sorted(self.restored.values(), key=lambda item: item[0].path)
            for change, item in restored[:LIST_LIMIT]:
                lines.append(f"- {change.title} ({change.path}) from commit {item.commit[:12]}")
            if len(restored) > LIST_LIMIT:
                lines.append(f"- … and {len(restored) - LIST_LIMIT} more")
            lines.append("")
        lines.extend(trailers({new: item for new, (_, item) in self.restored.items()}))
        lines.append(f"Notion-Syncd-Watermark: {self.watermark or 'none'}")
        lines.append(f"Notion-Syncd-Requests: {self.requests}")
        return "\n".join(lines) + "\n"

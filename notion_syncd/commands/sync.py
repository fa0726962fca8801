"""``notion-syncd sync``: one sync with progress on the terminal, then its summary.

The summary is one line for a person, or with ``--json`` one JSON object
(:func:`summary_json`, keys documented in README "Command reference"); either way
logs and progress go to stderr only, so stdout parses.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from notion_syncd.config import Settings
from notion_syncd.sync.progress import TerminalProgress
from notion_syncd.sync.report import SyncReport
from notion_syncd.sync.runner import run_sync

CHANGE_KINDS = ("added", "updated", "moved", "deleted")


def sync_once(
    settings: Settings,
    *,
    sweep: bool,
    allow_mass_delete: bool,
    out: TextIO,
    err: TextIO,
    as_json: bool = False,
) -> int:
    """Run one sync; the summary goes to ``out``, progress and failures to ``err``.

    Exit status 1 when any object failed (it is retried by the next sync), else 0.
    """
    with TerminalProgress(err) as progress:
        report = run_sync(
            settings,
            progress=progress,
            sweep=True if sweep else None,
            allow_mass_delete=allow_mass_delete,
        )
    if as_json:
        out.write(dump_summary(summary_json(report)))
    else:
        out.write(report.summary() + "\n")
    for failure in report.failures:
        err.write(f"failed: {failure.id}: {failure.reason}\n")
    return 1 if report.failures else 0


def summary_json(report: SyncReport, *, dry_run: bool = False) -> dict[str, Any]:
    """The summary of a sync as a JSON object; the keys are stable (README)."""
    changes = sorted(report.changes, key=lambda c: (CHANGE_KINDS.index(c.kind), c.path, c.id))
    return {
        "dry_run": dry_run,
        "complete": report.complete,
        **{kind: report.count(kind) for kind in CHANGE_KINDS},
        "unchanged": report.unchanged,
        "failed": report.failed,
        "changes": [
            {
                "kind": change.kind,
                "id": change.id,
                "title": change.title,
                "path": change.path,
                "old_path": change.old_path,
                "reason": change.reason,
            }
            for change in changes
        ],
        "changes_truncated": len(changes) < report.changed,
        "failures": [
            {"id": failure.id, "reason": failure.reason}
            for failure in sorted(report.failures, key=lambda item: item.id)
        ],
        "requests": report.requests,
        "rate_limited": report.rate_limited,
        "duration_seconds": round(report.duration, 3),
        "commit": report.commit,
        "watermark": report.watermark,
        "previous_watermark": report.previous_watermark,
    }


def dump_summary(summary: dict[str, Any]) -> str:
    """One JSON object on one line (``jq`` and line-oriented tools read it as is)."""
    return json.dumps(summary, ensure_ascii=False, sort_keys=False) + "\n"

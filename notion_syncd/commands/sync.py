"""``notion-syncd sync``: one sync with progress on the terminal, then its summary.

The summary is one line for a person, or with ``--json`` one JSON object
(:func:`summary_json`, keys documented in README "Command reference"); either way
logs and progress go to stderr only, so stdout parses. ``--dry-run`` plans the sync
(``sync.dryrun``) and lists what it would do, writing nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from notion_syncd.config import Settings
from notion_syncd.sync.dryrun import preview_sync
from notion_syncd.sync.progress import TerminalProgress
from notion_syncd.sync.report import Change, SyncReport
from notion_syncd.sync.runner import notion_client, run_sync
from notion_syncd.sync.snapshot import CommittedTree

CHANGE_KINDS = ("added", "updated", "moved", "deleted")


def sync_once(
    settings: Settings,
    *,
    sweep: bool,
    allow_mass_delete: bool,
    out: TextIO,
    err: TextIO,
    as_json: bool = False,
    progress: TerminalProgress | None = None,
) -> int:
    """Run one sync; the summary goes to ``out``, progress and failures to ``err``.

    ``progress`` is the terminal's status line (logs should go through it too, see
    ``sync.progress``); by default one is drawn on ``err``. Exit status 1 when any
    object failed or any hosted file is missing (both are recorded as gaps and retried
    by the next sync), else 0.
    """
    with progress or TerminalProgress(err) as shown:
        report = run_sync(
            settings,
            progress=shown,
            sweep=True if sweep else None,
            allow_mass_delete=allow_mass_delete,
        )
    if as_json:
        out.write(dump_summary(summary_json(report)))
    else:
        out.write(report.summary() + "\n")
    for failure in report.failures:
        err.write(f"failed: {failure.id}: {failure.reason}\n")
    failed = {failure.id for failure in report.failures}
    for gap in report.gaps.values():
        if gap.id not in failed:
            err.write(f"missing: {gap.describe()}\n")
            for source in gap.missing_files:
                err.write(f"  {source}\n")
    return 1 if report.failures or report.gaps else 0


def preview_once(
    settings: Settings,
    *,
    sweep: bool,
    allow_mass_delete: bool,
    out: TextIO,
    as_json: bool = False,
) -> int:
    """List what a sync would add, update, move and delete; write nothing.

    Exit status 1 when the sweep would refuse (as the real sync would fail), else 0.
    """
    tree = CommittedTree(Path(settings.export.repo), settings.export.branch)
    client = notion_client(settings, None, None)
    try:
        result = preview_sync(
            tree,
            client,
            overlap=settings.sync.overlap,
            sweep=sweep,
            threshold=settings.sync.mass_delete_threshold,
            allow_mass_delete=allow_mass_delete,
            now=lambda: datetime.now(UTC),
        )
    finally:
        client.close()
    report = result.report
    if as_json:
        summary = summary_json(report, dry_run=True) | {"sweep_refused": result.sweep_refused}
        out.write(dump_summary(summary))
    else:
        out.write(preview_text(report, result.sweep_refused))
    return 1 if result.sweep_refused else 0


def preview_text(report: SyncReport, sweep_refused: str | None) -> str:
    """The dry run for a person: the counts, then one line per change."""
    counts = ", ".join(f"{report.count(kind)} {kind}" for kind in CHANGE_KINDS)
    plural = "" if report.requests == 1 else "s"
    lines = [
        f"dry run, nothing written: {counts}, {report.unchanged} unchanged "
        f"({report.requests} request{plural})"
    ]
    for change in _ordered(report):
        if change.kind == "moved":
            lines.append(f"moved    {change.title} ({change.old_path} → {change.path})")
        elif change.reason:
            lines.append(f"{change.kind:<8} {change.title} ({change.path}): {change.reason}")
        else:
            lines.append(f"{change.kind:<8} {change.title} ({change.path})")
    if len(report.changes) < report.changed:
        lines.append(f"… and {report.changed - len(report.changes)} more")
    if sweep_refused:
        lines.append(f"the sweep would delete nothing: {sweep_refused}")
    if report.watermark != report.previous_watermark:
        lines.append(f"watermark would move: {report.previous_watermark} → {report.watermark}")
    return "\n".join(lines) + "\n"


def _ordered(report: SyncReport) -> list[Change]:
    return sorted(report.changes, key=lambda c: (CHANGE_KINDS.index(c.kind), c.path, c.id))


def summary_json(report: SyncReport, *, dry_run: bool = False) -> dict[str, Any]:
    """The summary of a sync as a JSON object; the keys are stable (README)."""
    changes = _ordered(report)
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
        "sweep_refused": None,
        "missing": [
            {"id": gap.id, "reason": gap.reason, "files": list(gap.missing_files)}
            for gap in report.gaps.values()
        ],
    }


def dump_summary(summary: dict[str, Any]) -> str:
    """One JSON object on one line (``jq`` and line-oriented tools read it as is)."""
    return json.dumps(summary, ensure_ascii=False, sort_keys=False) + "\n"

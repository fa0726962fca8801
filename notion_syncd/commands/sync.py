"""``notion-syncd sync``: one sync with progress on the terminal, then its summary."""

from __future__ import annotations

from typing import TextIO

from notion_syncd.config import Settings
from notion_syncd.sync.progress import TerminalProgress
from notion_syncd.sync.runner import run_sync


def sync_once(
    settings: Settings, *, sweep: bool, allow_mass_delete: bool, out: TextIO, err: TextIO
) -> int:
    """Run one sync; the summary goes to ``out``, progress and failures to ``err``.

    Exit status 1 when any object failed or any hosted file is missing (both are
    recorded as gaps and retried by the next sync), else 0.
    """
    with TerminalProgress(err) as progress:
        report = run_sync(
            settings,
            progress=progress,
            sweep=True if sweep else None,
            allow_mass_delete=allow_mass_delete,
        )
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

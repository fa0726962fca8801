"""Repository size and loose objects: a first export, then many one-page syncs.

    .venv/bin/python bench/bench_repo_size.py [--pages 1000] [--syncs 100]

Exports a generated workspace (fake Notion API, no latency, formats markdown/json/csv),
then edits one page and syncs, ``--syncs`` times. Prints `git count-objects -v` figures
and the size of `.git` after the export and after the syncs, as JSON lines.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from synchelpers import TestClock, make_settings, serve

from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.sync.runner import run_sync


def _figures(repo: Path, stage: str, pages: int, seconds: float) -> dict[str, object]:
    out = subprocess.run(
        ["git", "-C", str(repo), "count-objects", "-v"], check=True, capture_output=True, text=True
    ).stdout
    counts = {key: int(value) for key, value in (line.split(": ") for line in out.splitlines())}
    git_bytes = sum(p.stat().st_size for p in (repo / ".git").rglob("*") if p.is_file())
    return {
        "stage": stage,
        "seconds": round(seconds, 1),
        "loose_objects": counts["count"],
        "packed_objects": counts["in-pack"],
        "packs": counts["packs"],
        "git_dir_mib": round(git_bytes / 2**20, 1),
        "git_dir_kib_per_1000_pages": round(git_bytes / 1024 / pages * 1000),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--syncs", type=int, default=100)
    args = parser.parse_args()
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    page_ids = generate_workspace(workspace, pages=args.pages, databases=3, rows_per_database=30)
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    with serve(workspace) as server, tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "mirror"
        formats = {"formats": ["markdown", "json", "csv"]}
        settings = make_settings(server, repo, rate=1000, export=formats)
        started = time.monotonic()
        run_sync(settings, now=clock)
        print(json.dumps(_figures(repo, "first export", args.pages, time.monotonic() - started)))
        started = time.monotonic()
        for number in range(args.syncs):
            workspace.append_blocks(
                page_ids[number % len(page_ids)], [rt.paragraph(f"edit {number}")]
            )
            clock.advance(minutes=3)
            run_sync(settings, now=clock)
        stage = f"after {args.syncs} one-page syncs"
        print(json.dumps(_figures(repo, stage, args.pages, time.monotonic() - started)))


if __name__ == "__main__":
    main()

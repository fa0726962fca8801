"""Cost of commits shaped for authors (issue 16): extra commits and repository growth.

    PYTHONPATH=. .venv/bin/python bench/bench_authors.py --pages 1000 --syncs 100

A workspace of ``--pages`` top-level pages (one paragraph each) in the fake Notion API
over loopback; after the first export, each sync three editors edit a page each (one
page by two of them), and the third renames and edits one more page. The same edits
run twice, with ``git.commit_authors`` true and false; printed: commits on the branch
and the size of ``.git`` (bytes, after the mirror's own packing) for both, and the
seconds each run took.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from notion_syncd.config import load_settings
from notion_syncd.fake_notion import FakeClock, FakeNotionServer, Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.sync.runner import run_sync

TOKEN = "secret_bench"


def _git_size(repo: Path) -> int:
    return sum(path.stat().st_size for path in (repo / ".git").rglob("*") if path.is_file())


def run(pages: int, syncs: int, *, authors: bool, folder: Path) -> tuple[int, int]:
    """Commits on the branch and ``.git`` bytes after ``syncs`` syncs."""
    clock = FakeClock(datetime(2026, 3, 2, 8, tzinfo=UTC))
    ws = Workspace(clock)
    editors = [ws.add_user(name) for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing")]
    ids = [ws.add_page(None, f"Page {n}", [rt.paragraph(f"page {n}")]) for n in range(pages)]
    rng = random.Random(16)
    clock.advance(minutes=10)
    server = FakeNotionServer(ws, token=TOKEN).start()
    try:
        settings = load_settings(
            None,
            overrides={
                "notion": {"token": TOKEN, "base_url": server.base_url, "requests_per_second": 500},
                "export": {"repo": str(folder), "formats": ["markdown", "json"]},
                "git": {"commit_authors": authors},
            },
            environ={},
        )
        run_sync(settings, now=clock)
        for step in range(syncs):
            edited = rng.sample(ids, 4)
            for editor, page in zip([*editors, editors[1]], [*edited[:3], edited[0]], strict=True):
                ws.editor = editor
                clock.advance(minutes=1)
                ws.append_blocks(page, [rt.paragraph(f"edit {step} by {editor[:8]}")])
            ws.editor = editors[2]
            ws.set_title(edited[3], f"Renamed {step}")
            ws.append_blocks(edited[3], [rt.paragraph(f"renamed at {step}")])
            ws.editor = None
            clock.advance(minutes=10)
            run_sync(settings, now=clock)
    finally:
        server.stop()
    count = subprocess.run(
        ["git", "-C", str(folder), "rev-list", "--count", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return int(count), _git_size(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--syncs", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for authors in (False, True):
            started = time.perf_counter()
            commits, size = run(
                args.pages, args.syncs, authors=authors, folder=Path(tmp) / str(authors)
            )
            seconds = time.perf_counter() - started
            print(
                f"commit_authors={str(authors).lower():5} commits={commits} git_bytes={size} "
                f"seconds={seconds:.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Full export against the fake Notion API: requests, wall time, budget use, peak RSS.

    .venv/bin/python bench/bench_full_export.py [--pages 300] [--latency 0.2] [--rate 20]

The fake server runs in a child process (so its memory is not counted); the sync runs
here, as `notion-syncd sync` would. Budget utilisation = requests / (wall time × rate).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SERVER = """
import sys
from datetime import UTC, datetime, timedelta
from notion_syncd.fake_notion import FakeClock, FakeNotionServer, Workspace, generate_workspace
ws = Workspace(FakeClock(datetime.now(UTC) - timedelta(hours=1)))  # edits have settled
generate_workspace(ws, pages={pages}, depth=5, databases={databases}, rows_per_database={rows})
server = FakeNotionServer(ws, token="secret_bench", latency={latency}).start()
print(server.base_url, flush=True)
sys.stdin.read()
server.stop()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--databases", type=int, default=3)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    from notion_syncd.config import load_settings
    from notion_syncd.sync.runner import run_sync

    code = SERVER.format(
        pages=args.pages, databases=args.databases, rows=args.rows, latency=args.latency
    )
    server = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None and server.stdin is not None
    base_url = server.stdout.readline().strip()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(
                None,
                overrides={
                    "notion": {
                        "token": "secret_bench",
                        "base_url": base_url,
                        "requests_per_second": args.rate,
                        "concurrency": args.concurrency,
                    },
                    "export": {"repo": str(Path(tmp) / "mirror")},
                },
                environ={},
            )
            started = time.monotonic()
            report = run_sync(settings)
            wall = time.monotonic() - started
            again_started = time.monotonic()
            second = run_sync(settings)
            again = time.monotonic() - again_started
    finally:
        server.stdin.close()
        server.wait(timeout=10)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "pages_and_rows": report.fetched,
        "requests": report.requests,
        "rate_limited": report.rate_limited,
        "wall_seconds": round(wall, 1),
        "budget_requests_per_second": args.rate,
        "achieved_requests_per_second": round(report.requests / wall, 2),
        "budget_utilisation_percent": round(100 * report.requests / (wall * args.rate), 1),
        "server_latency_seconds": args.latency,
        "peak_rss_mb": round(peak_rss_mb, 1),
        "second_sync_requests": second.requests,
        "second_sync_seconds": round(again, 2),
        "failed": report.failed,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

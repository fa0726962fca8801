"""A client budget set higher than the server allows: how many requests end in 429?

    .venv/bin/python bench/bench_pacing.py [--server-rate 3] [--client-rate 10] [--pages 200]

Runs a first export of a generated workspace against the fake Notion API whose token
bucket allows ``--server-rate`` requests/s (burst 10), with the client configured for
``--client-rate``. Prints requests, 429 answers (and their share), wall time and the
achieved rate as one JSON line. ``--fixed-pace`` turns the adaptive pacing off, for
comparison (the behaviour before it existed).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from synchelpers import TestClock, make_settings, serve

from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.fake_notion.faults import RateLimit
from notion_syncd.notion import ratelimit
from notion_syncd.sync.runner import run_sync


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server-rate", type=float, default=3.0)
    parser.add_argument("--client-rate", type=float, default=10.0)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--fixed-pace", action="store_true")
    args = parser.parse_args()
    if args.fixed_pace:
        ratelimit.SLOWDOWN_FACTOR = 1.0
        ratelimit.JITTER_SLOWDOWN_FACTOR = 1.0
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    generate_workspace(workspace, pages=args.pages, depth=4, databases=2, rows_per_database=20)
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    with serve(workspace) as server, tempfile.TemporaryDirectory() as folder:
        server.faults.rate_limit = RateLimit(requests_per_second=args.server_rate, burst=10)
        settings = make_settings(server, Path(folder) / "mirror", rate=args.client_rate)
        started = time.monotonic()
        report = run_sync(settings, now=clock)
        wall = time.monotonic() - started
    print(
        json.dumps(
            {
                "server_rate": args.server_rate,
                "client_rate": args.client_rate,
                "adaptive": not args.fixed_pace,
                "requests": report.requests,
                "rate_limited": report.rate_limited,
                "rate_limited_percent": round(100 * report.rate_limited / report.requests, 2),
                "complete": report.complete and report.failed == 0,
                "wall_seconds": round(wall, 1),
                "achieved_requests_per_second": round(report.requests / wall, 2),
            }
        )
    )


if __name__ == "__main__":
    main()

"""How much of the request budget the client uses at a given latency and concurrency.

Runs the real client against the fake Notion server on loopback, which answers every
request after ``--latency`` seconds, and fetches pages from a thread pool the way the sync
engine does. Prints the achieved rate next to the configured one.

    .venv/bin/python bench/bench_client_budget.py --latency 0.8 --workers 8 --requests 45
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from notion_syncd.fake_notion.server import FakeNotionServer
from notion_syncd.fake_notion.workspace import Workspace
from notion_syncd.notion.client import NotionClient


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per answer")
    parser.add_argument("--workers", type=int, default=8, help="thread pool size")
    parser.add_argument("--rate", type=float, default=3.0, help="client requests/second")
    parser.add_argument("--burst", type=int, default=3)
    parser.add_argument("--requests", type=int, default=30)
    options = parser.parse_args()

    workspace = Workspace()
    page_ids = [workspace.add_page(None, f"Page {n}") for n in range(options.requests)]
    with (
        FakeNotionServer(workspace, latency=options.latency) as server,
        NotionClient(
            "secret_fake",
            base_url=server.base_url,
            requests_per_second=options.rate,
            burst=options.burst,
        ) as client,
        ThreadPoolExecutor(options.workers) as pool,
    ):
        started = time.monotonic()
        list(pool.map(client.page, page_ids))
        elapsed = time.monotonic() - started
    achieved = options.requests / elapsed
    # The first `burst` requests are free; the rest are paced at `rate`.
    ideal = options.requests / ((options.requests - options.burst) / options.rate + options.latency)
    print(
        f"latency {options.latency:.2f} s, {options.workers} workers: "
        f"{options.requests} requests in {elapsed:.1f} s = {achieved:.2f} req/s "
        f"(limit {options.rate:.2f}, best possible {ideal:.2f}, "
        f"{100 * achieved / ideal:.0f} % of it)"
    )


if __name__ == "__main__":
    main()

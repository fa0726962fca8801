"""Budget use of a first export at a given latency and request budget (issue 10, item 5).

    .venv/bin/python bench/bench_budget.py [--pair 0.05:30 --pair 0.2:20 --pair 1:3]
        [--pages 200] [--concurrency N] [--timeline] [--tail N]

For each ``latency:rate`` pair the fake Notion API (a child process, so its CPU does
not compete with the sync's) serves a generated workspace (``--pages`` pages, 2
databases of 20 rows, files included), answering every request after ``latency``
seconds and allowing ``rate`` requests/s (token bucket, burst 10) before it answers
429. ``notion-syncd sync`` (in this process, ``requests_per_second = rate``) exports
it into an empty mirror; a transport around the client's records when every API
request was sent and answered.

Printed per pair (one JSON line; ``--timeline`` adds requests started per second):

- ``utilisation``: API requests sent ÷ (rate × busy period), where the busy period
  runs from the first API request sent to the last API answer received. File
  downloads are not API requests (signed S3 URLs, no Notion budget) and are left out
  of both. 100 % is the ceiling: the client's limiter never starts more than
  ``burst + rate × t`` requests in ``t`` seconds.
- ``rate_limited_percent``: API answers that were 429, ÷ API requests.
- ``over_minimum``: API requests ÷ the minimum, the requests of the same export with
  the API answering at once, no rate limit and one worker (every request the
  export needs, sent once: no retries, nothing fetched twice).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

SERVER = """
import sys
from datetime import UTC, datetime, timedelta
from notion_syncd.fake_notion import FakeClock, FakeNotionServer, Workspace, generate_workspace
from notion_syncd.fake_notion.faults import RateLimit
ws = Workspace(FakeClock(datetime.now(UTC) - timedelta(hours=1)))  # edits have settled
generate_workspace(ws, pages={pages}, depth=4, databases=2, rows_per_database=20)
server = FakeNotionServer(ws, token="secret_bench", latency={latency}).start()
if {rate} > 0:
    server.faults.rate_limit = RateLimit(requests_per_second={rate}, burst=10)
print(server.base_url, flush=True)
sys.stdin.read()
server.stop()
"""
TAIL = 0
"""Print the last this many requests of every export (``--tail``: what the tail waits for)."""
DEFINITION = (
    "utilisation = API requests / (rate x busy period); busy period = first API request "
    "sent .. last API answer received; file downloads excluded"
)


class RecordingTransport(httpx.BaseTransport):
    """Around the real transport: (sent, answered, status, is_api) of every request."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self._lock = threading.Lock()
        self.events: list[tuple[float, float, int, bool]] = []
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = time.monotonic()
        response = self._inner.handle_request(request)
        answered = time.monotonic()
        is_api = request.url.path.startswith("/v1/")
        with self._lock:
            self.events.append((sent, answered, response.status_code, is_api))
            self.paths.append(f"{request.method} {request.url.path}")
        return response

    def close(self) -> None:
        self._inner.close()


def export_once(
    pages: int, latency: float, rate: float, concurrency: int | None
) -> tuple[list[tuple[float, float, int, bool]], Any]:
    """One first export against a fresh fake server; the recorded requests and the report."""
    from notion_syncd.config import load_settings
    from notion_syncd.notion.client import NotionClient
    from notion_syncd.sync.runner import run_sync

    code = SERVER.format(pages=pages, latency=latency, rate=rate)
    server = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None and server.stdin is not None
    base_url = server.stdout.readline().strip()
    budget = rate if rate > 0 else 1000.0
    transport = RecordingTransport()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(
                None,
                overrides={
                    "notion": {
                        "token": "secret_bench",
                        "base_url": base_url,
                        "requests_per_second": budget,
                    }
                    | ({} if concurrency is None else {"concurrency": concurrency}),
                    "export": {"repo": str(Path(tmp) / "mirror")},
                },
                environ={},
            )
            with NotionClient(
                "secret_bench",
                base_url=base_url,
                requests_per_second=budget,
                burst=settings.notion.burst,
                transport=transport,
            ) as client:
                report = run_sync(settings, client=client)
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    if TAIL:
        order = sorted(range(len(transport.events)), key=lambda n: transport.events[n][0])
        first = transport.events[order[0]][0]
        for n in order[-TAIL:]:
            sent, answered, status, _api = transport.events[n]
            print(f"  {sent - first:7.2f} {answered - first:7.2f} {status} {transport.paths[n]}")
    return transport.events, report


def measure(
    events: list[tuple[float, float, int, bool]], rate: float, minimum: int
) -> dict[str, Any]:
    api = [event for event in events if event[3]]
    start = min(sent for sent, _answered, _status, _api in api)
    end = max(answered for _sent, answered, _status, _api in api)
    busy = end - start
    limited = sum(1 for event in api if event[2] == 429)
    return {
        "api_requests": len(api),
        "file_downloads": len(events) - len(api),
        "busy_seconds": round(busy, 2),
        "achieved_requests_per_second": round(len(api) / busy, 2),
        "utilisation_percent": round(100 * len(api) / (rate * busy), 1),
        "rate_limited": limited,
        "rate_limited_percent": round(100 * limited / len(api), 2),
        "minimum_requests": minimum,
        "over_minimum": round(len(api) / minimum, 3),
    }


def timeline(events: list[tuple[float, float, int, bool]]) -> list[int]:
    """API requests started in each second of the busy period."""
    api = sorted(sent for sent, _answered, _status, is_api in events if is_api)
    counts = [0] * (int(api[-1] - api[0]) + 1)
    for sent in api:
        counts[int(sent - api[0])] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pair", action="append", help="latency:rate (seconds:requests/s)")
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--concurrency", type=int, help="notion.concurrency (default: its own)")
    parser.add_argument("--timeline", action="store_true")
    parser.add_argument("--tail", type=int, default=0, help="print the last N requests")
    args = parser.parse_args()
    global TAIL
    TAIL = args.tail
    chosen = args.pair or ["0.05:30", "0.2:20", "1:3"]
    pairs = [(float(pair.split(":")[0]), float(pair.split(":")[1])) for pair in chosen]

    print(DEFINITION, flush=True)
    reference, _report = export_once(args.pages, 0.0, 0.0, 1)
    minimum = sum(1 for event in reference if event[3])
    for latency, rate in pairs:
        events, report = export_once(args.pages, latency, rate, args.concurrency)
        result: dict[str, Any] = {"latency": latency, "rate": rate, "pages": args.pages}
        result |= measure(events, rate, minimum)
        result["complete"] = report.complete and report.failed == 0
        if args.timeline:
            result["timeline"] = timeline(events)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

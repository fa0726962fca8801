"""Event-to-commit latency of the webhook path, with the poll at one hour.

Runs the daemon in-process against the fake Notion server on loopback with
``[webhooks]`` on, then ``--edits`` times: edits one page's title in the fake, POSTs its
signed ``page.content_updated`` event and waits until the title is committed. Prints
p50/p95/max of delivery→commit seconds as JSON.

The workspace is generated ``--age`` seconds in the past (default one hour), as an
existing workspace would be: a page fetched within two minutes of its last edit is
"unsettled" and fetched again by every sync until that passes (``planner.py``), so with
``--age 0`` the first two minutes of edits also pay for refetching the whole workspace.

    .venv/bin/python bench/bench_webhook.py --edits 50 --debounce 1s
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from notion_syncd.config import ServerSettings, load_settings
from notion_syncd.fake_notion import FakeNotionServer, Workspace, generate_workspace
from notion_syncd.logs import configure_logging
from notion_syncd.service.daemon import Daemon
from notion_syncd.webhooks.verify import sign

NOTION_TOKEN = "secret_bench_token_0123456789"
HOOK_TOKEN = "secret_bench_webhook_token_0123"


def head_has(repo: Path, text: str) -> bool:
    result = subprocess.run(
        ["git", "-C", str(repo), "grep", "-q", "-F", text, "HEAD", "--"], capture_output=True
    )
    return result.returncode == 0


class HeadWatch:
    """``head_has`` run when the branch moved (its reflog grew), and at least every
    half second: polling every 20 ms then mostly costs a stat, not a git process
    competing with the daemon for the CPU."""

    def __init__(self, repo: Path, branch: str = "main") -> None:
        self.repo = repo
        self.reflog = repo / ".git" / "logs" / "refs" / "heads" / branch
        self.checked_at_size = -2
        self.checked_at = 0.0

    def has(self, text: str) -> bool:
        try:
            size = self.reflog.stat().st_size
        except OSError:
            size = -1
        if size == self.checked_at_size and time.monotonic() - self.checked_at < 0.5:
            return False
        self.checked_at_size, self.checked_at = size, time.monotonic()
        return head_has(self.repo, text)


def wait(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise SystemExit("timed out")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--debounce", default="1s")
    parser.add_argument("--age", type=float, default=3600.0, help="seconds since the last edit")
    options = parser.parse_args()
    configure_logging("warning", "json")
    age = [options.age]
    workspace = Workspace(lambda: datetime.now(UTC) - timedelta(seconds=age[0]))
    pages = generate_workspace(workspace, pages=options.pages, databases=0)
    age[0] = 0.0  # from now on, edits happen now
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeNotionServer(workspace, token=NOTION_TOKEN) as server,
    ):
        root = Path(folder)
        (root / "hook-token").write_text(HOOK_TOKEN)
        (root / "config.toml").write_text("# passed directly\n")
        repo = root / "mirror"
        settings = load_settings(
            None,
            overrides={
                "notion": {
                    "token": NOTION_TOKEN,
                    "base_url": server.base_url,
                    "requests_per_second": 200,
                    "burst": 50,
                },
                "export": {"repo": str(repo)},
                "schedule": {"interval": "1h", "sweep_interval": "1h"},
                "webhooks": {
                    "enabled": True,
                    "listen": "127.0.0.1:0",
                    "debounce": options.debounce,
                    "verification_token_file": str(root / "hook-token"),
                },
            },
            environ={},
        ).model_copy(update={"server": ServerSettings(enabled=False)})
        daemon = Daemon(root / "config.toml", settings, environ={})
        thread = threading.Thread(target=daemon.run, daemon=True)
        thread.start()
        wait(lambda: daemon.webhooks is not None and (repo / ".git").exists())
        wait(lambda: head_has(repo, "") and not daemon._status.running)
        assert daemon.webhooks is not None
        url = daemon.webhooks.server.url + "/notion/webhook"
        latencies = []
        with httpx.Client(timeout=10) as client:
            for n in range(options.edits):
                page = pages[n % len(pages)]
                title = f"bench edit {n} {time.time_ns()}"
                workspace.set_title(page, title)
                body = json.dumps(
                    {
                        "id": f"bench-{n}",
                        "type": "page.content_updated",
                        "timestamp": "2026-11-30T00:00:00.000Z",
                        "entity": {"id": page, "type": "page"},
                        "authors": [],
                    }
                ).encode()
                sent = time.monotonic()
                response = client.post(
                    url, content=body, headers={"X-Notion-Signature": sign(body, HOOK_TOKEN)}
                )
                assert response.status_code == 200
                wait(functools.partial(HeadWatch(repo).has, title))
                latencies.append(time.monotonic() - sent)
        daemon.request_stop()
        thread.join(timeout=20)
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    print(
        json.dumps(
            {
                "edits": len(latencies),
                "debounce": options.debounce,
                "age_s": options.age,
                "p50_s": round(statistics.median(latencies), 2),
                "p95_s": round(p95, 2),
                "max_s": round(latencies[-1], 2),
            }
        )
    )


if __name__ == "__main__":
    main()

"""Shared pieces for end-to-end sync tests: a ticking clock, a workspace, settings."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from notion_syncd.config import Settings, load_settings
from notion_syncd.fake_notion import FakeNotionServer, Workspace

TOKEN = "secret_test_token_0123456789"


class TestClock:
    """A fake clock that can tick on every read (to spread generated timestamps)."""

    __test__ = False

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
        self._lock = threading.Lock()
        self.tick = timedelta(0)

    def __call__(self) -> datetime:
        with self._lock:
            self._now += self.tick
            return self._now

    def advance(self, **delta: float) -> None:
        with self._lock:
            self._now += timedelta(**delta)


def make_settings(
    server: FakeNotionServer, repo: Path, *, rate: float = 200, **sections: dict[str, Any]
) -> Settings:
    overrides: dict[str, Any] = {
        "notion": {
            "token": TOKEN,
            "base_url": server.base_url,
            "requests_per_second": rate,
            "burst": 10,
            "max_retry_time": 120,
        },
        "export": {"repo": str(repo), "formats": ["markdown", "json", "csv", "html"]},
    }
    for name, values in sections.items():
        overrides[name] = {**overrides.get(name, {}), **values}
    return load_settings(None, overrides=overrides, environ={})


IN_PROCESS_URL = "http://fake-notion.test"
"""The base URL of a client whose transport is the fake's ``handle`` (no server)."""


def in_process_settings(
    repo: Path, *, concurrency: int = 1, formats: tuple[str, ...], **sections: dict[str, Any]
) -> Settings:
    """Settings for a sync through an in-process transport (``httpx.MockTransport`` of
    ``FakeNotion.handle``): no rate limit worth waiting for; ``sections`` are added."""
    overrides: dict[str, Any] = {
        "notion": {
            "token": TOKEN,
            "base_url": IN_PROCESS_URL,
            "requests_per_second": 1000,
            "burst": 1000,
            "concurrency": concurrency,
        },
        "export": {"repo": str(repo), "formats": list(formats)},
    }
    for name, values in sections.items():
        overrides[name] = {**overrides.get(name, {}), **values}
    return load_settings(None, overrides=overrides, environ={})


@contextmanager
def serve(workspace: Workspace, **options: Any) -> Iterator[FakeNotionServer]:
    server = FakeNotionServer(workspace, token=TOKEN, **options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def changed_files(repo: Path, rev: str = "HEAD") -> set[str]:
    out = git(repo, "show", "--name-only", "--format=", "--no-renames", rev)
    return {line for line in out.splitlines() if line}


def fetch_tree(base_url: str, block_id: str) -> list[dict[str, Any]]:
    """The block tree as the server holds it, read with plain httpx (independent of our client)."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Notion-Version": "2025-09-03"}
    blocks: list[dict[str, Any]] = []
    cursor = None
    with httpx.Client(base_url=base_url, headers=headers) as http:
        while True:
            params = {"page_size": 100, **({"start_cursor": cursor} if cursor else {})}
            body = http.get(f"/v1/blocks/{block_id}/children", params=params).json()
            for block in body["results"]:
                if block["has_children"] and block["type"] not in ("child_page", "child_database"):
                    response = http.get(f"/v1/blocks/{block['id']}/children")
                    if response.status_code == 200:
                        block["children"] = fetch_tree(base_url, block["id"])
                blocks.append(block)
            if not body["has_more"]:
                return blocks
            cursor = body["next_cursor"]


def without_files(node: Any) -> Any:
    """A record with hosted-file objects blanked (their URLs are signed or made local)."""
    if isinstance(node, list):
        return [without_files(item) for item in node]
    if isinstance(node, dict):
        if node.get("type") == "file" and isinstance(node.get("file"), dict):
            return {
                key: value for key, value in node.items() if key not in ("file", "download_error")
            }
        return {
            key: without_files(value)
            for key, value in node.items()
            if key not in ("children_error",)
        }
    return node

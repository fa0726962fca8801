"""The webhook receiver over loopback: handshake, signatures, limits, the journal."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from notion_syncd.config import WebhookSettings
from notion_syncd.webhooks.receiver import WebhookReceiver, WebhookServer
from notion_syncd.webhooks.store import read_stored_token
from notion_syncd.webhooks.verify import MAX_BODY, Event, sign

TOKEN = "secret_webhook_verification_abc"
PATH = "/notion/webhook"


def event_body(n: int, entity: str = "page-1", kind: str = "page.content_updated") -> bytes:
    event = {
        "id": f"ev-{n}",
        "timestamp": "2026-11-30T06:00:00.000Z",
        "workspace_id": "ws",
        "subscription_id": "sub",
        "integration_id": "int",
        "type": kind,
        "authors": [{"id": "user-1", "type": "person"}],
        "attempt_number": 1,
        "entity": {"id": entity, "type": "page"},
        "data": {},
    }
    return json.dumps(event).encode()


class Running:
    def __init__(self, git_dir: Path, token_file: Path | None) -> None:
        self.events: list[Event] = []
        settings = WebhookSettings(
            enabled=True, listen="127.0.0.1:0", verification_token_file=token_file
        )
        self.receiver = WebhookReceiver(
            settings, git_dir, environ={}, on_event=lambda e, _t: self.events.append(e)
        )
        self.server = WebhookServer("127.0.0.1:0", self.receiver)
        self.server.start()
        self.client = httpx.Client(base_url=self.server.url, timeout=10)

    def post(self, body: bytes, signature: str | None = None, path: str = PATH) -> int:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Notion-Signature"] = signature
        return self.client.post(path, content=body, headers=headers).status_code


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    server = Running(tmp_path / "git", token_file)
    try:
        yield server
    finally:
        server.client.close()
        server.server.stop()


def test_receiver_good_signature_is_journaled(running: Running) -> None:
    """A signed event is answered 200 after it is in the journal, then handed on."""
    body = event_body(1)
    assert running.post(body, sign(body, TOKEN)) == 200
    assert [event.id for event in running.receiver.journal.events()] == ["ev-1"]
    assert [event.entity_id for event in running.events] == ["page-1"]


def test_receiver_bad_or_missing_signature_is_401(running: Running) -> None:
    """A wrong or missing signature gets 401 and changes nothing."""
    body = event_body(1)
    assert running.post(body, sign(body, "not-the-token")) == 401
    assert running.post(body) == 401
    assert running.receiver.journal.events() == [] and running.events == []


def test_receiver_oversize_and_bad_json(running: Running) -> None:
    """A body over the bound is 413, a body that is not JSON 400, another path 404."""
    big = b"{" + b" " * MAX_BODY + b"}"
    assert running.post(big, sign(big, TOKEN)) == 413
    assert running.post(b"{nope", sign(b"{nope", TOKEN)) == 400
    body = event_body(1)
    assert running.post(body, sign(body, TOKEN), path="/other") == 404
    assert running.receiver.journal.events() == []


def test_receiver_handshake_stores_token_privately(tmp_path: Path) -> None:
    """With no configured token, the handshake's token is stored and then signs events."""
    git_dir = tmp_path / "git"
    running = Running(git_dir, None)
    try:
        assert running.post(json.dumps({"verification_token": TOKEN}).encode()) == 200
        assert read_stored_token(git_dir) == TOKEN
        body = event_body(2)
        assert running.post(body, sign(body, TOKEN)) == 200
        assert [event.id for event in running.events] == ["ev-2"]
    finally:
        running.client.close()
        running.server.stop()


def test_receiver_token_not_in_logs_or_metrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The handshake token appears in no log line and no metric."""
    from prometheus_client import generate_latest

    from notion_syncd.logs import configure_logging
    from notion_syncd.metrics import REGISTRY

    configure_logging("debug", "json")
    running = Running(tmp_path / "git", None)
    try:
        assert running.post(json.dumps({"verification_token": TOKEN}).encode()) == 200
        body = event_body(3)
        assert running.post(body, sign(body, TOKEN)) == 200
    finally:
        running.client.close()
        running.server.stop()
    captured = capsys.readouterr()
    assert "webhook.verification_received" in captured.out + captured.err
    assert TOKEN not in captured.out + captured.err
    assert TOKEN.encode() not in generate_latest(REGISTRY)


def test_receiver_busy_beyond_the_cap_gets_503(tmp_path: Path) -> None:
    """With every slot held by a slow client, another request is answered 503 at once;
    a freed slot serves again."""
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    receiver = WebhookReceiver(
        WebhookSettings(enabled=True, verification_token_file=token_file),
        tmp_path / "git",
        environ={},
        on_event=lambda _e, _t: None,
    )
    server = WebhookServer("127.0.0.1:0", receiver, max_concurrent=2)
    server.start()
    host, port = server.url.removeprefix("http://").split(":")
    slow = [socket.create_connection((host, int(port))) for _ in range(2)]
    try:
        for connection in slow:  # a request line, then nothing: each holds a handler
            connection.sendall(b"POST /notion/webhook HTTP/1.1\r\n")
        body = event_body(1)
        started = time.monotonic()
        answer = httpx.post(
            server.url + PATH, content=body, headers={"X-Notion-Signature": sign(body, TOKEN)}
        )
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
        assert time.monotonic() - started < 5.0  # a slot would free only after 10 s
        assert receiver.journal.events() == []
        for connection in slow:
            connection.close()
        deadline = time.monotonic() + 10
        status = 503
        while status == 503 and time.monotonic() < deadline:
            status = httpx.post(
                server.url + PATH, content=body, headers={"X-Notion-Signature": sign(body, TOKEN)}
            ).status_code
        assert status == 200
    finally:
        for connection in slow:
            connection.close()
        server.stop()

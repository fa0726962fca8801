"""The webhook receiver: its own HTTP listener, separate from health and metrics.

Only ``POST <webhooks.path>`` is served. The token that signs events is, in order,
``webhooks.verification_token_file``, the systemd credential ``notion-webhook-token``,
or the one Notion sent at the handshake (kept by :mod:`.store`). A verified event is
appended to the journal and fsynced *before* the 200, then handed to ``on_event``. The
token is registered with the log scrubber and never logged, answered or counted.
At most :data:`MAX_CONCURRENT` requests are handled at once, each on its own thread;
a connection beyond that is answered 503 at once by the accepting thread and closed,
so a flood cannot pile up threads (Notion retries a 5xx).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import structlog

from notion_syncd import metrics
from notion_syncd.config import WebhookSettings, credential_path
from notion_syncd.logs import register_secret
from notion_syncd.service.health import parse_listen
from notion_syncd.webhooks.health import TokenSource
from notion_syncd.webhooks.store import (
    Journal,
    read_last_event,
    read_stored_token,
    record_last_event,
    store_token,
)
from notion_syncd.webhooks.verify import MAX_BODY, SIGNATURE_HEADER, Event, Verdict, classify

log = structlog.get_logger(__name__)

CREDENTIAL = "notion-webhook-token"
#: Requests handled at once; Notion delivers one event per request, a few at a time.
MAX_CONCURRENT = 16
#: Seconds a connection may take to send its request before it is dropped.
REQUEST_TIMEOUT = 10
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 5\r\nRetry-After: 1\r\nConnection: close\r\n\r\nbusy\n"
)
_ANSWERS = {
    200: b"ok\n",
    400: b"bad request\n",
    401: b"bad signature\n",
    404: b"not found\n",
    405: b"method not allowed\n",
    411: b"length required\n",
    413: b"too large\n",
}


def configured_token(settings: WebhookSettings, environ: Mapping[str, str]) -> str | None:
    """The token given by config or credential, if any (registered for scrubbing)."""
    path = settings.verification_token_file or credential_path(CREDENTIAL, environ)
    if path is None:
        return None
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        log.error("webhook.token_unreadable", path=str(path), error=error.strerror)
        return None
    register_secret(token)
    return token or None


class WebhookReceiver:
    """Decides and records; :class:`WebhookServer` only moves bytes."""

    def __init__(
        self,
        settings: WebhookSettings,
        git_dir: Path,
        *,
        environ: Mapping[str, str],
        on_event: Callable[[Event, float], None],
    ) -> None:
        self.path = settings.path
        self.git_dir = git_dir
        self.journal = Journal(git_dir)
        self._configured = configured_token(settings, environ)
        stored = read_stored_token(git_dir)
        register_secret(stored)
        self._stored = stored
        self._on_event = on_event
        self.last_event = read_last_event(git_dir)
        """Unix time of the last verified event (this run or an earlier one)."""
        metrics.WEBHOOK_VERIFIED.set(1 if self.token() else 0)

    def token(self) -> str | None:
        return self._configured or self._stored

    @property
    def token_source(self) -> TokenSource:
        if self._configured:
            return "configured"
        return "received" if self._stored else "none"

    def handle(self, path: str, signature: str | None, body: bytes) -> int:
        """The status to answer to ``POST path``; durable effects happen before it returns."""
        if path != self.path:
            return HTTPStatus.NOT_FOUND
        verdict = classify(body, signature, self.token())
        if verdict.outcome == "handshake":
            return self._handshake(verdict)
        if verdict.event is None:
            metrics.WEBHOOK_EVENTS.labels("none", verdict.outcome).inc()
            log.warning("webhook.refused", outcome=verdict.outcome, status=verdict.status)
            return verdict.status
        event = verdict.event
        self.journal.append(event)
        received = time.time()
        self.last_event = received
        try:
            record_last_event(self.git_dir, received)
        except OSError as error:  # only informs `status`; the event itself is durable
            log.warning("webhook.last_event_unrecorded", error=error.strerror)
        metrics.WEBHOOK_LAST_EVENT.set(received)
        metrics.WEBHOOK_EVENTS.labels(metrics.webhook_type_label(event.type), "accepted").inc()
        log.debug("webhook.event", id=event.id, type=event.type, entity=event.entity_id)
        self._on_event(event, received)
        return HTTPStatus.OK

    def _handshake(self, verdict: Verdict) -> int:
        token = verdict.verification_token
        assert token is not None
        register_secret(token)
        store_token(self.git_dir, token)
        self._stored = token
        metrics.WEBHOOK_VERIFIED.set(1)
        metrics.WEBHOOK_EVENTS.labels("none", "handshake").inc()
        log.warning(
            "webhook.verification_received",
            detail="run `notion-syncd webhooks token` and paste the token into Notion",
            configured_token_wins=self._configured is not None,
        )
        return HTTPStatus.OK


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], receiver: WebhookReceiver, max_concurrent: int
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.receiver = receiver
        self._slots = threading.BoundedSemaphore(max_concurrent)
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Start a handler thread if a slot is free, else answer 503 from this thread."""
        if not self._slots.acquire(blocking=False):
            metrics.WEBHOOK_EVENTS.labels("none", "busy").inc()
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def _refuse(self, request: socket.socket) -> None:
        try:
            request.settimeout(0.5)
            request.sendall(_BUSY)
            request.setblocking(False)
            while request.recv(65536):  # what already arrived, so close() sends no reset
                pass
        except OSError:
            pass
        self.shutdown_request(request)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "notion-syncd"
    sys_version = ""
    timeout = REQUEST_TIMEOUT

    def do_POST(self) -> None:
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.strip().isdigit():
            self._answer(HTTPStatus.LENGTH_REQUIRED)
            return
        length = int(length_text)
        if length > MAX_BODY:
            metrics.WEBHOOK_EVENTS.labels("none", "too_large").inc()
            self.close_connection = True
            self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        body = self.rfile.read(length)
        path = self.path.split("?", 1)[0]
        try:
            status = self.server.receiver.handle(path, self.headers.get(SIGNATURE_HEADER), body)
        except Exception:  # a bug or a full disk: no 2xx, so Notion retries
            log.exception("webhook.failed")
            status = HTTPStatus.INTERNAL_SERVER_ERROR
        self._answer(status)

    def do_GET(self) -> None:
        self._answer(HTTPStatus.METHOD_NOT_ALLOWED)

    def _answer(self, status: int) -> None:
        body = _ANSWERS.get(status, b"error\n")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("webhook.request", client=self.client_address[0], line=format % args)


class WebhookServer:
    """Serves a :class:`WebhookReceiver` from a background thread."""

    def __init__(
        self, listen: str, receiver: WebhookReceiver, max_concurrent: int = MAX_CONCURRENT
    ) -> None:
        self.listen = listen
        self.receiver = receiver
        self.max_concurrent = max_concurrent
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind and serve; raises OSError when the address cannot be bound."""
        self._server = _Server(parse_listen(self.listen), self.receiver, self.max_concurrent)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="webhook-http",
            daemon=True,
        )
        self._thread.start()
        log.info("webhook.listening", url=self.url, path=self.receiver.path)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the webhook server is not started")
        host, port = (str(part) for part in self._server.server_address[:2])
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

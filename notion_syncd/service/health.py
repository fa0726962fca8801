"""Health and metrics over HTTP: ``/healthz``, ``/readyz``, ``/metrics``.

``/healthz`` (alias ``/livez``) answers 200 while the process and its scheduler loop
are alive, 503 ``stalled`` when the loop stopped ticking and 503 ``failed`` once the
daemon gave up after permanent failures (it exits right after); it never asks Notion or
a git remote, so a dependency blip cannot get the service restarted. ``/readyz``
answers 200 while the daemon can sync (see ``SyncStatus.readiness``), else 503; bodies
are a status word with a short detail (an error class, a count), never an exception
string. ``/metrics`` serves the process's Prometheus registry.

Binds ``127.0.0.1:9184`` unless configured otherwise (prometheus_client's own server
would bind every interface). Port 0 picks a free port; :attr:`HealthServer.address`
reports it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from notion_syncd.metrics import REGISTRY

log = structlog.get_logger(__name__)

#: True/False, or (alive, word) to say why.
Liveness = Callable[[], bool | tuple[bool, str]]
Readiness = Callable[[], tuple[bool, str]]


def parse_listen(listen: str) -> tuple[str, int]:
    """``("127.0.0.1", 9184)`` from ``"127.0.0.1:9184"``; ``[::1]:9184`` for IPv6."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise ValueError(f"{listen!r} is not HOST:PORT")
    return host, int(port)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: HealthServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "notion-syncd"
    sys_version = ""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        path = self.path.split("?", 1)[0]
        try:
            status, content_type, body = self.server.app.respond(path)
        except Exception:  # a bug in a probe must not kill the server thread
            log.exception("health.failed", path=path)
            status, content_type, body = 500, "text/plain; charset=utf-8", b"error\n"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http.request", client=self.client_address[0], line=format % args)


class HealthServer:
    """The HTTP endpoint, served from a background thread."""

    def __init__(
        self,
        listen: str,
        *,
        live: Liveness,
        ready: Readiness,
        registry: CollectorRegistry = REGISTRY,
    ) -> None:
        self.listen = listen
        self._live = live
        self._ready = ready
        self._registry = registry
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def respond(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of ``path``."""
        text = "text/plain; charset=utf-8"
        if path in ("/healthz", "/livez"):
            live = self._live()
            alive, word = live if isinstance(live, tuple) else (live, "ok" if live else "stalled")
            status = HTTPStatus.OK if alive else HTTPStatus.SERVICE_UNAVAILABLE
            return status, text, f"{word}\n".encode()
        if path == "/readyz":
            ready, word = self._ready()
            status = HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE
            return status, text, f"{word}\n".encode()
        if path == "/metrics":
            return HTTPStatus.OK, CONTENT_TYPE_LATEST, generate_latest(self._registry)
        return HTTPStatus.NOT_FOUND, text, b"not found\n"

    def start(self) -> None:
        """Bind and serve; raises OSError when the address cannot be bound."""
        self._server = _Server(parse_listen(self.listen), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="health-http",
            daemon=True,
        )
        self._thread.start()
        log.info("health.listening", url=self.url)

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port), with the real port when 0 was configured."""
        if self._server is None:
            raise RuntimeError("the health server is not started")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

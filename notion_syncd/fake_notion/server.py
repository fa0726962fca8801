"""The fake Notion API over real HTTP/1.1 on loopback: a thin adapter around ``handle``.

    with FakeNotionServer(workspace) as server:
        client = NotionClient("secret_fake", base_url=server.base_url)
        ...
        server.request_log.count("blocks.children")

Every request is turned into an ``httpx.Request`` and answered by
:meth:`FakeNotion.handle <notion_syncd.fake_notion.api.FakeNotion.handle>`; this module only
adds what a socket can do and a function cannot: a stalled request hangs until ``stop()``,
a reset closes the connection with a TCP RST, and a :class:`HoldPoint` holds the N-th
request (before it is applied, or after, with its answer unsent) so that a test can kill
the client process at that exact instant.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import httpx

from notion_syncd.fake_notion.api import (
    DEFAULT_VERSIONS,
    ConnectionReset,
    FakeNotion,
    RequestStalled,
)
from notion_syncd.fake_notion.faults import Faults, RateLimit
from notion_syncd.fake_notion.request_log import RequestLog
from notion_syncd.fake_notion.workspace import Workspace


class HoldPoint:
    """Hold the ``request``-th request served (1 = the first), then drop its connection.

    ``answered=False`` holds it before the fake applies it; ``answered=True`` applies it
    and holds the answer, so the client never learns that it landed. ``reached`` is set
    when the request is held; the held connection is closed, unanswered, once
    ``release`` is set (or the server stops).
    """

    def __init__(self, request: int, *, answered: bool) -> None:
        self.request = request
        self.answered = answered
        self.reached = threading.Event()
        self.release = threading.Event()


class FakeNotionServer:
    """Serves a ``Workspace`` as the Notion API on ``127.0.0.1`` (options: see ``FakeNotion``)."""

    def __init__(
        self,
        workspace: Workspace,
        token: str = "secret_fake",
        *,
        integration_name: str = "notion-syncd-fake",
        version_allowed: tuple[str, ...] = DEFAULT_VERSIONS,
        latency: float = 0.0,
        page_size_cap: int = 100,
        query_result_cap: int = 10_000,
        rate_limit: RateLimit | None = None,
        file_url_lifetime: float = 3600.0,
        search_lag: float = 0.0,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.fake = FakeNotion(
            workspace,
            token,
            integration_name=integration_name,
            version_allowed=version_allowed,
            latency=latency,
            page_size_cap=page_size_cap,
            query_result_cap=query_result_cap,
            rate_limit=rate_limit,
            file_url_lifetime=file_url_lifetime,
            search_lag=search_lag,
            seed=seed,
        )
        self._address = (host, port)
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()
        self.hold: HoldPoint | None = None
        self._served = 0
        self._served_lock = threading.Lock()
        self._number = threading.local()  # the number of the request this thread serves

    # ------------------------------------------------------------------ the fake's settings

    @property
    def workspace(self) -> Workspace:
        """The workspace served."""
        return self.fake.workspace

    @property
    def token(self) -> str:
        """The one token accepted."""
        return self.fake.token

    @property
    def faults(self) -> Faults:
        """Fault injection, applied by ``FakeNotion.handle``."""
        return self.fake.faults

    @property
    def request_log(self) -> RequestLog:
        """Every request answered (or dropped)."""
        return self.fake.request_log

    @property
    def page_size_cap(self) -> int:
        """Results per page at most."""
        return self.fake.page_size_cap

    @page_size_cap.setter
    def page_size_cap(self, value: int) -> None:
        self.fake.page_size_cap = value

    @property
    def query_result_cap(self) -> int:
        """Results per data source query at most (then ``request_status`` incomplete)."""
        return self.fake.query_result_cap

    @query_result_cap.setter
    def query_result_cap(self, value: int) -> None:
        self.fake.query_result_cap = value

    @property
    def served(self) -> int:
        """How many requests reached the server so far (what a ``HoldPoint`` counts)."""
        with self._served_lock:
            return self._served

    def held(self, *, answered: bool) -> HoldPoint | None:
        """The hold point when the request being served is the held one (counts requests)."""
        hold = self.hold
        if not answered:
            with self._served_lock:
                self._served += 1
                number = self._served
            self._number.value = number
        if hold is None or hold.answered != answered or self._number.value != hold.request:
            return None
        hold.reached.set()
        while not (hold.release.wait(0.05) or self.stopping.is_set()):
            pass
        return hold

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeNotionServer:
        """Start serving in a background thread; returns self."""
        if self._http is not None:
            return self
        self.stopping.clear()
        self.fake.interrupted.clear()
        self._http = _HttpServer(self._address, _Handler, self)
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-notion-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: stalled requests give up, open connections are closed."""
        if self._http is None:
            return
        self.stopping.set()
        self.fake.interrupted.set()
        self._http.shutdown()
        self._http.close_connections()
        self._http.server_close()
        if self._thread is not None:
            self._thread.join()
        self._http = None
        self._thread = None

    def __enter__(self) -> FakeNotionServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (the API lives under ``/v1``)."""
        if self._http is None:
            raise RuntimeError("the fake Notion server is not running; call start()")
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], owner: FakeNotionServer
    ) -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def close_connections(self) -> None:
        with self.connections_lock:
            open_connections = list(self.connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid 40 ms stalls
    server_version = "cloudflare"
    sys_version = ""
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the stdlib's per-request stderr logging."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        request = httpx.Request(
            method,
            owner.base_url + self.path,
            headers=list(self.headers.items()),
            content=raw_body,
        )
        if owner.held(answered=False) is not None:
            self.close_connection = True
            return
        try:
            response = owner.fake.handle(request)
        except RequestStalled:
            owner.stopping.wait()
            self.close_connection = True
            return
        except ConnectionReset:
            self._reset()
            return
        if owner.held(answered=True) is not None:
            self.close_connection = True
            return
        try:
            self.send_response(response.status_code)
            for name, value in response.headers.raw:
                self.send_header(name.decode("latin-1"), value.decode("latin-1"))
            self.end_headers()
            self.wfile.write(response.content)
        except OSError:
            self.close_connection = True

    def _reset(self) -> None:
        """Close with a TCP RST: SO_LINGER 0, then close every reference to the socket."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            self.rfile.close()
            self.wfile.close()
            self.connection.close()

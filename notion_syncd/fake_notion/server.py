"""The fake Notion API over real HTTP/1.1 on loopback.

    with FakeNotionServer(workspace) as server:
        client = NotionClient("secret_fake", base_url=server.base_url)
        ...
        server.request_log.count("blocks.children")

Order of checks per request: faults (``server.faults``), then ``Notion-Version``, then the
token, then the route. Every JSON body ends with ``request_id`` (also sent as
``x-notion-request-id``). Hosted files are served at ``/_files/<id>/<name>`` behind signed
URLs that expire by the workspace clock.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from notion_syncd.fake_notion.faults import FaultAction, Faults, RateLimit
from notion_syncd.fake_notion.files import FileSigner, s3_error_body, sign_urls
from notion_syncd.fake_notion.handlers import ApiRequest, Endpoints, Limits
from notion_syncd.fake_notion.ids import IdFactory
from notion_syncd.fake_notion.request_log import RequestLog, RequestLogEntry
from notion_syncd.fake_notion.responses import ApiError, ApiResponse, invalid_request_url
from notion_syncd.fake_notion.routing import FILE_ROUTE, endpoint_of, match_route
from notion_syncd.fake_notion.workspace import Workspace

JSON = dict[str, Any]
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
STATUS_LOG_NO_RESPONSE = 0  # stalled or reset: nothing was sent


class FakeNotionServer:
    """Serves a ``Workspace`` as the Notion API on ``127.0.0.1``."""

    def __init__(
        self,
        workspace: Workspace,
        token: str = "secret_fake",
        *,
        integration_name: str = "notion-syncd-fake",
        version_allowed: tuple[str, ...] = ("2025-09-03", "2026-03-11"),
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
        self.workspace = workspace
        self.token = token
        self.integration_name = integration_name
        self.version_allowed = tuple(version_allowed)
        self.page_size_cap = page_size_cap
        self.query_result_cap = query_result_cap
        self.faults = Faults(seed=seed, rate_limit=rate_limit, latency=latency)
        self.faults.search_lag = search_lag
        self.request_log = RequestLog()
        self.files = FileSigner(f"fake-notion-{seed}".encode(), workspace.now, file_url_lifetime)
        self.reject_authorization_on_files = True
        self.endpoints = Endpoints(workspace, integration_name)
        self._request_ids = IdFactory(seed + 7919)
        self._ids_lock = threading.Lock()
        self._address = (host, port)
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeNotionServer:
        """Start serving in a background thread; returns self."""
        if self._http is not None:
            return self
        self.stopping.clear()
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

    @property
    def limits(self) -> Limits:
        """The caps in force now."""
        return Limits(self.page_size_cap, self.query_result_cap, self.faults.search_lag)

    def new_request_id(self) -> str:
        """A fresh request id."""
        with self._ids_lock:
            return self._request_ids.new_uuid()

    # ------------------------------------------------------------------ answering

    def answer_api(self, method: str, target: str, headers: Any, raw_body: bytes) -> ApiResponse:
        """Check headers, route and run one API request; raises ``ApiError``."""
        version = headers.get("Notion-Version")
        if not version:
            raise ApiError(
                400,
                "missing_version",
                "Notion-Version header failed validation: Notion-Version header should be "
                "defined, instead was `undefined`.",
            )
        if version not in self.version_allowed:
            allowed = ", ".join(f'"{item}"' for item in self.version_allowed)
            raise ApiError(
                400,
                "validation_error",
                f"Notion-Version header failed validation: Notion-Version header should be one "
                f'of {allowed}, instead was `"{version}"`.',
            )
        if headers.get("Authorization") != f"Bearer {self.token}":
            raise ApiError(401, "unauthorized", "API token is invalid.")
        split = urlsplit(target)
        matched = match_route(method, split.path)
        if matched is None:
            raise invalid_request_url()
        endpoint, params = matched
        body: JSON = {}
        if raw_body.strip():
            try:
                parsed = json.loads(raw_body)
            except ValueError:
                raise ApiError(400, "invalid_json", "Error parsing JSON body.") from None
            if not isinstance(parsed, dict):
                raise ApiError(400, "invalid_json", "Error parsing JSON body.")
            body = parsed
        request = ApiRequest(
            method=method,
            path=split.path,
            params={
                key: unquote(value) if key != "property_id" else value
                for key, value in params.items()
            },
            query=parse_qs(split.query, keep_blank_values=True),
            body=body,
            version=version,
            base_url=self.base_url,
        )
        response = self.endpoints.handle(endpoint, request, self.limits)
        response.body = sign_urls(response.body, self.files, self.base_url)
        return response

    def answer_file(self, target: str, headers: Any) -> tuple[int, bytes, str]:
        """``(status, body, content type)`` for a hosted-file download."""
        split = urlsplit(target)
        found = FILE_ROUTE.match(split.path)
        request_id = self.new_request_id()
        if found is None:
            return (
                404,
                s3_error_body("NoSuchKey", "The specified key does not exist.", request_id),
                "application/xml",
            )
        if self.reject_authorization_on_files and headers.get("Authorization"):
            return (
                400,
                s3_error_body(
                    "InvalidArgument",
                    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                    "Signature query string parameter or the Authorization header should be "
                    "specified",
                    request_id,
                ),
                "application/xml",
            )
        problem = self.files.check(found["file_id"], parse_qs(split.query))
        with self.workspace.lock:
            hosted = self.workspace.files.get(found["file_id"])
        if problem is None and hosted is None:
            problem = ("NoSuchKey", "The specified key does not exist.")
        if problem is not None or hosted is None:
            code, message = problem or ("NoSuchKey", "The specified key does not exist.")
            status = 404 if code == "NoSuchKey" else 403
            return status, s3_error_body(code, message, request_id), "application/xml"
        return 200, hosted.data, hosted.content_type


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], fake: FakeNotionServer
    ) -> None:
        self.fake = fake
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

    # ------------------------------------------------------------------ one request

    def _serve(self, method: str) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        endpoint = endpoint_of(method, split.path)
        action = fake.faults.decide(
            method, split.path, endpoint, _is_continuation(split.query, raw_body)
        )
        if action is not None and action.kind == "stall":
            fake.stopping.wait()
            self._drop(method, endpoint)
            return
        if fake.faults.latency > 0 and fake.stopping.wait(fake.faults.latency):
            self._drop(method, endpoint)
            return
        if action is not None and action.kind == "reset":
            self._reset(method, endpoint)
            return
        if action is not None and action.kind == "status":
            self._send_fault(method, endpoint, action, raw_body)
            return
        if endpoint == "files.download":
            status, body, content_type = fake.answer_file(self.path, self.headers)
            self._send(method, endpoint, status, body, content_type, {})
            return
        try:
            response = fake.answer_api(method, self.path, self.headers, raw_body)
        except ApiError as error:
            self._send_json(method, endpoint, error.status, error.body(), error.headers)
            return
        if action is not None and action.kind == "malformed":
            broken = json.dumps(response.body).encode()[:40]
            self._send(method, endpoint, 200, broken, JSON_CONTENT_TYPE, {})
            return
        self._send_json(method, endpoint, response.status, response.body, response.headers)

    def _send_fault(self, method: str, endpoint: str, action: FaultAction, raw_body: bytes) -> None:
        headers: dict[str, str] = {}
        if action.retry_after is not None:
            headers["Retry-After"] = str(action.retry_after)
        if action.status == 502:
            self._send(method, endpoint, 502, BAD_GATEWAY_HTML, "text/html", headers)
            return
        message = action.message
        if message == "stale_cursor":
            message = "The start_cursor provided is invalid: " + _cursor_of(self.path, raw_body)
        error = ApiError(action.status, action.code, message)
        body = error.body()
        if action.status == 429:
            body["additional_data"] = {"rate_limit_reason": "integration_rate_limit"}
        self._send_json(method, endpoint, action.status, body, headers)

    def _send_json(
        self, method: str, endpoint: str, status: int, body: JSON, headers: dict[str, str]
    ) -> None:
        request_id = self.server.fake.new_request_id()
        payload = json.dumps({**body, "request_id": request_id}, ensure_ascii=False).encode()
        self._send(
            method,
            endpoint,
            status,
            payload,
            JSON_CONTENT_TYPE,
            {**headers, "x-notion-request-id": request_id},
        )

    def _send(
        self,
        method: str,
        endpoint: str,
        status: int,
        payload: bytes,
        content_type: str,
        headers: dict[str, str],
    ) -> None:
        self.server.fake.request_log.append(RequestLogEntry(method, self.path, status, endpoint))
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True

    def _drop(self, method: str, endpoint: str) -> None:
        self.server.fake.request_log.append(
            RequestLogEntry(method, self.path, STATUS_LOG_NO_RESPONSE, endpoint)
        )
        self.close_connection = True

    def _reset(self, method: str, endpoint: str) -> None:
        """Close with a TCP RST: SO_LINGER 0, then close every reference to the socket."""
        self._drop(method, endpoint)
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            self.rfile.close()
            self.wfile.close()
            self.connection.close()


def _is_continuation(query: str, raw_body: bytes) -> bool:
    if "start_cursor" in parse_qs(query):
        return True
    if b"start_cursor" not in raw_body:
        return False
    try:
        body = json.loads(raw_body)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("start_cursor") is not None


def _cursor_of(target: str, raw_body: bytes) -> str:
    values = parse_qs(urlsplit(target).query).get("start_cursor")
    if values:
        return values[0]
    with contextlib.suppress(ValueError, AttributeError):
        return str(json.loads(raw_body).get("start_cursor") or "")
    return ""

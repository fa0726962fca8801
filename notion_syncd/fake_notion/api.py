"""The fake Notion API as one function: ``FakeNotion.handle(request) -> response``.

    fake = FakeNotion(workspace, token="secret_fake")
    client = NotionClient("secret_fake", transport=httpx.MockTransport(fake.handle))
    fake.faults.rate_limit_storm(every=5)
    fake.request_log.count("search")

Order of checks per request: faults (``fake.faults``), then ``Notion-Version``, then the
token, then the route. Every JSON body ends with ``request_id`` (also sent as
``x-notion-request-id``). Hosted files are served at ``/_files/<id>/<name>`` behind signed
URLs that expire by the workspace clock; the URLs point at the host the request was sent to.

Faults that Notion answers (429, 5xx, a cut JSON body, an invalid cursor) come back as
responses. Faults where no answer arrives are raised as the httpx exception a client would
see: :class:`RequestStalled` (a ``ReadTimeout``) and :class:`ConnectionReset` (a
``ReadError``). Over loopback, :mod:`~notion_syncd.fake_notion.server` turns them into a
connection that hangs until the server stops and a TCP reset.
"""

from __future__ import annotations

import contextlib
import json
import threading
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from notion_syncd.fake_notion.faults import FaultAction, Faults, RateLimit
from notion_syncd.fake_notion.files import FileSigner, s3_error_body, sign_urls
from notion_syncd.fake_notion.handlers import ApiRequest, Endpoints, Limits
from notion_syncd.fake_notion.ids import IdFactory
from notion_syncd.fake_notion.request_log import RequestLog, RequestLogEntry
from notion_syncd.fake_notion.responses import ApiError, ApiResponse, invalid_request_url
from notion_syncd.fake_notion.routing import FILE_ROUTE, FILES_ENDPOINT, endpoint_of, match_route
from notion_syncd.fake_notion.workspace import Workspace
from notion_syncd.fake_notion.writes import INSERT_CONTENT_ENDPOINTS, UPDATE_CONTENT_ENDPOINTS

JSON = dict[str, Any]
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
XML_CONTENT_TYPE = "application/xml"
BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
STATUS_LOG_NO_RESPONSE = 0  # stalled or reset: nothing was sent
DEFAULT_VERSIONS = ("2025-09-03", "2026-03-11")
ALL_CAPABILITIES = frozenset({"read_content", "insert_content", "update_content"})


class RequestStalled(httpx.ReadTimeout):
    """No answer comes (a stall fault, or latency cut short by ``interrupt``)."""


class ConnectionReset(httpx.ReadError):
    """The connection was reset instead of answered."""


class FakeNotion:
    """A ``Workspace`` answering as the Notion API, with its token, faults and request log."""

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
        capabilities: frozenset[str] = ALL_CAPABILITIES,
    ) -> None:
        self.workspace = workspace
        self.capabilities = capabilities
        """The integration's content capabilities: a create without ``insert_content``, or a
        page update without ``update_content``, is a 403."""
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
        self.interrupted = threading.Event()
        """Set to cut every latency wait short (the HTTP server sets it when it stops)."""
        self._request_ids = IdFactory(seed + 7919)
        self._ids_lock = threading.Lock()

    @property
    def limits(self) -> Limits:
        """The caps in force now."""
        return Limits(self.page_size_cap, self.query_result_cap, self.faults.search_lag)

    def new_request_id(self) -> str:
        """A fresh request id."""
        with self._ids_lock:
            return self._request_ids.new_uuid()

    # ------------------------------------------------------------------ the entry point

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as Notion would, faults included (see the module docstring)."""
        method = request.method
        target = request.url.raw_path.decode("ascii")
        path, _, query = target.partition("?")
        endpoint = endpoint_of(method, path)
        raw_body = request.read()
        action = self.faults.decide(method, path, endpoint, _is_continuation(query, raw_body))
        entry = RequestLogEntry(method, target, STATUS_LOG_NO_RESPONSE, endpoint)
        if action is not None and action.kind == "stall":
            self.request_log.append(entry)
            raise RequestStalled("stalled: no answer", request=request)
        if self.faults.latency > 0 and self.interrupted.wait(self.faults.latency):
            self.request_log.append(entry)
            raise RequestStalled("interrupted before answering", request=request)
        if action is not None and action.kind == "reset":
            self.request_log.append(entry)
            raise ConnectionReset("connection reset by peer", request=request)
        response = self._answer(request, target, endpoint, raw_body, action)
        self.request_log.append(entry._replace(status=response.status_code))
        return response

    def _answer(
        self,
        request: httpx.Request,
        target: str,
        endpoint: str,
        raw_body: bytes,
        action: FaultAction | None,
    ) -> httpx.Response:
        if action is not None and action.kind == "status":
            return self._fault_response(action, target, raw_body)
        if endpoint == FILES_ENDPOINT:
            expired = action is not None and action.kind == "expired"
            return self._file_response(target, request.headers, expired=expired)
        base_url = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
        try:
            answer = self._answer_api(request.method, target, request.headers, raw_body, base_url)
        except ApiError as error:
            return self._json_response(error.status, error.body(), error.headers)
        if action is not None and action.kind == "malformed":
            broken = json.dumps(answer.body).encode()[:40]
            return httpx.Response(200, content=broken, headers={"Content-Type": JSON_CONTENT_TYPE})
        return self._json_response(answer.status, answer.body, answer.headers)

    # ------------------------------------------------------------------ answering

    def _answer_api(
        self, method: str, target: str, headers: httpx.Headers, raw_body: bytes, base_url: str
    ) -> ApiResponse:
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
        needs = (
            "insert_content"
            if endpoint in INSERT_CONTENT_ENDPOINTS
            else "update_content"
            if endpoint in UPDATE_CONTENT_ENDPOINTS
            else None
        )
        if needs is not None and needs not in self.capabilities:
            raise ApiError(
                403, "restricted_resource", "Insufficient permissions for this endpoint."
            )
        request = ApiRequest(
            method=method,
            path=split.path,
            params={
                key: unquote(value) if key != "property_id" else value
                for key, value in params.items()
            },
            query=parse_qs(split.query, keep_blank_values=True),
            body={} if endpoint == "file_uploads.send" else _json_body(raw_body),
            version=version,
            base_url=base_url,
            raw=raw_body,
            content_type=headers.get("Content-Type", ""),
        )
        response = self.endpoints.handle(endpoint, request, self.limits)
        response.body = sign_urls(response.body, self.files, base_url)
        return response

    def _file_response(
        self, target: str, headers: httpx.Headers, *, expired: bool = False
    ) -> httpx.Response:
        """A hosted-file download: the bytes, or an S3-style XML error.

        ``expired``: answer as for a URL past its expiry (the ``expire_file_urls`` fault).
        """
        split = urlsplit(target)
        found = FILE_ROUTE.match(split.path)
        request_id = self.new_request_id()
        problem: tuple[str, str] | None = ("NoSuchKey", "The specified key does not exist.")
        hosted = None
        if found is not None and self.reject_authorization_on_files and "Authorization" in headers:
            problem = (
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                "Signature query string parameter or the Authorization header should be "
                "specified",
            )
        elif found is not None:
            with self.workspace.lock:
                hosted = self.workspace.files.get(found["file_id"])
            problem = self.files.check(found["file_id"], parse_qs(split.query))
            if hosted is not None and hosted.public:
                problem = None  # a custom emoji's image: a plain public URL
            if problem is None and expired:
                problem = ("AccessDenied", "Request has expired")
            if problem is None and hosted is None:
                problem = ("NoSuchKey", "The specified key does not exist.")
        if problem is not None or hosted is None:
            code, message = problem or ("NoSuchKey", "The specified key does not exist.")
            status = {"NoSuchKey": 404, "InvalidArgument": 400}.get(code, 403)
            return httpx.Response(
                status,
                content=s3_error_body(code, message, request_id),
                headers={"Content-Type": XML_CONTENT_TYPE},
            )
        return httpx.Response(
            200, content=hosted.data, headers={"Content-Type": hosted.content_type}
        )

    def _fault_response(self, action: FaultAction, target: str, raw_body: bytes) -> httpx.Response:
        headers: dict[str, str] = {}
        if action.retry_after is not None:
            headers["Retry-After"] = str(action.retry_after)
        if action.status == 502:
            return httpx.Response(
                502, content=BAD_GATEWAY_HTML, headers={**headers, "Content-Type": "text/html"}
            )
        message = action.message
        if message == "stale_cursor":
            message = "The start_cursor provided is invalid: " + _cursor_of(target, raw_body)
        body = ApiError(action.status, action.code, message).body()
        if action.status == 429:
            body["additional_data"] = {"rate_limit_reason": "integration_rate_limit"}
        return self._json_response(action.status, body, headers)

    def _json_response(self, status: int, body: JSON, headers: dict[str, str]) -> httpx.Response:
        request_id = self.new_request_id()
        payload = json.dumps({**body, "request_id": request_id}, ensure_ascii=False).encode()
        return httpx.Response(
            status,
            content=payload,
            headers={
                **headers,
                "Content-Type": JSON_CONTENT_TYPE,
                "x-notion-request-id": request_id,
            },
        )


def _json_body(raw_body: bytes) -> JSON:
    if not raw_body.strip():
        return {}
    try:
        parsed = json.loads(raw_body)
    except ValueError:
        raise ApiError(400, "invalid_json", "Error parsing JSON body.") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, "invalid_json", "Error parsing JSON body.")
    return parsed


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

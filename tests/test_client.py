"""Tests for notion_syncd.notion.client: auth, retries, pagination, partitioning, downloads.

The only fakes are the HTTP transport (``httpx.MockTransport`` with scripted handlers),
the clock and sleep (a virtual time that only moves when every worker sleeps).
"""

from __future__ import annotations

import json
import random
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import structlog
from structlog.testing import capture_logs
from virtualtime import VirtualTime

from notion_syncd import errors, metrics
from notion_syncd.heartbeat import Heartbeat
from notion_syncd.notion.client import (
    ExpiredFileURL,
    NotionClient,
    endpoint_group,
)
from notion_syncd.notion.retry import RetryPolicy, parse_retry_after

TOKEN = "secret_CANARY1234567890abcdefghijklmnopqrstuvwxyzABCDEF"
BASE = "https://api.notion.test"
Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Seen:
    """One request as the fake transport received it."""

    method: str
    path: str
    params: dict[str, str]
    body: dict[str, Any] | None
    headers: httpx.Headers
    at: float


@dataclass
class Recorder:
    """Wraps a handler and records every request with its virtual time."""

    handler: Handler
    time: VirtualTime
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        with self.lock:
            self.seen.append(
                Seen(
                    request.method,
                    request.url.raw_path.split(b"?")[0].decode("ascii"),
                    dict(request.url.params),
                    body,
                    request.headers,
                    self.time.clock(),
                )
            )
        return self.handler(request)


def make_client(
    handler: Handler, time: VirtualTime | None = None, **options: Any
) -> tuple[NotionClient, Recorder]:
    time = time or VirtualTime()
    recorder = Recorder(handler, time)
    settings: dict[str, Any] = {
        "base_url": BASE,
        "transport": httpx.MockTransport(recorder),
        "sleep": time.sleep,
        "clock": time.clock,
        "rng": random.Random(7),
    }
    client = NotionClient(TOKEN, **(settings | options))
    return client, recorder


def ok(body: dict[str, Any] | None = None, **headers: str) -> httpx.Response:
    payload = {"object": "page", "id": "p1", "request_id": "r-ok"} if body is None else body
    return httpx.Response(200, json=payload, headers=headers)


def error(status: int, code: str, message: str = "", **headers: str) -> httpx.Response:
    body = {"object": "error", "status": status, "code": code, "message": message}
    return httpx.Response(status, json=body | {"request_id": "r-err"}, headers=headers)


def scripted(*responses: httpx.Response | type[httpx.TransportError]) -> Handler:
    """A handler answering with ``responses`` in order (an exception class is raised)."""
    queue = list(responses)

    def handle(request: httpx.Request) -> httpx.Response:
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, type):
            raise answer("scripted failure", request=request)
        return answer

    return handle


def listing(results: list[dict[str, Any]], cursor: str | None, **extra: Any) -> httpx.Response:
    body = {
        "object": "list",
        "results": results,
        "next_cursor": cursor,
        "has_more": cursor is not None,
        "type": "block",
        "block": {},
        "request_id": "r-list",
    }
    return httpx.Response(200, json=body | extra)


# -- requests and headers ------------------------------------------------------------


def test_client_request_sends_auth_version_and_user_agent() -> None:
    """Every API request carries Bearer auth, the pinned Notion-Version and our User-Agent."""
    client, recorder = make_client(scripted(ok()))
    assert client.page("p1")["id"] == "p1"
    headers = recorder.seen[0].headers
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["notion-version"] == "2025-09-03"
    assert headers["user-agent"].startswith("notion-syncd/")
    assert recorder.seen[0].path == "/v1/pages/p1"


def test_client_request_encodes_ids_as_one_segment() -> None:
    """An id cannot escape its path segment, and property ids are not double-encoded."""
    client, recorder = make_client(scripted(ok({"object": "property_item", "id": "x"})))
    client.page("../users/me")
    client.property_items("p1", "%3FB%3AW")
    paths = [seen.path for seen in recorder.seen]
    assert paths[0] == "/v1/pages/..%2Fusers%2Fme"
    assert paths[1] == "/v1/pages/p1/properties/%3FB%3AW"


# -- retries ---------------------------------------------------------------------------


def test_client_retry_429_pauses_every_worker() -> None:
    """A 429 with Retry-After holds every worker until the deadline, not only the caller."""
    time = VirtualTime(4)
    calls: list[float] = []
    lock = threading.Lock()

    def handle(request: httpx.Request) -> httpx.Response:
        with lock:
            calls.append(time.clock())
            limited = len(calls) == 4
        if limited:
            return error(429, "rate_limited", "slow down", **{"Retry-After": "5"})
        return ok()

    client, recorder = make_client(handle, time, requests_per_second=10, burst=2)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                client.page("p1")
        except BaseException as failure:
            failures.append(failure)
        finally:
            time.done()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures
    limited_at = calls[3]
    assert [s.at for s in recorder.seen if limited_at < s.at < limited_at + 5.0] == []
    assert len(recorder.seen) == 21
    stats = client.stats
    assert stats.rate_limited_by_status["429"] == 1
    assert stats.retries == 1
    assert stats.throttled_seconds == pytest.approx(5.0)


def test_client_retry_529_honours_retry_after() -> None:
    """A 529 service_overload waits at least its Retry-After, then succeeds."""
    time = VirtualTime()
    client, recorder = make_client(
        scripted(error(529, "service_overload", **{"Retry-After": "3"}), ok()), time
    )
    before = metrics.REGISTRY.get_sample_value(
        "notion_syncd_notion_rate_limited_total", {"reason": "529"}
    )
    assert client.page("p1")["id"] == "p1"
    assert recorder.seen[1].at - recorder.seen[0].at >= 3.0
    assert client.stats.rate_limited_by_status == {"429": 0, "529": 1}
    after = metrics.REGISTRY.get_sample_value(
        "notion_syncd_notion_rate_limited_total", {"reason": "529"}
    )
    assert (after or 0) - (before or 0) == 1


def test_client_retry_429_http_date_retry_after() -> None:
    """Retry-After as an HTTP-date is measured against the answer's Date header."""
    time = VirtualTime()
    limited = error(
        429,
        "rate_limited",
        **{"Retry-After": "Wed, 21 Oct 2026 07:28:10 GMT", "Date": "Wed, 21 Oct 2026 07:28:00 GMT"},
    )
    client, recorder = make_client(scripted(limited, ok()), time)
    client.page("p1")
    assert recorder.seen[1].at - recorder.seen[0].at >= 10.0


def test_client_retry_server_errors_with_html_bodies() -> None:
    """500 and a Cloudflare-style 502 HTML page are retried with backoff."""
    html = httpx.Response(502, text="<html><body>Bad Gateway</body></html>")
    client, recorder = make_client(scripted(error(500, "internal_server_error"), html, ok()))
    assert client.page("p1")["id"] == "p1"
    assert len(recorder.seen) == 3
    assert client.stats.retries == 2


def test_client_retry_truncated_json() -> None:
    """A 200 whose body is cut mid-JSON is retried."""
    truncated = httpx.Response(200, content=b'{"object": "page", "id": "p')
    client, recorder = make_client(scripted(truncated, ok()))
    assert client.page("p1")["id"] == "p1"
    assert len(recorder.seen) == 2


def test_client_retry_timeouts_and_dropped_connections() -> None:
    """ReadTimeout, ConnectError and a connection reset mid-answer are retried."""
    client, recorder = make_client(
        scripted(httpx.ReadTimeout, httpx.ConnectError, httpx.RemoteProtocolError, ok())
    )
    assert client.page("p1")["id"] == "p1"
    assert len(recorder.seen) == 4


def test_client_retry_time_bound_raises_unavailable() -> None:
    """A 503 that never ends fails within max_retry_time with a clear NotionUnavailable."""
    time = VirtualTime()
    client, _ = make_client(
        scripted(error(503, "service_unavailable")), time, max_retry_time=20, max_attempts=100
    )
    with pytest.raises(errors.NotionUnavailable) as caught:
        client.block("b1")
    assert time.now <= 20.0
    assert "blocks" in str(caught.value)
    assert "503" in str(caught.value)


def test_client_retry_max_attempts_bound() -> None:
    """max_attempts bounds the number of requests sent."""
    client, recorder = make_client(scripted(httpx.ConnectError), max_attempts=3)
    with pytest.raises(errors.NotionUnavailable, match="3 attempts"):
        client.page("p1")
    assert len(recorder.seen) == 3


def test_client_retry_malformed_success_gives_bad_response() -> None:
    """A 200 that keeps being malformed ends in NotionBadResponse after the retries."""
    client, _ = make_client(scripted(httpx.Response(200, text="[]")), max_attempts=2)
    with pytest.raises(errors.NotionBadResponse):
        client.page("p1")


def test_client_retry_after_over_cap_fails_fast_and_pauses() -> None:
    """A Retry-After above the single-wait cap fails at once but still pauses the limiter."""
    time = VirtualTime()
    client, recorder = make_client(
        scripted(error(429, "rate_limited", **{"Retry-After": "600"})), time
    )
    with pytest.raises(errors.NotionUnavailable, match="600 s"):
        client.page("p1")
    assert len(recorder.seen) == 1
    assert client.limiter.pause_remaining() == pytest.approx(600.0)
    with pytest.raises(errors.NotionUnavailable, match="paused"):
        client.page("p2")
    assert len(recorder.seen) == 1


@pytest.mark.parametrize(
    ("status", "code", "error_class"),
    [
        (400, "validation_error", errors.NotionHTTPError),
        (401, "unauthorized", errors.NotionUnauthorized),
        (403, "restricted_resource", errors.NotionForbidden),
        (404, "object_not_found", errors.NotionNotFound),
    ],
)
def test_client_request_client_errors_not_retried(
    status: int, code: str, error_class: type[errors.NotionHTTPError]
) -> None:
    """400/401/403/404 are raised at once as NotionHTTPError subclasses with their details."""
    client, recorder = make_client(scripted(error(status, code, "Could not find page")))
    with pytest.raises(error_class) as caught:
        client.page("p1")
    assert len(recorder.seen) == 1
    assert caught.value.status == status
    assert caught.value.code == code
    assert caught.value.request_id == "r-err"
    assert "Could not find page" in caught.value.message


def test_client_request_records_metrics_and_heartbeat() -> None:
    """Each answer counts in NOTION_REQUESTS{endpoint,code} and beats the heartbeat."""
    time = VirtualTime()
    heartbeat = Heartbeat(clock=time.clock)
    client, _ = make_client(
        scripted(error(500, "internal_server_error"), ok()), time, heartbeat=heartbeat
    )

    def sample(code: str) -> float:
        value = metrics.REGISTRY.get_sample_value(
            "notion_syncd_notion_requests_total", {"endpoint": "databases", "code": code}
        )
        return value or 0.0

    before_500, before_200 = sample("500"), sample("200")
    client.database("d1")
    assert sample("500") - before_500 == 1
    assert sample("200") - before_200 == 1
    assert heartbeat.age() == 0.0
    assert client.stats.by_endpoint["databases"] == 2


def test_client_stop_event_interrupts_waits() -> None:
    """A stop event set while waiting out a Retry-After raises SyncInterrupted."""
    time = VirtualTime()
    stop = threading.Event()
    heartbeat = Heartbeat(clock=time.clock)

    def handle(request: httpx.Request) -> httpx.Response:
        return error(429, "rate_limited", **{"Retry-After": "30"})

    def sleep_then_stop(seconds: float) -> None:
        time.sleep(seconds)
        if time.now >= 2:
            stop.set()

    client, _ = make_client(handle, time, stop=stop, heartbeat=heartbeat, sleep=sleep_then_stop)
    with pytest.raises(errors.SyncInterrupted):
        client.page("p1")
    assert time.now == pytest.approx(2.0)
    assert heartbeat.age() == 0.0


# -- pagination ------------------------------------------------------------------------


def test_client_paginate_get_cursor_in_query() -> None:
    """GET listings send page_size=100 and start_cursor in the query string."""
    client, recorder = make_client(
        scripted(listing([{"id": "a"}, {"id": "b"}], "c1"), listing([{"id": "c"}], None))
    )
    assert [block["id"] for block in client.block_children("p1")] == ["a", "b", "c"]
    assert recorder.seen[0].params == {"page_size": "100"}
    assert recorder.seen[1].params == {"page_size": "100", "start_cursor": "c1"}
    assert recorder.seen[1].path == "/v1/blocks/p1/children"


def test_client_paginate_post_cursor_in_body() -> None:
    """POST listings (search) send page_size and start_cursor in the JSON body."""
    client, recorder = make_client(
        scripted(listing([{"id": "a"}], "c1"), listing([{"id": "b"}], None))
    )
    assert [item["id"] for item in client.search("page")] == ["a", "b"]
    first, second = recorder.seen[0].body, recorder.seen[1].body
    assert first == {
        "page_size": 100,
        "sort": {"timestamp": "last_edited_time", "direction": "descending"},
        "filter": {"property": "object", "value": "page"},
    }
    assert second is not None and second["start_cursor"] == "c1"
    assert recorder.seen[0].params == {}


def test_client_paginate_missing_results_tolerated() -> None:
    """A list answer without 'results' counts as an empty page."""
    body = {"object": "list", "has_more": False, "next_cursor": None}
    client, _ = make_client(scripted(httpx.Response(200, json=body)))
    assert list(client.users()) == []


def test_client_paginate_has_more_without_cursor_is_bad_response() -> None:
    """has_more true with no next_cursor is not silently treated as the end."""
    body = {"object": "list", "results": [], "has_more": True, "next_cursor": None}
    client, _ = make_client(scripted(httpx.Response(200, json=body)))
    with pytest.raises(errors.NotionBadResponse):
        list(client.users())


def test_client_paginate_incomplete_raises_after_results() -> None:
    """A listing flagged request_status incomplete yields its results, then raises."""
    capped = listing(
        [{"id": "a"}],
        None,
        request_status={"type": "incomplete", "incomplete_reason": "query_result_limit_reached"},
    )
    client, _ = make_client(scripted(capped))
    rows: list[str] = []
    with pytest.raises(errors.IncompleteListing, match="query_result_limit_reached"):
        rows.extend(row["id"] for row in client.query_data_source("ds1"))
    assert rows == ["a"]


def test_client_paginate_pages_exposes_request_status() -> None:
    """paginate_pages yields whole answers with the incomplete flag for the caller."""
    capped = listing([{"id": "a"}], None, request_status={"type": "incomplete"})
    client, _ = make_client(scripted(capped))
    pages = list(client.paginate_pages("POST", "/v1/data_sources/ds1/query", json={}))
    assert len(pages) == 1
    assert pages[0].incomplete
    assert pages[0].results == [{"id": "a"}]


def stale_cursor() -> httpx.Response:
    return error(400, "validation_error", "The start_cursor provided is invalid: c1")


def test_client_paginate_stale_cursor_restarts_once() -> None:
    """An invalid cursor restarts the listing from scratch; nothing is yielded twice."""
    client, recorder = make_client(
        scripted(
            listing([{"id": "a"}, {"id": "b"}], "c1"),
            stale_cursor(),
            listing([{"id": "a"}, {"id": "b"}], "c2"),
            listing([{"id": "c"}], None),
        )
    )
    assert [item["id"] for item in client.block_children("p1")] == ["a", "b", "c"]
    assert [seen.params.get("start_cursor") for seen in recorder.seen] == [
        None,
        "c1",
        None,
        "c2",
    ]


def test_client_paginate_stale_cursor_twice_raises() -> None:
    """A second invalid cursor in the same listing is raised, not looped on."""
    client, _ = make_client(
        scripted(
            listing([{"id": "a"}], "c1"),
            stale_cursor(),
            listing([{"id": "a"}], "c1"),
            stale_cursor(),
        )
    )
    with pytest.raises(errors.NotionHTTPError, match="start_cursor"):
        list(client.block_children("p1"))


class CappedDataSource:
    """A data source query endpoint that stops each query after ``cap`` results."""

    def __init__(self, rows: int, cap: int, page_size: int = 20) -> None:
        # Three rows per minute, so created_time values repeat like Notion's minute rounding.
        self.rows = [
            {"object": "page", "id": f"row-{i:03d}", "created_time": self.minute(i // 3)}
            for i in range(rows)
        ]
        self.cap = cap
        self.page_size = page_size
        self.queries = 0

    @staticmethod
    def minute(n: int) -> str:
        return f"2026-01-01T{n // 60:02d}:{n % 60:02d}:00.000Z"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["sorts"] == [{"timestamp": "created_time", "direction": "ascending"}]
        since = body.get("filter", {}).get("created_time", {}).get("on_or_after", "")
        matching = [row for row in self.rows if row["created_time"] >= since][: self.cap]
        start = int(body.get("start_cursor", "0"))
        if start == 0:
            self.queries += 1
        chunk = matching[start : start + self.page_size]
        end = start + len(chunk)
        more = end < len(matching)
        answer: dict[str, Any] = {
            "object": "list",
            "results": chunk,
            "next_cursor": str(end) if more else None,
            "has_more": more,
            "type": "page_or_data_source",
            "page_or_data_source": {},
        }
        if not more and len(matching) == self.cap:
            answer["request_status"] = {
                "type": "incomplete",
                "incomplete_reason": "query_result_limit_reached",
            }
        return httpx.Response(200, json=answer)


def test_client_query_data_source_all_partitions_past_cap() -> None:
    """With a 50-result cap, all 120 rows come back exactly once, in created order."""
    source = CappedDataSource(rows=120, cap=50)
    client, recorder = make_client(source)
    ids = [row["id"] for row in client.query_data_source_all("ds1")]
    assert ids == [f"row-{i:03d}" for i in range(120)]
    assert source.queries >= 3
    filters = [seen.body.get("filter") for seen in recorder.seen if seen.body]
    assert filters[0] is None
    assert any(f and f["created_time"]["on_or_after"] for f in filters)


def test_client_query_data_source_all_combines_caller_filter() -> None:
    """A caller's filter is and-ed with the created_time partition filter."""
    source = CappedDataSource(rows=10, cap=5, page_size=5)
    done = {"property": "Done", "checkbox": {"equals": True}}

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        caller_filter = body["filter"]
        if "and" in caller_filter:
            assert caller_filter["and"][0] == done
            body["filter"] = caller_filter["and"][1]
        else:
            assert caller_filter == done
            del body["filter"]
        return source(httpx.Request("POST", request.url, json=body))

    client, _ = make_client(handle)
    assert len(list(client.query_data_source_all("ds1", filter=done))) == 10


def test_client_query_data_source_all_cap_within_one_minute_raises() -> None:
    """When the cap is hit inside one created_time, partitioning cannot progress: raise."""
    source = CappedDataSource(rows=12, cap=2)
    for row in source.rows:
        row["created_time"] = CappedDataSource.minute(0)
    client, _ = make_client(source)
    with pytest.raises(errors.IncompleteListing, match="cannot partition"):
        list(client.query_data_source_all("ds1"))


def test_client_property_items_concatenates_list_pages() -> None:
    """A list property returns every page's items plus the final property_item."""
    item = {"object": "property_item", "type": "relation"}
    first = listing([item | {"relation": {"id": "r1"}}], "c1")
    last = listing(
        [item | {"relation": {"id": "r2"}}],
        None,
        type="property_item",
        property_item={"id": "o_yF", "type": "rollup", "rollup": {"type": "number", "number": 2}},
    )
    client, _ = make_client(scripted(first, last))
    value = client.property_items("p1", "o_yF")
    assert [result["relation"]["id"] for result in value["results"]] == ["r1", "r2"]
    assert value["property_item"]["rollup"]["number"] == 2
    assert value["has_more"] is False


def test_client_property_items_single_value() -> None:
    """A simple property returns its one property_item in a single request."""
    single = {"object": "property_item", "id": "XpXf", "type": "number", "number": 1234}
    client, recorder = make_client(scripted(ok(single)))
    assert client.property_items("p1", "XpXf")["number"] == 1234
    assert len(recorder.seen) == 1


# -- downloads -------------------------------------------------------------------------

SIGNED = "https://files.example.test/ws/file/photo.png?X-Amz-Signature=SIGNATURE123"


def test_client_download_plain_get_without_auth() -> None:
    """Downloads send no Authorization header and return the bytes."""
    client, recorder = make_client(scripted(httpx.Response(200, content=b"PNG-bytes")))
    assert client.download(SIGNED, max_bytes=100) == b"PNG-bytes"
    assert "authorization" not in recorder.seen[0].headers
    assert "notion-version" not in recorder.seen[0].headers
    assert client.stats.by_endpoint["files"] == 1


def test_client_download_refuses_over_max_bytes() -> None:
    """A body over max_bytes is refused, with or without Content-Length."""

    def streamed(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([b"x" * 60, b"y" * 60]))

    for handler in (scripted(httpx.Response(200, content=b"z" * 500)), streamed):
        client, _ = make_client(handler)
        with pytest.raises(errors.FileDownloadError, match="larger than 100") as caught:
            client.download(SIGNED, max_bytes=100)
        assert "SIGNATURE123" not in str(caught.value)


def test_client_download_expired_url_flags_refresh() -> None:
    """An S3 403 raises ExpiredFileURL (a FileDownloadError) without the signed query."""
    expired = httpx.Response(403, text="<Error><Code>AccessDenied</Code></Error>")
    client, recorder = make_client(scripted(expired))
    with pytest.raises(ExpiredFileURL) as caught:
        client.download(SIGNED, max_bytes=100)
    assert isinstance(caught.value, errors.FileDownloadError)
    assert "SIGNATURE123" not in str(caught.value)
    assert len(recorder.seen) == 1


def test_client_download_retries_server_errors_and_timeouts() -> None:
    """5xx answers and timeouts during a download are retried."""
    client, recorder = make_client(
        scripted(httpx.Response(503), httpx.ReadTimeout, httpx.Response(200, content=b"ok"))
    )
    assert client.download(SIGNED, max_bytes=100) == b"ok"
    assert len(recorder.seen) == 3


def test_client_download_not_found_is_download_error() -> None:
    """A 404 is a plain FileDownloadError, not retried; a non-http URL is refused."""
    client, recorder = make_client(scripted(httpx.Response(404)))
    with pytest.raises(errors.FileDownloadError) as caught:
        client.download(SIGNED, max_bytes=100)
    assert not isinstance(caught.value, ExpiredFileURL)
    with pytest.raises(errors.FileDownloadError, match="not an http"):
        client.download("file:///etc/passwd", max_bytes=100)
    assert len(recorder.seen) == 1


# -- secrets ---------------------------------------------------------------------------


def rendered(failure: BaseException) -> str:
    """Everything a log could show of an exception: str, repr, traceback with locals."""
    frames = traceback.TracebackException.from_exception(failure, capture_locals=True)
    return "\n".join([str(failure), repr(failure), *frames.format()])


def test_client_token_canary_never_leaks() -> None:
    """The token appears in no exception text, repr, traceback local or log event."""
    failing: list[Handler] = [
        scripted(error(401, "unauthorized", "API token is invalid.")),
        scripted(error(404, "object_not_found")),
        scripted(httpx.Response(502, text="<html>bad gateway</html>")),
        scripted(error(429, "rate_limited", **{"Retry-After": "1"})),
        scripted(httpx.ReadTimeout),
        scripted(httpx.ConnectError),
        scripted(httpx.Response(200, content=b'{"trunc')),
    ]
    texts: list[str] = []
    with capture_logs() as logs:
        for handler in failing:
            client, _ = make_client(handler, max_attempts=2)
            texts.append(repr(client))
            with pytest.raises(errors.NotionError) as caught:
                client.page("p1")
            texts.append(rendered(caught.value))
        client, _ = make_client(scripted(httpx.Response(403)), max_attempts=2)
        with pytest.raises(errors.FileDownloadError) as download_failure:
            client.download(SIGNED, max_bytes=10)
        texts.append(rendered(download_failure.value))
        structlog.get_logger().info("probe")
    assert any(entry["event"] == "notion.retry" for entry in logs)
    texts.extend(repr(entry) for entry in logs)
    leaks = [text for text in texts if TOKEN in text or "CANARY123" in text]
    assert leaks == []


def test_client_rejects_token_unfit_for_header_without_echoing_it() -> None:
    """A token with a line break is a ConfigError that does not print the token."""
    with pytest.raises(errors.ConfigError) as caught:
        NotionClient(TOKEN + "\n")
    assert TOKEN not in rendered(caught.value)


# -- small pure parts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "group"),
    [
        ("/v1/search", "search"),
        ("/v1/pages/x/properties/y", "pages"),
        ("/v1/blocks/x/children", "blocks"),
        ("/v1/databases/x", "databases"),
        ("/v1/data_sources/x/query", "data_sources"),
        ("/v1/users/me", "users"),
        ("/v1/comments", "other"),
        ("/v1/files", "other"),
    ],
)
def test_endpoint_group_maps_paths(path: str, group: str) -> None:
    """API paths map onto the fixed set of endpoint groups used as metric labels."""
    assert endpoint_group(path) == group


def test_parse_retry_after_forms() -> None:
    """Retry-After reads seconds and HTTP-dates; junk and absence give None."""
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("inf") is None
    date = "Wed, 21 Oct 2026 07:28:30 GMT"
    assert parse_retry_after(date, date_header="Wed, 21 Oct 2026 07:28:00 GMT") == 30.0


def test_retry_policy_backoff_full_jitter_is_capped() -> None:
    """Backoff is uniform in [0, min(cap, base * 2**n)]."""
    policy = RetryPolicy()
    rng = random.Random(1)
    waits = [policy.backoff(n, rng) for n in range(1, 40)]
    assert all(0 <= wait <= 30 for wait in waits)
    assert policy.backoff(1, random.Random(1)) <= 1.0


# -- against the fake Notion server over loopback ----------------------------------------


@pytest.fixture
def fake_notion() -> Any:
    """The fake Notion package, or a skip while it is still being built."""
    server = pytest.importorskip("notion_syncd.fake_notion.server")
    workspace = pytest.importorskip("notion_syncd.fake_notion.workspace")
    clock = pytest.importorskip("notion_syncd.fake_notion.clock")
    richtext = pytest.importorskip("notion_syncd.fake_notion.richtext")
    for module, name in [
        (server, "FakeNotionServer"),
        (workspace, "Workspace"),
        (clock, "FakeClock"),
        (richtext, "media"),
    ]:
        if not hasattr(module, name):
            pytest.skip(f"the fake Notion server has no {name} yet")
    return server, workspace, clock, richtext


def test_client_fake_server_reads_workspace_through_faults(fake_notion: Any) -> None:
    """Over real HTTP, listings, the query cap and a download survive injected faults."""
    server_module, workspace_module, clock_module, richtext = fake_notion
    clock = clock_module.FakeClock()
    workspace = workspace_module.Workspace(clock=clock)
    root = workspace.add_page(None, "Root")
    for index in range(130):
        workspace.add_page(root, f"Child {index}")
    picture = workspace.add_file(b"\x89PNG fake image", "picture.png")
    with_file = workspace.add_page(root, "With file", blocks=[richtext.media("image", picture)])
    _, data_source = workspace.add_database(root, "Tasks", {"Name": {"type": "title"}})
    for index in range(120):
        clock.advance(20)  # three rows per minute: created_time values repeat
        workspace.add_row(data_source, {"Name": f"Row {index}"})
    time = VirtualTime()  # our waits are virtual; the network is real
    server = server_module.FakeNotionServer(workspace, token=TOKEN, query_result_cap=50)
    with server:
        server.faults.rate_limit_storm(every=9, retry_after=2)
        server.faults.malformed_json(r"/v1/search", times=1)
        server.faults.reset_connection(r"/v1/blocks/", times=1)
        server.faults.fail_path(r"/v1/data_sources/", status=502, times=2)
        server.faults.cut_listing("blocks.children", page=2, stale_cursor=True)
        with NotionClient(
            TOKEN,
            base_url=server.base_url,
            requests_per_second=100,
            burst=10,
            sleep=time.sleep,
            clock=time.clock,
            rng=random.Random(3),
        ) as client:
            children = list(client.block_children(root))
            found = list(client.search())
            rows = list(client.query_data_source_all(data_source))
            image = next(iter(client.block_children(with_file)))
            downloaded = client.download(image["image"]["file"]["url"], max_bytes=1000)
            stats = client.stats
    assert len(children) == 132  # 131 pages + the database
    assert len({child["id"] for child in children}) == 132
    assert len({item["id"] for item in found}) == len(found)
    assert len(rows) == 120
    assert len({row["id"] for row in rows}) == 120
    assert downloaded == b"\x89PNG fake image"
    assert stats.rate_limited >= 1
    assert stats.retries >= 4


def test_client_fake_server_errors_never_leak_token(fake_notion: Any) -> None:
    """Through real httpx/httpcore frames, a wrong token and a dead port leak no token."""
    server_module, workspace_module, _, _ = fake_notion
    workspace = workspace_module.Workspace()
    time = VirtualTime()
    texts: list[str] = []
    with capture_logs() as logs:
        with server_module.FakeNotionServer(workspace, token="secret_other") as server:
            base_url = server.base_url
            client = NotionClient(TOKEN, base_url=base_url, sleep=time.sleep, clock=time.clock)
            with pytest.raises(errors.NotionUnauthorized) as unauthorized:
                client.me()
            texts.append(rendered(unauthorized.value))
            client.close()
        dead = NotionClient(
            TOKEN, base_url=base_url, sleep=time.sleep, clock=time.clock, max_attempts=2
        )
        with pytest.raises(errors.NotionUnavailable) as unavailable:
            dead.me()
        dead.close()
        texts.append(rendered(unavailable.value))
    texts.extend(repr(entry) for entry in logs)
    assert [text for text in texts if "CANARY123" in text] == []

"""Tests for notion_syncd.notion.client: auth, retries, pagination, partitioning, downloads.

The client talks to the real fake Notion API through ``httpx.MockTransport(fake.handle)``,
faults included; the clock and sleep are a virtual time that only moves when every worker
sleeps. A few tests script an answer by hand: each says which answer the fake cannot give.
"""

from __future__ import annotations

import json
import random
import re
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
from notion_syncd.fake_notion import FakeClock, FakeNotion, FakeNotionServer, Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.heartbeat import Heartbeat
from notion_syncd.notion.client import (
    ExpiredFileURL,
    NotionClient,
    endpoint_group,
)
from notion_syncd.notion.retry import RetryPolicy, parse_retry_after

TOKEN = "secret_CANARY1234567890abcdefghijklmnopqrstuvwxyzABCDEF"
BASE = "https://api.notion.test"
MISSING_ID = "5c6a2821-6aa1-4f1c-8b1e-1b9f3c3a9d10"  # a valid id the workspace does not have
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Seen:
    """One request as the transport received it."""

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


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ws(clock: FakeClock) -> Workspace:
    return Workspace(clock=clock)


@pytest.fixture
def fake(ws: Workspace) -> FakeNotion:
    return FakeNotion(ws, token=TOKEN)


def scripted(*responses: httpx.Response | type[httpx.TransportError]) -> Handler:
    """A handler answering with ``responses`` in order (an exception class is raised)."""
    queue = list(responses)

    def handle(request: httpx.Request) -> httpx.Response:
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, type):
            raise answer("scripted failure", request=request)
        return answer

    return handle


def ok() -> httpx.Response:
    return httpx.Response(200, json={"object": "page", "id": "p1", "request_id": "r-ok"})


def page_with_children(ws: Workspace, count: int) -> tuple[str, list[str]]:
    """A page with ``count`` paragraphs; returns the page id and the block ids."""
    page = ws.add_page(None, "Parent")
    blocks = ws.append_blocks(page, [rt.paragraph(f"line {n}") for n in range(count)])
    return page, blocks


def tasks(ws: Workspace, clock: FakeClock, rows: int, seconds_apart: float = 20) -> list[str]:
    """A data source with ``rows`` rows (every other one Done); returns the source and row ids."""
    root = ws.add_page(None, "Root")
    _, source = ws.add_database(root, "Tasks", {"Name": "title", "Done": "checkbox"})
    ids = [source]
    for index in range(rows):
        clock.advance(seconds_apart)
        ids.append(ws.add_row(source, {"Name": f"Row {index}", "Done": index % 2 == 0}))
    return ids


def page_with_file(ws: Workspace, data: bytes, name: str = "photo.png") -> str:
    """A page whose only block is an image hosted by the fake; returns the page id."""
    return ws.add_page(None, "With file", blocks=[rt.media("image", ws.add_file(data, name))])


def file_url(client: NotionClient, page: str) -> str:
    """The signed URL of the image on ``page`` (fresh from a block listing)."""
    image = next(iter(client.block_children(page)))
    return str(image["image"]["file"]["url"])


# -- requests and headers ------------------------------------------------------------


def test_client_request_sends_auth_version_and_user_agent(ws: Workspace, fake: FakeNotion) -> None:
    """Every API request carries Bearer auth, the pinned Notion-Version and our User-Agent."""
    page = ws.add_page(None, "Home")
    client, recorder = make_client(fake.handle)
    assert client.page(page)["id"] == page
    headers = recorder.seen[0].headers
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["notion-version"] == "2025-09-03"
    assert headers["user-agent"].startswith("notion-syncd/")
    assert recorder.seen[0].path == f"/v1/pages/{page}"


def test_client_request_encodes_ids_as_one_segment(ws: Workspace, fake: FakeNotion) -> None:
    """An id cannot escape its path segment, and property ids are not double-encoded."""
    page = ws.add_page(None, "Home")
    client, recorder = make_client(fake.handle)
    with pytest.raises(errors.NotionHTTPError, match="uuid"):
        client.page("../users/me")
    with pytest.raises(errors.NotionNotFound, match=r"\?B:W"):
        client.property_items(page, "%3FB%3AW")
    paths = [seen.path for seen in recorder.seen]
    assert paths == ["/v1/pages/..%2Fusers%2Fme", f"/v1/pages/{page}/properties/%3FB%3AW"]


# -- retries ---------------------------------------------------------------------------


def test_client_retry_429_pauses_every_worker(ws: Workspace, fake: FakeNotion) -> None:
    """A 429 with Retry-After holds every worker until the deadline, not only the caller."""
    page = ws.add_page(None, "Home")
    fake.faults.fail_path(r"/v1/pages/", status=429, times=1, retry_after=5)
    time = VirtualTime(4)
    limited_at: list[float] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent_at = time.clock()
        response = fake.handle(request)
        if response.status_code == 429:
            limited_at.append(sent_at)
        return response

    client, recorder = make_client(handle, time, requests_per_second=10, burst=2)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                client.page(page)
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
    assert len(limited_at) == 1
    window = (limited_at[0], limited_at[0] + 5.0)
    assert [s.at for s in recorder.seen if window[0] < s.at < window[1]] == []
    assert len(recorder.seen) == 21
    stats = client.stats
    assert stats.rate_limited_by_status["429"] == 1
    assert stats.retries == 1
    assert stats.throttled_seconds == pytest.approx(5.0)


def test_client_retry_529_honours_retry_after(ws: Workspace, fake: FakeNotion) -> None:
    """A 529 service_overload waits at least its Retry-After, then succeeds."""
    page = ws.add_page(None, "Home")
    fake.faults.fail_path(r"/v1/pages/", status=529, times=1, retry_after=3)
    client, recorder = make_client(fake.handle)
    before = metrics.REGISTRY.get_sample_value(
        "notion_syncd_notion_rate_limited_total", {"reason": "529"}
    )
    assert client.page(page)["id"] == page
    assert recorder.seen[1].at - recorder.seen[0].at >= 3.0
    assert client.stats.rate_limited_by_status == {"429": 0, "529": 1}
    after = metrics.REGISTRY.get_sample_value(
        "notion_syncd_notion_rate_limited_total", {"reason": "529"}
    )
    assert (after or 0) - (before or 0) == 1


def test_client_retry_429_http_date_retry_after() -> None:
    """Retry-After as an HTTP-date is measured against the answer's Date header.

    Scripted: the fake (like Notion today) sends Retry-After in seconds only.
    """
    time = VirtualTime()
    body = {"object": "error", "status": 429, "code": "rate_limited", "message": ""}
    limited = httpx.Response(
        429,
        json=body,
        headers={
            "Retry-After": "Wed, 21 Oct 2026 07:28:10 GMT",
            "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
        },
    )
    client, recorder = make_client(scripted(limited, ok()), time)
    client.page("p1")
    assert recorder.seen[1].at - recorder.seen[0].at >= 10.0


def test_client_retry_server_errors_with_html_bodies(ws: Workspace, fake: FakeNotion) -> None:
    """500 and a Cloudflare-style 502 HTML page are retried with backoff."""
    page = ws.add_page(None, "Home")
    fake.faults.fail_path(r"/v1/pages/", status=500, times=1)
    fake.faults.fail_path(r"/v1/pages/", status=502, times=1)
    client, recorder = make_client(fake.handle)
    assert client.page(page)["id"] == page
    assert [entry.status for entry in fake.request_log] == [500, 502, 200]
    assert len(recorder.seen) == 3
    assert client.stats.retries == 2


def test_client_retry_truncated_json(ws: Workspace, fake: FakeNotion) -> None:
    """A 200 whose body is cut mid-JSON is retried."""
    page = ws.add_page(None, "Home")
    fake.faults.malformed_json(r"/v1/pages/", times=1)
    client, recorder = make_client(fake.handle)
    assert client.page(page)["id"] == page
    assert len(recorder.seen) == 2


def test_client_retry_stalls_and_resets(ws: Workspace, fake: FakeNotion) -> None:
    """A request that is never answered (read timeout) and a reset connection are retried."""
    page = ws.add_page(None, "Home")
    fake.faults.stall_path(r"/v1/pages/", times=1)
    fake.faults.reset_connection(r"/v1/pages/", times=1)
    client, recorder = make_client(fake.handle)
    assert client.page(page)["id"] == page
    assert len(recorder.seen) == 3
    assert client.stats.retries == 2


def test_client_retry_time_bound_raises_unavailable(ws: Workspace, fake: FakeNotion) -> None:
    """A 503 that never ends fails within max_retry_time with a clear NotionUnavailable."""
    _, blocks = page_with_children(ws, 1)
    fake.faults.fail_path(r"/v1/blocks/", status=503)
    time = VirtualTime()
    client, _ = make_client(fake.handle, time, max_retry_time=20, max_attempts=100)
    with pytest.raises(errors.NotionUnavailable) as caught:
        client.block(blocks[0])
    assert time.now <= 20.0
    assert "blocks" in str(caught.value)
    assert "503" in str(caught.value)


def test_client_retry_max_attempts_bound() -> None:
    """max_attempts bounds the number of requests sent, a refused connection included.

    Scripted: a refused connection (ConnectError) happens before any server could answer.
    """
    client, recorder = make_client(scripted(httpx.ConnectError), max_attempts=3)
    with pytest.raises(errors.NotionUnavailable, match="3 attempts"):
        client.page("p1")
    assert len(recorder.seen) == 3


def test_client_retry_malformed_success_gives_bad_response(ws: Workspace, fake: FakeNotion) -> None:
    """A 200 that keeps being malformed ends in NotionBadResponse after the retries."""
    page = ws.add_page(None, "Home")
    fake.faults.malformed_json(r"/v1/pages/")
    client, recorder = make_client(fake.handle, max_attempts=2)
    with pytest.raises(errors.NotionBadResponse):
        client.page(page)
    assert len(recorder.seen) == 2


def test_client_retry_after_over_cap_fails_fast_and_pauses(ws: Workspace, fake: FakeNotion) -> None:
    """A Retry-After above the single-wait cap fails at once but still pauses the limiter."""
    page = ws.add_page(None, "Home")
    fake.faults.fail_path(r"/v1/pages/", status=429, retry_after=600)
    client, recorder = make_client(fake.handle)
    with pytest.raises(errors.NotionUnavailable, match="600 s"):
        client.page(page)
    assert len(recorder.seen) == 1
    assert client.limiter.pause_remaining() == pytest.approx(600.0)
    with pytest.raises(errors.NotionRateLimited, match="wait 600 s"):
        client.page(page)
    assert len(recorder.seen) == 1


def _bad_id(fake: FakeNotion) -> str:
    return "not-a-uuid"


def _wrong_token(fake: FakeNotion) -> str:
    fake.token = "secret_other"
    return fake.workspace.add_page(None, "Home")


def _restricted(fake: FakeNotion) -> str:
    fake.faults.fail_path(r"/v1/pages/", status=403)  # the fake has no permissions to deny
    return fake.workspace.add_page(None, "Home")


def _unknown_id(fake: FakeNotion) -> str:
    return MISSING_ID


@pytest.mark.parametrize(
    ("provoke", "status", "code", "error_class", "message"),
    [
        (_bad_id, 400, "validation_error", errors.NotionHTTPError, "should be a valid uuid"),
        (_wrong_token, 401, "unauthorized", errors.NotionUnauthorized, "API token is invalid"),
        (_restricted, 403, "restricted_resource", errors.NotionForbidden, "does not have access"),
        (_unknown_id, 404, "object_not_found", errors.NotionNotFound, "Could not find page"),
    ],
)
def test_client_request_client_errors_not_retried(
    fake: FakeNotion,
    provoke: Callable[[FakeNotion], str],
    status: int,
    code: str,
    error_class: type[errors.NotionHTTPError],
    message: str,
) -> None:
    """400/401/403/404 are raised at once as NotionHTTPError subclasses with their details."""
    page = provoke(fake)
    client, recorder = make_client(fake.handle)
    with pytest.raises(error_class) as caught:
        client.page(page)
    assert len(recorder.seen) == 1
    assert caught.value.status == status
    assert caught.value.code == code
    assert UUID.match(caught.value.request_id or "")
    assert message in caught.value.message


def test_client_request_records_metrics_and_heartbeat(ws: Workspace, fake: FakeNotion) -> None:
    """Each answer counts in NOTION_REQUESTS{endpoint,code} and beats the heartbeat."""
    database, _ = ws.add_database(ws.add_page(None, "Root"), "Tasks", {"Name": "title"})
    fake.faults.fail_path(r"/v1/databases/", status=500, times=1)
    time = VirtualTime()
    heartbeat = Heartbeat(clock=time.clock)
    client, _ = make_client(fake.handle, time, heartbeat=heartbeat)

    def sample(code: str) -> float:
        value = metrics.REGISTRY.get_sample_value(
            "notion_syncd_notion_requests_total", {"endpoint": "databases", "code": code}
        )
        return value or 0.0

    before_500, before_200 = sample("500"), sample("200")
    assert client.database(database)["id"] == database
    assert sample("500") - before_500 == 1
    assert sample("200") - before_200 == 1
    assert heartbeat.age() == 0.0
    assert client.stats.by_endpoint["databases"] == 2


def test_client_stop_event_interrupts_waits(ws: Workspace, fake: FakeNotion) -> None:
    """A stop event set while waiting out a Retry-After raises SyncInterrupted."""
    page = ws.add_page(None, "Home")
    fake.faults.fail_path(r"/v1/", status=429, retry_after=30)
    time = VirtualTime()
    stop = threading.Event()
    heartbeat = Heartbeat(clock=time.clock)

    def sleep_then_stop(seconds: float) -> None:
        time.sleep(seconds)
        if time.now >= 2:
            stop.set()

    client, _ = make_client(
        fake.handle, time, stop=stop, heartbeat=heartbeat, sleep=sleep_then_stop
    )
    with pytest.raises(errors.SyncInterrupted):
        client.page(page)
    assert time.now == pytest.approx(2.0)
    assert heartbeat.age() == 0.0


# -- pagination ------------------------------------------------------------------------


def test_client_paginate_get_cursor_in_query(ws: Workspace, fake: FakeNotion) -> None:
    """GET listings send page_size=100 and start_cursor in the query string."""
    page, blocks = page_with_children(ws, 3)
    fake.page_size_cap = 2
    client, recorder = make_client(fake.handle)
    assert [block["id"] for block in client.block_children(page)] == blocks
    assert recorder.seen[0].params == {"page_size": "100"}
    assert set(recorder.seen[1].params) == {"page_size", "start_cursor"}
    assert recorder.seen[1].params["start_cursor"]
    assert recorder.seen[1].path == f"/v1/blocks/{page}/children"


def test_client_paginate_post_cursor_in_body(ws: Workspace, fake: FakeNotion) -> None:
    """POST listings (search) send page_size and start_cursor in the JSON body."""
    pages = [ws.add_page(None, f"Page {n}") for n in range(3)]
    fake.page_size_cap = 2
    client, recorder = make_client(fake.handle)
    assert sorted(item["id"] for item in client.search("page")) == sorted(pages)
    first, second = recorder.seen[0].body, recorder.seen[1].body
    assert first == {
        "page_size": 100,
        "sort": {"timestamp": "last_edited_time", "direction": "descending"},
        "filter": {"property": "object", "value": "page"},
    }
    assert second is not None and second["start_cursor"]
    assert recorder.seen[0].params == {}


def test_client_paginate_missing_results_tolerated() -> None:
    """A list answer without 'results' counts as an empty page.

    Scripted: the fake always sends 'results'; some proxies and old answers do not.
    """
    body = {"object": "list", "has_more": False, "next_cursor": None}
    client, _ = make_client(scripted(httpx.Response(200, json=body)))
    assert list(client.users()) == []


def test_client_paginate_has_more_without_cursor_is_bad_response() -> None:
    """has_more true with no next_cursor is not silently treated as the end.

    Scripted: an inconsistent list envelope that the fake (and Notion) never send.
    """
    body = {"object": "list", "results": [], "has_more": True, "next_cursor": None}
    client, _ = make_client(scripted(httpx.Response(200, json=body)))
    with pytest.raises(errors.NotionBadResponse):
        list(client.users())


def test_client_paginate_incomplete_raises_after_results(
    ws: Workspace, clock: FakeClock, fake: FakeNotion
) -> None:
    """A listing flagged request_status incomplete yields its results, then raises."""
    source, *row_ids = tasks(ws, clock, 3)
    fake.query_result_cap = 2
    client, _ = make_client(fake.handle)
    rows: list[str] = []
    with pytest.raises(errors.IncompleteListing, match="query_result_limit_reached"):
        rows.extend(row["id"] for row in client.query_data_source(source))
    assert len(rows) == 2
    assert set(rows) < set(row_ids)


def test_client_paginate_pages_exposes_request_status(
    ws: Workspace, clock: FakeClock, fake: FakeNotion
) -> None:
    """paginate_pages yields whole answers with the incomplete flag for the caller."""
    source, *_ = tasks(ws, clock, 3)
    fake.query_result_cap = 2
    client, _ = make_client(fake.handle)
    pages = list(client.paginate_pages("POST", f"/v1/data_sources/{source}/query", json={}))
    assert len(pages) == 1
    assert pages[0].incomplete
    assert len(pages[0].results) == 2


def test_client_paginate_stale_cursor_restarts_once(ws: Workspace, fake: FakeNotion) -> None:
    """An invalid cursor restarts the listing from scratch; nothing is yielded twice."""
    page, blocks = page_with_children(ws, 3)
    fake.page_size_cap = 2
    fake.faults.cut_listing("blocks.children", page=2, stale_cursor=True, times=1)
    client, recorder = make_client(fake.handle)
    assert [block["id"] for block in client.block_children(page)] == blocks
    cursors = [seen.params.get("start_cursor") for seen in recorder.seen]
    assert len(cursors) == 4
    assert cursors[0] is None and cursors[2] is None
    assert cursors[1] and cursors[3]
    assert fake.request_log.by_status() == {200: 3, 400: 1}


def test_client_paginate_stale_cursor_without_progress_raises(
    ws: Workspace, fake: FakeNotion
) -> None:
    """An invalid cursor met again no further into the listing is raised, not looped on."""
    page, _ = page_with_children(ws, 3)
    fake.page_size_cap = 2
    fake.faults.cut_listing("blocks.children", page=2, stale_cursor=True, times=2)
    client, _ = make_client(fake.handle)
    with pytest.raises(errors.NotionHTTPError, match="start_cursor"):
        list(client.block_children(page))


def test_client_paginate_stale_cursor_again_further_restarts_again(
    ws: Workspace, fake: FakeNotion
) -> None:
    """A cursor expiring again after the listing got further restarts it once more."""
    page, blocks = page_with_children(ws, 6)
    fake.page_size_cap = 2
    fake.faults.cut_listing("blocks.children", page=2, stale_cursor=True, times=1)
    fake.faults.cut_listing("blocks.children", page=3, stale_cursor=True, times=1)
    client, recorder = make_client(fake.handle)
    assert [block["id"] for block in client.block_children(page)] == blocks
    assert len(recorder.seen) == 8


def test_client_query_data_source_all_partitions_past_cap(
    ws: Workspace, clock: FakeClock, fake: FakeNotion
) -> None:
    """With a 50-result cap, all 120 rows come back exactly once, in created order."""
    source, *row_ids = tasks(ws, clock, 120)  # three rows per minute: created_time repeats
    fake.query_result_cap = 50
    client, recorder = make_client(fake.handle)
    ids = [row["id"] for row in client.query_data_source_all(source)]
    assert ids == row_ids
    filters = [seen.body.get("filter") for seen in recorder.seen if seen.body]
    assert filters[0] is None
    assert sum(1 for f in filters if f and f["created_time"]["on_or_after"]) >= 2


def test_client_query_data_source_all_combines_caller_filter(
    ws: Workspace, clock: FakeClock, fake: FakeNotion
) -> None:
    """A caller's filter is and-ed with the created_time partition filter."""
    source, *row_ids = tasks(ws, clock, 20)
    fake.query_result_cap = 4
    done = {"property": "Done", "checkbox": {"equals": True}}
    client, recorder = make_client(fake.handle)
    ids = [row["id"] for row in client.query_data_source_all(source, filter=done)]
    assert ids == row_ids[::2]
    filters = [seen.body["filter"] for seen in recorder.seen if seen.body]
    assert filters[0] == done
    partitioned = [f for f in filters if "and" in f]
    assert partitioned and all(f["and"][0] == done for f in partitioned)


def test_client_query_data_source_all_cap_within_one_minute_raises(
    ws: Workspace, clock: FakeClock, fake: FakeNotion
) -> None:
    """When the cap is hit inside one created_time, partitioning cannot progress: raise."""
    source, *_ = tasks(ws, clock, 12, seconds_apart=0)
    fake.query_result_cap = 2
    client, _ = make_client(fake.handle)
    with pytest.raises(errors.IncompleteListing, match="cannot partition"):
        list(client.query_data_source_all(source))


def test_client_property_items_concatenates_list_pages(ws: Workspace, fake: FakeNotion) -> None:
    """A show_original rollup over 30 relations returns its 30 values (two pages) and the final."""
    root = ws.add_page(None, "Root")
    _, items = ws.add_database(root, "Items", {"Name": "title"})
    targets = [ws.add_row(items, {"Name": f"item {n}"}) for n in range(30)]
    relation = {"type": "relation", "relation": {"data_source_id": items}}
    rollup = {
        "type": "rollup",
        "rollup": {
            "relation_property_name": "Bought",
            "rollup_property_name": "Name",
            "function": "show_original",
        },
    }
    _, customers = ws.add_database(
        root, "Customers", {"Name": "title", "Bought": relation, "Items": rollup}
    )
    final = {"type": "array", "array": [], "function": "show_original"}
    row = ws.add_row(customers, {"Name": "c", "Bought": targets, "Items": final})
    fake.page_size_cap = 20
    client, _ = make_client(fake.handle)
    property_id = client.page(row)["properties"]["Items"]["id"]
    value = client.property_items(row, property_id)
    # show_original: one item per value (here each related page's title), in order.
    names = ["".join(part["plain_text"] for part in item["title"]) for item in value["results"]]
    assert names == [f"item {n}" for n in range(30)]
    assert value["property_item"]["rollup"]["function"] == "show_original"
    assert value["has_more"] is False
    assert fake.request_log.count("pages.properties") == 2


def test_client_property_items_single_value(ws: Workspace, fake: FakeNotion) -> None:
    """A simple property returns its one property_item in a single request."""
    _, source = ws.add_database(ws.add_page(None, "Root"), "Prices", {"Price": "number"})
    row = ws.add_row(source, {"Name": "book", "Price": 1234})
    client, _ = make_client(fake.handle)
    property_id = client.page(row)["properties"]["Price"]["id"]
    assert client.property_items(row, property_id)["number"] == 1234
    assert fake.request_log.count("pages.properties") == 1


# -- downloads -------------------------------------------------------------------------


def test_client_download_plain_get_without_auth(ws: Workspace, fake: FakeNotion) -> None:
    """Downloads send no Authorization header and return the bytes."""
    page = page_with_file(ws, b"PNG-bytes")
    client, recorder = make_client(fake.handle)
    assert client.download(file_url(client, page), max_bytes=100) == b"PNG-bytes"
    assert "authorization" not in recorder.seen[-1].headers
    assert "notion-version" not in recorder.seen[-1].headers
    assert client.stats.by_endpoint["files"] == 1


def test_client_download_refuses_over_max_bytes(ws: Workspace, fake: FakeNotion) -> None:
    """A body over max_bytes is refused, with or without Content-Length.

    The body without Content-Length is scripted: the fake always sends the length.
    """
    page = page_with_file(ws, b"z" * 500)
    client, _ = make_client(fake.handle)
    url = file_url(client, page)

    def streamed(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([b"x" * 60, b"y" * 60]))

    for handler in (fake.handle, streamed):
        client, _ = make_client(handler)
        with pytest.raises(errors.FileDownloadError, match="larger than 100") as caught:
            client.download(url, max_bytes=100)
        assert "X-Amz-Signature" not in str(caught.value)


def test_client_download_expired_url_flags_refresh(
    ws: Workspace, clock: FakeClock, fake: FakeNotion
) -> None:
    """An S3 403 raises ExpiredFileURL (a FileDownloadError) without the signed query."""
    page = page_with_file(ws, b"PNG-bytes")
    client, _ = make_client(fake.handle)
    url = file_url(client, page)
    clock.advance(hours=2)  # signed URLs live one hour
    with pytest.raises(ExpiredFileURL) as caught:
        client.download(url, max_bytes=100)
    assert isinstance(caught.value, errors.FileDownloadError)
    assert "X-Amz-Signature" not in str(caught.value)
    assert fake.request_log.count("files.download", status=403) == 1
    assert client.download(file_url(client, page), max_bytes=100) == b"PNG-bytes"


def test_client_download_retries_server_errors_and_timeouts(
    ws: Workspace, fake: FakeNotion
) -> None:
    """5xx answers and timeouts during a download are retried."""
    page = page_with_file(ws, b"ok")
    fake.faults.fail_path(r"/_files/", status=503, times=1)
    fake.faults.stall_path(r"/_files/", times=1)
    client, _ = make_client(fake.handle)
    assert client.download(file_url(client, page), max_bytes=100) == b"ok"
    assert fake.request_log.count("files.download") == 3


def test_client_download_not_found_is_download_error(fake: FakeNotion) -> None:
    """A 404 is a plain FileDownloadError, not retried; a non-http URL is refused."""
    url, _ = fake.files.sign(BASE, MISSING_ID, "gone.png")
    client, recorder = make_client(fake.handle)
    with pytest.raises(errors.FileDownloadError) as caught:
        client.download(url, max_bytes=100)
    assert not isinstance(caught.value, ExpiredFileURL)
    with pytest.raises(errors.FileDownloadError, match="not an http"):
        client.download("file:///etc/passwd", max_bytes=100)
    assert len(recorder.seen) == 1
    assert fake.request_log.count("files.download", status=404) == 1


# -- secrets ---------------------------------------------------------------------------


def rendered(failure: BaseException) -> str:
    """Everything a log could show of an exception: str, repr, traceback with locals."""
    frames = traceback.TracebackException.from_exception(failure, capture_locals=True)
    return "\n".join([str(failure), repr(failure), *frames.format()])


def test_client_token_canary_never_leaks() -> None:
    """The token appears in no exception text, repr, traceback local or log event.

    A refused connection is scripted (no server can answer it); the rest is the fake.
    """

    def faulty(fault: Callable[[FakeNotion], object]) -> Callable[[FakeNotion], str]:
        def provoke(fake: FakeNotion) -> str:
            fault(fake)
            return fake.workspace.add_page(None, "Home")

        return provoke

    cases: list[Callable[[FakeNotion], str]] = [
        _wrong_token,
        _unknown_id,
        faulty(lambda fake: fake.faults.fail_path("", status=502)),
        faulty(lambda fake: fake.faults.fail_path("", status=429, retry_after=1)),
        faulty(lambda fake: fake.faults.stall_path("")),
        faulty(lambda fake: fake.faults.reset_connection("")),
        faulty(lambda fake: fake.faults.malformed_json("")),
    ]
    handlers: list[tuple[Handler, str]] = [(scripted(httpx.ConnectError), MISSING_ID)]
    for provoke in cases:
        fake = FakeNotion(Workspace(), token=TOKEN)
        handlers.append((fake.handle, provoke(fake)))
    texts: list[str] = []
    with capture_logs() as logs:
        for handler, page in handlers:
            client, _ = make_client(handler, max_attempts=2)
            texts.append(repr(client))
            with pytest.raises(errors.NotionError) as caught:
                client.page(page)
            texts.append(rendered(caught.value))
        missing = FakeNotion(Workspace(), token=TOKEN)
        url, _ = missing.files.sign(BASE, MISSING_ID, "gone.png")
        client, _ = make_client(missing.handle, max_attempts=2)
        with pytest.raises(errors.FileDownloadError) as download_failure:
            client.download(url, max_bytes=10)
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


def test_client_fake_server_reads_workspace_through_faults() -> None:
    """Over real HTTP, listings, the query cap and a download survive injected faults."""
    clock = FakeClock()
    workspace = Workspace(clock=clock)
    root = workspace.add_page(None, "Root")
    for index in range(130):
        workspace.add_page(root, f"Child {index}")
    picture = workspace.add_file(b"\x89PNG fake image", "picture.png")
    with_file = workspace.add_page(root, "With file", blocks=[rt.media("image", picture)])
    _, data_source = workspace.add_database(root, "Tasks", {"Name": {"type": "title"}})
    for index in range(120):
        clock.advance(20)  # three rows per minute: created_time values repeat
        workspace.add_row(data_source, {"Name": f"Row {index}"})
    time = VirtualTime()  # our waits are virtual; the network is real
    server = FakeNotionServer(workspace, token=TOKEN, query_result_cap=50)
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


def test_client_fake_server_errors_never_leak_token() -> None:
    """Through real httpx/httpcore frames, a wrong token and a dead port leak no token."""
    workspace = Workspace()
    time = VirtualTime()
    texts: list[str] = []
    with capture_logs() as logs:
        with FakeNotionServer(workspace, token="secret_other") as server:
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


def test_client_in_flight_target_from_observed_latency(fake: FakeNotion, ws: Workspace) -> None:
    """Answers taking 0.5 s at 10 requests/s: Little's law asks for 5 in flight, ×2 + 8."""
    page = ws.add_page(None, "Slow")
    time = VirtualTime()

    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.5)
        return fake.handle(request)

    client, _recorder = make_client(slow, time, requests_per_second=10, burst=2)
    with client:
        client.page(page)
        client.page(page)
        assert client.observed_latency == pytest.approx(0.5)
        assert client.in_flight_target() == 18
        client.limiter.pause_until(time.clock())  # a 429 lowers the pace to 9: fewer in flight
        assert client.in_flight_target() == 17

"""Behaviour of the fake Notion API over real HTTP (httpx against the loopback server)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from notion_syncd.fake_notion import (
    ConnectionReset,
    FakeClock,
    FakeNotion,
    FakeNotionServer,
    RateLimit,
    RequestStalled,
    Workspace,
    demo_edits,
    demo_workspace,
    generate_workspace,
)
from notion_syncd.fake_notion import richtext as rt

JSON = dict[str, Any]
HEADERS = {"Authorization": "Bearer secret_fake", "Notion-Version": "2025-09-03"}
MINUTE_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$")
DATABASE_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 10, 15, 30, tzinfo=UTC))


@pytest.fixture
def ws(clock: FakeClock) -> Workspace:
    return Workspace(clock, seed=1)


@pytest.fixture
def server(ws: Workspace) -> Iterator[FakeNotionServer]:
    with FakeNotionServer(ws) as running:
        yield running


@pytest.fixture
def api(server: FakeNotionServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=10) as client:
        yield client


def collect(
    api: httpx.Client, method: str, path: str, body: JSON | None = None, page_size: int = 100
) -> list[JSON]:
    """Follow cursors to the end of a listing."""
    results: list[JSON] = []
    cursor: str | None = None
    while True:
        if method == "GET":
            params: dict[str, Any] = {"page_size": page_size}
            if cursor:
                params["start_cursor"] = cursor
            response = api.get(path, params=params)
        else:
            payload = {**(body or {}), "page_size": page_size}
            if cursor:
                payload["start_cursor"] = cursor
            response = api.post(path, json=payload)
        assert response.status_code == 200, response.text
        page = response.json()
        assert (page["next_cursor"] is None) == (not page["has_more"])
        results.extend(page["results"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return results


# ---------------------------------------------------------------------- search


def test_search_paginates_every_object_once(ws: Workspace, api: httpx.Client) -> None:
    """Search pages through all pages, rows and data sources without repeats."""
    generate_workspace(ws, pages=40, databases=2, rows_per_database=10)
    found = collect(api, "POST", "/v1/search", page_size=7)
    ids = [item["id"] for item in found]
    assert len(ids) == len(set(ids)) == len(ws.pages) + len(ws.data_sources)


def test_search_sorts_by_minute_then_id(ws: Workspace, clock: FakeClock, api: httpx.Client) -> None:
    """Ascending sort orders by rounded last_edited_time, ties broken by id."""
    first = [ws.add_page(None, f"early {n}") for n in range(3)]
    clock.advance(minutes=2)
    late = ws.add_page(None, "late")
    body: JSON = {"sort": {"timestamp": "last_edited_time", "direction": "ascending"}}
    ids = [item["id"] for item in collect(api, "POST", "/v1/search", body, page_size=2)]
    assert ids == [*sorted(first), late]
    body["sort"]["direction"] = "descending"
    assert collect(api, "POST", "/v1/search", body)[0]["id"] == late


def test_search_filters_by_object_and_title(ws: Workspace, api: httpx.Client) -> None:
    """filter.value and query narrow the results; 'database' is rejected."""
    page = ws.add_page(None, "Roadmap 2026")
    ws.add_database(page, "Bugs", {"Name": "title"})
    pages = collect(api, "POST", "/v1/search", {"filter": {"property": "object", "value": "page"}})
    assert {item["object"] for item in pages} == {"page"}
    sources = collect(
        api, "POST", "/v1/search", {"filter": {"property": "object", "value": "data_source"}}
    )
    assert [item["object"] for item in sources] == ["data_source"]
    assert [item["id"] for item in collect(api, "POST", "/v1/search", {"query": "roadmap"})] == [
        page
    ]
    wrong = api.post("/v1/search", json={"filter": {"property": "object", "value": "database"}})
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "validation_error"


def test_search_trash_only_with_in_trash(ws: Workspace, api: httpx.Client) -> None:
    """Trashed pages leave search and come back only with filter.in_trash."""
    keep = ws.add_page(None, "keep")
    gone = ws.add_page(None, "gone")
    child = ws.add_page(gone, "child of gone")
    ws.trash(gone)
    assert [item["id"] for item in collect(api, "POST", "/v1/search")] == [keep]
    trashed = collect(api, "POST", "/v1/search", {"filter": {"in_trash": True}})
    assert {item["id"] for item in trashed} == {gone, child}
    assert all(item["in_trash"] for item in trashed)


def test_search_standing_agrees_with_walking_up(ws: Workspace, api: httpx.Client) -> None:
    """Search's memo of ancestors answers as is_shared and is_trashed do, in any order."""
    generate_workspace(ws, pages=60, depth=4, databases=2, rows_per_database=6)
    pages = sorted(ws.pages)
    ws.trash(pages[3])
    ws.unshare(pages[10])
    ws.unshare(next(iter(ws.databases)))
    objects = [*ws.pages, *ws.data_sources]
    expected = {oid: (ws.is_shared(oid), ws.is_trashed(oid)) for oid in objects}
    assert len(set(expected.values())) >= 3  # shared, trashed and unshared objects all occur
    for order in (objects, objects[::-1]):
        memo: dict[str, tuple[bool, bool]] = {}
        assert {oid: ws.standing(oid, memo) for oid in order} == expected
    listed = {item["id"] for item in collect(api, "POST", "/v1/search")}
    assert listed == {oid for oid, (shared, trashed) in expected.items() if shared and not trashed}


def test_search_indexing_lag_hides_new_pages(
    ws: Workspace, clock: FakeClock, server: FakeNotionServer, api: httpx.Client
) -> None:
    """With a search lag, new pages appear only after the lag has passed."""
    server.faults.search_lag = 30
    page = ws.add_page(None, "fresh")
    assert collect(api, "POST", "/v1/search") == []
    clock.advance(31)
    assert [item["id"] for item in collect(api, "POST", "/v1/search")] == [page]


def test_search_invalid_cursor_is_validation_error(api: httpx.Client) -> None:
    """An unknown cursor answers the documented stale-cursor error."""
    response = api.post("/v1/search", json={"start_cursor": "nope"})
    assert response.status_code == 400
    assert response.json()["message"] == "The start_cursor provided is invalid: nope"


# ---------------------------------------------------------------------- pages and blocks


def test_children_cursor_is_next_block_id(ws: Workspace, api: httpx.Client) -> None:
    """Block children paginate with the id of the next block as cursor."""
    page = ws.add_page(None, "p", [rt.paragraph(f"paragraph {n}") for n in range(5)])
    first = api.get(f"/v1/blocks/{page}/children", params={"page_size": 2}).json()
    assert first["type"] == "block" and first["block"] == {}
    assert first["next_cursor"] == ws.children_of(page)[2]
    texts = [
        b["paragraph"]["rich_text"][0]["plain_text"]
        for b in collect(api, "GET", f"/v1/blocks/{page}/children", page_size=2)
    ]
    assert texts == [f"paragraph {n}" for n in range(5)]


def test_children_exclude_trashed_and_list_nested(ws: Workspace, api: httpx.Client) -> None:
    """Trashed blocks vanish from listings; nested children need their own call."""
    page = ws.add_page(
        None, "p", [rt.toggle("t", children=[rt.paragraph("inner")]), rt.paragraph("x")]
    )
    toggle_id, paragraph_id = ws.children_of(page)
    ws.delete_block(paragraph_id)
    top = collect(api, "GET", f"/v1/blocks/{page}/children")
    assert [b["id"] for b in top] == [toggle_id] and top[0]["has_children"] is True
    inner = collect(api, "GET", f"/v1/blocks/{toggle_id}/children")
    assert inner[0]["parent"] == {"type": "block_id", "block_id": toggle_id}
    assert api.get(f"/v1/blocks/{paragraph_id}").json()["in_trash"] is True
    assert api.get(f"/v1/blocks/{paragraph_id}/children").status_code == 400


def test_children_of_unsupported_block_is_400(ws: Workspace, api: httpx.Client) -> None:
    """Listing children of an unsupported block answers 400 validation_error."""
    page = ws.add_page(None, "p", [rt.unsupported("button", [rt.paragraph("x")])])
    block_id = ws.children_of(page)[0]
    response = api.get(f"/v1/blocks/{block_id}/children")
    assert response.status_code == 400
    assert response.json()["message"] == "Block type button is not supported via the API."


def test_children_of_synced_duplicate_follow_original(ws: Workspace, api: httpx.Client) -> None:
    """A duplicate synced block lists the original's children; 404 once it is unshared."""
    source = ws.add_page(None, "source", [rt.synced_original([rt.paragraph("shared")])])
    original = ws.children_of(source)[0]
    target = ws.add_page(None, "target", [rt.synced_duplicate(original)])
    duplicate = ws.children_of(target)[0]
    children = collect(api, "GET", f"/v1/blocks/{duplicate}/children")
    assert children[0]["parent"] == {"type": "block_id", "block_id": original}
    ws.unshare(source)
    response = api.get(f"/v1/blocks/{duplicate}/children")
    assert response.status_code == 404
    assert f"Could not find block with ID: {original}." in response.json()["message"]


def test_page_truncates_relations_to_25(ws: Workspace, api: httpx.Client) -> None:
    """30 relations show 25 plus has_more in the page; property items list all 30."""
    holder = ws.add_page(None, "holder")
    _, items = ws.add_database(holder, "Items", {"Name": "title"})
    targets = [ws.add_row(items, {"Name": f"item {n}"}) for n in range(30)]
    _, customers = ws.add_database(
        holder,
        "Customers",
        {"Name": "title", "Bought": {"type": "relation", "relation": {"data_source_id": items}}},
    )
    row = ws.add_row(customers, {"Name": "c", "Bought": targets})
    page = api.get(f"/v1/pages/{row}").json()
    relation = page["properties"]["Bought"]
    assert len(relation["relation"]) == 25 and relation["has_more"] is True
    property_id = relation["id"]
    first = api.get(f"/v1/pages/{row}/properties/{property_id}").json()
    assert len(first["results"]) == 25 and first["has_more"] is True
    assert first["property_item"]["next_url"].startswith(server_url(api))
    every = collect(api, "GET", f"/v1/pages/{row}/properties/{property_id}", page_size=100)
    assert [item["relation"]["id"] for item in every] == targets


def server_url(api: httpx.Client) -> str:
    """The base URL a client talks to."""
    return str(api.base_url).rstrip("/")


def test_property_item_single_value(ws: Workspace, api: httpx.Client) -> None:
    """Non-list properties come back as one property_item."""
    holder = ws.add_page(None, "holder")
    _, source = ws.add_database(holder, "T", {"Name": "title", "Count": "number"})
    row = ws.add_row(source, {"Name": "r", "Count": 7})
    property_id = api.get(f"/v1/pages/{row}").json()["properties"]["Count"]["id"]
    item = api.get(f"/v1/pages/{row}/properties/{property_id}").json()
    assert {k: item[k] for k in ("object", "type", "number")} == {
        "object": "property_item",
        "type": "number",
        "number": 7,
    }


def test_timestamps_rounded_and_database_precise(
    ws: Workspace, clock: FakeClock, api: httpx.Client
) -> None:
    """Pages, blocks and data sources are minute-rounded; databases keep milliseconds."""
    page = ws.add_page(None, "p", [rt.paragraph("x")])
    database, source = ws.add_database(page, "D", {"Name": "title"})
    body = api.get(f"/v1/pages/{page}").json()
    assert body["last_edited_time"] == "2026-03-02T10:15:00.000Z"
    block = api.get(f"/v1/blocks/{ws.children_of(page)[0]}").json()
    assert MINUTE_FORMAT.match(block["created_time"])
    assert MINUTE_FORMAT.match(api.get(f"/v1/data_sources/{source}").json()["created_time"])
    container = api.get(f"/v1/databases/{database}").json()
    assert container["created_time"] == "2026-03-02T10:15:30.000+00:00"
    assert DATABASE_FORMAT.match(container["last_edited_time"])


def test_block_edit_bumps_owning_page_only(
    ws: Workspace, clock: FakeClock, api: httpx.Client
) -> None:
    """Editing a block bumps it and its page, not the grandparent page."""
    parent = ws.add_page(None, "parent")
    child = ws.add_page(parent, "child", [rt.paragraph("before")])
    clock.advance(minutes=5)
    ws.update_block(ws.children_of(child)[0], {"paragraph": {"rich_text": rt.text_list("after")}})
    assert api.get(f"/v1/pages/{child}").json()["last_edited_time"] == "2026-03-02T10:20:00.000Z"
    assert api.get(f"/v1/pages/{parent}").json()["last_edited_time"] == "2026-03-02T10:15:00.000Z"


def test_unshare_answers_404_for_descendants(ws: Workspace, api: httpx.Client) -> None:
    """Unsharing hides the page and everything below it from reads and search."""
    root = ws.add_page(None, "root")
    child = ws.add_page(root, "child", [rt.paragraph("x")])
    ws.unshare(root)
    response = api.get(f"/v1/pages/{child}")
    assert response.status_code == 404
    assert response.json()["message"] == (
        f"Could not find page with ID: {child}. Make sure the relevant pages and databases are "
        'shared with your integration "notion-syncd-fake".'
    )
    assert collect(api, "POST", "/v1/search") == []


def test_trash_and_move_keep_child_page_blocks(ws: Workspace, api: httpx.Client) -> None:
    """child_page blocks follow pages when they are moved, trashed and restored."""
    a = ws.add_page(None, "A")
    b = ws.add_page(None, "B")
    child = ws.add_page(a, "child")

    def child_pages(parent: str) -> list[str]:
        return [
            blk["id"]
            for blk in collect(api, "GET", f"/v1/blocks/{parent}/children")
            if blk["type"] == "child_page"
        ]

    assert child_pages(a) == [child]
    ws.move(child, b)
    assert child_pages(a) == [] and child_pages(b) == [child]
    assert api.get(f"/v1/pages/{child}").json()["parent"] == {"type": "page_id", "page_id": b}
    ws.trash(child)
    assert child_pages(b) == []
    assert api.get(f"/v1/pages/{child}").json()["in_trash"] is True
    ws.restore(child)
    assert child_pages(b) == [child]


def test_ids_without_dashes_and_bad_ids(ws: Workspace, api: httpx.Client) -> None:
    """Undashed ids work; malformed ids are validation errors, the nil UUID a 404."""
    page = ws.add_page(None, "p")
    assert api.get(f"/v1/pages/{page.replace('-', '')}").json()["id"] == page
    bad = api.get("/v1/pages/12345678-1234-1234-1234-123456789abc").json()
    assert bad["message"] == (
        "path failed validation: path.page_id should be a valid uuid, "
        'instead was `"12345678-1234-1234-1234-123456789abc"`.'
    )
    assert api.get("/v1/pages/00000000-0000-0000-0000-000000000000").status_code == 404


def test_headers_checked_before_routes(server: FakeNotionServer) -> None:
    """Missing version, unknown version, bad token and unknown paths get their errors."""
    with httpx.Client(base_url=server.base_url, timeout=10) as bare:
        missing = bare.get("/v1/users", headers={"Authorization": "Bearer secret_fake"})
        assert missing.json()["code"] == "missing_version"
        old = bare.get("/v1/users", headers={**HEADERS, "Notion-Version": "2022-06-28"})
        assert old.json()["code"] == "validation_error"
        token = bare.get("/v1/users", headers={**HEADERS, "Authorization": "Bearer wrong"})
        assert token.status_code == 401 and token.json()["message"] == "API token is invalid."
        unknown = bare.get("/v1/invalid", headers=HEADERS)
        assert unknown.json()["code"] == "invalid_request_url"
        assert unknown.headers["x-notion-request-id"] == unknown.json()["request_id"]


def test_version_2026_drops_archived(ws: Workspace, server: FakeNotionServer) -> None:
    """2025-09-03 objects carry archived; 2026-03-11 objects do not."""
    page = ws.add_page(None, "p")
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        old = client.get(f"/v1/pages/{page}", headers=HEADERS).json()
        new = client.get(
            f"/v1/pages/{page}", headers={**HEADERS, "Notion-Version": "2026-03-11"}
        ).json()
    assert old["archived"] is False and "archived" not in new


# ---------------------------------------------------------------------- data sources


def test_query_filters_on_last_edited_minute(
    ws: Workspace, clock: FakeClock, api: httpx.Client
) -> None:
    """on_or_after a rounded watermark includes rows edited within that minute."""
    holder = ws.add_page(None, "h")
    _, source = ws.add_database(holder, "T", {})
    old = ws.add_row(source, {"Name": "old"})
    clock.advance(minutes=10)
    new = ws.add_row(source, {"Name": "new"})
    clock.advance(20)
    watermark = api.get(f"/v1/pages/{new}").json()["last_edited_time"]
    body: JSON = {
        "filter": {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": watermark}},
        "sorts": [{"timestamp": "created_time", "direction": "ascending"}],
    }
    assert [r["id"] for r in collect(api, "POST", f"/v1/data_sources/{source}/query", body)] == [
        new
    ]
    body["filter"]["last_edited_time"] = {"after": watermark}
    assert collect(api, "POST", f"/v1/data_sources/{source}/query", body) == []
    everything = collect(
        api,
        "POST",
        f"/v1/data_sources/{source}/query",
        {"sorts": [{"timestamp": "created_time", "direction": "ascending"}]},
    )
    assert [r["id"] for r in everything] == [old, new]


def test_query_result_cap_reports_incomplete(
    ws: Workspace, server: FakeNotionServer, api: httpx.Client
) -> None:
    """Past the result cap the query stops with request_status incomplete."""
    server.query_result_cap = 5
    holder = ws.add_page(None, "h")
    _, source = ws.add_database(holder, "T", {})
    for n in range(8):
        ws.add_row(source, {"Name": f"r{n}"})
    first = api.post(f"/v1/data_sources/{source}/query", json={"page_size": 3}).json()
    assert first["next_cursor"].startswith("s:") and "request_status" not in first
    second = api.post(
        f"/v1/data_sources/{source}/query",
        json={"page_size": 3, "start_cursor": first["next_cursor"]},
    ).json()
    assert len(second["results"]) == 2 and second["has_more"] is False
    assert second["request_status"] == {
        "type": "incomplete",
        "incomplete_reason": "query_result_limit_reached",
    }


def test_query_excludes_trashed_rows(ws: Workspace, api: httpx.Client) -> None:
    """Trashed rows are left out of queries unless in_trash is set."""
    holder = ws.add_page(None, "h")
    _, source = ws.add_database(holder, "T", {})
    row = ws.add_row(source, {"Name": "r"})
    ws.trash(row)
    assert collect(api, "POST", f"/v1/data_sources/{source}/query") == []
    assert len(collect(api, "POST", f"/v1/data_sources/{source}/query", {"in_trash": True})) == 1


# ---------------------------------------------------------------------- files


def test_file_url_expires_and_refreshes(
    ws: Workspace, clock: FakeClock, server: FakeNotionServer, api: httpx.Client
) -> None:
    """Signed URLs download until expiry, then 403; a re-fetch mints a fresh one."""
    hosted = ws.add_file(b"PNGDATA", "pic.png")
    page = ws.add_page(None, "p", [rt.media("image", hosted)])
    block_id = ws.children_of(page)[0]
    image = api.get(f"/v1/blocks/{block_id}").json()["image"]
    assert image["type"] == "file" and "X-Amz-Expires=3600" in image["file"]["url"]
    with httpx.Client(timeout=10) as anonymous:
        assert anonymous.get(image["file"]["url"]).content == b"PNGDATA"
        clock.advance(hours=1, seconds=1)
        expired = anonymous.get(image["file"]["url"])
        assert expired.status_code == 403 and b"Request has expired" in expired.content
        fresh = api.get(f"/v1/blocks/{block_id}").json()["image"]["file"]
        assert fresh["url"] != image["file"]["url"]
        assert anonymous.get(fresh["url"]).status_code == 200
    assert api.get(fresh["url"]).status_code == 400  # S3 refuses a second auth mechanism


# ---------------------------------------------------------------------- faults


def test_faults_rate_limit_bucket_answers_429(
    ws: Workspace, server: FakeNotionServer, api: httpx.Client
) -> None:
    """Beyond the burst the token bucket answers 429 rate_limited with Retry-After."""
    server.faults.rate_limit = RateLimit(requests_per_second=1, burst=3)
    statuses = [api.get("/v1/users/me").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    limited = api.get("/v1/users/me")
    assert limited.json()["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1


def test_faults_storm_and_overload(server: FakeNotionServer, api: httpx.Client) -> None:
    """Every k-th request storms 429; overload answers 529 with Retry-After."""
    server.faults.rate_limit_storm(every=3, retry_after=2)
    statuses = [api.get("/v1/users/me").status_code for _ in range(6)]
    assert statuses == [200, 200, 429, 200, 200, 429]
    server.faults.clear()
    server.faults.overload(every=1, retry_after=4)
    response = api.get("/v1/users/me")
    assert response.status_code == 529 and response.headers["Retry-After"] == "4"
    assert response.json()["code"] == "service_overload"


def test_faults_random_errors_are_seeded(ws: Workspace) -> None:
    """Random 5xx answers repeat exactly for the same seed; 502 has an HTML body."""

    def run() -> list[int]:
        with (
            FakeNotionServer(ws, seed=5) as server,
            httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=10) as client,
        ):
            server.faults.random_errors(0.5)
            responses = [client.get("/v1/users/me") for _ in range(20)]
            for response in responses:
                if response.status_code == 502:
                    assert response.headers["content-type"].startswith("text/html")
            return [response.status_code for response in responses]

    first = run()
    assert first == run()
    assert set(first) - {200} and 200 in first


def test_faults_fail_path_persistently(
    ws: Workspace, server: FakeNotionServer, api: httpx.Client
) -> None:
    """A path fault answers its status every time until cleared."""
    page = ws.add_page(None, "p", [rt.paragraph("x")])
    server.faults.fail_path(rf"/v1/blocks/{page}/children", status=500)
    assert [api.get(f"/v1/blocks/{page}/children").status_code for _ in range(3)] == [500] * 3
    assert api.get(f"/v1/pages/{page}").status_code == 200
    server.faults.clear()
    assert api.get(f"/v1/blocks/{page}/children").status_code == 200


def test_faults_cut_listing_on_nth_page(
    ws: Workspace, server: FakeNotionServer, api: httpx.Client
) -> None:
    """cut_listing fails the chosen page of a search listing."""
    for n in range(6):
        ws.add_page(None, f"p{n}")
    server.faults.cut_listing("search", page=3, status=503)
    first = api.post("/v1/search", json={"page_size": 2}).json()
    second = api.post(
        "/v1/search", json={"page_size": 2, "start_cursor": first["next_cursor"]}
    ).json()
    third = api.post("/v1/search", json={"page_size": 2, "start_cursor": second["next_cursor"]})
    assert third.status_code == 503
    assert len(collect(api, "POST", "/v1/search", page_size=2)) == 6


def test_faults_malformed_json_and_reset(server: FakeNotionServer, api: httpx.Client) -> None:
    """Malformed bodies fail to parse; a reset connection raises a transport error."""
    server.faults.malformed_json(r"/v1/users/me", times=1)
    broken = api.get("/v1/users/me")
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()
    server.faults.reset_connection(r"/v1/users/me", times=1)
    with pytest.raises(httpx.TransportError):
        api.get("/v1/users/me")
    assert api.get("/v1/users/me").status_code == 200


def test_faults_stall_ends_at_stop(ws: Workspace) -> None:
    """A stalled request hangs until stop(), which returns promptly."""
    server = FakeNotionServer(ws).start()
    server.faults.stall_path(r"/v1/search")
    errors: list[BaseException] = []

    def call() -> None:
        with httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=10) as client:
            try:
                client.post("/v1/search", json={})
            except httpx.TransportError as error:
                errors.append(error)

    worker = threading.Thread(target=call)
    worker.start()
    time.sleep(0.3)
    assert worker.is_alive()
    started = time.monotonic()
    server.stop()
    worker.join(5)
    assert not worker.is_alive() and errors
    assert time.monotonic() - started < 3


def test_faults_latency_overlaps_concurrent_requests(ws: Workspace) -> None:
    """Latency sleeps per request without serializing concurrent requests.

    6 requests of 1 s each: about 1 s when they overlap, 6 s in series; the bound sits
    half-way so that a loaded machine's overhead does not decide the outcome.
    """
    with FakeNotionServer(ws, latency=1.0) as server:

        def call() -> None:
            with httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=10) as client:
                assert client.get("/v1/users/me").status_code == 200

        started = time.monotonic()
        workers = [threading.Thread(target=call) for _ in range(6)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert time.monotonic() - started < 3.0


# ---------------------------------------------------------------------- one entry point


def _without_request_id(response: httpx.Response) -> JSON:
    body: JSON = response.json()
    assert body.pop("request_id") == response.headers["x-notion-request-id"]
    return body


def test_handle_answers_like_the_server(ws: Workspace, api: httpx.Client) -> None:
    """handle() through MockTransport and the loopback server give the same answers."""
    page = ws.add_page(None, "p", blocks=[rt.paragraph("hello")])
    fake = FakeNotion(ws)
    with httpx.Client(
        base_url=str(api.base_url), headers=HEADERS, transport=httpx.MockTransport(fake.handle)
    ) as direct:
        for method, path in [
            ("GET", f"/v1/pages/{page}"),
            ("GET", f"/v1/blocks/{page}/children"),
            ("POST", "/v1/search"),
            ("GET", "/v1/pages/not-an-id"),
            ("GET", "/v1/nope"),
        ]:
            over_http, in_process = api.request(method, path), direct.request(method, path)
            assert over_http.status_code == in_process.status_code
            assert _without_request_id(over_http) == _without_request_id(in_process)
    assert [entry.endpoint for entry in fake.request_log][-1] == "invalid"


def test_handle_raises_transport_faults_as_httpx_errors(ws: Workspace) -> None:
    """A stall is a ReadTimeout and a reset a ReadError, each logged without a status."""
    fake = FakeNotion(ws)
    fake.faults.stall_path(r"/v1/users/me", times=1)
    fake.faults.reset_connection(r"/v1/users/me", times=1)
    transport = httpx.MockTransport(fake.handle)
    with httpx.Client(base_url="https://fake.test", headers=HEADERS, transport=transport) as api:
        with pytest.raises(httpx.ReadTimeout) as stalled:
            api.get("/v1/users/me")
        with pytest.raises(httpx.ReadError) as reset:
            api.get("/v1/users/me")
        assert api.get("/v1/users/me").status_code == 200
    assert isinstance(stalled.value, RequestStalled)
    assert isinstance(reset.value, ConnectionReset)
    assert [entry.status for entry in fake.request_log] == [0, 0, 200]


def test_handle_signs_file_urls_for_the_host_asked(ws: Workspace) -> None:
    """Hosted-file URLs point at the host the request went to, and download from there."""
    page = ws.add_page(None, "p", blocks=[rt.media("image", ws.add_file(b"bytes", "a.png"))])
    fake = FakeNotion(ws)
    transport = httpx.MockTransport(fake.handle)
    with httpx.Client(base_url="https://fake.test", headers=HEADERS, transport=transport) as api:
        image = api.get(f"/v1/blocks/{page}/children").json()["results"][0]
        url = image["image"]["file"]["url"]
        assert url.startswith("https://fake.test/_files/")
        assert api.get(url, headers={"Authorization": ""}).status_code == 400
    with httpx.Client(transport=transport) as anonymous:
        assert anonymous.get(url).content == b"bytes"


# ---------------------------------------------------------------------- log and generators


def test_request_log_counts_by_endpoint(
    ws: Workspace, server: FakeNotionServer, api: httpx.Client
) -> None:
    """Every request is logged with its endpoint and status; clear() empties the log."""
    page = ws.add_page(None, "p")
    api.get(f"/v1/pages/{page}")
    api.get(f"/v1/blocks/{page}/children")
    api.get("/v1/nope")
    log = server.request_log
    assert log.by_endpoint() == {"pages.retrieve": 1, "blocks.children": 1, "invalid": 1}
    assert log.count(status=400) == 1
    assert log[0].method == "GET" and log[0].path == f"/v1/pages/{page}"
    log.clear()
    assert len(log) == 0


def test_generate_workspace_is_deterministic_and_complete() -> None:
    """The same seed yields the same ids; every common block type is present."""
    first, second = Workspace(FakeClock(), seed=3), Workspace(FakeClock(), seed=3)
    assert generate_workspace(first, pages=30, seed=2) == generate_workspace(
        second, pages=30, seed=2
    )
    types = {record.type for record in first.blocks.values()}
    expected = {
        "paragraph",
        "heading_1",
        "heading_2",
        "heading_3",
        "bulleted_list_item",
        "numbered_list_item",
        "to_do",
        "toggle",
        "quote",
        "callout",
        "code",
        "equation",
        "divider",
        "table",
        "table_row",
        "column_list",
        "column",
        "synced_block",
        "bookmark",
        "embed",
        "image",
        "file",
        "pdf",
        "table_of_contents",
        "breadcrumb",
        "unsupported",
    }
    assert expected <= types
    depth = max(
        sum(1 for a in first.ancestors(page) if a in first.pages)
        for page in first.pages
        if first.pages[page].parent["type"] != "data_source_id"
    )
    assert depth == 5


def test_demo_workspace_and_edits(ws: Workspace, clock: FakeClock, api: httpx.Client) -> None:
    """The demo has a handbook and 8 tasks; demo_edits adds a page and a row."""
    ids = demo_workspace(ws)
    rows = collect(api, "POST", f"/v1/data_sources/{ids['tasks']}/query")
    assert len(rows) == 8
    before = {item["id"] for item in collect(api, "POST", "/v1/search")}
    clock.advance(minutes=3)
    demo_edits(ws)
    after = collect(
        api,
        "POST",
        "/v1/search",
        {"sort": {"timestamp": "last_edited_time", "direction": "descending"}},
    )
    assert len({item["id"] for item in after} - before) == 2
    assert after[0]["last_edited_time"] == "2026-03-02T10:18:00.000Z"

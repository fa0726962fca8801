"""Keep the fake Notion honest: its answers have the key sets and shapes of real recordings.

Recorded responses are vendored in ``tests/fixtures/recorded`` (see its README for the
sources, licences and how the subset was chosen). Values are never compared, only keys,
types and formats.
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from notion_syncd.fake_notion import FakeClock, FakeNotionServer, Workspace, generate_workspace
from notion_syncd.fake_notion import richtext as rt

JSON = dict[str, Any]
RECORDED = Path(__file__).resolve().parent / "fixtures" / "recorded"
VERSIONS = ("2025-09-03", "2026-03-11")
KINDS = (
    "page",
    "block",
    "database",
    "data_source",
    "user",
    "list",
    "error",
    "property_item",
    "comment",
)
MINUTE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$")
DATABASE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")


def keys(value: JSON) -> frozenset[str]:
    """The key set of an object, without the volatile request_id."""
    return frozenset(key for key in value if key != "request_id")


def _walk(value: Any, found: dict[str, list[JSON]]) -> None:
    if isinstance(value, dict):
        kind = value.get("object")
        if kind in KINDS:
            found[str(kind)].append(value)
        for item in value.values():
            _walk(item, found)
    elif isinstance(value, list):
        for item in value:
            _walk(item, found)


@functools.cache
def recorded(version: str) -> dict[str, list[JSON]]:
    """Every recorded object of interest for one version, by ``object`` kind."""
    found: dict[str, list[JSON]] = defaultdict(list)
    for entry in json.loads((RECORDED / "index.json").read_text()):
        if entry["notion_version"] != version:
            continue
        reading = entry["method"] == "GET" or entry["path_shape"] in (
            "/v1/search",
            "/v1/data_sources/{id}/query",
        )
        if not reading:
            continue
        body = json.loads((RECORDED / entry["file"]).read_text())["response"]["body"]
        _walk(body, found)
    return found


def recorded_keysets(version: str, kind: str) -> set[frozenset[str]]:
    """Distinct key sets of recorded objects of ``kind``."""
    return {keys(item) for item in recorded(version)[kind]}


# ---------------------------------------------------------------------- the fake side


class FakeApi:
    """Fetches objects from a generated fake workspace over HTTP."""

    def __init__(self, server: FakeNotionServer, ws: Workspace, version: str) -> None:
        self.ws = ws
        self.client = httpx.Client(
            base_url=server.base_url,
            timeout=10,
            headers={"Authorization": "Bearer secret_fake", "Notion-Version": version},
        )

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params)

    def post(self, path: str, body: JSON) -> httpx.Response:
        return self.client.post(path, json=body)

    def blocks_under(self, block_id: str) -> Iterator[JSON]:
        """Every block below ``block_id``, depth first (not into sub-pages)."""
        listing = self.get(f"/v1/blocks/{block_id}/children").json()
        for child in listing.get("results", []):
            yield child
            if child["has_children"] and child["type"] not in ("child_page", "unsupported"):
                yield from self.blocks_under(child["id"])


@pytest.fixture(scope="module")
def fake_server() -> Iterator[tuple[FakeNotionServer, Workspace, list[str]]]:
    ws = Workspace(FakeClock(), seed=11)
    page_ids = generate_workspace(ws, pages=12, depth=3, databases=2, rows_per_database=35)
    ws.append_blocks(page_ids[0], [rt.child_page("inline sub-page")])
    with FakeNotionServer(ws) as server:
        yield server, ws, page_ids


@pytest.fixture(params=VERSIONS)
def fake(
    request: pytest.FixtureRequest, fake_server: tuple[FakeNotionServer, Workspace, list[str]]
) -> Iterator[FakeApi]:
    server, ws, _ = fake_server
    api = FakeApi(server, ws, request.param)
    yield api
    api.client.close()


@pytest.fixture
def version(fake: FakeApi) -> str:
    return str(fake.client.headers["Notion-Version"])


def first_page(fake: FakeApi) -> str:
    return next(iter(fake.ws.top_level))


def a_row(fake: FakeApi) -> str:
    """The first row of the last database: it relates to 30 rows of the first one."""
    source = list(fake.ws.data_sources.values())[-1]
    return source.rows[0]


# ---------------------------------------------------------------------- objects


def test_conformance_page_keys(fake: FakeApi, version: str) -> None:
    """Page objects (plain and row) have exactly the recorded keys and minute timestamps."""
    for page_id in (first_page(fake), a_row(fake)):
        page = fake.get(f"/v1/pages/{page_id}").json()
        assert keys(page) in recorded_keysets(version, "page")
        assert MINUTE.match(page["created_time"]) and MINUTE.match(page["last_edited_time"])


def test_conformance_block_keys_per_type(fake: FakeApi, version: str) -> None:
    """Each block type the recordings show has the recorded common keys and payload keys."""
    common = {keys(b) - {b["type"]} for b in recorded(version)["block"]}
    payloads: dict[str, set[frozenset[str]]] = defaultdict(set)
    for kind_version in VERSIONS:  # payload keys do not depend on the version
        for block in recorded(kind_version)["block"]:
            payloads[block["type"]].add(_payload_keys(block))
    seen: set[str] = set()
    for page_id in fake.ws.top_level[:2]:
        for block in fake.blocks_under(page_id):
            assert keys(block) - {block["type"]} in common
            assert MINUTE.match(block["created_time"])
            if block["type"] in payloads:
                assert _payload_keys(block) in payloads[block["type"]], block["type"]
                seen.add(block["type"])
    assert len(seen) >= 20


def _payload_keys(block: JSON) -> frozenset[str]:
    """Payload keys, with the file source key (``file``/``external``) made generic."""
    payload = block[block["type"]]
    return frozenset("SOURCE" if key in ("file", "external") else key for key in payload)


def test_conformance_database_and_data_source_keys(fake: FakeApi, version: str) -> None:
    """Database containers and data sources have the recorded keys and timestamp formats."""
    source = next(iter(fake.ws.data_sources.values()))
    database = fake.get(f"/v1/databases/{source.database_id}").json()
    assert keys(database) in recorded_keysets(version, "database")
    assert DATABASE_TIME.match(database["created_time"])
    data_source = fake.get(f"/v1/data_sources/{source.id}").json()
    assert keys(data_source) in recorded_keysets(version, "data_source")
    assert MINUTE.match(data_source["last_edited_time"])


def test_conformance_schema_entries(fake: FakeApi) -> None:
    """Schema entries and their configs have recorded key sets for every shared type."""
    entries: dict[str, set[frozenset[str]]] = defaultdict(set)
    configs: dict[str, set[frozenset[str]]] = defaultdict(set)
    for recorded_source in recorded("2026-03-11")["data_source"]:
        for entry in recorded_source.get("properties", {}).values():
            entries[entry["type"]].add(keys(entry))
            if isinstance(entry.get(entry["type"]), dict):
                configs[entry["type"]].add(keys(entry[entry["type"]]))
    compared = 0
    for source in fake.ws.data_sources.values():
        for entry in fake.get(f"/v1/data_sources/{source.id}").json()["properties"].values():
            kind = entry["type"]
            if kind in entries:
                assert keys(entry) in entries[kind], kind
                assert keys(entry[kind]) in configs[kind], kind
                compared += 1
    assert compared >= 15


def test_conformance_property_values(fake: FakeApi) -> None:
    """Page property values have recorded key sets for every shared type."""
    shapes: dict[str, set[frozenset[str]]] = defaultdict(set)
    for page in recorded("2026-03-11")["page"]:
        for value in page["properties"].values():
            shapes[value["type"]].add(keys(value))
    page = fake.get(f"/v1/pages/{a_row(fake)}").json()
    compared = {value["type"] for value in page["properties"].values() if value["type"] in shapes}
    for value in page["properties"].values():
        if value["type"] in shapes:
            assert keys(value) in shapes[value["type"]], value["type"]
    assert {"title", "rich_text", "relation", "select", "date", "unique_id"} <= compared


def test_conformance_rich_text_elements(fake: FakeApi) -> None:
    """Rich-text elements and annotations have the recorded keys for each element type."""
    shapes: dict[str, set[frozenset[str]]] = defaultdict(set)
    for block in recorded("2026-03-11")["block"]:
        for element in block[block["type"]].get("rich_text", []):
            shapes[element["type"]].add(keys(element))
            shapes["annotations"].add(keys(element["annotations"]))
            shapes["mention:" + element.get("mention", {}).get("type", "-")].add(
                keys(element.get("mention", {}))
            )
    for block in fake.blocks_under(first_page(fake)):
        for element in block[block["type"]].get("rich_text", []):
            assert keys(element) in shapes[element["type"]]
            assert keys(element["annotations"]) in shapes["annotations"]
            mention_type = "mention:" + element.get("mention", {}).get("type", "-")
            if mention_type in shapes:
                assert keys(element.get("mention", {})) in shapes[mention_type]


def test_conformance_users(fake: FakeApi, version: str) -> None:
    """Users (bot and person) have the recorded keys."""
    keysets = recorded_keysets(version, "user") | recorded_keysets("2026-03-11", "user")
    me = fake.get("/v1/users/me").json()
    assert keys(me) in keysets
    for user in fake.get("/v1/users").json()["results"]:
        assert keys(user) in keysets


def test_conformance_comments(fake: FakeApi) -> None:
    """A listed comment has the recorded keys in the recorded order; its list, the envelope."""
    (recorded_comment,) = recorded("2025-09-03")["comment"]
    page = first_page(fake)
    fake.ws.add_comment(page, "A comment")
    response = fake.get("/v1/comments", block_id=page.replace("-", ""))
    body = response.json()
    assert keys(body) in recorded_keysets("2025-09-03", "list") and body["type"] == "comment"
    comment = body["results"][-1]
    assert list(comment) == list(recorded_comment)
    assert comment["parent"] == {"type": "page_id", "page_id": page}
    assert MINUTE.match(comment["created_time"]) and MINUTE.match(comment["last_edited_time"])
    assert comment["display_name"]["type"] == "integration"


# ---------------------------------------------------------------------- envelopes and errors


def test_conformance_list_envelopes(fake: FakeApi, version: str) -> None:
    """Search, query, children and users lists have the recorded envelope keys."""
    envelopes = recorded_keysets(version, "list") | recorded_keysets("2026-03-11", "list")
    source = next(iter(fake.ws.data_sources))
    responses = [
        fake.post("/v1/search", {"page_size": 5}),
        fake.post(f"/v1/data_sources/{source}/query", {"page_size": 5}),
        fake.get(f"/v1/blocks/{first_page(fake)}/children"),
        fake.get("/v1/users"),
    ]
    for response in responses:
        body = response.json()
        assert keys(body) in envelopes, body["type"]
        assert body["request_id"] == response.headers["x-notion-request-id"]
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert list(body)[-1] == "request_id"


def test_conformance_property_items(fake: FakeApi) -> None:
    """Paginated property items and their list summary match the recorded relation list."""
    recorded_lists = [
        item for item in recorded("2026-03-11")["list"] if item["type"] == "property_item"
    ]
    item_keys = recorded_keysets("2026-03-11", "property_item")
    summary_keys = {keys(item["property_item"]) for item in recorded_lists}
    row = fake.ws.pages[a_row(fake)]
    page = fake.get(f"/v1/pages/{row.id}").json()
    relation = next(v for v in page["properties"].values() if v["type"] == "relation")
    assert len(relation["relation"]) == 25 and relation["has_more"] is True
    listing = fake.get(f"/v1/pages/{row.id}/properties/{relation['id']}").json()
    assert keys(listing) in {keys(item) for item in recorded_lists}
    assert keys(listing["property_item"]) in summary_keys
    assert all(keys(item) in item_keys for item in listing["results"])
    number = next(v for v in page["properties"].values() if v["type"] == "phone_number")
    single = fake.get(f"/v1/pages/{row.id}/properties/{number['id']}").json()
    assert keys(single) in item_keys


def test_conformance_error_bodies(fake: FakeApi) -> None:
    """404, 400 and 401 error bodies have the recorded keys and wording."""
    samples = {
        (item["status"], keys(item)) for version in VERSIONS for item in recorded(version)["error"]
    }
    missing = fake.get("/v1/pages/00000000-0000-0000-0000-000000000000").json()
    assert (404, keys(missing)) in samples
    assert missing["message"].startswith(
        "Could not find page with ID: 00000000-0000-0000-0000-000000000000. Make sure the "
        "relevant pages and databases are shared with your integration "
    )
    invalid = fake.get("/v1/invalid").json()
    assert (400, keys(invalid)) in samples and invalid["message"] == "Invalid request URL."
    bad_uuid = fake.get("/v1/pages/12345678-1234-1234-1234-123456789abc").json()
    assert (400, keys(bad_uuid)) in samples
    with httpx.Client(base_url=str(fake.client.base_url), timeout=10) as anonymous:
        unauthorized = anonymous.get(
            "/v1/users", headers={"Notion-Version": "2025-09-03", "Authorization": "Bearer nope"}
        ).json()
    assert (401, keys(unauthorized)) in samples

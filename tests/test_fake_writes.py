"""The fake's write endpoints (create page, append children): shapes, limits, capability."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from notion_syncd.fake_notion import FakeClock, FakeNotion, Workspace
from notion_syncd.fake_notion import richtext as rt

JSON = dict[str, Any]
RECORDED = Path(__file__).resolve().parent / "fixtures" / "recorded"


@functools.cache
def recorded_answer(method: str, path_shape: str) -> JSON:
    """The first recorded 200 body of an endpoint."""
    for entry in json.loads((RECORDED / "index.json").read_text()):
        wanted = (method, path_shape, 200)
        if (entry["method"], entry["path_shape"], entry["status"]) == wanted:
            body: JSON = json.loads((RECORDED / entry["file"]).read_text())["response"]["body"]
            return body
    raise LookupError(path_shape)


class Api:
    """httpx over the fake's handle, with a clock that moves a minute per request."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.ws = Workspace(self.clock, seed=3)
        self.parent = self.ws.add_page(None, "Parent")
        self.fake = FakeNotion(self.ws)
        self.http = httpx.Client(
            base_url="https://api.notion.com",
            transport=httpx.MockTransport(self.fake.handle),
            headers={"Authorization": "Bearer secret_fake", "Notion-Version": "2025-09-03"},
        )

    def send(self, method: str, path: str, body: JSON | None = None) -> httpx.Response:
        self.clock.advance(60)
        return self.http.request(method, path, json=body)


@pytest.fixture
def api() -> Iterator[Api]:
    value = Api()
    yield value
    value.http.close()


def paragraphs(count: int, children: list[JSON] | None = None) -> list[JSON]:
    return [rt.paragraph(f"line {n}", children=children) for n in range(count)]


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["code"], body["message"]


def test_fake_create_page_has_recorded_shape_and_is_searchable(api: Api) -> None:
    """A created page has the recorded keys, its title, icon, cover, children; search shows it."""
    body = {
        "parent": {"type": "page_id", "page_id": api.parent},
        "properties": {"title": {"title": [{"text": {"content": "Restored"}}]}},
        "icon": {"type": "emoji", "emoji": "🧪"},
        "cover": {"type": "external", "external": {"url": "https://example.com/c.png"}},
        "children": paragraphs(3),
    }
    response = api.send("POST", "/v1/pages", body)
    assert response.status_code == 200, response.text
    page = response.json()
    assert set(page) - {"archived"} == set(recorded_answer("POST", "/v1/pages"))
    assert page["properties"]["title"]["title"][0]["plain_text"] == "Restored"
    assert page["icon"] == {"type": "emoji", "emoji": "🧪"}
    children = api.send("GET", f"/v1/blocks/{page['id']}/children").json()["results"]
    assert [c["paragraph"]["rich_text"][0]["plain_text"] for c in children] == [
        "line 0",
        "line 1",
        "line 2",
    ]
    found = api.send("POST", "/v1/search", {"query": "Restored"}).json()["results"]
    assert [item["id"] for item in found] == [page["id"]]


def test_fake_append_children_returns_recorded_list_and_moves_edit_time(api: Api) -> None:
    """An append answers the recorded list envelope and bumps the page's last_edited_time."""
    before = api.send("GET", f"/v1/pages/{api.parent}").json()["last_edited_time"]
    response = api.send(
        "PATCH", f"/v1/blocks/{api.parent}/children", {"children": paragraphs(2, paragraphs(1))}
    )
    assert response.status_code == 200, response.text
    listing = response.json()
    recorded = recorded_answer("PATCH", "/v1/blocks/{id}/children")
    assert set(listing) == set(recorded)
    common = set(recorded["results"][0]) - {"table_of_contents"}
    assert set(listing["results"][0]) - {"archived", "paragraph"} == common
    assert [block["has_children"] for block in listing["results"]] == [True, True]
    after = api.send("GET", f"/v1/pages/{api.parent}").json()["last_edited_time"]
    assert after > before


@pytest.mark.parametrize(
    ("children", "message"),
    [
        (paragraphs(101), "body.children.length should be ≤ `100`, instead was `101`."),
        (
            [rt.toggle("a", children=[rt.toggle("b", children=paragraphs(1))])],
            "body.children[0].toggle.children[0].toggle.children should be not present",
        ),
        (
            [rt.paragraph("x" * 2001)],
            "body.children[0].paragraph.rich_text[0].text.content.length should be ≤ `2000`, "
            "instead was `2001`.",
        ),
        ([rt.equation("x" * 1001)], "equation.expression.length should be ≤ `1000`"),
        ([rt.block("link_preview", {"url": "https://x"})], 'instead was `"link_preview"`'),
        ([rt.child_page("sub")], 'instead was `"child_page"`'),
        ([rt.block("table", {"table_width": 2})], "table.children should be an array"),
        (
            [rt.block("column_list", {}, [rt.block("column", {}, paragraphs(1))])],
            "at least two columns",
        ),
        (paragraphs(100, paragraphs(10)), "1100 block elements, the limit is 1000"),
    ],
)
def test_fake_append_refuses_what_notion_refuses(
    api: Api, children: list[JSON], message: str
) -> None:
    """Over-limit appends get 400 validation_error with the offending path, and change nothing."""
    response = api.send("PATCH", f"/v1/blocks/{api.parent}/children", {"children": children})
    status, code, text = error_of(response)
    assert (status, code) == (400, "validation_error")
    assert message in text
    assert api.ws.pages[api.parent].children == []


def test_fake_append_accepts_columns_with_content_and_oversize_payload_refused(api: Api) -> None:
    """Column content does not count as a nesting level; a payload over 500 KB is refused."""
    columns = rt.columns(paragraphs(1), paragraphs(2))
    ok = api.send("PATCH", f"/v1/blocks/{api.parent}/children", {"children": [columns]})
    assert ok.status_code == 200, ok.text
    big = [rt.paragraph(*["y" * 2000] * 100) for _ in range(3)]
    status, code, text = error_of(
        api.send("PATCH", f"/v1/blocks/{api.parent}/children", {"children": big})
    )
    assert (status, code) == (400, "validation_error")
    assert "Request body too large" in text


def test_fake_create_row_under_data_source(api: Api) -> None:
    """A row created under a data source gets its typed values; computed ones are refused."""
    _, source = api.ws.add_database(
        api.parent,
        "Tasks",
        {"Name": {"type": "title"}, "Done": {"type": "checkbox"}, "Tag": {"type": "select"}},
    )
    body = {
        "parent": {"type": "data_source_id", "data_source_id": source},
        "properties": {
            "Name": {"title": [{"text": {"content": "Row"}}]},
            "Done": {"checkbox": True},
            "Tag": {"select": {"name": "red"}},
        },
    }
    response = api.send("POST", "/v1/pages", body)
    assert response.status_code == 200, response.text
    properties = response.json()["properties"]
    assert properties["Done"]["checkbox"] is True
    assert properties["Tag"]["select"]["name"] == "red"
    assert properties["Name"]["title"][0]["plain_text"] == "Row"
    body["properties"] = {"Nope": {"checkbox": True}}
    assert error_of(api.send("POST", "/v1/pages", body))[2] == "Nope is not a property that exists."


def test_fake_write_without_insert_capability_is_restricted(api: Api) -> None:
    """A token without insert content gets 403 restricted_resource; reads still work."""
    api.fake.capabilities = frozenset({"read_content"})
    response = api.send("PATCH", f"/v1/blocks/{api.parent}/children", {"children": paragraphs(1)})
    assert error_of(response)[:2] == (403, "restricted_resource")
    assert api.send("GET", f"/v1/pages/{api.parent}").status_code == 200
    assert api.fake.request_log.count("blocks.append", status=403) == 1


def test_fake_file_upload_attach_and_limits(api: Api) -> None:
    """An upload is created, sent as multipart, attached to a block; limits and misuse refused."""
    started = api.send(
        "POST", "/v1/file_uploads", {"filename": "a.txt", "content_type": "text/plain"}
    )
    upload = started.json()
    assert (upload["object"], upload["status"]) == ("file_upload", "pending")
    reference = {"type": "file_upload", "file_upload": {"id": upload["id"]}}
    early = api.send(
        "PATCH", f"/v1/blocks/{api.parent}/children", {"children": [rt.block("file", reference)]}
    )
    assert "was not uploaded" in error_of(early)[2]
    sent = api.http.post(
        f"/v1/file_uploads/{upload['id']}/send", files={"file": ("a.txt", b"hello", "text/plain")}
    )
    assert sent.json()["status"] == "uploaded"
    assert sent.json()["content_length"] == 5
    attached = api.send(
        "PATCH", f"/v1/blocks/{api.parent}/children", {"children": [rt.block("file", reference)]}
    )
    block = attached.json()["results"][0]["file"]
    assert block["type"] == "file"
    assert api.http.get(block["file"]["url"].replace("https://api.notion.com", "")).content
    big = api.send("POST", "/v1/file_uploads", {"filename": "big.bin"}).json()
    too_big = api.http.post(
        f"/v1/file_uploads/{big['id']}/send", files={"file": ("big.bin", b"0" * 5_242_881, "x/y")}
    )
    assert error_of(too_big)[:2] == (400, "validation_error")


MIB = 1024 * 1024


def test_fake_multi_part_upload_joins_parts_and_refuses_misuse(api: Api) -> None:
    """A multi-part upload: parts in any order, then complete; sizes and gaps refused."""
    api.fake.endpoints.uploads.workspace_limit = 64 * MIB
    data = bytes(range(256)) * (21 * MIB // 256)
    over = api.send("POST", "/v1/file_uploads", {"filename": "one.bin"}).json()
    refused = api.http.post(
        f"/v1/file_uploads/{over['id']}/send", files={"file": ("one.bin", data, "x/y")}
    )
    assert "use multi_part" in error_of(refused)[2]
    no_parts = api.send("POST", "/v1/file_uploads", {"mode": "multi_part", "filename": "a.bin"})
    assert "number_of_parts" in error_of(no_parts)[2]
    no_extension = {"mode": "multi_part", "number_of_parts": 3, "filename": "noext"}
    assert "extension" in error_of(api.send("POST", "/v1/file_uploads", no_extension))[2]
    started = api.send(
        "POST",
        "/v1/file_uploads",
        {"mode": "multi_part", "number_of_parts": 3, "filename": "big.bin"},
    ).json()
    assert started["number_of_parts"] == {"total": 3, "sent": 0}
    send = f"/v1/file_uploads/{started['id']}/send"
    complete = f"/v1/file_uploads/{started['id']}/complete"

    def part(number: int, chunk: bytes) -> httpx.Response:
        form = {"part_number": str(number)}
        return api.http.post(send, files={"file": ("big.bin", chunk, "x/y")}, data=form)

    assert "parts must be" in error_of(part(1, data[: 4 * MIB]))[2]
    assert "part_number" in error_of(part(4, data[:MIB]))[2]
    assert part(3, data[20 * MIB :]).json()["number_of_parts"] == {"total": 3, "sent": 1}
    assert part(1, data[: 10 * MIB]).json()["status"] == "pending"
    assert "missing parts [2]" in error_of(api.http.post(complete, json={}))[2]
    assert part(2, data[10 * MIB : 20 * MIB]).status_code == 200
    done = api.http.post(complete, json={}).json()
    assert (done["status"], done["content_length"]) == ("uploaded", len(data))
    reference = {"type": "file_upload", "file_upload": {"id": started["id"]}}
    attached = api.send(
        "PATCH", f"/v1/blocks/{api.parent}/children", {"children": [rt.block("file", reference)]}
    )
    url = attached.json()["results"][0]["file"]["file"]["url"]
    with httpx.Client(transport=httpx.MockTransport(api.fake.handle)) as plain:  # no auth header
        assert plain.get(url).content == data
    single = api.send("POST", "/v1/file_uploads", {"filename": "s.bin"}).json()
    not_multi = api.http.post(f"/v1/file_uploads/{single['id']}/complete", json={})
    assert "not a multi_part upload" in error_of(not_multi)[2]

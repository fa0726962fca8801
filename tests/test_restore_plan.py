"""The restore planner: every planned request passes the fake's validation (Notion's limits)."""

from __future__ import annotations

from typing import Any

import pytest

from notion_syncd.fake_notion import richtext as rt
from notion_syncd.fake_notion.validation import check_payload
from notion_syncd.restore.convert import split_text, utf16_length
from notion_syncd.restore.plan import Plan, Sent, plan_restore

JSON = dict[str, Any]
PARENT = {"type": "page_id", "page_id": "00000000-0000-4000-8000-000000000001"}


class Ids:
    """Stored-looking blocks: every block gets an id, children stay nested."""

    def __init__(self) -> None:
        self.next = 0

    def stored(self, blocks: list[JSON]) -> list[JSON]:
        result = []
        for block in blocks:
            self.next += 1
            kind = block["type"]
            payload = dict(block[kind])
            children = block.get("children") or payload.pop("children", None) or []
            item: JSON = {
                "object": "block",
                "id": f"00000000-0000-4000-8000-{self.next:012d}",
                "type": kind,
                kind: payload,
                "has_children": bool(children),
            }
            if children:
                item["children"] = self.stored(children)
            result.append(item)
        return result


def record(blocks: list[JSON], title: str = "Doc", page_id: str = "p-root") -> JSON:
    return {
        "page": {
            "object": "page",
            "id": page_id,
            "parent": PARENT,
            "properties": {
                "title": {"id": "title", "type": "title", "title": [rt.rich_text(title)]}
            },
            "icon": {"type": "emoji", "emoji": "📘"},
            "cover": None,
        },
        "blocks": Ids().stored(blocks),
    }


def nested(depth: int) -> JSON:
    block = rt.toggle(f"level {depth}")
    for level in range(depth - 1, 0, -1):
        block = rt.toggle(f"level {level}", children=[block])
    return block


def sent_keys(items: tuple[Sent, ...]) -> list[str]:
    return [key for item in items for key in (item.key, *sent_keys(item.children))]


CASES: dict[str, list[JSON]] = {
    "250 paragraphs": [rt.paragraph(f"p{n}") for n in range(250)],
    "nesting 7 deep": [nested(7), rt.paragraph("after")],
    "30,000 characters": [rt.paragraph("x" * 30_000), rt.code("y" * 9_000)],
    "table of 150 rows": [rt.table([["a", "b"]] * 150)],
    "columns with nested content": [
        rt.columns([nested(4)], [rt.paragraph("right"), rt.table([["1"]])]),
    ],
    "table inside a toggle": [rt.toggle("t", children=[rt.table([["1", "2"]])])],
    "wide subtree": [rt.toggle(f"t{n}", children=[rt.paragraph("c")] * 120) for n in range(12)],
    "heavy payload": [rt.paragraph(*["z" * 2000] * 60) for _ in range(8)],
    "unsupported": [
        rt.block("link_preview", {"url": "https://github.com/x/y/pull/1"}),
        rt.unsupported("button"),
        rt.synced_duplicate("00000000-0000-4000-8000-00000000dead"),
        rt.child_page("Sub"),
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_plan_every_request_passes_notion_limits(name: str) -> None:
    """Each planned create/append body passes the fake's validation; every block is sent once."""
    stored = record(CASES[name])
    plan = plan_restore("p-root", {"p-root": stored}, parent=PARENT)
    keys: list[str] = []
    for step in plan.steps:
        check_payload(step.body, step.body.get("children", []))
        keys.extend(sent_keys(step.sent))
    assert len(keys) == len(set(keys))
    stored_ids = set(all_ids(stored["blocks"]))
    assert stored_ids <= {key.split("#")[0] for key in keys}
    assert plan.steps[0].action == "create_page"
    created = {"p-root"}
    for step in plan.steps:
        assert not step.target or step.target in created
        created.update(sent_keys(step.sent))


def all_ids(blocks: list[JSON]) -> list[str]:
    return [key for block in blocks for key in (block["id"], *all_ids(block.get("children", [])))]


def test_plan_splits_long_runs_and_keeps_order() -> None:
    """A 5,000-character run becomes three runs of ≤ 2,000 with the same annotations."""
    bold = {"type": "text", "text": {"content": "é" * 5000}, "annotations": {"bold": True}}
    plan = plan_restore("p-root", {"p-root": record([rt.paragraph(bold)])}, parent=PARENT)
    runs = plan.steps[0].body["children"][0]["paragraph"]["rich_text"]
    assert [len(run["text"]["content"]) for run in runs] == [2000, 2000, 1000]
    assert all(run["annotations"]["bold"] for run in runs)


def test_plan_split_text_counts_utf16_units() -> None:
    """Characters outside the BMP count twice and are never cut in half."""
    pieces = split_text("😀" * 1500)
    assert [utf16_length(piece) for piece in pieces] == [2000, 1000]
    assert "".join(pieces) == "😀" * 1500


def test_plan_degradations_are_listed() -> None:
    """Blocks the API cannot create become paragraphs, each named in the report."""
    plan: Plan = plan_restore("p-root", {"p-root": record(CASES["unsupported"])}, parent=PARENT)
    whats = [item.what for item in plan.degradations]
    assert any("link_preview → paragraph with a link" in what for what in whats)
    assert any("unsupported (button)" in what for what in whats)
    assert any("synced block copy" in what for what in whats)
    assert any("child_page not restored" in what for what in whats)
    kinds = [block["type"] for block in plan.steps[0].body["children"]]
    assert kinds == ["paragraph", "paragraph", "synced_block", "paragraph"]


def test_plan_recursive_creates_child_page_in_place() -> None:
    """With --recursive a child page is created between the blocks around it, as a page."""
    child = record([rt.paragraph("inside")], "Sub", "p-sub")
    root = record([rt.paragraph("before"), rt.child_page("Sub"), rt.paragraph("after")])
    root["blocks"][1]["id"] = "p-sub"
    plan = plan_restore("p-root", {"p-root": root, "p-sub": child}, parent=PARENT, recursive=True)
    actions = [(step.action, step.target, step.page) for step in plan.steps]
    assert actions == [
        ("create_page", "", "p-root"),
        ("create_page", "p-root", "p-sub"),
        ("append", "p-root", ""),
    ]
    assert [page.title for page in plan.pages] == ["Doc", "Sub"]

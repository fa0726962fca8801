"""Unit tests for property value rendering (every property type of Notion §7.8)."""

from __future__ import annotations

from typing import Any

import pytest

from notion_syncd.export.links import RenderContext
from notion_syncd.export.properties import Value, property_text, property_value

CTX = RenderContext(
    path="DB 1a2b3c4d/Row 5e6f7a8b.md",
    resolve=lambda notion_id: None,
    title_of=lambda notion_id: {"p1": "First"}.get(notion_id),
)
DATE = {"start": "2024-05-01T10:00:00.000+02:00", "end": "2024-05-02", "time_zone": None}
USER = {"object": "user", "id": "u1", "name": "Ada"}

CASES: list[tuple[str, dict[str, Any], Value, str]] = [
    ("title", {"title": [{"plain_text": "A"}, {"plain_text": "B"}]}, "AB", "AB"),
    ("rich_text", {"rich_text": []}, "", ""),
    ("number", {"number": 2.5}, 2.5, "2.5"),
    ("number", {"number": None}, None, ""),
    ("select", {"select": {"name": "High"}}, "High", "High"),
    ("select", {"select": None}, None, ""),
    ("multi_select", {"multi_select": [{"name": "a"}, {"name": "b"}]}, ["a", "b"], "a, b"),
    ("status", {"status": {"name": "Done"}}, "Done", "Done"),
    (
        "date",
        {"date": DATE},
        "2024-05-01T10:00:00.000+02:00 → 2024-05-02",
        "2024-05-01T10:00:00.000+02:00 → 2024-05-02",
    ),
    (
        "date",
        {"date": {"start": "2024-05-01T10:00", "end": None, "time_zone": "Europe/Paris"}},
        "2024-05-01T10:00 (Europe/Paris)",
        "2024-05-01T10:00 (Europe/Paris)",
    ),
    ("people", {"people": [USER, {"object": "user", "id": "u2"}]}, ["Ada", "u2"], "Ada, u2"),
    (
        "files",
        {
            "files": [
                {"name": "a.png", "type": "file", "file": {"url": "_files/x.png"}},
                {"name": "b", "type": "external", "external": {"url": "https://e/b"}},
            ]
        },
        ["../_files/x.png", "https://e/b"],
        "../_files/x.png, https://e/b",
    ),
    ("checkbox", {"checkbox": True}, True, "true"),
    ("url", {"url": "https://x"}, "https://x", "https://x"),
    ("email", {"email": None}, None, ""),
    ("phone_number", {"phone_number": "+1 555"}, "+1 555", "+1 555"),
    ("formula", {"formula": {"type": "string", "string": "s"}}, "s", "s"),
    ("formula", {"formula": {"type": "number", "number": 3}}, 3, "3"),
    ("formula", {"formula": {"type": "boolean", "boolean": False}}, False, "false"),
    (
        "formula",
        {"formula": {"type": "date", "date": {"start": "2024-01-01"}}},
        "2024-01-01",
        "2024-01-01",
    ),
    ("formula", {"formula": {"type": "unsupported", "unsupported": {}}}, None, ""),
    (
        "relation",
        {"relation": [{"id": "p1"}, {"id": "p2"}], "has_more": True},
        ["First", "p2", "…"],
        "First, p2, …",
    ),
    ("rollup", {"rollup": {"type": "number", "number": 7, "function": "count"}}, 7, "7"),
    (
        "rollup",
        {"rollup": {"type": "date", "date": {"start": "2024-02-02"}}},
        "2024-02-02",
        "2024-02-02",
    ),
    (
        "rollup",
        {
            "rollup": {
                "type": "array",
                "array": [
                    {"type": "title", "title": [{"plain_text": "x"}]},
                    {"type": "number", "number": 1},
                ],
            }
        },
        ["x", "1"],
        "x, 1",
    ),
    ("rollup", {"rollup": {"type": "incomplete", "incomplete": {}}}, None, ""),
    ("rollup", {"rollup": {"type": "unsupported", "unsupported": {}}}, None, ""),
    (
        "created_time",
        {"created_time": "2024-01-01T00:00:00.000Z"},
        "2024-01-01T00:00:00.000Z",
        "2024-01-01T00:00:00.000Z",
    ),
    ("last_edited_by", {"last_edited_by": USER}, "Ada", "Ada"),
    ("unique_id", {"unique_id": {"prefix": "BUG", "number": 12}}, "BUG-12", "BUG-12"),
    ("unique_id", {"unique_id": {"prefix": None, "number": 3}}, "3", "3"),
    (
        "verification",
        {
            "verification": {
                "state": "verified",
                "date": {"start": "2024-03-03"},
                "verified_by": USER,
            }
        },
        "verified (2024-03-03, Ada)",
        "verified (2024-03-03, Ada)",
    ),
    (
        "verification",
        {"verification": {"state": "unverified", "date": None, "verified_by": None}},
        "unverified",
        "unverified",
    ),
    ("button", {"button": {}}, None, ""),
    (
        "place",
        {"place": {"lat": 52.52, "lon": 13.405, "name": None, "address": "Berlin"}},
        "Berlin",
        "Berlin",
    ),
    ("place", {"place": {"lat": 1.5, "lon": 2}}, "1.5, 2", "1.5, 2"),
    ("hologram", {"hologram": {"z": 1, "a": "é"}}, '{"a": "é", "z": 1}', '{"a": "é", "z": 1}'),
]


@pytest.mark.parametrize(("kind", "payload", "value", "text"), CASES)
def test_property_value_every_type(
    kind: str, payload: dict[str, Any], value: Value, text: str
) -> None:
    """Each property type renders to the expected value and text."""
    prop = {"id": "x", "type": kind, **payload}
    assert property_value(prop, CTX) == value
    assert property_text(prop, CTX) == text

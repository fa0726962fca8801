"""Derived content (mention titles, child blocks, synced copies, recomputed values): pure."""

from __future__ import annotations

import copy
from typing import Any

from notion_syncd.sync.backlinks import link_targets
from notion_syncd.sync.derived import (
    child_block_facts,
    disagrees_with_schema,
    has_computed_properties,
    minute_of,
    referenced_files,
    refresh_child_blocks,
    refresh_computed,
    refresh_synced_copies,
    refresh_titles,
    relation_truncated,
    replace_page,
    shown_titles,
    synced_copy_sources,
    synced_originals,
)
from notion_syncd.sync.fetch import complete_rollup

TARGET = "11111111-1111-1111-1111-111111111111"
OTHER = "22222222-2222-2222-2222-222222222222"
ORIGINAL = "33333333-3333-3333-3333-333333333333"
DATABASE = "44444444-4444-4444-4444-444444444444"


def _mention(target: str, text: str, kind: str = "page") -> dict[str, Any]:
    return {"type": "mention", "mention": {"type": kind, kind: {"id": target}}, "plain_text": text}


def _paragraph(*parts: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "block",
        "id": OTHER,
        "type": "paragraph",
        "paragraph": {"rich_text": list(parts)},
    }


def _page_record(blocks: list[dict[str, Any]], **properties: Any) -> dict[str, Any]:
    title = {"type": "title", "title": [{"type": "text", "plain_text": "Linker"}]}
    page = {"object": "page", "id": "aaaaaaaa-0000-0000-0000-000000000000"}
    return {"page": {**page, "properties": {"Name": title, **properties}}, "blocks": blocks}


def test_refresh_titles_rewrites_mentions() -> None:
    """Mentions of the target (in blocks and properties, any id form) get its title."""
    notes = {"type": "rich_text", "rich_text": [_mention(TARGET.replace("-", ""), "Old")]}
    record = _page_record([_paragraph(_mention(TARGET, "Old"))], Notes=notes)
    original = copy.deepcopy(record)

    refreshed = refresh_titles(record, {TARGET: "New"})

    assert refreshed is not None and record == original
    assert refreshed["blocks"][0]["paragraph"]["rich_text"][0]["plain_text"] == "New"
    assert refreshed["page"]["properties"]["Notes"]["rich_text"][0]["plain_text"] == "New"


def test_refresh_titles_unchanged_returns_none() -> None:
    """A record already showing the title, or not mentioning the target, is left alone."""
    record = _page_record([_paragraph(_mention(TARGET, "New"), _mention(OTHER, "Else"))])
    assert refresh_titles(record, {TARGET: "New"}) is None
    assert refresh_titles(record, {ORIGINAL: "Third"}) is None


def test_refresh_child_blocks_from_a_child_page_record() -> None:
    """A child_page block takes the sub-page's title, last edit, editor and content flag."""
    child_block = {
        "object": "block",
        "id": TARGET,
        "type": "child_page",
        "child_page": {"title": "Old"},
        "last_edited_time": "2026-01-01T00:00:00.000Z",
        "has_children": False,
    }
    parent = _page_record([_paragraph(), child_block])
    child = _page_record([_paragraph()])
    child["page"].update(id=TARGET, last_edited_time="2026-02-02T10:11:00.000Z")
    child["page"]["last_edited_by"] = {"object": "user", "id": "u"}

    facts = child_block_facts(child)
    assert facts is not None and facts[0] == TARGET
    refreshed = refresh_child_blocks(parent, dict([facts]))

    assert refreshed is not None
    block = refreshed["blocks"][1]
    assert block["child_page"] == {"title": "Linker"}
    assert block["last_edited_time"] == "2026-02-02T10:11:00.000Z"
    assert block["last_edited_by"] == {"object": "user", "id": "u"}
    assert block["has_children"] is True
    assert refresh_child_blocks(refreshed, dict([facts])) is None


def test_child_block_facts_of_a_data_source_round_the_database_edit() -> None:
    """A child_database block shows the database's title and its last edit to the minute."""
    record = {
        "database": {
            "id": DATABASE,
            "title": [{"plain_text": "Tasks"}],
            "last_edited_time": "2026-07-04T09:09:45.607+00:00",
        },
        "data_source": {"id": OTHER},
    }
    facts = child_block_facts(record)
    assert facts == (
        DATABASE,
        {
            "type": "child_database",
            "title": "Tasks",
            "last_edited_time": "2026-07-04T09:09:00.000Z",
        },
    )
    assert minute_of("not a time") is None


def test_shown_titles_of_a_data_source_is_the_database_title() -> None:
    """A database is mentioned by the database id, with the database's own title."""
    record = {
        "database": {"id": DATABASE, "title": [{"plain_text": "Tasks"}]},
        "data_source": {"id": OTHER, "title": [{"plain_text": "Tasks table"}]},
    }
    assert shown_titles(record) == {DATABASE: "Tasks"}
    page = _page_record([])
    assert shown_titles(page) == {page["page"]["id"]: "Linker"}


def _synced(block_id: str, synced_from: str | None, children: list[Any]) -> dict[str, Any]:
    source = {"type": "block_id", "block_id": synced_from} if synced_from else None
    block: dict[str, Any] = {
        "object": "block",
        "id": block_id,
        "type": "synced_block",
        "synced_block": {"synced_from": source},
        "has_children": bool(children),
    }
    if children:
        block["children"] = children
    return block


def test_refresh_synced_copies_takes_the_originals_children() -> None:
    """A copy (even nested) lists the original's current children; the original is found."""
    new_children = [_paragraph(_mention(TARGET, "T"))]
    original = _synced(ORIGINAL, None, new_children)
    copy_block = _synced(OTHER, ORIGINAL, [_paragraph()])
    toggle = {"object": "block", "id": "t", "type": "toggle", "children": [copy_block]}
    record = _page_record([toggle])

    assert synced_originals(_page_record([original])) == {ORIGINAL: original}
    assert synced_copy_sources(record) == {ORIGINAL}
    assert ORIGINAL in link_targets(record)
    refreshed = refresh_synced_copies(record, {ORIGINAL: original})

    assert refreshed is not None
    assert refreshed["blocks"][0]["children"][0]["children"] == new_children
    assert refresh_synced_copies(refreshed, {ORIGINAL: original}) is None


def test_refresh_synced_copies_emptied_original_drops_children() -> None:
    """An original without children leaves its copies with none (as a fresh fetch)."""
    record = _page_record([_synced(OTHER, ORIGINAL, [_paragraph()])])
    refreshed = refresh_synced_copies(record, {ORIGINAL: _synced(ORIGINAL, None, [])})
    assert refreshed is not None
    assert "children" not in refreshed["blocks"][0]
    assert refreshed["blocks"][0]["has_children"] is False


def _rollup(values: list[str]) -> dict[str, Any]:
    array = [{"type": "title", "title": [{"plain_text": value}]} for value in values]
    return {"type": "rollup", "rollup": {"type": "array", "array": array, "function": "x"}}


def test_refresh_computed_takes_formula_and_rollup_values_only() -> None:
    """Formula and rollup values come from the fresh page; other properties stay as stored."""
    formula = {"type": "formula", "formula": {"type": "number", "number": 1}}
    stored = _page_record([], Score=formula, Names=_rollup(["a"]))
    fresh = copy.deepcopy(stored["page"])
    fresh["properties"]["Score"]["formula"]["number"] = 2
    fresh["properties"]["Names"] = _rollup(["b"])
    fresh["properties"]["Name"]["title"][0]["plain_text"] = "Changed elsewhere"

    refreshed = refresh_computed(stored, fresh)

    assert refreshed is not None
    assert refreshed["page"]["properties"]["Score"]["formula"]["number"] == 2
    assert refreshed["page"]["properties"]["Names"] == _rollup(["b"])
    assert refreshed["page"]["properties"]["Name"] == stored["page"]["properties"]["Name"]
    assert refresh_computed(refreshed, fresh) is None


def test_has_computed_properties_and_relation_truncated() -> None:
    """Schemas with formula/rollup need a sweep refresh; has_more marks a truncated relation."""
    schema = {"data_source": {"properties": {"S": {"type": "formula"}}}}
    assert has_computed_properties(schema)
    assert not has_computed_properties({"data_source": {"properties": {"N": {"type": "title"}}}})
    assert relation_truncated({"properties": {"R": {"type": "relation", "has_more": True}}})
    assert not relation_truncated({"properties": {"R": {"type": "relation", "has_more": False}}})


def test_referenced_files_lists_local_copies_only() -> None:
    """Downloaded files count; external files and failed downloads do not."""
    local = {"type": "file", "file": {"url": "_files/ab.png", "source_url": "https://s/x.png"}}
    failed = {"type": "file", "file": {"url": "https://s/y.png"}, "download_error": "gone"}
    external = {"type": "external", "external": {"url": "https://e/z.png"}}
    record = _page_record([{"type": "image", "image": local}, {"type": "file", "file": failed}])
    record["page"]["icon"] = external
    assert referenced_files(record) == {"_files/ab.png"}


def test_complete_rollup_show_original_takes_the_results() -> None:
    """show_original has no aggregate: its values are the list's results, in order."""
    summary = {"type": "array", "array": [], "function": "show_original"}
    results = [
        {"object": "property_item", "id": "r", "type": "title", "title": [{"plain_text": str(n)}]}
        for n in range(130)
    ]
    value = complete_rollup(summary, results)
    assert value is not None and len(value["array"]) == 130
    assert value["array"][129] == {"type": "title", "title": [{"plain_text": "129"}]}
    relation_items = [{"object": "property_item", "type": "relation", "relation": {"id": "x"}}]
    assert complete_rollup(summary, relation_items) is None
    count = {"type": "number", "number": 130, "function": "count"}
    assert complete_rollup(count, relation_items) == count
    assert complete_rollup({"type": "incomplete", "function": "count"}, []) is None


def test_disagrees_with_schema_on_names_types_and_option_names() -> None:
    """A row disagrees when a property was added, renamed, retyped, or its option renamed."""
    option = {"id": "o1", "name": "High", "color": "red"}
    schema = {
        "Name": {"id": "title", "type": "title"},
        "Priority": {"id": "p", "type": "select", "select": {"options": [option]}},
    }
    row = {
        "properties": {
            "Name": {"id": "title", "type": "title", "title": []},
            "Priority": {"id": "p", "type": "select", "select": dict(option)},
        }
    }
    assert not disagrees_with_schema(schema, row)
    renamed_option = copy.deepcopy(schema)
    renamed_option["Priority"]["select"]["options"][0]["name"] = "Urgent"
    assert disagrees_with_schema(renamed_option, row)
    added = {**schema, "Size": {"id": "s", "type": "number"}}
    assert disagrees_with_schema(added, row)
    renamed = {"Title": schema["Name"], "Priority": schema["Priority"]}
    assert disagrees_with_schema(renamed, row)


def test_replace_page_keeps_blocks() -> None:
    """A row's page object is replaced, its blocks kept; an equal page changes nothing."""
    record = _page_record([_paragraph()])
    page = {**record["page"], "last_edited_time": "later"}
    replaced = replace_page(record, page)
    assert replaced is not None and replaced["page"] == page
    assert replaced["blocks"] == record["blocks"]
    assert replace_page(replaced, page) is None

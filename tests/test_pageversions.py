"""Intermediate versions of a page several users edited: which blocks each version takes."""

from __future__ import annotations

from typing import Any

from notion_syncd.sync.authors import EditorGroup
from notion_syncd.sync.pageversions import (
    SharedPage,
    co_edits,
    editor_chain,
    intermediate_records,
)


def block(block_id: str, text: str, user: str = "bot", minute: str = "00", **extra: Any) -> Any:
    return {
        "id": block_id,
        "type": "paragraph",
        "paragraph": {"text": text},
        "last_edited_by": {"id": user},
        "last_edited_time": f"2026-03-02T08:{minute}:00.000Z",
        **extra,
    }


def page(title: str, blocks: list[Any]) -> dict[str, Any]:
    return {"page": {"id": "p", "title": title}, "blocks": blocks}


def texts(record: Any) -> list[str]:
    def walk(blocks: list[Any]) -> list[str]:
        found = []
        for each in blocks:
            found.append(each["paragraph"]["text"])
            found += [f"  {text}" for text in walk(each.get("children") or [])]
        return found

    return walk(record["blocks"])


OLD = page("Old title", [block("a", "a"), block("b", "b"), block("e", "e"), block("c", "c")])
NEW = page(
    "New title",
    [
        block("a", "a by Ada", "ada", "05"),
        block("b", "b"),
        block("c", "c by Grace", "grace", "07"),
        block("d", "d by Ada", "ada", "06"),
    ],
)
SHARED = SharedPage("grace", frozenset({"ada"}), OLD, NEW)


def test_pageversions_co_editor_version_takes_only_their_blocks() -> None:
    """Ada's version: her changed and added blocks new, Grace's old, the removed one kept."""
    [(user, record)] = intermediate_records(SHARED, ["ada", "grace"])
    assert user == "ada"
    assert texts(record) == ["a by Ada", "b", "e", "c", "d by Ada"]


def test_pageversions_page_properties_go_with_the_owner() -> None:
    """The intermediate version keeps the old page object (title, properties)."""
    [(_, record)] = intermediate_records(SHARED, ["ada", "grace"])
    assert record["page"] == {"id": "p", "title": "Old title"}


def test_pageversions_co_editor_after_the_owner_gets_no_version() -> None:
    """A co-editor whose commit comes after the owner's: their blocks go with the owner."""
    assert intermediate_records(SHARED, ["grace", "ada"]) == []


def test_pageversions_owner_outside_the_chain_commits_last() -> None:
    """Owner not in the chain (one editor's sync): every co-editor, each on the last."""
    new = page(
        "Old title",
        [block("a", "a by Ada", "ada", "05"), block("b", "b by Alan", "alan", "06")],
    )
    old = page("Old title", [block("a", "a"), block("b", "b")])
    shared = SharedPage("grace", frozenset({"ada", "alan"}), old, new)
    versions = intermediate_records(shared, ["ada", "alan"])
    assert [(user, texts(record)) for user, record in versions] == [
        ("ada", ["a by Ada", "b"]),
        ("alan", ["a by Ada", "b by Alan"]),
    ]


def test_pageversions_changed_block_of_no_co_editor_goes_with_the_owner() -> None:
    """A changed block whose editor is not a co-editor of this sync stays old in versions."""
    new = page("t", [block("a", "a by Ada", "ada", "05"), block("b", "b by Bob", "bob", "01")])
    old = page("t", [block("a", "a"), block("b", "b")])
    shared = SharedPage("grace", frozenset({"ada"}), old, new)
    assert co_edits(shared) == {"ada": "2026-03-02T08:05:00.000Z"}
    [(_, record)] = intermediate_records(shared, ["ada"])
    assert texts(record) == ["a by Ada", "b"]


def test_pageversions_nested_blocks_merge_level_by_level() -> None:
    """A child Ada changed under an unchanged parent: only the child is new."""
    old = page("t", [block("a", "a", children=[block("x", "x"), block("y", "y")])])
    new = page(
        "t",
        [block("a", "a", children=[block("x", "x"), block("y", "y by Ada", "ada", "05")])],
    )
    shared = SharedPage("grace", frozenset({"ada"}), old, new)
    [(_, record)] = intermediate_records(shared, ["ada"])
    assert texts(record) == ["a", "  x", "  y by Ada"]


def test_pageversions_no_change_by_a_co_editor_no_version() -> None:
    """A co-editor named (say by a webhook event) whose blocks did not change: no version."""
    shared = SharedPage("grace", frozenset({"alan"}), OLD, NEW)
    assert co_edits(shared) == {}
    assert intermediate_records(shared, ["alan"]) == []


def test_pageversions_editor_chain_adds_co_editors_by_their_edit_time() -> None:
    """Owners keep their groups; a co-editor owning nothing gets an empty group in time order."""
    groups = [
        EditorGroup("grace", ("p",), "2026-03-02T08:07:00.000Z"),
        EditorGroup("alan", ("q",), "2026-03-02T08:09:00.000Z"),
    ]
    chain = editor_chain(groups, {"p": SHARED})
    assert [(group.user_id, group.ids, group.newest[14:16]) for group in chain] == [
        ("ada", (), "06"),
        ("grace", ("p",), "07"),
        ("alan", ("q",), "09"),
    ]

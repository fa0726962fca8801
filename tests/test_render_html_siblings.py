"""Sibling links of the HTML copy: which siblings a parent's script lists, which files change."""

from __future__ import annotations

import json
from typing import Any

from notion_syncd.export.htmlnav import IndexItem
from notion_syncd.export.htmlsiblings import (
    SIBLINGS_CAP,
    nav_loader,
    nav_path,
    nav_script,
    row_entries,
    top_entries,
)
from notion_syncd.export.links import RenderContext
from notion_syncd.sync.views import data_source_views, page_views

PARENT = "Team 1a2b3c4d"
CHILDREN = {  # id -> (title, stem)
    "a" * 32: ("First", f"{PARENT}/First aaaaaaaa"),
    "b" * 32: ("Second", f"{PARENT}/Second bbbbbbbb"),
    "c" * 32: ("Third", f"{PARENT}/Third cccccccc"),
}


def _context(path: str) -> RenderContext:
    stems = {key: stem for key, (_, stem) in CHILDREN.items()}
    stems["1" * 32] = PARENT
    return RenderContext(
        path=path,
        resolve=lambda i: stems.get(i.replace("-", "")),
        title_of=lambda i: CHILDREN.get(i.replace("-", ""), (None, None))[0],
    )


def _page(page_id: str, title: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    page = {
        "id": page_id,
        "parent": {"type": "workspace", "workspace": True},
        "properties": {"title": {"type": "title", "title": [{"plain_text": title}]}},
    }
    return {"page": page, "blocks": blocks}


def _child_block(child_id: str, title: str) -> dict[str, Any]:
    return {"id": child_id, "type": "child_page", "child_page": {"title": title}}


def _parent_record(titles: dict[str, str]) -> dict[str, Any]:
    return _page("1" * 32, "Team", [_child_block(i, t) for i, t in titles.items()])


def _listed(script: str) -> list[list[Any]]:
    body = script.removeprefix("notionSiblings(").removesuffix(");\n")
    entries, _, more = body.rpartition(", ")
    return [*json.loads(entries), int(more)]


def test_nav_script_lists_children_in_order_with_links_beside_them() -> None:
    """A parent's script lists its mirrored children in page order, linked from their folder."""
    titles = {i: title for i, (title, _) in CHILDREN.items()}
    files = page_views(_parent_record(titles), PARENT, ("html",), _context)
    script = files[nav_path(PARENT)].decode()
    assert nav_path(PARENT) == "Team 1a2b3c4d.nav.js"
    assert _listed(script) == [
        ["📄", "First", "First%20aaaaaaaa.html"],
        ["📄", "Second", "Second%20bbbbbbbb.html"],
        ["📄", "Third", "Third%20cccccccc.html"],
        0,
    ]


def test_nav_script_absent_without_children_or_without_html() -> None:
    """No child (or no HTML view): no script, so the writer removes any earlier one."""
    leaf = _page("a" * 32, "First", [])
    assert nav_path(f"{PARENT}/First aaaaaaaa") not in page_views(
        leaf, f"{PARENT}/First aaaaaaaa", ("html",), _context
    )
    titles = {i: title for i, (title, _) in CHILDREN.items()}
    assert list(page_views(_parent_record(titles), PARENT, ("markdown",), _context)) == [
        f"{PARENT}.json",
        f"{PARENT}.md",
    ]
    assert nav_script([]) is None


def test_nav_script_caps_a_parent_of_thousands() -> None:
    """A parent with more children than the cap lists the first ones and counts the rest."""
    entries = [("📄", f"Page {n}", f"Page%20{n}.html") for n in range(SIBLINGS_CAP + 7)]
    script = nav_script(entries)
    assert script is not None
    listed = _listed(script)
    assert len(listed) == SIBLINGS_CAP + 1
    assert listed[-1] == 7
    assert len(script.encode()) < 100 * SIBLINGS_CAP


def test_sibling_rename_changes_the_parent_files_only() -> None:
    """Renaming a child rewrites its parent's script and view, never its siblings' HTML."""
    before = {i: title for i, (title, _) in CHILDREN.items()}
    after = {**before, "b" * 32: "Second, renamed"}
    parent_before = page_views(_parent_record(before), PARENT, ("html",), _context)
    parent_after = page_views(_parent_record(after), PARENT, ("html",), _context)
    changed = {path for path in parent_after if parent_after[path] != parent_before.get(path)}
    assert changed == {f"{PARENT}.json", f"{PARENT}.html", nav_path(PARENT)}
    assert "Second, renamed" in parent_after[nav_path(PARENT)].decode()
    stem = f"{PARENT}/Third cccccccc"
    sibling = page_views(_page("c" * 32, "Third", []), stem, ("html",), _context)
    assert "Second" not in sibling[f"{stem}.html"].decode()


def test_nav_loader_finds_the_parent_script_from_the_page_path() -> None:
    """A page loads its parent's script by its own path: nested, and at the top level."""
    nested = nav_loader(f"{PARENT}/Second bbbbbbbb.html")
    assert 'src="../_assets/siblings.js"' in nested
    assert 'data-siblings="../Team%201a2b3c4d.nav.js"' in nested
    assert 'data-self="Second%20bbbbbbbb.html"' in nested
    assert 'data-parent="../Team%201a2b3c4d.html"' in nested
    top = nav_loader(f"{PARENT}.html")
    assert 'data-siblings="index.nav.js"' in top
    assert 'data-parent="index.html"' in top
    files = page_views(
        _page("b" * 32, "Second", []), f"{PARENT}/Second bbbbbbbb", ("html",), _context
    )
    assert nested in files[f"{PARENT}/Second bbbbbbbb.html"].decode()


def test_row_entries_follow_the_table_and_skip_rows_not_mirrored() -> None:
    """A data source's rows are siblings in table order; a row not mirrored is left out."""
    rows = [
        {"id": "c" * 32, "properties": {"Name": {"type": "title", "title": [{"plain_text": "C"}]}}},
        {"id": "9" * 32, "properties": {"Name": {"type": "title", "title": []}}},
        {"id": "a" * 32, "properties": {"Name": {"type": "title", "title": []}}},
    ]
    assert row_entries(rows, _context(f"{PARENT}/_")) == [
        ("📄", "C", "Third%20cccccccc.html"),
        ("📄", "Untitled", "First%20aaaaaaaa.html"),
    ]
    record = {"data_source": {"id": "1" * 32, "properties": {}}, "database": {}}
    files = data_source_views(record, rows, PARENT, ("html",), _context, with_json=False)
    assert "Third%20cccccccc.html" in files[nav_path(PARENT)].decode()


def test_top_entries_are_the_top_level_of_the_index() -> None:
    """The top level's siblings are index.html's top entries, in its order."""
    items = [
        IndexItem("A 11111111", "A", 0, "page"),
        IndexItem("A 11111111/B 22222222", "B", 1, "page"),
        IndexItem("Tasks 33333333", "Tasks", 0, "data_source"),
    ]
    assert top_entries(items) == [
        ("📄", "A", "A%2011111111.html"),
        ("🗃️", "Tasks", "Tasks%2033333333.html"),
    ]
    assert nav_path("") == "index.nav.js"

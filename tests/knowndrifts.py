"""Exclusions for known drifts between an incremental mirror and a fresh export.

Every open drift has an id ``D<n>`` (the team's drift log has its minimal steps and
diff; the docstring or reason here says what it is) and is excluded in one of two ways:

- a *normaliser* applied to both trees before they are compared, hiding exactly that
  drift's difference and nothing more (``NORMALISERS``);
- a *disabled rule*: the state machine does not make the edit that causes the drift
  (``DISABLED_RULES``), when no normaliser can hide it without hiding more.

Remove an exclusion as soon as its fix lands; the state machine then checks the fix.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable
from typing import Any

from mirrortree import Tree

Normaliser = Callable[[Tree], Tree]


def _map_json(tree: Tree, change: Callable[[Any], Any]) -> Tree:
    """Every ``*.json`` file rewritten by ``change`` applied to each JSON node, bottom up."""

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            node = [walk(item) for item in node]
        elif isinstance(node, dict):
            node = {key: walk(value) for key, value in node.items()}
        return change(node)

    result = dict(tree)
    for path, data in tree.items():
        if path.endswith(".json"):
            result[path] = json.dumps(walk(json.loads(data)), indent=2, sort_keys=True).encode()
    return result


def _mention_titles_blanked(tree: Tree) -> Tree:
    """D2: the ``plain_text`` of page and database mentions in stored JSON."""

    def blank(node: Any) -> Any:
        if isinstance(node, dict) and node.get("type") == "mention":
            kind = (node.get("mention") or {}).get("type")
            if kind in ("page", "database"):
                return {**node, "plain_text": "<D2: mention title>"}
        return node

    return _map_json(tree, blank)


_CHILD_PAGE_MD = re.compile(r"^(📄 )\[.*\](\([^()]*\))$", re.MULTILINE)
_CHILD_PAGE_HTML = re.compile(r'(<a href="[^"]*">📄 )[^<]*(</a>)')


def _child_page_titles_blanked(tree: Tree) -> Tree:
    """D3: the title and time of ``child_page`` blocks, and the text of their links."""

    def blank(node: Any) -> Any:
        if isinstance(node, dict) and node.get("type") == "child_page" and "child_page" in node:
            marker = "<D3: child page>"
            return {**node, "child_page": {"title": marker}, "last_edited_time": marker}
        return node

    result = _map_json(tree, blank)
    for path, data in result.items():
        if path.endswith(".md"):
            result[path] = _CHILD_PAGE_MD.sub(r"\1[<D3>]\2", data.decode()).encode()
        elif path.endswith(".html"):
            result[path] = _CHILD_PAGE_HTML.sub(r"\1<D3>\2", data.decode()).encode()
    return result


_MD_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")
_HTML_CELLS = re.compile(r"<t[hd]>(.*?)</t[hd]>")


def _relation_columns_blanked(tree: Tree) -> Tree:
    """D7: relation columns of data-source tables (.csv, .md and .html views)."""
    result = dict(tree)
    for path, data in tree.items():
        if not path.endswith(".json") or path.startswith("_"):
            continue
        source = json.loads(data).get("data_source")
        if not source:
            continue
        relations = {
            name
            for name, entry in (source.get("properties") or {}).items()
            if entry.get("type") == "relation"
        }
        stem = path[: -len(".json")]
        for suffix, blank in ((".csv", _blank_csv), (".md", _blank_md), (".html", _blank_html)):
            if stem + suffix in result and relations:
                result[stem + suffix] = blank(result[stem + suffix].decode(), relations).encode()
    return result


def _blank_csv(text: str, relations: set[str]) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return text
    columns = [i for i, name in enumerate(rows[0]) if name in relations]
    out = io.StringIO()
    writer = csv.writer(out)
    for number, row in enumerate(rows):
        writer.writerow(
            [("<D7>" if number and i in columns else cell) for i, cell in enumerate(row)]
        )
    return out.getvalue()


def _blank_md(text: str, relations: set[str]) -> str:
    lines = text.split("\n")
    columns: list[int] = []
    for number, line in enumerate(lines):
        if line.startswith("## Rows"):
            columns = []
            header = lines[number + 2] if number + 2 < len(lines) else ""
            cells = [c.strip() for c in _MD_CELL_SEPARATOR.split(header)]
            columns = [i for i, name in enumerate(cells) if name in relations]
        elif columns and line.startswith("| ") and number > 0 and not line.startswith("| ---"):
            cells = _MD_CELL_SEPARATOR.split(line)
            for i in columns:
                if i < len(cells):
                    cells[i] = " <D7> "
            lines[number] = "|".join(cells)
    return "\n".join(lines)


def _blank_html(text: str, relations: set[str]) -> str:
    lines = text.split("\n")
    columns: list[int] = []
    for number, line in enumerate(lines):
        if line == '<table class="rows">' and number + 1 < len(lines):
            names = _HTML_CELLS.findall(lines[number + 1])
            columns = [i for i, name in enumerate(names) if html.unescape(name) in relations]
        elif columns and line.startswith("<tr><td>"):
            cells = _HTML_CELLS.findall(line)
            cells = [("<D7>" if i in columns else c) for i, c in enumerate(cells)]
            lines[number] = "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
    return "\n".join(lines)


def _orphan_files_dropped(tree: Tree) -> Tree:
    """D8: downloaded files that no other file of the tree names."""
    named = b"\n".join(data for path, data in tree.items() if not path.startswith("_files/"))
    return {
        path: data
        for path, data in tree.items()
        if not path.startswith("_files/") or path.rsplit("/", 1)[-1].encode() in named
    }


def _trash_flags_in_synced_copies(tree: Tree) -> Tree:
    """D9: ``in_trash``/``archived`` of the blocks a synced copy shows (its original's)."""

    def strip(node: Any) -> Any:
        if isinstance(node, list):
            return [strip(item) for item in node]
        if isinstance(node, dict):
            kept = {k: v for k, v in node.items() if k not in ("in_trash", "archived")}
            return {key: strip(value) for key, value in kept.items()}
        return node

    def copies(node: Any) -> Any:
        if (
            isinstance(node, dict)
            and node.get("type") == "synced_block"
            and (node.get("synced_block") or {}).get("synced_from")
            and "children" in node
        ):
            return {**node, "children": strip(node["children"])}
        return node

    return _map_json(tree, copies)


def _database_time_blanked(tree: Tree) -> Tree:
    """D10: the stored database container's ``last_edited_time`` in data-source records."""

    def blank(node: Any) -> Any:
        if (
            isinstance(node, dict)
            and "data_source" in node
            and isinstance(node.get("database"), dict)
        ):
            return {**node, "database": {**node["database"], "last_edited_time": "<D10>"}}
        return node

    return _map_json(tree, blank)


NORMALISERS: dict[str, Normaliser] = {
    "D2": _mention_titles_blanked,
    "D3": _child_page_titles_blanked,
    "D7": _relation_columns_blanked,
    "D8": _orphan_files_dropped,
    "D9": _trash_flags_in_synced_copies,
    "D10": _database_time_blanked,
}
"""Drift id → normaliser applied to both trees."""

DISABLED_RULES: dict[str, str] = {
    "move_database": "D1: a database moved to another page stays at its old path",
    "rename_database": "D4: a renamed database's parent page links to its old path",
    "edit_synced_original": "D5: an edit in a synced original does not reach its copies",
    "change_schema": "D6: a schema change does not reach the rows' files",
    "unshare_linked": (
        "D11: mentions of and synced copies from an unshared page keep its content; "
        "D12: an unshared database's parent page keeps a link to it"
    ),
}
"""State-machine rule → the open drift it would trigger."""


def normalise(tree: Tree) -> Tree:
    """``tree`` with every open drift's normaliser applied."""
    for normaliser in NORMALISERS.values():
        tree = normaliser(tree)
    return tree


def enabled(rule: str) -> bool:
    """Whether the state machine may use ``rule`` (False while its drift is open)."""
    return rule not in DISABLED_RULES

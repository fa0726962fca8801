"""Exclusions for known drifts between an incremental mirror and a fresh export.

Every open drift is reported in /work/notes/drifts.md (section ``D<n>``) and excluded
here in one of two ways, each named after its drift:

- a *normaliser* applied to both trees before they are compared, hiding exactly that
  drift's difference and nothing more (``NORMALISERS``);
- a *disabled rule*: the state machine does not make the edit that causes the drift
  (``DISABLED_RULES``), when no normaliser can hide it without hiding more.

Remove an exclusion as soon as its fix lands; the state machine then checks the fix.
"""

from __future__ import annotations

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


NORMALISERS: dict[str, Normaliser] = {
    "D2": _mention_titles_blanked,
    "D3": _child_page_titles_blanked,
}
"""Drift id → normaliser applied to both trees."""

DISABLED_RULES: dict[str, str] = {
    "move_database": "D1: a database moved to another page stays at its old path",
    "rename_database": "D4: a renamed database's parent page links to its old path",
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

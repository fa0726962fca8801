"""Navigation of the HTML copy that stays small at 50,000 pages.

Every page's HTML must be bounded by the page itself, never by the workspace, so a
one-page edit rewrites one page (plus ``index.html``):

- **breadcrumbs** come from the page's own path: each folder of ``A 1a2b3c4d/B 5e6f7a8b``
  is an ancestor whose view sits beside the folder (``A 1a2b3c4d.html``). A path changes
  exactly when an ancestor is renamed or moved, and then the files move anyway, so the
  breadcrumbs cost no extra rewrite. The label is the folder name without its id suffix
  (the cleaned title).
- **child links** come from the page's own ``child_page``/``child_database`` blocks
  (wherever they are nested), which Notion keeps for every sub-page.
- **index.html** shows the top of the tree (:data:`INDEX_DEPTH` levels) in native
  ``<details>``, at most :data:`INDEX_CHILDREN` children per entry and
  :data:`INDEX_BUDGET` entries (and :data:`INDEX_BYTES`) below the top level (filled
  level by level), with a link to the entry's own page for the rest; deeper levels are
  reached through each page's child links. Its size grows with the number of top-level
  pages only.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import re
from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from notion_syncd.export.links import RenderContext, object_link, relative_link
from notion_syncd.terms import display_title

INDEX_DEPTH = 3
"""Levels of the hierarchy shown in index.html (top-level pages are level 1)."""
INDEX_CHILDREN = 50
"""Children listed under one entry of index.html; the rest are on the entry's page."""
SIDEBAR_CHILDREN = 50
"""Sub-pages listed in a page's sidebar; all of them are in the page's "Pages inside"."""
INDEX_BUDGET = 3000
"""Entries below the top level in index.html, filled level by level (about 400 KB)."""
INDEX_BYTES = 800_000
"""Bytes those entries may take (an upper estimate from their paths, so index.html stays
under 1 MB however long the titles: long titles make long links)."""

_ID_SUFFIX = re.compile(r" (?:[0-9a-f]{8}|[0-9a-f]{32})$")
_CHILD_TYPES = {"child_page": "📄", "child_database": "🗃️"}


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


@dataclass(frozen=True, slots=True)
class IndexItem:
    """One line of index.html: an exported object at ``depth`` in the hierarchy (0 = top)."""

    path_stem: str
    title: str
    depth: int
    kind: str  # "page", "data_source", "database", …


def folder_label(folder: str) -> str:
    """The readable part of a ``<clean title> <id8>`` folder name."""
    return _ID_SUFFIX.sub("", folder) or folder


def ancestor_crumbs(path: str) -> list[tuple[str, str]]:
    """(label, relative link) of every ancestor of the file at repo-relative ``path``."""
    folders = path.strip("/").split("/")[:-1]
    crumbs = []
    for depth in range(len(folders)):
        stem = "/".join(folders[: depth + 1])
        crumbs.append((folder_label(folders[depth]), relative_link(path, stem + ".html")))
    return crumbs


def _child_blocks(blocks: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for block in blocks:
        if block.get("type") in _CHILD_TYPES:
            yield block
        yield from _child_blocks(block.get("children") or [])


def child_entries(blocks: list[dict[str, Any]], ctx: RenderContext) -> list[tuple[str, str, str]]:
    """(icon, title, relative link) of the page's mirrored sub-pages, in page order."""
    entries = []
    for block in _child_blocks(blocks):
        kind = str(block.get("type"))
        link = object_link(ctx, str(block.get("id") or ""), ".html")
        if link is None:
            continue
        payload = block.get(kind) or {}
        title = display_title(str(payload.get("title") or "") if isinstance(payload, dict) else "")
        entries.append((_CHILD_TYPES[kind], title, link))
    return entries


def child_links_html(blocks: list[dict[str, Any]], ctx: RenderContext) -> str:
    """A ``<nav class="children">`` of the page's mirrored sub-pages, or ``""``."""
    items = [
        f'<li>{icon} <a href="{_esc(link)}">{_esc(title)}</a></li>'
        for icon, title, link in child_entries(blocks, ctx)
    ]
    if not items:
        return ""
    return (
        '<nav class="children" id="children">\n<h2>Pages inside</h2>\n<ul>\n'
        + "\n".join(items)
        + "\n</ul>\n</nav>"
    )


def sidebar_html(
    path: str, title: str, children: list[tuple[str, str, str]], index: str, search: str
) -> str:
    """The sidebar of the file at ``path``: a search box and the way down to it.

    The way down is the index, every ancestor, the page itself and its first
    :data:`SIDEBAR_CHILDREN` sub-pages, nested: its size depends on the page's depth and
    its own sub-pages only, never on the workspace.
    """
    shown = [
        f'<li>{icon} <a href="{_esc(link)}">{_esc(label)}</a></li>'
        for icon, label, link in children[:SIDEBAR_CHILDREN]
    ]
    if len(children) > SIDEBAR_CHILDREN:
        rest = len(children) - SIDEBAR_CHILDREN
        shown.append(f'<li class="more"><a href="#children">… {rest} more</a></li>')
    below = "\n<ul>\n" + "\n".join(shown) + "\n</ul>\n" if shown else ""
    tree = f'<li aria-current="page"><strong>{_esc(title)}</strong>{below}</li>'
    for label, link in reversed(ancestor_crumbs(path)):
        tree = f'<li><a href="{_esc(link)}">{_esc(label)}</a>\n<ul>\n{tree}\n</ul>\n</li>'
    if path != index:
        home = relative_link(path, index)
        tree = f'<li><a href="{_esc(home)}">Index</a>\n<ul>\n{tree}\n</ul>\n</li>'
    form = (
        f'<form class="find" role="search" action="{_esc(relative_link(path, search))}">'
        '<input type="search" name="q" placeholder="Search" aria-label="Search"></form>'
    )
    return (
        f'<nav class="sidebar" aria-label="Pages">\n{form}\n<ul class="way">\n{tree}\n</ul>\n</nav>'
    )


def _entry_bytes(entry: IndexItem) -> int:
    """About what an entry of index.html takes: its link (twice when it has a "more"), title."""
    return 2 * len(quote(entry.path_stem)) + len(entry.title.encode()) + 60


def _shown_breadth_first(children: dict[str, list[IndexItem]]) -> set[str]:
    """Stems index.html lists: every top-level entry, then level by level while the budget lasts.

    A level is shown for an entry entirely (up to :data:`INDEX_CHILDREN`) or not at all.
    """
    level = children.get("") or []
    shown = {entry.path_stem for entry in level}
    budget = INDEX_BUDGET
    size = 0
    for _ in range(INDEX_DEPTH - 1):
        below: list[IndexItem] = []
        for entry in level:
            first = (children.get(entry.path_stem) or [])[:INDEX_CHILDREN]
            cost = sum(_entry_bytes(child) for child in first)
            if len(first) > budget or size + cost > INDEX_BYTES:
                return shown
            budget -= len(first)
            size += cost
            shown.update(child.path_stem for child in first)
            below += first
        level = below
    return shown


class StemSet:
    """Which path stems are entries, in 8 bytes a stem (a sorted array of 64-bit BLAKE2b
    digests): enough to place every entry of a 50,000-page mirror without holding its
    stems (10 MB of them, issue 10). Two stems sharing a digest would be taken for one
    (about one chance in 10^10 at 50,000 pages)."""

    def __init__(self, stems: Iterable[str]) -> None:
        self._digests = array("Q", sorted(map(_digest, stems)))

    def __contains__(self, stem: object) -> bool:
        if not isinstance(stem, str):
            return False
        digest = _digest(stem)
        at = bisect.bisect_left(self._digests, digest)
        return at < len(self._digests) and self._digests[at] == digest


def _digest(stem: str) -> int:
    return int.from_bytes(hashlib.blake2b(stem.encode(), digest_size=8).digest(), "big")


def index_level(stem: str, is_entry: Callable[[str], bool]) -> tuple[int, str]:
    """The level an entry is listed at in index.html (1: the top) and the stem of the
    entry it is listed under ("" at the top): the folders of its stem that are entries
    themselves, a folder without a view of its own (a database's) being none."""
    level, parent = 1, ""
    for at, char in enumerate(stem):
        if char == "/" and is_entry(stem[:at]):
            level, parent = level + 1, stem[:at]
    return level, parent


def index_tree_html(
    entries: list[IndexItem],
    link: Callable[[str], str],
    inside: Mapping[str, int] | None = None,
) -> str:
    """The top of the hierarchy as nested lists with ``<details>`` (see module docstring).

    ``entries`` are in tree order (a parent before its descendants); ``link`` turns a path
    stem into the href of its ``.html`` view. Only entries down to :data:`INDEX_DEPTH`
    can show: deeper ones may be left out and counted in ``inside``, by the stem of the
    entry they are listed under (``index_level``).
    """
    inside = inside or {}
    children: dict[str, list[IndexItem]] = {}
    stems = {entry.path_stem for entry in entries}
    for entry in entries:
        _, parent = index_level(entry.path_stem, stems.__contains__)
        children.setdefault(parent, []).append(entry)

    shown = _shown_breadth_first(children)

    def item(entry: IndexItem, level: int) -> str:
        icon = "🗃️" if entry.kind in ("data_source", "database") else "📄"
        href = _esc(link(entry.path_stem))
        label = f'{icon} <a href="{href}">{_esc(display_title(entry.title))}</a>'
        below = children.get(entry.path_stem) or []
        count = len(below) or inside.get(entry.path_stem, 0)
        if not count:
            return f'<li class="{_esc(entry.kind)}">{label}</li>'
        if not below or below[0].path_stem not in shown:
            more = f'<a class="more" href="{href}">{count} inside</a>'
            return f'<li class="{_esc(entry.kind)}">{label} · {more}</li>'
        return (
            f'<li class="{_esc(entry.kind)}"><details>\n<summary>{label}</summary>\n'
            + branch(below, level + 1, href)
            + "\n</details></li>"
        )

    def branch(items: list[IndexItem], level: int, parent_href: str) -> str:
        visible = [entry for entry in items if entry.path_stem in shown]
        lines = [item(entry, level) for entry in visible]
        if len(items) > len(visible):
            rest = len(items) - len(visible)
            lines.append(f'<li class="more"><a href="{parent_href}">… {rest} more</a></li>')
        return "<ul>\n" + "\n".join(lines) + "\n</ul>"

    top = children.get("") or []
    return branch(top, 1, "").replace("<ul>", '<ul class="tree">', 1) if top else ""

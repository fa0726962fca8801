"""Links to a page's siblings in the HTML copy, without rewriting the siblings.

Listing its siblings in every page's HTML would make a one-page add, rename or removal
rewrite every sibling. Instead each parent has one small script listing its children,
``<parent stem>.nav.js`` beside the parent's own views (``index.nav.js`` for the top
level), and each page loads its parent's script (a ``<script>`` tag: ``fetch`` does not
work from ``file://``). ``_assets/siblings.js`` then fills in the siblings around the
page in the sidebar and "previous / next" links. Without JavaScript the breadcrumbs'
parent link still leads to the siblings.

- **Who writes it**: the parent's own view writer, from the same data as the parent's
  "Pages inside" (a page: its ``child_page``/``child_database`` blocks in page order; a
  data source: its rows in table order; the top level: the top entries of
  ``index.html``). So it changes exactly when that list does (a child added, renamed,
  moved or removed rewrites its old and new parent's script), and an incremental mirror
  equals a fresh export and ``render`` whenever the parent's view does.
- **Where**: beside the parent's views, so a move or removal of the parent moves or
  removes it with them, and a page finds it from its own path. A name always ends with
  a hex id (:mod:`notion_syncd.export.paths`), so ``.nav.js`` is never a page's file.
- **Bounded**: at most :data:`SIBLINGS_CAP` children are listed (about 80 KB; at most
  ~800 KB with 200-byte titles); the script says how many more there are, and a page
  past the cap shows its parent link only.
"""

from __future__ import annotations

import html
import json
import posixpath
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from notion_syncd.export.htmlnav import IndexItem
from notion_syncd.export.links import RenderContext, object_link, relative_link
from notion_syncd.terms import display_title, page_title

NAV_SUFFIX = ".nav.js"
TOP_NAV = "index.nav.js"
SIBLINGS_SCRIPT = "_assets/siblings.js"
SIBLINGS_CAP = 1000
"""Children listed in a parent's script (the rest: a count, and the parent's own page)."""
_INDEX = "index.html"

SiblingEntry = tuple[str, str, str]
"""(icon, title, link relative to the children's folder)."""


def nav_path(parent_stem: str) -> str:
    """The script listing the children of the object at ``parent_stem`` ("": the top level)."""
    return f"{parent_stem}{NAV_SUFFIX}" if parent_stem else TOP_NAV


def children_folder_file(parent_stem: str) -> str:
    """A path inside the parent's folder of children: links in its script are relative to it."""
    return f"{parent_stem}/_" if parent_stem else "_"


def row_entries(rows: Sequence[dict[str, Any]], ctx: RenderContext) -> list[SiblingEntry]:
    """A data source's rows as siblings, in the order of its table (mirrored rows only)."""
    entries = []
    for row in rows:
        link = object_link(ctx, str(row.get("id") or ""), ".html")
        if link is not None:
            entries.append(("📄", display_title(page_title(row)), link))
    return entries


def top_entries(items: Sequence[IndexItem]) -> list[SiblingEntry]:
    """The top-level objects as siblings, in the order of ``index.html``."""
    return [
        (
            "🗃️" if item.kind in ("data_source", "database") else "📄",
            display_title(item.title),
            quote(f"{item.path_stem}.html"),
        )
        for item in items
        if "/" not in item.path_stem
    ]


def nav_script(entries: Sequence[SiblingEntry]) -> str | None:
    """The parent's script: ``notionSiblings([[icon, title, link], …], more);``.

    One child per line, in the parent's order, at most :data:`SIBLINGS_CAP`; ``more`` is
    how many were left out. None when there is no child (no script is written).
    """
    if not entries:
        return None
    shown = [json.dumps(list(entry), ensure_ascii=False) for entry in entries[:SIBLINGS_CAP]]
    more = max(0, len(entries) - SIBLINGS_CAP)
    return "notionSiblings([\n" + ",\n".join(shown) + f"\n], {more});\n"


def nav_loader(path: str) -> str:
    """The tag that loads the siblings of the view at ``path`` (a page or data source)."""
    parent_stem = posixpath.dirname(path.strip("/"))
    parent_view = f"{parent_stem}.html" if parent_stem else _INDEX
    attributes = {
        "src": relative_link(path, SIBLINGS_SCRIPT),
        "data-siblings": relative_link(path, nav_path(parent_stem)),
        "data-self": quote(posixpath.basename(path)),
        "data-parent": relative_link(path, parent_view),
    }
    items = attributes.items()
    shown = " ".join(f'{name}="{html.escape(value, quote=True)}"' for name, value in items)
    return f"<script {shown}></script>"

"""HTML navigation: breadcrumbs from the path, child links, an index.html that stays small."""

from __future__ import annotations

import random
from html.parser import HTMLParser
from pathlib import Path

from test_render_markdown import block, ctx, text

from notion_syncd.export import htmlnav
from notion_syncd.export.html import render_index_html, render_page_html
from notion_syncd.export.htmlcode import code_stylesheet
from notion_syncd.export.htmlnav import (
    INDEX_CHILDREN,
    INDEX_DEPTH,
    IndexItem,
    StemSet,
    ancestor_crumbs,
    folder_label,
    index_level,
    index_tree_html,
)
from notion_syncd.export.links import RenderContext
from notion_syncd.sync.rerender import tree_order


class _Links(HTMLParser):
    """Every ``href`` of a document, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [value or "" for name, value in attrs if name == "href"]


def _hrefs(document: str) -> list[str]:
    parser = _Links()
    parser.feed(document)
    return parser.hrefs


def test_ancestor_crumbs_link_every_folder_beside_it() -> None:
    """A page two folders deep gets both ancestors, labelled without their id suffix."""
    crumbs = ancestor_crumbs("Team 1a2b3c4d/Notes 5e6f7a8b/Deep 0c0c0c0c.html")
    assert crumbs == [
        ("Team", "../../Team%201a2b3c4d.html"),
        ("Notes", "../Notes%205e6f7a8b.html"),
    ]
    assert ancestor_crumbs("Top 11111111.html") == []


def test_folder_label_keeps_titles_that_only_look_like_ids() -> None:
    """Only a trailing `` <8 or 32 hex>`` suffix is dropped; a bare name stays."""
    assert folder_label("Q3 plan deadbeef") == "Q3 plan"
    assert folder_label("Q3 plan") == "Q3 plan"
    assert folder_label("deadbeef") == "deadbeef"


def test_page_html_has_breadcrumbs_and_nested_child_links() -> None:
    """A page links its ancestors and its sub-pages, even one nested in a toggle."""
    child = block("child_page", title="Other page")
    child["id"] = "11111111-1111-1111-1111-111111111111"
    missing = block("child_page", title="Not mirrored")
    record = {
        "page": {"id": "2" * 32, "properties": {}},
        "blocks": [block("toggle", rich_text=[], children=[child]), missing],
    }
    out = render_page_html(record, ctx("Team 1a2b3c4d/Notes 5e6f7a8b.html"))
    nav = out[out.index('<nav class="children"') :]
    assert _hrefs(nav)[:1] == ["Other%20page%2011111111.html"]
    assert "Not mirrored" not in nav
    breadcrumb = out[out.index('<nav class="breadcrumb">') : out.index("<main>")]
    assert _hrefs(breadcrumb) == ["../index.html", "../Team%201a2b3c4d.html", "../search.html"]


def _index(entries: list[IndexItem]) -> str:
    context = RenderContext(path="index.html", resolve=lambda _: None, title_of=lambda _: None)
    return render_index_html(entries, context)


def test_index_html_is_bounded_when_one_page_holds_thousands() -> None:
    """10,000 rows under one database and a deep chain add a bounded number of entries."""
    entries = [IndexItem("Top 11111111", "Top", 0, "page")]
    entries.append(IndexItem("Top 11111111/Tasks 22222222", "Tasks", 1, "data_source"))
    entries += [
        IndexItem(f"Top 11111111/Tasks 22222222/Row {n:08x}", f"Row {n}", 2, "page")
        for n in range(10_000)
    ]
    chain = "Top 11111111/Tasks 22222222/Row 00000000"
    for depth in range(3, 10):
        chain += f"/Deep {depth:08x}"
        entries.append(IndexItem(chain, f"Deep {depth}", depth, "page"))
    entries.sort(key=lambda entry: entry.path_stem.split("/"))
    out = _index(entries)
    hrefs = _hrefs(out)
    assert len(hrefs) < INDEX_CHILDREN + 10
    assert f"… {10_000 - INDEX_CHILDREN} more" in out
    assert "Deep%2000000003" not in out  # beyond INDEX_DEPTH levels
    assert out.count("<details>") == INDEX_DEPTH - 1
    assert len(out) < 20_000


def test_index_html_nests_under_nearest_view_when_a_folder_has_none() -> None:
    """An entry whose parent folder has no view of its own hangs under the nearest one."""
    entries = [
        IndexItem("Top 11111111", "Top", 0, "page"),
        IndexItem("Top 11111111/Db 33333333/Source 44444444", "Source", 2, "data_source"),
    ]
    out = _index(entries)
    assert out.index("<details>") < out.index("Top%2011111111.html") < out.index("Source")


def test_callout_and_toggle_colours_become_shared_classes() -> None:
    """A yellow callout and a red toggle carry Notion's colour as a class the stylesheet knows."""
    record = {
        "page": {"id": "2" * 32, "properties": {}},
        "blocks": [
            block("callout", rich_text=[], color="yellow_background", icon=None),
            block("toggle", rich_text=[], color="red"),
            block("callout", rich_text=[], color="default", icon=None),
        ],
    }
    out = render_page_html(record, ctx("Notes 5e6f7a8b.html"))
    assert '<aside class="callout color-yellow_background">' in out
    assert '<details class="color-red">' in out
    assert '<aside class="callout">' in out
    assert "style=" not in out
    css = (Path(htmlnav.__file__).parent / "style.css").read_text(encoding="utf-8")
    assert ".color-yellow_background {" in css and ".color-red {" in css


def test_code_is_highlighted_with_its_language_shown() -> None:
    """Python code gets token spans and its language; an unknown language stays plain text."""
    record = {
        "page": {"id": "2" * 32, "properties": {}},
        "blocks": [
            block("code", rich_text=[text("def f(x):\n    return x < 1\n")], language="python"),
            block("code", rich_text=[text("a <b>")], language="no such language"),
        ],
    }
    out = render_page_html(record, ctx("Notes 5e6f7a8b.html"))
    assert '<pre class="code" data-language="python"><code class="language-python">' in out
    assert '<span class="k">def</span>' in out and "&lt;" in out
    assert "a &lt;b&gt;</code>" in out
    sheet = code_stylesheet()
    assert ".code .k {" in sheet and "prefers-color-scheme: dark" in sheet


def test_index_html_stays_under_a_megabyte_at_10000_pages() -> None:
    """20 top pages x 25 children x 20 grandchildren: the budget keeps index.html small."""
    entries = []
    for top in range(20):
        stem = f"Top {top} {top:08x}"
        entries.append(IndexItem(stem, f"Top {top}", 0, "page"))
        for child in range(25):
            middle = f"{stem}/Child {child} {top * 100 + child:08x}"
            entries.append(IndexItem(middle, f"Child {child}", 1, "page"))
            entries += [
                IndexItem(f"{middle}/Leaf {n} {top * 10**5 + child * 1000 + n:08x}", "L", 2, "page")
                for n in range(20)
            ]
    entries.sort(key=lambda entry: entry.path_stem.split("/"))
    out = _index(entries)
    assert len(entries) == 10_520
    assert len(out.encode()) < 1_000_000
    assert out.count('class="page"') == 20 + 500 + (htmlnav.INDEX_BUDGET - 500) // 20 * 20
    assert "20 inside" in out


def test_sidebar_shows_the_way_down_and_caps_sub_pages() -> None:
    """The sidebar nests index, ancestors, the page and at most SIDEBAR_CHILDREN sub-pages."""
    children = [("📄", f"Child {n}", f"Deep/Child {n}.html") for n in range(80)]
    out = htmlnav.sidebar_html(
        "Team 1a2b3c4d/Deep 0c0c0c0c.html", "Deep <b>", children, "index.html", "search.html"
    )
    hrefs = _hrefs(out)
    assert hrefs[:2] == ["../index.html", "../Team%201a2b3c4d.html"]
    assert len(hrefs) == 2 + htmlnav.SIDEBAR_CHILDREN + 1  # and "… 30 more"
    assert "… 30 more" in out
    assert '<li aria-current="page"><strong>Deep &lt;b&gt;</strong>' in out
    assert 'action="../search.html"' in out


def test_page_html_sidebar_lists_its_sub_pages() -> None:
    """A rendered page's sidebar links the same sub-pages as its "Pages inside"."""
    child = block("child_page", title="Other page")
    child["id"] = "11111111-1111-1111-1111-111111111111"
    record = {"page": {"id": "2" * 32, "properties": {}}, "blocks": [child]}
    out = render_page_html(record, ctx("Team 1a2b3c4d/Notes 5e6f7a8b.html"))
    sidebar = out[out.index('<nav class="sidebar"') : out.index('<div class="content">')]
    assert _hrefs(sidebar) == [
        "../index.html",
        "../Team%201a2b3c4d.html",
        "Other%20page%2011111111.html",
    ]


def test_index_html_stays_under_a_megabyte_with_long_titles() -> None:
    """Long titles make long links: the byte budget stops the levels before 1 MB."""
    entries = []
    long = "A rather long page title that keeps going on and on"
    for top in range(20):
        stem = f"{long} {top:08x}"
        entries.append(IndexItem(stem, long, 0, "page"))
        for child in range(50):
            middle = f"{stem}/{long} {top * 100 + child:08x}"
            entries.append(IndexItem(middle, long, 1, "page"))
            entries += [
                IndexItem(f"{middle}/{long} {top * 10**5 + child * 1000 + n:08x}", long, 2, "page")
                for n in range(50)
            ]
    entries.sort(key=lambda entry: entry.path_stem.split("/"))
    out = _index(entries)
    assert len(out.encode()) < 1_000_000
    assert "50 inside" in out  # some levels stop early and link to the page instead


def test_tree_order_sorts_like_the_stems_parts() -> None:
    """index.html's order is the order of the stems split at "/" (a folder before its
    contents, a name before longer names it starts)."""
    stems = ["ab/x", "ab c", "ab", "a/b/c", "a b", "a/b", "ab/x y", "ab/x/z", "Z", "a"]
    items = [IndexItem(stem, "", stem.count("/"), "page") for stem in stems]
    by_parts = sorted(stems, key=lambda stem: stem.split("/"))
    assert [item.path_stem for item in sorted(items, key=tree_order)] == by_parts


def test_index_html_from_the_top_levels_and_counts_equals_from_every_entry() -> None:
    """index.html written from the entries down to INDEX_DEPTH, those one level below
    counted (what ``Views.write_index_html`` holds), is the page written from every entry:
    random trees with folders that have no view (a database's), wide and deep ones."""
    for seed in range(6):
        rng = random.Random(seed)
        folders, items = [""], []
        for number in range(rng.choice([300, 3000])):
            parent = rng.choice(folders[-rng.choice([3, 40, 4000]) :])
            name = f"Page {rng.randrange(10**6):06d} {number:08x}"
            stem = f"{parent}/{name}" if parent else name
            folders.append(stem)
            if rng.random() > 0.1:  # else a folder without a view of its own
                items.append(IndexItem(stem, f"Title {number}", stem.count("/"), "page"))
        items.sort(key=tree_order)
        stems = StemSet(item.path_stem for item in items)
        kept, inside = [], {}
        for item in items:
            level, parent = index_level(item.path_stem, stems.__contains__)
            assert (item.path_stem in stems) and (parent == "" or parent in stems)
            if level <= INDEX_DEPTH:
                kept.append(item)
            elif level == INDEX_DEPTH + 1:
                inside[parent] = inside.get(parent, 0) + 1
        assert "Nothing here" not in stems and len(kept) < len(items) and inside
        link = lambda stem: stem + ".html"  # noqa: E731
        assert index_tree_html(kept, link, inside) == index_tree_html(items, link), seed

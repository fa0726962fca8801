"""Fidelity end to end: relations, CSV, big data sources, offline re-render, the HTML copy."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse

import pytest
from browser import chromium_browser
from synchelpers import TestClock, git, make_settings, serve

from notion_syncd.commands.render import render_mirror
from notion_syncd.config import Settings
from notion_syncd.export.htmlnav import folder_label
from notion_syncd.export.htmlsiblings import NAV_SUFFIX, TOP_NAV
from notion_syncd.export.search import ID_DIR, parse_shard
from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.fake_notion.generate import tiny_png
from notion_syncd.sync.runner import run_sync


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A workspace with 3 databases (one of 60 rows) mirrored in every format."""
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=3)
    ids = generate_workspace(workspace, pages=20, depth=3, databases=3, rows_per_database=60)
    _add_showcase_page(workspace, parent=ids[4])  # ids[4] ends the chain: 3 levels deep
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    repo = tmp_path_factory.mktemp("fidelity") / "mirror"
    with serve(workspace) as server:
        settings = make_settings(server, repo)
        run_sync(settings, now=clock)
    return {"workspace": workspace, "repo": repo, "settings": settings}


SHOWCASE_TITLE = "Showcase of the offline copy"
SHOWCASE_WORD = "quetzalcoatlus"
"""A word on the showcase page only, far past its search excerpt (full text is searched)."""


def _add_showcase_page(workspace: Workspace, parent: str) -> str:
    """A 4th-level page with a cover, a yellow callout, code, an equation, and a rare word."""
    filler = rt.paragraph(" ".join(["Plain filler words for the excerpt."] * 30))
    callout = rt.block(
        "callout",
        {
            "rich_text": rt.text_list("Careful: yellow means warning."),
            "icon": {"type": "emoji", "emoji": "⚠️"},
            "color": "yellow_background",
        },
    )
    return workspace.add_page(
        parent,
        SHOWCASE_TITLE,
        [
            filler,
            callout,
            rt.code("def sync():\n    return 'ok'\n", "python"),
            rt.equation(r"\sum_{i=1}^{n} i = \frac{n(n+1)}{2}"),
            rt.paragraph(f"The rare word is {SHOWCASE_WORD}."),
        ],
        icon={"type": "emoji", "emoji": "🦕"},
        cover=workspace.add_file(tiny_png(64, 16, (250, 204, 21)), "cover.png"),
    )


def _record(repo: Path, object_id: str) -> tuple[Path, dict[str, Any]]:
    for path in repo.rglob("*.json"):
        if ".notion-syncd" in path.parts or ".git" in path.parts:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        holder = data.get("page") or data.get("data_source") or {}
        if holder.get("id") == object_id:
            return path, data
    raise AssertionError(f"{object_id} not mirrored")


def test_relations_beyond_25_are_complete(mirror: dict[str, Any]) -> None:
    """30 relations (the page object shows 25) come out as 30, and their rollup counts 30."""
    workspace = mirror["workspace"]
    row = next(
        page_id
        for page_id, page in workspace.pages.items()
        if len((page.properties.get("Related") or {}).get("relation") or []) == 30
    )
    path, data = _record(mirror["repo"], row)
    related = data["page"]["properties"]["Related"]
    assert len(related["relation"]) == 30
    assert related.get("has_more") is False
    rollup = data["page"]["properties"]["Related count"]["rollup"]
    assert rollup["type"] == "number" and rollup["number"] == 30
    csv_path = path.parent.with_suffix(".csv")
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    cell = next(r for r in rows if r["id"] == row)["Related"]
    assert len(cell.split(", ")) == 30


def test_csv_has_one_row_per_page_and_schema_columns(mirror: dict[str, Any]) -> None:
    """Each data source's CSV parses into exactly its rows, with the schema's columns."""
    workspace = mirror["workspace"]
    for source_id, source in workspace.data_sources.items():
        path, data = _record(mirror["repo"], source_id)
        text = path.with_suffix(".csv").read_bytes()
        assert text.startswith(b"\xef\xbb\xbf") and b"\r\n" not in text  # BOM, \n line ends
        rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
        header, body = rows[0], rows[1:]
        assert len(body) == len(source.rows) == 60
        assert set(data["data_source"]["properties"]) <= set(header)
        # Exactly the API's schema order, title first, although the stored JSON is sorted.
        title = next(n for n, c in source.properties.items() if c.get("type") == "title")
        columns = [name for name in header[2:] if not name.endswith(" (ids)")]
        assert columns == [title, *(name for name in source.properties if name != title)]
        assert list(data["data_source"]["properties"]) == sorted(columns)


def test_render_rebuilds_identical_files_offline(mirror: dict[str, Any]) -> None:
    """`render` rebuilds every view byte for byte from the JSON, with no API call."""
    repo: Path = mirror["repo"]
    settings: Settings = mirror["settings"]
    offline = settings.model_copy(
        update={"notion": settings.notion.model_copy(update={"base_url": "http://127.0.0.1:9"})}
    )
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    for path in list(before):
        if path.suffix in (".md", ".html", ".csv"):
            path.unlink()
    git(repo, "commit", "-qam", "drop the views")
    assert "commit" in render_mirror(offline)
    after = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == before
    assert "already up to date" in render_mirror(offline)


@pytest.mark.slow
def test_data_source_over_query_cap_is_complete(tmp_path: Path) -> None:
    """10,050 rows with the server's query cap at 10,000 (and rows not yet in search) all arrive."""
    clock = TestClock()
    workspace = Workspace(clock)
    generate_workspace(workspace, pages=1, depth=1, databases=1, rows_per_database=0)
    source_id = next(iter(workspace.data_sources))
    clock.advance(hours=2)  # the data source is in search; its rows will not be yet
    clock.tick = timedelta(milliseconds=100)
    for number in range(10_050):
        workspace.add_row(source_id, {"Name": f"Row {number}"})
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    with serve(workspace, query_result_cap=10_000, search_lag=3600) as server:
        # Comments off: they would add one request per row, which this test is not about.
        export = {"formats": ["json", "csv"], "comments": "off"}
        settings = make_settings(server, tmp_path / "m", export=export)
        report = run_sync(settings, now=clock)
        assert server.request_log.count("data_sources.query") > 100
    assert report.failed == 0
    path, _data = _record(tmp_path / "m", source_id)
    text = path.with_suffix(".csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 10_050
    assert len({row["id"] for row in rows}) == 10_050


def test_html_copy_browses_in_chromium(mirror: dict[str, Any], tmp_path: Path) -> None:
    """Headless Chromium opens index.html, follows a link to a page, and shows its content."""
    repo: Path = mirror["repo"]
    first_page = sorted(repo.glob("*.html"))[0]
    title = json.loads(first_page.with_suffix(".json").read_text())["page"]["properties"]
    title_text = "".join(t["plain_text"] for t in title["title"]["title"])
    shot = tmp_path / "page.png"
    with chromium_browser() as browser:
        page = browser.new_page()
        page.goto((repo / "index.html").as_uri())
        page.get_by_role("link", name=title_text).first.click()
        page.wait_for_load_state()
        assert page.url.endswith(first_page.name.replace(" ", "%20"))
        assert title_text in page.locator("h1").first.inner_text()
        body = page.locator("body").inner_text()
        assert len(body) > 200
        page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 5_000


def _local_targets_resolve(page: Any, selector: str) -> int:
    """Every href under ``selector`` names a file that exists; returns how many were checked."""
    hrefs = page.eval_on_selector_all(selector + " a[href]", "links => links.map(a => a.href)")
    for href in hrefs:
        assert href.startswith("file://"), href
        assert Path(unquote(urlparse(href).path)).is_file(), href
    return len(hrefs)


def test_html_navigation_reaches_a_nested_page_and_back(mirror: dict[str, Any]) -> None:
    """Chromium opens a sub-tree of index.html, goes two levels down, and climbs back up."""
    repo: Path = mirror["repo"]
    nested = sorted(
        path
        for path in repo.glob("*/*/*.html")
        if path.with_suffix(".json").exists() and not {".git", ".notion-syncd"} & set(path.parts)
    )[0]
    top, middle = nested.parent.parent.name, nested.parent.name
    requests: list[str] = []
    with chromium_browser() as browser:
        page = browser.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.goto((repo / "index.html").as_uri())
        top_link = page.locator(f'ul.tree a[href="{quote(top)}.html"]')
        nested_href = f"{quote(top)}/{quote(middle)}/{quote(nested.name)}"
        nested_link = page.locator(f'ul.tree a[href="{nested_href}"]')
        assert not nested_link.is_visible()  # sub-trees start closed
        top_link.locator("xpath=..").click()  # the <summary> opens the sub-tree
        page.locator(f'ul.tree a[href="{quote(top)}/{quote(middle)}.html"]').locator(
            "xpath=.."
        ).click()
        nested_link.click()
        page.wait_for_load_state()
        assert Path(unquote(urlparse(page.url).path)) == nested
        crumbs = page.locator("nav.breadcrumb a:not(.search)")
        assert crumbs.count() == 3  # Index › top › middle
        assert _local_targets_resolve(page, "nav.breadcrumb") == 4  # and Search
        _local_targets_resolve(page, "nav.children")
        crumbs.nth(2).click()
        page.wait_for_load_state()
        assert Path(unquote(urlparse(page.url).path)) == nested.parent.with_suffix(".html")
        assert _local_targets_resolve(page, "nav.children") >= 1
        page.locator("nav.breadcrumb a").first.click()
        page.wait_for_load_state()
        assert Path(unquote(urlparse(page.url).path)) == repo / "index.html"
    assert requests and all(url.startswith("file://") for url in requests), requests


def test_html_pages_with_external_media_make_no_remote_request(mirror: dict[str, Any]) -> None:
    """Opening pages that show an external image, file, bookmark and embed stays on file://."""
    repo: Path = mirror["repo"]
    pages = [
        path
        for path in sorted(repo.rglob("*.html"))
        if "https://example.com/photo.jpg" in path.read_text(encoding="utf-8")
    ][:5]
    assert pages
    requests: list[str] = []
    with chromium_browser() as browser:
        page = browser.new_page()
        page.on("request", lambda request: requests.append(request.url))
        for path in pages:
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            assert page.locator('a[href="https://example.com/photo.jpg"]').count() == 1
    assert len(requests) >= len(pages)
    assert [url for url in requests if not url.startswith("file://")] == []


def _unique_deep_query(repo: Path) -> tuple[str, str]:
    """A deep page's title whose words, together, occur in no other entry of the index."""
    entries = [
        entry
        for shard in sorted((repo / ID_DIR).rglob("*.js"))
        for entry in parse_shard(shard.read_text(encoding="utf-8")).values()
    ]
    texts = [f"{entry.title} {entry.excerpt}".lower() for entry in entries]
    for entry in sorted(entries, key=lambda entry: entry.stem):
        words = entry.title.lower().split()
        matches = [text for text in texts if all(word in text for word in words)]
        if entry.stem.count("/") >= 2 and words and len(matches) == 1:
            return entry.title, entry.stem
    raise AssertionError("no deep page has a title unique in the index")


def test_html_search_finds_a_deep_page_offline(mirror: dict[str, Any], tmp_path: Path) -> None:
    """The search page, from file://, ranks the page titled with some words first and opens it."""
    repo: Path = mirror["repo"]
    query, stem = _unique_deep_query(repo)
    requests: list[str] = []
    with chromium_browser() as browser:
        page = browser.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.goto((repo / "index.html").as_uri())
        page.locator("nav.breadcrumb a.search").click()
        page.wait_for_selector('form#search[data-ready="true"]')
        started = time.monotonic()
        page.locator("#q").fill(query.upper())
        page.wait_for_selector('form#search[data-done="true"]')
        elapsed = time.monotonic() - started
        # Its title is unique among titles and excerpts; whole words may also occur
        # further down other pages (full text), which rank below a title match.
        page.screenshot(path=str(tmp_path / "search.png"))
        page.locator("#results li a").first.click()
        page.wait_for_load_state()
        assert Path(unquote(urlparse(page.url).path)) == repo / f"{stem}.html"
    assert elapsed < 1.0
    assert [url for url in requests if not url.startswith("file://")] == []


def test_changed_formats_rebuild_views_without_fetching(tmp_path: Path) -> None:
    """Switching export.formats re-renders locally: new views appear, disabled ones go."""
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=3)
    generate_workspace(workspace, pages=8, depth=2, databases=1, rows_per_database=5)
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    repo = tmp_path / "m"
    with serve(workspace) as server:
        run_sync(make_settings(server, repo, export={"formats": ["markdown", "csv"]}), now=clock)
        assert list(repo.rglob("*.md")) and not list(repo.rglob("*.html"))
        server.request_log.clear()
        settings = make_settings(server, repo, export={"formats": ["json", "html"]})
        report = run_sync(settings, now=clock)
        assert server.request_log.count() == 1
    assert report.commit is not None
    assert not list(repo.rglob("*.md")) and not list(repo.rglob("*.csv"))
    pages = [p for p in repo.rglob("*.json") if not {".notion-syncd", ".git"} & set(p.parts)]
    assert all(p.with_suffix(".html").exists() for p in pages)
    assert (repo / "index.html").exists()
    assert git(repo, "status", "--porcelain") == ""


SCREENSHOTS_ENV = "NOTION_SYNCD_SCREENSHOTS"
"""Folder for the walk's screenshots (CI keeps them); a temporary folder when unset."""
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _on(page: Any, path: Path) -> None:
    page.wait_for_load_state()
    assert Path(unquote(urlparse(page.url).path)) == path, page.url


def _sibling_links(repo: Path, here: Path) -> list[str]:
    """The links the page's parent lists for its children (``<parent>.nav.js``)."""
    folder = here.parent
    nav = repo / TOP_NAV if folder == repo else folder.with_name(folder.name + NAV_SUFFIX)
    listed = nav.read_text(encoding="utf-8")
    entries = json.loads(listed.removeprefix("notionSiblings(").rpartition(", ")[0])
    return [link for _, _, link in entries]


def _sidebar_shows_sibling_window(page: Any, repo: Path, here: Path) -> int:
    """The sidebar lists at most 25 siblings on each side, and "… N more" for the rest;
    the page's place among its parent's children."""
    links = _sibling_links(repo, here)
    at = links.index(quote(here.name))
    page.wait_for_selector("nav.pager")
    before, after = min(at, 25), min(len(links) - 1 - at, 25)
    assert page.locator("nav.sidebar li.sibling").count() == before + after > 0
    hidden = [count for count in (at - before, len(links) - 1 - at - after) if count]
    more = page.locator("nav.sidebar ul.way li.more").all_inner_texts()
    assert more == [f"… {count} more" for count in hidden]
    return at


def _follow_next_sibling(page: Any, repo: Path, here: Path) -> None:
    """The pager's links lead to a neighbour and back ("previous" then "next" when the
    page is the last of its parent's children)."""
    links = _sibling_links(repo, here)
    at = _sidebar_shows_sibling_window(page, repo, here)
    last = at + 1 == len(links)
    away, back = ("prev", "next") if last else ("next", "prev")
    page.locator(f'nav.pager a[rel="{away}"]').click()
    _on(page, repo / unquote(links[at - 1 if last else at + 1]))
    page.locator(f'nav.pager a[rel="{back}"]').click()
    _on(page, here)


def _check_dark_and_print(page: Any, shots: Path) -> None:
    """The dark scheme darkens the page (and is screenshotted); print hides the sidebar."""
    page.emulate_media(color_scheme="dark")
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    red, green, blue = (int(part) for part in re.findall(r"\d+", background)[:3])
    assert red + green + blue < 3 * 64, background
    page.screenshot(path=str(shots / "page-dark-desktop.png"), full_page=True)
    assert page.locator("nav.sidebar").is_visible()
    page.emulate_media(media="print", color_scheme="light")
    assert page.locator("nav.sidebar").is_hidden()
    page.emulate_media(media="screen")


def _relation_link(page: Any) -> Any:
    """The first link in a rows table's "Related" column."""
    column = page.eval_on_selector_all(
        "table.rows thead th", "cells => cells.map(c => c.textContent).indexOf('Related')"
    )
    assert column >= 0
    return page.locator(f"table.rows tbody td:nth-child({column + 1}) a").first


def test_html_acceptance_walk_in_chromium(mirror: dict[str, Any], tmp_path: Path) -> None:
    """Sidebar down to a deep page and back, full-text search, math, code, callout, cover,
    a relation link, screenshots at two widths, and no request leaving file://."""
    repo: Path = mirror["repo"]
    shots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    showcase = next(p for p in repo.rglob("Showcase of the offline copy *.html"))
    chain = [showcase.parent.parent.parent, showcase.parent.parent, showcase.parent]
    top, middle, lower = (folder.with_suffix(".html") for folder in chain)
    database = next(
        path
        for path in sorted(repo.rglob("*.html"))
        if '<th scope="col">Related</th>' in path.read_text(encoding="utf-8")
    )
    requests: list[str] = []
    with chromium_browser() as browser:
        page = browser.new_page(viewport=VIEWPORTS["desktop"])
        page.on("request", lambda request: requests.append(request.url))
        page.goto((repo / "index.html").as_uri())
        page.locator(f'ul.tree a[href="{quote(top.name)}"]').click()
        _on(page, top)
        for below in (middle, lower, showcase):
            page.locator("nav.sidebar li[aria-current] > ul a").filter(
                has_text=folder_label(below.stem)
            ).click()
            _on(page, below)
        assert page.locator("nav.sidebar ul.way a").count() == 4  # Index and 3 ancestors
        page.locator("nav.sidebar ul.way a").nth(1).click()  # back up to the top page
        _on(page, top)
        _follow_next_sibling(page, repo, top)

        page.locator("nav.sidebar input[name=q]").fill(SHOWCASE_WORD.upper())
        started = time.monotonic()
        page.locator("nav.sidebar input[name=q]").press("Enter")
        page.wait_for_selector('form#search[data-done="true"]')
        elapsed = time.monotonic() - started
        assert page.locator("#results li").count() == 1
        for name, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            page.screenshot(path=str(shots / f"search-{name}.png"), full_page=True)
        page.set_viewport_size(VIEWPORTS["desktop"])
        page.locator("#results li a").click()
        _on(page, showcase)

        math = page.locator("div.equation math[display=block]")
        assert math.count() == 1 and math.bounding_box()["height"] > 20  # stacked fraction
        assert "\\frac" not in page.locator("main").inner_text()
        assert page.locator("pre.code span.k").first.inner_text() == "def"
        callout = page.locator("aside.callout.color-yellow_background")
        background = callout.evaluate("node => getComputedStyle(node).backgroundColor")
        assert background == "rgb(254, 249, 195)"
        assert page.locator("img.cover").evaluate("img => img.naturalWidth") == 64
        for name, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            page.screenshot(path=str(shots / f"page-{name}.png"), full_page=True)
        page.set_viewport_size(VIEWPORTS["desktop"])
        _check_dark_and_print(page, shots)

        page.goto(database.as_uri())
        for name, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            page.screenshot(path=str(shots / f"database-{name}.png"))
        link = _relation_link(page)
        target = Path(unquote(urlparse(link.evaluate("a => a.href")).path))
        label = link.inner_text()
        every = page.locator("table.rows tbody tr").count()
        page.locator("input.filter").fill(label)  # the rows table filters in the browser
        shown = page.locator("table.rows tbody tr:not([hidden])").count()
        assert 1 <= shown < every
        link.click()
        _on(page, target)
        assert label in page.locator("h1").inner_text()
        _sidebar_shows_sibling_window(page, repo, target)  # a row of 60: a capped window
    assert elapsed < 3.0  # the 1 s bound at 10,000 pages is bench/bench_html.py's
    assert len(list(shots.glob("*.png"))) == 7
    assert len(requests) > 10
    assert [url for url in requests if not url.startswith("file://")] == []

"""HTML site bench (issue 14): page and index sizes, search time, files a one-page edit changes.

    .venv/bin/python bench/bench_html.py [--pages 10000] [--words 300] [--keep DIR]

Builds a mirror of ``--pages`` pages (a tree five levels deep; each page ``--words`` words
drawn from a 5,000-word vocabulary by Zipf's law, the word of rank r with weight 1/r, as
words are in prose: the first is on every page, a few hundred are on more than 1,024 of
10,000 and so have their postings in parts) with the real writer (``MirrorWriter``: JSON
and HTML, as a sync writes them), then measures:

- the largest page HTML (sidebar included) and ``index.html``, in bytes;
- in headless Chromium (Debian's ``chromium``), the time from opening
  ``search.html?q=<word>`` to the one result for a word that occurs on a single page at
  the deepest level, and the time until every shard has loaded; the same for the most
  common word (every page: its status line, all its parts loaded);
- one page edited (one word replaced) and written again: which files under ``_search/``
  changed, and the size of the largest of them (shards stay small at any size:
  ``searchlayout``);
- the largest list of a parent's children (``*.nav.js``, for sibling links);
- one page added (its parent fetched again with the new ``child_page`` block): every
  file that changed.

Timings are wall-clock on a shared machine: load from other processes skews them.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from notion_syncd.export import search
from notion_syncd.export.htmlsiblings import NAV_SUFFIX
from notion_syncd.export.searchwords import PART_DIR, WORD_DIR
from notion_syncd.gitstore import open_mirror
from notion_syncd.sync.fetch import FetchedRecord, FetchReport
from notion_syncd.sync.writer import MirrorWriter

FORMATS = ("json", "html")
UNIQUE = "pterodactylus"
NOW = "2026-03-01T10:00:00.000Z"


def _vocabulary(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: set[str] = set()
    while len(words) < 5000:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 10))))
    return sorted(words)


def _page(
    page_id: str, title: str, parent: str | None, text: str, children: list[tuple[str, str]]
) -> FetchedRecord:
    parent_ref: dict[str, Any] = (
        {"type": "page_id", "page_id": parent} if parent else {"type": "workspace"}
    )
    page = {
        "object": "page",
        "id": page_id,
        "parent": parent_ref,
        "created_time": NOW,
        "last_edited_time": NOW,
        "properties": {"title": {"id": "title", "type": "title", "title": [{"plain_text": title}]}},
    }
    paragraphs = [text[start : start + 400] for start in range(0, len(text), 400)]
    blocks: list[dict[str, Any]] = [
        {
            "object": "block",
            "id": f"{page_id[:-4]}{number:04x}",
            "type": "paragraph",
            "paragraph": {"rich_text": [{"type": "text", "plain_text": chunk}]},
            "has_children": False,
        }
        for number, chunk in enumerate(paragraphs)
    ]
    blocks += [
        {"object": "block", "id": child_id, "type": "child_page", "child_page": {"title": name}}
        for child_id, name in children
    ]
    return FetchedRecord({"page": page, "blocks": blocks}, {}, FetchReport())


def _uuid(number: int) -> str:
    digest = hashlib.sha256(str(number).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"


def build(repo: Path, pages: int, words: int) -> tuple[MirrorWriter, Any, list[str], str]:
    """Write the mirror; returns the writer, mirror, page ids and the deep page's id."""
    rng = random.Random(0)
    vocabulary = _vocabulary(rng)
    weights = list(itertools.accumulate(1 / rank for rank in range(1, len(vocabulary) + 1)))
    ids: list[str] = []
    depth: dict[str, int] = {}
    mirror = open_mirror(repo)
    fetched_at = datetime(2026, 3, 2, tzinfo=UTC)
    writer = MirrorWriter(mirror, FORMATS, lambda: fetched_at, lambda change: None)
    deep = ""
    plan: list[tuple[str, str, str | None, str]] = []
    children: dict[str, list[tuple[str, str]]] = {}
    for number in range(pages):
        page_id = _uuid(number)
        candidates = [i for i in ids[-200:] if depth[i] < 5] if number >= 20 else []
        parent = rng.choice(candidates) if candidates else None
        depth[page_id] = depth[parent] + 1 if parent else 1
        text = " ".join(rng.choices(vocabulary, cum_weights=weights, k=words))
        if not deep and depth[page_id] == 5:
            deep, text = page_id, f"{text} {UNIQUE}"
        title = " ".join(rng.choice(vocabulary) for _ in range(3)).capitalize()
        plan.append((page_id, title, parent, text))
        if parent:
            children.setdefault(parent, []).append((page_id, title))
        ids.append(page_id)
    for number, (page_id, title, parent, text) in enumerate(plan):
        writer.write(_page(page_id, title, parent, text, children.get(page_id, [])), parent)
        if number % 1000 == 999:
            writer.views.flush()  # a checkpoint's (search entries held)
    writer.views.flush(final=True)
    writer.views.write_index_html()
    return writer, mirror, ids, deep


def _largest(repo: Path) -> tuple[int, str]:
    sizes = [
        (path.stat().st_size, str(path.relative_to(repo)))
        for path in repo.rglob("*.html")
        if ".git" not in path.parts and path.name != "index.html"
    ]
    return max(sizes)


_WATCH = """
new MutationObserver(function (changes, observer) {
  var results = document.getElementById("results");
  if (results && results.querySelector("li a")) {
    window.__found = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def search_time(repo: Path, query: str, runs: int = 3) -> tuple[float, float, str]:
    """(median seconds from navigation start to the first result, to every shard loaded;
    the status line).

    Measured inside Chromium (``performance.now()`` is relative to the navigation start).
    """
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    found: list[float] = []
    done: list[float] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.add_init_script(_WATCH)
            for _ in range(runs):
                page.goto((repo / search.SEARCH_PAGE).as_uri() + f"?q={query}")
                page.wait_for_selector('form#search[data-done="true"]', timeout=60_000)
                found.append(page.evaluate("window.__found") / 1000)
                done.append(page.evaluate("performance.now()") / 1000)
            status = page.inner_text("#status")
        finally:
            browser.close()
    return sorted(found)[runs // 2], sorted(done)[runs // 2], status


def _search_files(repo: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(repo)): path.read_bytes()
        for path in (repo / search.SHARD_DIR).rglob("*")
        if path.is_file()
    }


def _tree(repo: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(repo)): path.read_bytes()
        for path in repo.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(repo).parts
    }


def _add_one_page(writer: MirrorWriter, repo: Path, parent: str | None, number: int) -> list[str]:
    """A new page under ``parent``, written as a sync writes it (the parent is fetched
    again with its new ``child_page`` block): the files that changed, sorted."""
    before = _tree(repo)
    page_id, title = _uuid(number), "Added page for the bench"
    stem = writer.index.path_of(parent) if parent else None
    record = writer.views.stored(stem)
    assert record is not None
    record["blocks"].append(
        {"object": "block", "id": page_id, "type": "child_page", "child_page": {"title": title}}
    )
    grandparent = record["page"]["parent"].get("page_id")
    writer.write(FetchedRecord(record, {}, FetchReport()), grandparent)
    writer.write(_page(page_id, title, parent, "a new page with a few words", []), parent)
    writer.views.flush(final=True)
    if writer.structure_changed:
        writer.views.write_index_html()
    after = _tree(repo)
    changed = before.keys() | after.keys()
    return sorted(name for name in changed if before.get(name) != after.get(name))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--words", type=int, default=300)
    parser.add_argument("--keep", type=Path, help="build the mirror here and keep it")
    args = parser.parse_args(argv)
    repo = args.keep or Path(tempfile.mkdtemp(prefix="bench-html-")) / "mirror"
    started = time.monotonic()
    writer, mirror, ids, _deep = build(repo, args.pages, args.words)
    print(f"built {args.pages} pages in {time.monotonic() - started:.1f} s")
    size, largest = _largest(repo)
    print(f"largest page HTML: {size:,} bytes ({largest})")
    print(f"index.html: {(repo / 'index.html').stat().st_size:,} bytes")
    navs = [(path.stat().st_size, path) for path in repo.rglob(f"*{NAV_SUFFIX}")]
    nav_size, nav_path = max(navs)
    print(f"children lists: {len(navs)}, largest {nav_size:,} bytes ({nav_path.name})")
    word_files = list((repo / WORD_DIR).rglob("*.js"))
    total = sum(path.stat().st_size for path in word_files)
    biggest = max(path.stat().st_size for path in word_files)
    print(f"word shards: {len(word_files)}, {total:,} bytes, largest {biggest:,}")
    part_files = list((repo / PART_DIR).rglob("*.js"))
    words_in_parts = len({path.parent.name for path in part_files})
    total = sum(path.stat().st_size for path in part_files)
    biggest = max((path.stat().st_size for path in part_files), default=0)
    print(
        f"common words' parts: {len(part_files)} of {words_in_parts} words,"
        f" {total:,} bytes, largest {biggest:,}"
    )
    common = _vocabulary(random.Random(0))[0]
    for query in (UNIQUE, common):
        found, done, status = search_time(repo, query)
        print(
            f"search '{query}': {status!r}, the first result {found:.3f} s after navigation"
            f" start; all shards loaded by {done:.3f} s (median of 3)"
        )
    before = _search_files(repo)
    edited = ids[len(ids) // 2]
    stem = writer.index.path_of(edited)
    assert stem is not None
    record = writer.views.stored(stem)
    assert record is not None
    paragraph = record["blocks"][0]["paragraph"]["rich_text"][0]
    paragraph["plain_text"] = "edited " + paragraph["plain_text"].split(" ", 1)[1]
    parent = record["page"]["parent"].get("page_id")
    writer.write(FetchedRecord(record, {}, FetchReport()), parent)
    writer.views.flush(final=True)
    after = _search_files(repo)
    changed = sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    print(f"one-word edit of one page changed {len(changed)} search files: {changed}")
    largest_changed = max((len(after.get(name, b"")) for name in changed), default=0)
    print(f"largest of them: {largest_changed:,} bytes")
    added_files = _add_one_page(writer, repo, parent, len(ids))
    print(f"one-page add changed {len(added_files)} files: {added_files}")
    mirror.close()
    if not args.keep:
        shutil.rmtree(repo.parent, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])

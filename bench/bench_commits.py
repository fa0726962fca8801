"""Git per one-page commit, commit after commit: a daemon's steady state (issue 10).

    PYTHONPATH=. .venv/bin/python bench/bench_commits.py --mirror DIR/mirror-10000 [--commits 150]

``bench_scale.py`` times one commit; pack maintenance (``gitpack``) runs only now and
then, so one commit says little about the next hundred. This bench takes a mirror (one
``bench_scale.py --keep DIR`` left, inflated or not; it is changed, so use one you can
lose) and makes ``--commits`` one-page commits the way a sync of one edited page writes
them: the page's Markdown, JSON and HTML, its search entry with a new word (the search
writer's own files: its id shard and buckets file, the new word's shard, the layout when
a count moves), and the sync's state file. Each commit opens the
mirror, writes, commits (maintenance included) and closes, in this process.

Printed: a JSON line per commit (seconds, packs after), then the median, 95th
percentile and maximum, the commits over 0.5 s, those that consolidated packs, the
total, and the packs and object store size at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from notion_syncd import gitpack, jsoncodec
from notion_syncd.export import search, searchwords
from notion_syncd.export.searchlayout import LAYOUT_PATH
from notion_syncd.gitstore import Author, Mirror, open_mirror
from notion_syncd.sync.searchwrite import SearchChange, write_search
from notion_syncd.terms import display_title, page_title

AUTHOR = Author("bench", "bench@example.invalid")


def page_files(repo: Path, limit: int = 2000) -> list[str]:
    """Markdown files of pages (not the inflated copies), the first ``limit``."""
    listed = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "*.md"], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    return [rel for rel in listed if "/" in rel and not rel.startswith("inflated-")][:limit]


def search_edit(mirror: Mirror, stem: str, number: int) -> None:
    """The page's search entry as a sync writes it after an edit adding a word."""
    record = jsoncodec.loads(mirror.read(stem + ".json") or b"{}")
    page = record.get("page") or {}
    title = display_title(page_title(page))
    blocks = record.get("blocks") or []
    words = (*searchwords.page_words(title, blocks), f"edit{number}")
    entry = search.SearchEntry(str(page.get("id")), stem, title, search.excerpt(blocks))
    write_search(mirror, {entry.id: SearchChange(entry, words)})


def one_commit(repo: Path, number: int, pages: list[str]) -> float:
    started = time.monotonic()
    with open_mirror(repo) as mirror:
        stem = pages[number * 37 % len(pages)][:-3]
        search_edit(mirror, stem, number)
        for ext in (".md", ".json", ".html"):
            data = mirror.read(stem + ext)
            if data is not None:
                mirror.write(stem + ext, data + f"\nedit {number}\n".encode())
        mirror.write(".notion-syncd/bench-state.json", json.dumps({"commit": number}).encode())
        mirror.commit(f"bench: commit {number}", AUTHOR)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, required=True)
    parser.add_argument("--commits", type=int, default=150)
    args = parser.parse_args()
    repo = args.mirror
    if not (repo / LAYOUT_PATH).is_file():
        parser.error(f"{repo} has no HTML search index of this version: export it again")
    pages = page_files(repo)
    objects = repo / ".git" / "objects"
    os.sync()  # what a copy of the mirror left unwritten is not this bench's to pay
    seconds: list[float] = []
    consolidating: list[int] = []
    for number in range(args.commits):
        before = set(gitpack.pack_files(objects))
        seconds.append(one_commit(repo, number, pages))
        packs = set(gitpack.pack_files(objects))
        if before - packs:  # a pack that was there is gone: consolidated
            consolidating.append(number)
        print(json.dumps({"commit": number, "s": round(seconds[-1], 4), "packs": len(packs)}))
    ordered = sorted(seconds)
    store = sum(path.stat().st_size for path in objects.rglob("*") if path.is_file())
    summary = {
        "commits": len(seconds),
        "median_s": round(statistics.median(ordered), 4),
        "p95_s": round(ordered[int(0.95 * (len(ordered) - 1))], 4),
        "max_s": round(ordered[-1], 3),
        "over_half_a_second": sum(1 for value in seconds if value > 0.5),
        "consolidating": [(n, round(seconds[n], 3)) for n in consolidating],
        "total_s": round(sum(seconds), 2),
        "packs": len(gitpack.pack_files(objects)),
        "objects_mb": round(store / 1e6, 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

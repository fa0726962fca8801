"""Git per one-page commit, commit after commit: a daemon's steady state (issue 10).

    PYTHONPATH=. .venv/bin/python bench/bench_commits.py --mirror DIR/mirror-10000 [--commits 150]

``bench_scale.py`` times one commit; pack maintenance (``gitpack``) runs only now and
then, so one commit says little about the next hundred. This bench takes a mirror (one
``bench_scale.py --keep DIR`` left, inflated or not; it is changed, so use one you can
lose) and makes ``--commits`` one-page commits the way a sync of one edited page writes
them: the page's Markdown, JSON and HTML, one search id shard and two word shards (each
edited a little, at their real size), and the sync's state file. Each commit opens the
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

from notion_syncd import gitpack
from notion_syncd.export.search import SHARD_DIR, SHARDS, WORD_SHARDS, shard_path
from notion_syncd.export.searchwords import word_shard_path
from notion_syncd.gitstore import Author, open_mirror

AUTHOR = Author("bench", "bench@example.invalid")


def page_files(repo: Path, limit: int = 2000) -> list[str]:
    """Markdown files of pages (not the inflated copies), the first ``limit``."""
    listed = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "*.md"], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    return [rel for rel in listed if "/" in rel and not rel.startswith("inflated-")][:limit]


def edited(data: bytes | None, line: str) -> bytes:
    """``data`` with ``line`` after its first line (where a shard's entries begin)."""
    head, _, rest = (data or b"\n").partition(b"\n")
    return head + b"\n" + line.encode() + b"\n" + rest


def one_commit(repo: Path, number: int, pages: list[str]) -> float:
    started = time.monotonic()
    with open_mirror(repo) as mirror:
        stem = pages[number * 37 % len(pages)][:-3]
        for ext in (".md", ".json", ".html"):
            data = mirror.read(stem + ext)
            if data is not None:
                mirror.write(stem + ext, data + f"\nedit {number}\n".encode())
        shards = [
            shard_path(number * 5 % SHARDS),
            word_shard_path(number * 7 % WORD_SHARDS),
            word_shard_path(number * 13 % WORD_SHARDS),
        ]
        for rel in shards:
            mirror.write(rel, edited(mirror.read(rel), f'["edit{number}", "{number:016x}"],'))
        mirror.write(".notion-syncd/bench-state.json", json.dumps({"commit": number}).encode())
        mirror.commit(f"bench: commit {number}", AUTHOR)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, required=True)
    parser.add_argument("--commits", type=int, default=150)
    args = parser.parse_args()
    repo = args.mirror
    if not (repo / SHARD_DIR).is_dir():
        parser.error(f"{repo} has no HTML search index: export it with all four formats")
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

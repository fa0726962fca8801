"""One write of the offline search's shards into a large mirror: time and peak RSS (issue 10).

    PYTHONPATH=. .venv/bin/python bench/bench_scale.py --pages 50000 --export-only --keep DIR
    PYTHONPATH=. .venv/bin/python bench/bench_search_write.py DIR/mirror-50000 [--pages 2500]

A sync holds the search entries of the pages it renders and writes them into the shards
of ``_search/`` once ``SEARCH_HELD_LIMIT`` (2,500) wait, and a first export's final phase
writes them again for every page rendered late; each such write reads and rewrites
nearly every shard, and at 50,000 pages it was the peak of the export. This script takes
the first ``--pages`` pages of a mirror (``bench_scale.py --keep`` leaves one), gives
each a new title and its words, and runs ``searchwrite.write_search`` on them as a sync
would, the mirror open as a checkpoint leaves it (HEAD's commit known, libgit2's packs
dropped; ``--cold``: HEAD not resolved yet), nothing committed. Printed: seconds, RSS
before and at the peak (sampled every 3 ms) and the peak's RSS by kind of mapping
(``memsample.rss_by_kind``). The shards written are then put back as HEAD has them
(``git checkout``, ``git clean``), so runs can be repeated on the same mirror.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_scale import rss_mb
from memsample import rss_by_kind

from notion_syncd import memory
from notion_syncd.export import search, searchwords
from notion_syncd.export.searchlayout import SHARD_DIR
from notion_syncd.gitstore import Mirror, open_mirror
from notion_syncd.sync import searchwrite
from notion_syncd.terms import display_title, page_title


def page_records(mirror: Path, pages: int) -> list[Path]:
    """The stored JSON of the first ``pages`` objects, in folder order (views only)."""
    found: list[Path] = []
    for folder, folders, files in os.walk(mirror):
        folders[:] = sorted(name for name in folders if not name.startswith((".", "_")))
        found += [Path(folder) / name for name in sorted(files) if name.endswith(".json")]
        if len(found) >= pages:
            break
    return found[:pages]


def changes_of(mirror: Path, records: list[Path]) -> dict[str, searchwrite.SearchChange]:
    """Each page's entry and words, as a sync that renamed it would hold them."""
    changes = {}
    for path in records:
        record = json.loads(path.read_bytes())
        page = record.get("page") or {}
        if not page:
            continue  # a data source's record
        title = display_title(page_title(page)) + " (renamed)"
        blocks = record.get("blocks") or []
        stem = str(path.relative_to(mirror))[: -len(".json")]
        entry = search.SearchEntry(page["id"], stem, title, search.excerpt(blocks))
        changes[page["id"]] = searchwrite.SearchChange(entry, searchwords.page_words(title, blocks))
    return changes


def settle(mirror: Mirror, *, cold: bool = False) -> float:
    """The open mirror as a checkpoint leaves it (HEAD's commit known, libgit2's packs
    dropped; ``cold``: HEAD not resolved yet), free memory handed back; RSS now, in MB."""
    if not cold:
        mirror.head_commit()
        mirror.repo.free()
    gc.collect()
    memory.release_free_memory()
    return rss_mb(os.getpid())


class PeakSampler:
    """RSS every 3 ms in a thread; the highest, and what it was made of."""

    def __init__(self) -> None:
        self.peak = 0.0
        self.kinds: dict[str, float] = {}
        self._running = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while self._running:
            now = rss_mb(os.getpid())
            if now > self.peak:
                self.peak, self.kinds = now, rss_by_kind()
            time.sleep(0.003)

    def stop(self) -> None:
        self._running = False
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mirror", type=Path)
    parser.add_argument("--pages", type=int, default=2_500)
    parser.add_argument(
        "--cold", action="store_true", help="HEAD not resolved yet (the first write of a run)"
    )
    args = parser.parse_args()
    memory.limit_malloc_arenas()  # as the CLI sets them before anything else runs
    memory.fix_mmap_threshold()
    changes = changes_of(args.mirror, page_records(args.mirror, args.pages))
    try:
        with open_mirror(args.mirror) as mirror:
            before = settle(mirror, cold=args.cold)
            sampler = PeakSampler()
            started = time.monotonic()
            searchwrite.write_search(mirror, changes)
            seconds = time.monotonic() - started
            sampler.stop()
    finally:
        for command in (["checkout", "--", SHARD_DIR], ["clean", "-fdq", "--", SHARD_DIR]):
            subprocess.run(["git", "-C", str(args.mirror), *command], check=True)
    kinds = ", ".join(f"{kind} {mb:.1f}" for kind, mb in sorted(sampler.kinds.items()) if mb >= 0.1)
    print(
        f"{len(changes)} pages: write_search {seconds:.1f} s, RSS {before:.1f} MB before, "
        f"peak {sampler.peak:.1f} MB (+{sampler.peak - before:.1f}: {kinds})"
    )


if __name__ == "__main__":
    main()

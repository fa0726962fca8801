"""One first-export checkpoint's writes and commit in a large mirror: peak RSS by kind (issue 10).

    PYTHONPATH=. .venv/bin/python bench/bench_scale.py --pages 50000 --export-only --keep DIR
    PYTHONPATH=. .venv/bin/python bench/bench_checkpoint.py DIR/mirror-50000 [--pages 500]

A first export commits every 500 or so objects; at 50,000 pages each commit reads the
folders along its changed paths from packs all over the mirror's history, and what
libgit2 maps of them (each pack's ``.idx``, pack windows) counts in RSS. This script
hard-links the mirror (working tree and ``.git``: no data copied, and the mirror itself
is not changed) into a scratch folder, opens the copy as a sync does, and writes what a
checkpoint of ``--pages`` new pages writes: each new page's four files in the folder of
a random existing page (its children's folder), and that parent's Markdown again. Then
it commits (after one commit of one file, as the checkpoint before would have left the
mirror's git index). Printed: seconds and peak RSS of the writes and of the commit, each
peak by kind of mapping (``memsample.rss_by_kind``, sampled every 3 ms).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_search_write import PeakSampler, settle

from notion_syncd import memory
from notion_syncd.gitstore import Author, open_mirror

FORMATS = (".md", ".json", ".html", ".nav.js")
AUTHOR = Author("bench", "bench@example.invalid")


def linked_copy(mirror: Path, into: Path) -> Path:
    """Every file of ``mirror`` hard-linked under ``into`` (same filesystem)."""
    for folder, _folders, files in os.walk(mirror):
        target = into / Path(folder).relative_to(mirror)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            os.link(Path(folder) / name, target / name)
    return into


def parents(mirror: Path, count: int, seed: int) -> list[str]:
    """``count`` random pages' Markdown files (repo-relative), as committed."""
    listed = subprocess.run(
        ["git", "-C", str(mirror), "ls-files", "-z", "--", "*.md"],
        check=True,
        capture_output=True,
    ).stdout.decode()
    pages = [rel for rel in listed.split("\0") if rel and not rel.startswith((".", "_"))]
    return random.Random(seed).sample(pages, count)


def kinds_text(kinds: dict[str, float]) -> str:
    return ", ".join(f"{kind} {mb:.1f}" for kind, mb in sorted(kinds.items()) if mb >= 0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mirror", type=Path)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    memory.limit_malloc_arenas()  # as the CLI sets them before anything else runs
    memory.fix_mmap_threshold()
    source = args.mirror.resolve()
    chosen = parents(source, args.pages, args.seed)
    scratch = Path(tempfile.mkdtemp(prefix="bench-checkpoint-", dir=source.parent))
    try:
        started = time.monotonic()
        copy = linked_copy(source, scratch / "mirror")
        print(f"linked {source} in {time.monotonic() - started:.1f} s")
        with open_mirror(copy) as mirror:
            # the checkpoint before: the git index as an export leaves it (split, when a
            # git command run on the mirror since, git's own checkout say, rewrote it)
            mirror.write("bench-checkpoint-before.md", b"the checkpoint before\n")
            mirror.commit("the checkpoint before", AUTHOR)
            before = settle(mirror)
            sampler = PeakSampler()
            started = time.monotonic()
            for number, parent in enumerate(chosen):
                folder = parent[: -len(".md")]
                for suffix in FORMATS:
                    body = f"new page {number} under {folder}{suffix}\n" * 40
                    mirror.write(f"{folder}/New page {number:05d}{suffix}", body.encode())
                mirror.write(parent, (mirror.read(parent) or b"") + f"- child {number}\n".encode())
            writes = time.monotonic() - started
            sampler.stop()
            writes_peak, writes_kinds = sampler.peak, sampler.kinds
            sampler = PeakSampler()
            started = time.monotonic()
            mirror.commit(f"{args.pages} pages", AUTHOR)
            commit = time.monotonic() - started
            sampler.stop()
        packs = len(list((copy / ".git" / "objects" / "pack").glob("*.idx")))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{args.pages} pages into {source.name} ({packs} packs), RSS {before:.1f} MB before")
    print(f"  writes {writes:.1f} s: peak {writes_peak:.1f} MB ({kinds_text(writes_kinds)})")
    print(f"  commit {commit:.2f} s: peak {sampler.peak:.1f} MB ({kinds_text(sampler.kinds)})")


if __name__ == "__main__":
    main()

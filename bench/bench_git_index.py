"""Git per one-page commit in a mirror the size of a 50,000-page one (issue 10).

    PYTHONPATH=. .venv/bin/python bench/bench_git_index.py [--pages 1130] [--copies 40]

Builds a mirror of ``--pages`` pages of five files each (no API: the files are what an
export writes per page, the size does not matter to git's costs), then makes it
``--copies`` times bigger with ``bench_scale.inflate_by_tree`` (shared trees, an index
of every file). A fresh process then opens the mirror, writes one file and commits, with
``export.keep_git_index`` true (``gitindex``: the first commit splits the index, the
next ones rewrite only the small ``.git/index``) and false; four runs each. The file
written sorts after every other path, so a split index's shared file is read to its end
(the worst case). Printed: tracked files, index size, and per setting the seconds inside
the process (open, write, commit; imports excluded), its peak RSS, and the index files
each run wrote (``.git/index``; a new ``sharedindex.*`` or positions table when one
was written).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_scale import inflate_by_tree, measure_commit_in

from notion_syncd.gitstore import Author, open_mirror

FORMATS = ("md", "json", "html", "csv", "txt")
ONE_PAGE = "zz-one-page/page.md"
"""The file a run changes: after every other path in the index."""


def build(repo: Path, pages: int) -> None:
    with open_mirror(repo) as mirror:
        for page in range(pages):
            folder = f"pages/a-page-with-a-title-{page:05d}-0f2d3c4b5a6978889aabbccdd{page:07d}"
            for ext in FORMATS:
                mirror.write(f"{folder}/page.{ext}", f"page {page} ({ext})\n".encode())
        mirror.commit("bench: base", Author("bench", "bench@example.invalid"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1130)
    parser.add_argument("--copies", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-git-index-") as work:
        repo = Path(work) / "mirror"
        build(repo, args.pages)
        inflate_by_tree(repo, args.copies - 1)
        tracked = subprocess.run(
            ["git", "-C", str(repo), "ls-files"], capture_output=True, text=True, check=True
        ).stdout.count("\n")
        index_mb = (repo / ".git" / "index").stat().st_size / 1e6
        print(f"tracked files: {tracked:,}; .git/index: {index_mb:.1f} MB")
        for keep in (True, False):
            runs, written = [], []
            for _ in range(4):
                before = _index_files(repo)
                runs.append(measure_commit_in(repo, keep, ONE_PAGE))
                after = _index_files(repo)
                written.append(
                    {
                        name: size
                        for name, (size, stamp) in after.items()
                        if before.get(name) != (size, stamp)
                    }
                )
            print(
                json.dumps(
                    {
                        "keep_git_index": keep,
                        "seconds": [round(run["seconds"], 3) for run in runs],
                        "peak_mb": [round(run["peak_mb"], 1) for run in runs],
                        "index_files_written": written,
                    }
                )
            )


def _index_files(repo: Path) -> dict[str, tuple[int, int]]:
    """``.git/index``, ``sharedindex.*`` and positions tables: size and inode (a rewrite)."""
    git_dir = repo / ".git"
    found = {}
    for path in [*git_dir.iterdir(), *git_dir.glob("notion-syncd/*.positions")]:
        if path.name == "index" or path.name.startswith("sharedindex."):
            status = path.stat()
            found[str(path.relative_to(git_dir))] = (status.st_size, status.st_ino)
    return found


if __name__ == "__main__":
    main()

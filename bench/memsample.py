"""Run ``python -m notion_syncd ...`` with a sampler of where its memory is (issue 10).

    PYTHONPATH=. .venv/bin/python bench/bench_scale.py --pages 20000 --export-only \\
        --wrap ".venv/bin/python bench/memsample.py"

``bench_scale.py --wrap`` runs the syncs with this script in place of ``python``. Every
0.2 s a thread reads the process's own ``/proc/self/smaps`` and glibc's ``mallinfo2``;
each time RSS reaches a new high it writes a JSON line with RSS by kind of mapping
(``[anon]``: Python's arenas and thread stacks; ``[heap]``: malloc's main heap; ``lib``;
``pack.idx`` and ``pack``: libgit2's maps of the mirror's packs), malloc's blocks in use
and free, and the stack of every thread then. After each checkpoint it writes a line
with pymalloc's arenas and blocks (``sys._debugmallocstats``). Lines go to
``$MEMSAMPLE_OUT`` (default ``memsample.jsonl``). What the stop 30 figures of the README
were taken with; the sampler itself adds about 1 MB.
"""

from __future__ import annotations

import collections
import ctypes
import json
import os
import re
import runpy
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any, TextIO

INTERVAL = 0.2


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _kind(mapping: str) -> str:
    if mapping.endswith(".idx"):
        return "pack.idx"
    if mapping.endswith(".pack"):
        return "pack"
    if mapping.endswith(".so") or ".so." in mapping:
        return "lib"
    return mapping if mapping.startswith("[") else "file"


def rss_by_kind() -> dict[str, float]:
    """MB of RSS by kind of mapping, from ``/proc/self/smaps``."""
    kinds: collections.Counter[str] = collections.Counter()
    kind = "[anon]"
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            parts = line.split()
            if len(parts) >= 5 and "-" in parts[0] and ":" in parts[3]:  # a mapping
                kind = _kind(parts[5]) if len(parts) > 5 else "[anon]"
            elif parts and parts[0] == "Rss:":
                kinds[kind] += int(parts[1])
    return {kind: round(kb / 1024, 1) for kind, kb in kinds.most_common()}


def pymalloc_stats() -> dict[str, int | None]:
    """pymalloc's arenas and blocks (``sys._debugmallocstats`` writes them to fd 2)."""
    with tempfile.TemporaryFile() as captured:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        text = captured.read().decode()

    def number(label: str) -> int | None:
        found = re.search(re.escape(label) + r"\s*=?\s*([\d,]+)", text)
        return int(found.group(1).replace(",", "")) if found else None

    return {
        "arenas": number("# arenas allocated current"),
        "bytes_in_blocks": number("# bytes in allocated blocks"),
        "bytes_free_in_pools": number("# bytes in available blocks"),
        "bytes_in_unused_pools": number("unused pools * 16384 bytes"),
    }


def _frames(frame: FrameType | None) -> Iterator[str]:
    while frame is not None:
        yield f"{frame.f_code.co_name}@{frame.f_code.co_filename.rsplit('/', 1)[-1]}"
        frame = frame.f_back


class Sampler:
    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._mallinfo2 = None
        libc = ctypes.CDLL("libc.so.6")
        if hasattr(libc, "mallinfo2"):
            libc.mallinfo2.restype = _MallInfo2
            self._mallinfo2 = libc.mallinfo2

    def sample(self, tag: str) -> dict[str, Any]:
        with open("/proc/self/status") as lines:
            status = dict(line.split(":", 1) for line in lines)
        row: dict[str, Any] = {
            "s": round(time.monotonic() - self._started, 1),
            "tag": tag,
            "rss_mb": round(int(status["VmRSS"].split()[0]) / 1024, 1),
            "by_kind": rss_by_kind(),
        }
        if self._mallinfo2 is not None:
            info = self._mallinfo2()
            row["malloc_used_mb"] = round(info.uordblks / 2**20, 1)
            row["malloc_free_mb"] = round(info.fordblks / 2**20, 1)
        return row

    def write(self, row: dict[str, Any]) -> None:
        with self._lock:
            self._out.write(json.dumps(row) + "\n")
            self._out.flush()

    def run(self) -> None:
        """The sampling thread: a line at each new high of RSS, with every thread's stack."""
        high = 0.0
        me = threading.get_ident()
        while True:
            time.sleep(INTERVAL)
            row = self.sample("peak")
            if row["rss_mb"] <= high:
                continue
            high = row["rss_mb"]
            row["stacks"] = [
                list(_frames(frame))[:12]
                for ident, frame in sys._current_frames().items()
                if ident != me
            ]
            self.write(row)


def main() -> None:
    if sys.argv[1:3] != ["-m", "notion_syncd"]:
        raise SystemExit("usage: memsample.py -m notion_syncd ARGS (as bench_scale --wrap)")
    out = open(os.environ.get("MEMSAMPLE_OUT", "memsample.jsonl"), "w")  # noqa: SIM115
    sampler = Sampler(out)
    threading.Thread(target=sampler.run, name="memsample", daemon=True).start()

    from notion_syncd.sync import commit

    checkpoint = commit.Committer.checkpoint

    def sampled_checkpoint(self: commit.Committer) -> None:
        checkpoint(self)
        row = sampler.sample("after_checkpoint")
        row["pymalloc"] = pymalloc_stats()
        sampler.write(row)

    commit.Committer.checkpoint = sampled_checkpoint  # type: ignore[method-assign]
    sys.argv = ["notion_syncd", *sys.argv[3:]]
    runpy.run_module("notion_syncd", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()

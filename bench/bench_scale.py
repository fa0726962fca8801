"""Scale bench (issue 10): first export, RSS curve, git per one-page commit, disk, render.

    .venv/bin/python bench/bench_scale.py --pages 1000 [--pages 10000] [--inflate 5]
        [--workers 8] [--checkpoint N] [--keep DIR] [--export-only] [--timeline] [--wrap CMD]

For each size: the fake Notion API (no latency, no rate limit, a child process) serves a
generated workspace, its edits spread over days as a workspace in use has them (one
second of the fake's clock per read while it is made: a workspace made within the
listing's overlap would be listed whole by every sync); ``notion-syncd sync`` (a child
process, all four formats) exports it into an empty mirror while this process samples
its RSS and the objects written (from its ``sync.checkpoint`` logs); then one page is
edited and synced again, one page added deep in the tree and synced, and one added at
the top level and synced (peak RSS and seconds of each, and whether the sync rebuilt
``index.html``, which only a change it can show needs); the mirror is measured (loose
objects, packs, ``.git`` size); ``notion-syncd render`` is timed. With ``--inflate K``
the mirror is then copied K-1 times into folders of its own (K times the tracked files,
as the issue allows for a 50k mirror) and a one-page sync and a one-page commit are
measured again. ``--export-only`` stops after the first export; ``--timeline`` adds its
RSS every second (seconds, MB) to the JSON row, which shows where in a run (the final
step included) memory grows; every row says when the export's peak was reached, which
log event came last before it and how much of RSS then was anonymous memory or mapped
files. ``--wrap`` runs the syncs with another command in place of ``python`` (it gets
``-m notion_syncd``), a profiler such as ``memray run --aggregate --native -f -o FILE``
(with ``--export-only``: one sync).

Timings are wall-clock on a shared machine: load from other processes skews them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

SERVER = """
import sys
from datetime import UTC, datetime, timedelta
from notion_syncd.fake_notion import FakeClock, FakeNotionServer, Workspace, generate_workspace
class SpreadClock(FakeClock):  # each read 1 s later: edits spread over days, as in use
    tick = 1.0
    def __call__(self):
        return self.advance(self.tick) if self.tick else super().__call__()
ws = Workspace(SpreadClock(datetime.now(UTC) - timedelta(days=30)))
ids = generate_workspace(ws, pages={pages}, depth=5, databases={databases}, rows_per_database=50)
ws.clock.tick = 0.0
ws.clock.set(max(ws.clock(), datetime.now(UTC) - timedelta(hours=1)))  # edits have settled
server = FakeNotionServer(ws, token="secret_bench").start()
print(server.base_url, flush=True)
for line in sys.stdin:
    ws.clock.advance(minutes=5)
    blocks = [{{"type": "paragraph", "paragraph": {{"rich_text": [
        {{"type": "text", "text": {{"content": line.strip()}}}}]}}}}]
    if line.startswith("add top"):  # a new top-level page: index.html lists it
        ws.add_page(None, "A page added " + line.strip(), blocks)
    elif line.startswith("add"):  # a new page, a sibling of thousands of others' descendants
        ws.add_page(ids[len(ids) // 3], "A page added " + line.strip(), blocks)
    else:
        ws.append_blocks(ids[len(ids) // 2], blocks)
    print("edited", flush=True)
server.stop()
"""
TOKEN = "secret_bench"


def _config(folder: Path, base_url: str, repo: Path, args: argparse.Namespace) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f'[notion]\nbase_url = "{base_url}"\nrequests_per_second = 1000\n'
        f"concurrency = {args.workers}\n"
        f'[export]\nrepo = "{repo}"\nformats = ["markdown", "json", "csv", "html"]\n'
        f"keep_git_index = {'false' if args.no_git_index else 'true'}\n"
        f"[sync]\ncheckpoint_pages = {args.checkpoint}\n"
    )
    return config


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def run_measured(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a command; its wall time, peak RSS and (objects written, RSS) points."""
    started = time.monotonic()
    parent_mb = rss_mb(os.getpid(), "VmHWM")  # a child's ru_maxrss starts at our peak
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    peak = 0.0
    curve: list[tuple[int, float]] = []
    timeline: list[tuple[float, float]] = []
    done = threading.Event()
    last_event = ["(start)"]
    peak_at: dict[str, Any] = {}

    def sample() -> None:
        nonlocal peak
        next_second = 0.0
        while not done.wait(0.05):
            high = rss_mb(process.pid, "VmHWM")
            elapsed = time.monotonic() - started
            if high > peak:  # when the peak was reached, the last log line before it, and
                # how much of RSS then was the process's own memory (anon) or mapped files
                peak_at.update(
                    s=round(elapsed, 1),
                    mb=round(high, 1),
                    after=last_event[0],
                    anon_mb=round(rss_mb(process.pid, "RssAnon"), 1),
                    file_mb=round(rss_mb(process.pid, "RssFile"), 1),
                )
            peak = max(peak, high)
            if elapsed >= next_second:
                timeline.append((round(elapsed, 1), round(rss_mb(process.pid), 1)))
                next_second = elapsed + 1.0

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    last: dict[str, Any] = {}
    output = ""
    index_html = False
    for line in process.stdout:
        output = line
        if line.startswith("{"):
            with contextlib.suppress(ValueError, AttributeError):
                last_event[0] = str(json.loads(line).get("event"))
        if '"views.index_html"' in line:
            index_html = True
        if '"sync.checkpoint"' in line or '"sync.finished"' in line:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            written = event.get("written") or event.get("added", 0) + event.get("updated", 0)
            curve.append((int(written), rss_mb(process.pid)))
            last = event
    peak = max(peak, rss_mb(process.pid, "VmHWM"))
    done.set()
    sampler.join()
    _pid, status, usage = os.wait4(process.pid, 0)  # the child's own CPU time
    code = process.returncode = os.waitstatus_to_exitcode(status)
    # Linux carries the parent's peak RSS at fork into a child's maxrss: only above it
    # is ru_maxrss the child's own (the samples of VmHWM cover the rest).
    own_maxrss = usage.ru_maxrss / 1024 if usage.ru_maxrss / 1024 > parent_mb else 0.0
    if code != 0:
        raise SystemExit(f"{command} failed with {code}")
    return {
        "seconds": time.monotonic() - started,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": max(peak, own_maxrss),
        "curve": curve,
        "timeline": timeline,
        "peak_at": peak_at,
        "last": last,
        "index_html": index_html,  # whether the sync rebuilt index.html
        "output": output.strip(),
    }


def change_and_sync(
    server: subprocess.Popen[str], change: str, sync: list[str], env: dict[str, str]
) -> dict[str, Any]:
    """Have the fake make ``change`` (a line of its stdin), then time a sync."""
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(change + "\n")
    server.stdin.flush()
    server.stdout.readline()
    return run_measured(sync, env)


def slope_per_1000(curve: list[tuple[int, float]]) -> float | None:
    """Least-squares MB per 1,000 objects over the points after the first 1,000."""
    points = [(x, y) for x, y in curve if x >= 1000]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    var = sum((x - mean_x) ** 2 for x, _ in points)
    if var == 0:
        return None
    cov = sum((x - mean_x) * (y - mean_y) for x, y in points)
    return 1000 * cov / var


def disk(repo: Path) -> dict[str, Any]:
    objects = repo / ".git" / "objects"
    loose = sum(
        len(os.listdir(objects / d)) for d in os.listdir(objects) if len(d) == 2 and d != "pa"
    )
    packs = [n for n in os.listdir(objects / "pack") if n.endswith(".pack")]
    size = sum(p.stat().st_size for p in (repo / ".git").rglob("*") if p.is_file())
    tracked = subprocess.run(
        ["git", "-C", str(repo), "ls-files"], capture_output=True, text=True, check=True
    ).stdout.count("\n")
    index_file = repo / ".git" / "index"  # none when export.keep_git_index is false
    index = index_file.stat().st_size if index_file.exists() else 0
    return {
        "loose": loose,
        "packs": len(packs),
        "git_mb": size / 1e6,
        "tracked": tracked,
        "index_mb": index / 1e6,
    }


def one_page_commit_seconds(
    repo: Path, keep_git_index: bool = True, rel: str = "bench-one-page.md"
) -> float:
    """Open the mirror, change one file (``rel``), commit: the git part of a one-page sync."""
    from notion_syncd.gitstore import Author, open_mirror

    started = time.monotonic()
    with open_mirror(repo, keep_git_index=keep_git_index) as mirror:
        mirror.write(rel, f"{time.time()}\n".encode())
        mirror.commit("bench: one page", Author("bench", "bench@example.invalid"))
    return time.monotonic() - started


def inflate(repo: Path, copies: int) -> None:
    """Copy the exported tree into ``copies`` folders of its own, in one commit."""
    from notion_syncd.gitstore import Author, open_mirror

    with open_mirror(repo) as mirror:
        files = [rel for rel in mirror.walk_files("") if not rel.startswith(".notion-syncd/")]
        for copy in range(copies):
            for rel in files:
                data = mirror.read(rel)
                if data is not None:
                    mirror.write(f"inflated-{copy}/{rel}", data)
        mirror.commit("bench: inflate", Author("bench", "bench@example.invalid"))


def inflate_by_tree(repo: Path, copies: int) -> None:
    """K copies of HEAD's tree as folders of the root tree, and an index of every file.

    The copies share the tree objects (no file is written to the working tree), so a
    mirror of 200,000+ tracked files is made in seconds; what a one-page commit costs in
    git (the trees along the path, the index) is then measured as in a real mirror.
    """
    import pygit2

    from notion_syncd import gittree

    git = pygit2.Repository(str(repo))
    head = git.head.peel(pygit2.Commit)
    builder = git.TreeBuilder(head.tree)
    for copy in range(copies):
        builder.insert(f"inflated-{copy}", head.tree.id, gittree.TREE_MODE)
    signature = pygit2.Signature("bench", "bench@example.invalid")
    git.create_commit("HEAD", signature, signature, "bench: inflate", builder.write(), [head.id])
    index_path = Path(git.path) / "index"
    index_path.unlink(missing_ok=True)  # libgit2 reads no split one (10,000+ files)
    index = pygit2.Index(str(index_path))
    index.read_tree(git.head.peel(pygit2.Commit).tree)
    index.write()  # the next open removes the shared index file it no longer names


def measure_commit_in(
    repo: Path, keep_git_index: bool = True, rel: str = "bench-one-page.md"
) -> dict[str, Any]:
    """One-page commit in its own process: its seconds (and the process's) and peak RSS."""
    code = (
        "import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]);"
        "from bench_scale import one_page_commit_seconds;"
        "print(json.dumps(one_page_commit_seconds(Path(sys.argv[1]), sys.argv[3] == '1',"
        " sys.argv[4])))"
    )
    keep = "1" if keep_git_index else "0"
    command = [sys.executable, "-c", code, str(repo), str(Path(__file__).parent), keep, rel]
    result = run_measured(command, dict(os.environ))
    return {
        "seconds": json.loads(result["output"]),  # in the process: open, write, commit
        "process_s": result["seconds"],  # with Python's start-up and imports
        "peak_mb": result["peak_mb"],
    }


def bench_size(pages: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    env = {**os.environ, "NOTION_TOKEN": TOKEN, "PYTHONPATH": str(Path(__file__).parents[1])}
    code = SERVER.format(pages=pages, databases=max(3, pages // 500))
    server = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert server.stdout is not None and server.stdin is not None
    base_url = server.stdout.readline().strip()
    repo = work / f"mirror-{pages}"
    config = _config(work, base_url, repo, args)
    sync = [*(args.wrap.split() or [sys.executable]), "-m", "notion_syncd", "sync"]
    sync += ["--config", str(config)]
    row: dict[str, Any] = {"pages": pages}
    try:
        first = run_measured(sync, env)
        objects = int(first["last"].get("added") or 0)
        row.update(
            export_s=first["seconds"],
            cpu_ms_per_object=1000 * first["cpu_s"] / max(objects, 1),
            objects=objects,
            objects_per_s=objects / first["seconds"],
            export_peak_mb=first["peak_mb"],
            slope_mb_per_1000=slope_per_1000(first["curve"]),
            curve=first["curve"],
        )
        row["export_peak_at"] = first["peak_at"]  # seconds, MB, the log event before it
        if args.timeline:
            row["timeline"] = first["timeline"]
        if args.export_only:
            return row
        one = change_and_sync(server, "edit", sync, env)
        row.update(one_page_sync_s=one["seconds"], one_page_sync_peak_mb=one["peak_mb"])
        added = change_and_sync(server, "add one", sync, env)
        row.update(
            one_page_add_s=added["seconds"],
            one_page_add_peak_mb=added["peak_mb"],
            one_page_add_index_html=added["index_html"],
        )
        top = change_and_sync(server, "add top", sync, env)
        row.update(
            top_add_s=top["seconds"],
            top_add_peak_mb=top["peak_mb"],
            top_add_index_html=top["index_html"],
        )
        row.update(disk(repo))
        row["one_page_commit_s"] = one_page_commit_seconds(repo)
        render = run_measured([*sync[:-3], "render", "--config", str(config)], env)
        row.update(
            render_s=render["seconds"],
            render_cpu_s=render["cpu_s"],
            render_peak_mb=render["peak_mb"],
        )
        if args.inflate > 1:
            inflate(repo, args.inflate - 1)
            row.update({f"inflated_{k}": v for k, v in disk(repo).items()})
            big = change_and_sync(server, "edit again", sync, env)
            row.update(inflated_sync_s=big["seconds"], inflated_sync_peak_mb=big["peak_mb"])
            row["inflated_commit_s"] = one_page_commit_seconds(repo)
    finally:
        server.stdin.close()
        server.wait(timeout=60)
    return row


def rebuilt(index_html: bool) -> str:
    return ", index.html rebuilt" if index_html else ""


def table(rows: list[dict[str, Any]]) -> str:
    def f(value: Any, digits: int = 1) -> str:
        return (
            "—"
            if value is None
            else f"{value:,.{digits}f}"
            if isinstance(value, float)
            else f"{value:,}"
        )

    lines = [
        "| pages | objects | first export | objects/s (CPU per object) | peak RSS "
        "| RSS slope /1k obj | one-page sync: edit, add, add at the top (peak RSS) "
        "| git per one-page commit "
        "| loose / packs / .git | render |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        if "render_s" not in r:  # --export-only
            lines.append(
                f"| {r['pages']:,} | {r['objects']:,} | {f(r['export_s'])} s"
                f" | {f(r['objects_per_s'])} ({f(r['cpu_ms_per_object'], 0)} ms)"
                f" | {f(r['export_peak_mb'])} MB | {f(r['slope_mb_per_1000'], 2)} MB"
                " | | | | |"
            )
            continue
        lines.append(
            f"| {r['pages']:,} | {r['objects']:,} | {f(r['export_s'])} s | {f(r['objects_per_s'])}"
            f" ({f(r['cpu_ms_per_object'], 0)} ms) | {f(r['export_peak_mb'])} MB"
            f" | {f(r['slope_mb_per_1000'], 2)} MB"
            f" | {f(r['one_page_sync_s'], 2)} s ({f(r['one_page_sync_peak_mb'])} MB),"
            f" {f(r['one_page_add_s'], 2)} s ({f(r['one_page_add_peak_mb'])} MB"
            f"{rebuilt(r['one_page_add_index_html'])}),"
            f" {f(r['top_add_s'], 2)} s ({f(r['top_add_peak_mb'])} MB"
            f"{rebuilt(r['top_add_index_html'])})"
            f" | {f(r['one_page_commit_s'], 3)} s | {r['loose']:,} / {r['packs']} / "
            f"{f(r['git_mb'])} MB | {f(r['render_s'])} s ({f(r['render_cpu_s'])} s CPU) |"
        )
        if "inflated_tracked" in r:
            lines.append(
                f"| inflated: {r['inflated_tracked']:,} tracked files | | | | | "
                f"| {f(r['inflated_sync_s'], 2)} s ({f(r['inflated_sync_peak_mb'])} MB)"
                f" | {f(r['inflated_commit_s'], 3)} s | {r['inflated_loose']:,} / "
                f"{r['inflated_packs']} / {f(r['inflated_git_mb'])} MB (index "
                f"{f(r['inflated_index_mb'])} MB) | |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, action="append")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--inflate", type=int, default=1)
    parser.add_argument("--checkpoint", type=int, default=500, help="sync.checkpoint_pages")
    parser.add_argument("--no-git-index", action="store_true", help="keep_git_index = false")
    parser.add_argument("--keep", type=Path, help="keep mirrors in this folder")
    parser.add_argument("--export-only", action="store_true", help="only the first export")
    parser.add_argument("--timeline", action="store_true", help="RSS every second in the row")
    parser.add_argument(
        "--wrap", default="", help="runs the syncs in place of python, e.g. 'memray run -o F'"
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for pages in args.pages or [1000]:
            row = bench_size(pages, args, work)
            print(json.dumps(row), flush=True)
            rows.append(row)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(table(rows))


if __name__ == "__main__":
    main()

"""``notion-syncd restore`` as a real process, SIGKILLed at ten seeded instants, then re-run.

The fake serves over loopback and holds the N-th request it receives (``HoldPoint``),
either before applying it or after, with its answer never sent; the test kills the
process while that request is held. N is drawn from a seeded generator, so every run
kills at the same instants, whatever the machine's speed. After the ten kills, a last
run finishes the restore; the next sync's export of the restored subtree must equal the
original's (no block duplicated or missing; exceptions in ``restoreexport``).
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from restoreexport import export_of, first_difference
from synchelpers import TOKEN, TestClock, serve

from notion_syncd.cli import main
from notion_syncd.fake_notion import FakeNotionServer, HoldPoint, Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.restore.journal import JOURNAL_DIR

KILLS = 10
SEED = 17


def _workspace(clock: TestClock) -> tuple[Workspace, str]:
    """Home > Doc with nested blocks, a long list, three sub-pages, a file and a database."""
    workspace = Workspace(clock)
    home = workspace.add_page(None, "Home", [rt.paragraph("home")])
    image = workspace.add_file(b"\x89PNG kill test " * 40, "shot.png")
    doc = workspace.add_page(
        home,
        "Doc",
        [
            rt.heading(1, "Title"),
            rt.toggle("outer", children=[rt.bulleted("a", children=[rt.numbered("b")])]),
            rt.table([["a", "b"], ["c", "d"]]),
            rt.media("image", image, caption="shot"),
            *[rt.numbered(f"item {n}") for n in range(130)],
        ],
    )
    for n in range(3):
        workspace.add_page(
            doc,
            f"Sub {n}",
            [rt.callout(f"call {n}", emoji="🔔", children=[rt.quote("q")])]
            + [rt.paragraph(f"line {i}") for i in range(110)],
        )
    _, source = workspace.add_database(
        doc, "Tasks", {"Name": {"type": "title"}, "Done": {"type": "checkbox"}}, inline=True
    )
    for n in range(6):
        workspace.add_row(source, {"Name": f"row {n}", "Done": n % 2 == 0})
    return workspace, doc


def _config(tmp_path: Path, server: FakeNotionServer) -> str:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[notion]\ntoken = "{TOKEN}"\nbase_url = "{server.base_url}"\n'
        "requests_per_second = 1000\nburst = 1000\n"
        f'[export]\nrepo = "{tmp_path / "mirror"}"\nformats = ["markdown", "json", "csv"]\n'
    )
    return str(config)


def _page_file(repo: Path, page_id: str) -> Path:
    for path in repo.rglob("*.md"):
        if f'id: "{page_id}"' in path.read_text(encoding="utf-8"):
            return path
    raise LookupError(page_id)


def _restore_killed_at(command: list[str], server: FakeNotionServer, hold: HoldPoint) -> bool:
    """Run the restore until ``hold`` is reached, then SIGKILL it; False if it finished."""
    server.hold = hold
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while not hold.reached.wait(0.02):
            if process.poll() is not None:
                assert process.returncode == 0, process.stderr.read() if process.stderr else ""
                return False
            assert time.monotonic() < deadline, "the restore neither finished nor was held"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        return True
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
        hold.release.set()
        server.hold = None


@pytest.mark.slow
def test_restore_process_killed_at_ten_instants_completes_without_duplicates(
    tmp_path: Path,
) -> None:
    """Ten SIGKILLs (before a request, or after it landed), then a re-run: the same subtree."""
    clock = TestClock()
    workspace, doc = _workspace(clock)
    rng = random.Random(SEED)
    with serve(workspace) as server:
        config = _config(tmp_path, server)
        repo = tmp_path / "mirror"
        assert main(["sync", "--config", config]) == 0
        original = export_of(repo, _page_file(repo, doc))
        workspace.trash(doc)
        before = set(workspace.pages)
        command = [sys.executable, "-m", "notion_syncd", "restore", doc, "--recursive"]
        command += ["--config", config]
        kills = 0
        while kills < KILLS:
            at = server.served + rng.randint(1, 6)
            hold = HoldPoint(at, answered=rng.random() < 0.5)
            assert _restore_killed_at(command, server, hold), f"finished before kill {kills + 1}"
            kills += 1
            journals = list((repo / ".git" / JOURNAL_DIR).glob("*.json"))
            assert len(journals) <= 1
        finished = subprocess.run(command, capture_output=True, text=True)
        assert finished.returncode == 0, finished.stderr
        assert "continuing the restore journaled" in finished.stdout
        restored = [page for page in workspace.pages if page not in before]
        (new_doc,) = [page for page in restored if workspace.title_of(page) == "Doc"]
        assert len(restored) == 1 + 3 + 6
        clock.advance(minutes=2)
        assert main(["sync", "--config", config]) == 0
        again = export_of(repo, _page_file(repo, new_doc))
    assert sorted(again) == sorted(original)
    for key in original:
        assert again[key] == original[key], (key, first_difference(again[key], original[key]))

"""Views that wait for the final flush: rendered once, and rendered after a crash too.

A page written before the page it mentions is committed by a checkpoint without its
views; they are written by the final flush, or by the next sync's when the run was
killed in between (the ids wait in ``.git/notion-syncd/views-waiting``).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
from killswitch import Killed, KillSwitch, PacedTransport
from synchelpers import IN_PROCESS_URL, TOKEN, TestClock, in_process_settings

import notion_syncd.fake_notion.richtext as rt
from notion_syncd.config import Settings
from notion_syncd.export import search
from notion_syncd.fake_notion import FakeNotion, Workspace
from notion_syncd.notion.client import NotionClient
from notion_syncd.sync.commit import FINAL_BATCH_CHECKPOINTS
from notion_syncd.sync.runner import run_sync
from notion_syncd.sync.waitingviews import WAITING_FILE, WaitingViews

FAKE_URL = IN_PROCESS_URL
PAGE_ID = "0b5a7a4e-0a8c-4c5e-9d55-6a3c1f2b9e01"


def _settings(
    repo: Path, checkpoint_pages: int = 1, formats: tuple[str, ...] = ("markdown", "json")
) -> Settings:
    return in_process_settings(repo, formats=formats, sync={"checkpoint_pages": checkpoint_pages})


def _sync(
    fake: FakeNotion,
    clock: TestClock,
    repo: Path,
    kill_after: int | None,
    checkpoint_pages: int = 1,
    formats: tuple[str, ...] = ("markdown", "json"),
) -> bool:
    """One sync; False when it was killed."""
    transport: httpx.BaseTransport = PacedTransport(httpx.MockTransport(fake.handle), clock)
    if kill_after is not None:
        transport = KillSwitch(transport, kill_after)
    client = NotionClient(
        TOKEN, base_url=FAKE_URL, requests_per_second=1000, burst=1000, transport=transport
    )
    try:
        run_sync(_settings(repo, checkpoint_pages, formats), client=client, now=clock)
    except Killed:
        return False
    finally:
        client.close()
    return True


def _committed(repo: Path) -> set[str]:
    listing = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-r", "--name-only", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return set(listing.splitlines())


def _is(name: str, title: str, suffix: str) -> bool:
    """``name`` is the ``suffix`` file of the top-level page ``title`` ("<title> <id>")."""
    return name.startswith(f"{title} ") and name.endswith(suffix) and "/" not in name


def _tree(repo: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(repo)): path.read_bytes()
        for path in sorted(repo.rglob("*"))
        if path.is_file()
        and ".git" not in path.relative_to(repo).parts
        and path.name != "last-sync.json"  # the run's report: its requests differ
    }


HTML = ("json", "html")


def _fake() -> tuple[TestClock, FakeNotion]:
    """A clock and the fake API serving :func:`_workspace`."""
    clock = TestClock()
    return clock, FakeNotion(_workspace(clock), token=TOKEN)


def _workspace(clock: TestClock) -> Workspace:
    """Listed newest first: "Mentions" (mentions "Target"), then "Target", then "Later"."""
    workspace = Workspace(clock)
    workspace.add_page(None, "Later", [rt.paragraph("written last")])
    clock.advance(minutes=2)
    target = workspace.add_page(None, "Target", [rt.paragraph("mentioned")])
    clock.advance(minutes=2)
    workspace.add_page(None, "Mentions", [rt.paragraph("see ", rt.mention_page(target, "Target"))])
    clock.advance(minutes=10)
    return workspace


def test_waitingviews_killed_after_a_waiting_checkpoint_render_in_the_next_sync(
    tmp_path: Path,
) -> None:
    """Killed at every request: when a checkpoint held "Mentions" without its Markdown
    (waiting for "Target"), the next sync renders it; every mirror equals a fresh export."""
    clock, fake = _fake()
    fresh = tmp_path / "fresh"
    assert _sync(fake, clock, fresh, None)
    (markdown,) = [name for name in _committed(fresh) if _is(name, "Mentions", ".md")]
    assert "[Target](" in (fresh / markdown).read_text()
    assert not (fresh / ".git" / WAITING_FILE).exists()
    waited = 0
    for kill_after in range(1, 40):
        repo = tmp_path / f"killed-{kill_after}"
        if _sync(fake, clock, repo, kill_after):
            break  # the run needs fewer requests: every instant was tried
        files = _committed(repo)
        has = {
            suffix for name in files for suffix in (".json", ".md") if _is(name, "Mentions", suffix)
        }
        if has == {".json"}:
            waited += 1
            assert len((repo / ".git" / WAITING_FILE).read_text().split()) == 1
            # A clone has no waiting file: it renders what the checkpoints committed.
            clone = tmp_path / f"clone-{kill_after}"
            subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
            assert not (clone / ".git" / WAITING_FILE).exists()
            assert _sync(fake, clock, clone, None)
            assert _tree(clone) == _tree(fresh)
        assert _sync(fake, clock, repo, None)
        assert _tree(repo) == _tree(fresh)
        assert not (repo / ".git" / WAITING_FILE).exists()
    assert waited > 0  # some kill fell where a committed page waited for its views


def test_waitingviews_many_waiting_render_in_committed_batches(tmp_path: Path) -> None:
    """25 pages wait for the page they mention (listed last): with checkpoints of one
    object they are rendered ``FINAL_BATCH_CHECKPOINTS`` per checkpoint commit (the
    search written once, by the final commit), and the mirror is the same as with
    checkpoints of 500."""
    clock = TestClock()
    workspace = Workspace(clock)
    target = workspace.add_page(None, "Target", [rt.paragraph("mentioned")])
    for number in range(25):
        clock.advance(minutes=1)
        workspace.add_page(None, f"Page {number}", [rt.paragraph(rt.mention_page(target))])
    clock.advance(minutes=10)
    fake = FakeNotion(workspace, token=TOKEN)
    formats = ("markdown", "json", "html")
    assert _sync(fake, clock, tmp_path / "batched", None, 1, formats)
    assert _sync(fake, clock, tmp_path / "at-once", None, 500, formats)
    assert _tree(tmp_path / "batched") == _tree(tmp_path / "at-once")
    log = subprocess.run(
        ["git", "-C", str(tmp_path / "batched"), "log", "--format=@%s", "--name-only", "-n", "7"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    commits = [entry.split("\n") for entry in log.split("@")[1:]]  # newest first
    subjects = [lines[0].split(":")[0] for lines in commits]
    files = [[line for line in lines[1:] if line] for lines in commits]
    assert subjects == ["Sync"] + ["Checkpoint"] * 6
    batch = FINAL_BATCH_CHECKPOINTS
    assert [sum(name.endswith(".md") for name in names) for names in files] == [1] + [batch] * 6
    assert all(not name.startswith("_search/") for names in files[1:] for name in names)
    assert any(name.startswith("_search/") for name in files[0])
    assert not (tmp_path / "batched" / ".git" / WAITING_FILE).exists()


def test_waitingviews_keeps_ids_until_cleared_and_skips_a_torn_line(tmp_path: Path) -> None:
    """Appended ids come back to the next process; a line cut short does not; ``clear``
    removes the file."""
    file = tmp_path / "git" / WAITING_FILE
    waiting = WaitingViews(file)
    assert waiting.load(None) == set()
    waiting.add([PAGE_ID])
    waiting.add([])
    with file.open("a") as handle:
        handle.write(PAGE_ID[:20])  # a kill in the middle of an append
    assert WaitingViews(file).load(None) == {PAGE_ID}
    waiting.clear()
    assert not file.exists()
    waiting.clear()  # nothing left: no error


def _search_ids(repo: Path) -> set[str]:
    """The ids in the search's id shards that HEAD holds."""
    ids: set[str] = set()
    for name in _committed(repo):
        if name.startswith(f"{search.ID_DIR}/"):
            shown = subprocess.run(
                ["git", "-C", str(repo), "show", f"HEAD:{name}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            ids |= set(search.parse_shard(shown))
    return ids


def test_waitingviews_search_entries_held_past_a_checkpoint_are_written_after_a_kill(
    tmp_path: Path,
) -> None:
    """A sync writes the search shards at its end, not at each checkpoint: the ids of the
    entries it holds wait in the file, so a sync after a kill renders those pages again
    and writes their entries; every mirror equals a fresh export."""
    clock, fake = _fake()
    formats = HTML
    fresh = tmp_path / "fresh"
    assert _sync(fake, clock, fresh, None, formats=formats)
    assert len(_search_ids(fresh)) == 3
    held = 0
    for kill_after in range(1, 40):
        repo = tmp_path / f"killed-{kill_after}"
        if _sync(fake, clock, repo, kill_after, formats=formats):
            break
        pages = {name for name in _committed(repo) if name.endswith(".html") and "/" not in name}
        committed_pages = {name for name in pages if not name.startswith(("index", "search"))}
        searchable = _search_ids(repo)
        if committed_pages and len(searchable) < len(committed_pages):
            held += 1  # a checkpoint committed pages whose search entries were held
            waiting = set((repo / ".git" / WAITING_FILE).read_text().split())
            assert len(waiting) >= len(committed_pages) - len(searchable)
        assert _sync(fake, clock, repo, None, formats=formats)
        assert _tree(repo) == _tree(fresh)
        assert not (repo / ".git" / WAITING_FILE).exists()
    assert held > 0


def test_waitingviews_search_index_of_an_older_layout_is_rebuilt_by_the_next_sync(
    tmp_path: Path,
) -> None:
    """A mirror whose search index has the fixed shards of before (``_search/NN.js``, no
    ``shards.js``) and the script and search page of before gets the whole index and this
    version's script and page from its next sync, with nothing changed in Notion: every
    file as a fresh export writes it, the old shards gone."""
    clock, fake = _fake()
    formats = HTML
    repo = tmp_path / "mirror"
    assert _sync(fake, clock, repo, None, formats=formats)
    fresh = _tree(repo)
    old_files = {"_search/00.js": 'notionSearch([\n["x", "y", "z", "", "01"],\n]);\n'}
    old_files["_search/words/000.js"] = 'notionWords(0, [\n["z", "00aaaaaaaaaaaa"],\n]);\n'
    old_files[search.SEARCH_SCRIPT] = "// the search script of an older version\n"
    page = (repo / search.SEARCH_PAGE).read_text(encoding="utf-8")
    old_files[search.SEARCH_PAGE] = page.replace('<form id="search"', '<form data-shards="64"')
    assert old_files[search.SEARCH_PAGE] != page
    subprocess.run(["git", "-C", str(repo), "rm", "-rq", "_search"], check=True)
    for name, text in old_files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "old",
        ],
        check=True,
    )
    clock.advance(minutes=5)
    assert _sync(fake, clock, repo, None, formats=formats)
    assert _tree(repo) == fresh
    assert not (repo / ".git" / WAITING_FILE).exists()
    assert len(_search_ids(repo)) == 3

"""End to end: moves, renames, hostile titles and failed fetches (fake API, real repos)."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

from synchelpers import TestClock, git, make_settings, serve

from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.sync.runner import run_sync

MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+\.md)\)")


def _workspace() -> tuple[TestClock, Workspace]:
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    return clock, ws


def _settle(clock: TestClock) -> None:
    clock.tick = timedelta(0)
    clock.advance(minutes=10)


def _records(repo: Path) -> dict[str, Path]:
    """Page id -> its .json file, for every page file in the working tree."""
    found: dict[str, Path] = {}
    for path in repo.rglob("*.json"):
        if ".git" in path.relative_to(repo).parts[:1] or ".notion-syncd" in path.parts:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        holder = data.get("page") or data.get("data_source")
        assert holder["id"] not in found, f"{holder['id']} mirrored twice"
        found[holder["id"]] = path
    return found


def _paragraphs(count: int, topic: str) -> list[dict[str, object]]:
    return [
        rt.paragraph(f"{topic} paragraph {n} with enough words to matter") for n in range(count)
    ]


def test_moves_rename_and_move_in_one_sync(tmp_path: Path) -> None:
    """Rename a page with 3 descendants and move another: moves, then edits; no API call."""
    clock, ws = _workspace()
    handbook = ws.add_page(None, "Handbook", _paragraphs(3, "handbook"))
    first = ws.add_page(handbook, "Onboarding", _paragraphs(20, "onboarding"))
    nested = ws.add_page(first, "Laptop setup", _paragraphs(20, "laptop"))
    second = ws.add_page(handbook, "Holidays", _paragraphs(20, "holidays"))
    loose = ws.add_page(None, "Loose notes", _paragraphs(30, "loose"))
    target = ws.add_page(None, "Archive", _paragraphs(2, "archive"))
    linker = ws.add_page(
        None, "Linker", [rt.paragraph("see ", rt.mention_page(first, "Onboarding"))]
    )
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        repo = settings.export.repo
        before = {key: path.relative_to(repo) for key, path in _records(repo).items()}
        head = git(repo, "rev-parse", "HEAD").strip()
        clock.advance(minutes=3)
        ws.set_title(handbook, "Company guide")
        ws.move(loose, target)
        clock.advance(minutes=3)
        server.request_log.clear()
        report = run_sync(settings, now=clock)
        requested = [entry.path for entry in server.request_log.entries()]
    assert git(repo, "rev-list", "--count", f"{head}..HEAD").strip() == "2"
    assert "Notion-Syncd-Step: moves" in git(repo, "log", "-1", "--format=%B", "HEAD~1")
    assert report.count("moved") == 2
    after = {key: path.relative_to(repo) for key, path in _records(repo).items()}
    for page in (first, nested, second):
        assert after[page].parts[0].startswith("Company guide ")
        assert after[page].parts[1:] == before[page].parts[1:]
    assert after[loose].parent == after[target].with_suffix("")
    renames = git(repo, "show", "-M", "--name-status", "--format=", "HEAD~1").splitlines()
    moved_md = {line.split("\t")[2] for line in renames if line.startswith("R")}
    for page in (first, nested, second, loose):
        assert after[page].with_suffix(".md").as_posix() in moved_md
    follow = git(repo, "log", "--follow", "--format=%H", "--", after[loose].with_suffix(".md"))
    assert follow.split()[-1] == head
    linker_md = (repo / after[linker]).with_suffix(".md")
    links = [unquote(link) for link in MARKDOWN_LINK.findall(linker_md.read_text())]
    assert links, "the linking page links to the renamed page's child"
    for link in links:
        assert (linker_md.parent / link).resolve().is_file()
    assert after[first].with_suffix(".md").name in " ".join(links)
    compact = linker.replace("-", "")
    assert not any(linker in path or compact in path for path in requested)


def test_moves_small_page_renamed_and_edited_followed_by_git(tmp_path: Path) -> None:
    """A small page renamed and edited in one sync: git log --follow reaches its first version."""
    clock, ws = _workspace()
    page = ws.add_page(None, "Tiny", [rt.paragraph("one line")])
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        repo = settings.export.repo
        first = git(repo, "rev-parse", "HEAD").strip()
        reflog_before = git(repo, "reflog", "show", "--format=%H", "main").split()
        clock.advance(minutes=3)
        ws.set_title(page, "Small")
        ws.append_blocks(page, [rt.paragraph("a second, different line of text")])
        _settle(clock)
        run_sync(settings, now=clock)
    new_md = _records(repo)[page].with_suffix(".md").relative_to(repo).as_posix()
    assert new_md.startswith("Small")
    follow = git(repo, "log", "--follow", "--format=%H", "--", new_md).split()
    assert follow[-1] == first
    assert git(repo, "rev-parse", "HEAD~2").strip() == first
    moved = git(repo, "show", "-M", "--name-status", "--format=", "HEAD~1").splitlines()
    assert [line.split("\t")[0] for line in moved] == ["R100"] * len(moved)
    reflog_after = git(repo, "reflog", "show", "--format=%H", "main").split()
    assert len(reflog_after) == len(reflog_before) + 1, "the branch moved once"


HOSTILE = [
    "../../etc/passwd",
    "a/b\\c",
    ".git",
    ".GIT. ",
    "CON",
    "nul.txt",
    "",
    "   ",
    "..",
    "x" * 300,
    "é" * 200,
    "🦊🚀 rockets",
    unicodedata.normalize("NFC", "Café"),
    unicodedata.normalize("NFD", "Café"),
    "Readme",
    "README",
    "tab\tand\nnewline\x00nul",
]


def test_moves_hostile_titles_stay_inside_repo(tmp_path: Path) -> None:
    """Hostile titles mirror with every file inside the repo and every page present."""
    clock, ws = _workspace()
    parent = ws.add_page(None, "Hostile", [rt.paragraph("parent")])
    pages = [parent]
    for title in HOSTILE:
        pages.append(ws.add_page(None, title, [rt.paragraph(f"top {title!r}")]))
        pages.append(ws.add_page(parent, title, [rt.paragraph(f"nested {title!r}")]))
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        report = run_sync(settings, now=clock)
    repo = Path(settings.export.repo).resolve()
    assert report.failed == 0
    assert set(_records(repo)) == set(pages)
    tracked = git(repo, "ls-files", "-z").split("\0")
    for rel in filter(None, tracked):
        parts = rel.split("/")
        assert all(part not in ("", ".", "..") for part in parts), rel
        assert all(part.rstrip(". ").lower() != ".git" for part in parts), rel
        assert all(len(part.encode()) <= 255 for part in parts), rel
        full = Path(os.path.realpath(repo / rel))
        assert repo in full.parents and full.is_file(), rel
    assert not (tmp_path / "etc").exists()
    assert git(repo, "status", "--porcelain") == ""


def test_moves_failed_fetch_listed_then_retried(tmp_path: Path) -> None:
    """A page whose fetch keeps failing is in the ledger, keeps its content, is fetched later."""
    clock, ws = _workspace()
    page = ws.add_page(None, "Fragile", [rt.paragraph("old content")])
    other = ws.add_page(None, "Sturdy", [rt.paragraph("sturdy")])
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror", notion={"max_retry_time": 2})
        run_sync(settings, now=clock)
        repo = settings.export.repo
        md = _records(repo)[page].with_suffix(".md")
        clock.advance(minutes=3)
        ws.append_blocks(page, [rt.paragraph("new content")])
        ws.append_blocks(other, [rt.paragraph("sturdy edit")])
        clock.advance(minutes=3)
        compact = page.replace("-", "")
        server.faults.fail_path(f"/v1/blocks/({page}|{compact})/children", status=500)
        failed = run_sync(settings, now=clock)
        ledger = json.loads((repo / ".notion-syncd/last-sync.json").read_text())
        kept = md.read_text()
        server.faults.clear()
        clock.advance(minutes=3)
        retried = run_sync(settings, now=clock)
    assert [failure.id for failure in failed.failures] == [page]
    assert [item["id"] for item in ledger["failed"]] == [page]
    assert "old content" in kept and "new content" not in kept
    assert "sturdy edit" in _records(repo)[other].with_suffix(".md").read_text()
    assert retried.failed == 0 and retried.fetched >= 1
    assert "new content" in md.read_text()


def test_moves_parent_and_child_swap_places(tmp_path: Path) -> None:
    """B leaves A, then A goes under B: A (listed first) is written after B, no loop."""
    clock, ws = _workspace()
    outer = ws.add_page(None, "Outer", _paragraphs(2, "outer"))
    inner = ws.add_page(outer, "Inner", _paragraphs(2, "inner"))
    deepest = ws.add_page(inner, "Deepest", _paragraphs(2, "deepest"))
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        clock.advance(minutes=3)
        ws.move(inner, None)
        clock.advance(minutes=1)
        ws.move(outer, deepest)
        clock.advance(minutes=3)
        report = run_sync(settings, now=clock)
        fresh = make_settings(server, tmp_path / "fresh")
        run_sync(fresh, now=clock)
    repo = Path(settings.export.repo)
    paths = {key: str(path.relative_to(repo)) for key, path in _records(repo).items()}
    fresh_paths = {
        key: str(path.relative_to(fresh.export.repo))
        for key, path in _records(Path(fresh.export.repo)).items()
    }
    assert report.failures == []
    assert paths == fresh_paths
    folders = [part.split(" ")[0] for part in paths[ws.resolve(outer)].split("/")]
    assert folders == ["Inner", "Deepest", "Outer"]

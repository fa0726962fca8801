"""End to end: the sweep finds trashed, unshared and restored pages (fake API, real repos)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from synchelpers import TestClock, git, make_settings, serve

from notion_syncd.config import Settings
from notion_syncd.errors import IncompleteListing, MassDeletionRefused
from notion_syncd.fake_notion import FakeNotionServer, Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.sync.runner import run_sync


@dataclass
class Tree:
    """A small workspace: ``filler`` top-level pages, plus a subtree and a linking page."""

    clock: TestClock
    ws: Workspace
    subtree: list[str]  # root, child, grandchild, second child
    linker: str
    leaf: str
    filler: list[str]


def _tree(filler: int = 16, tick: float = 7) -> Tree:
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=tick)
    pages = [ws.add_page(None, f"Filler {n}", [rt.paragraph(f"text {n}")]) for n in range(filler)]
    root = ws.add_page(None, "Project", [rt.paragraph("root")])
    child = ws.add_page(root, "Plans", [rt.paragraph("plans")])
    grandchild = ws.add_page(child, "Details", [rt.paragraph("details")])
    second = ws.add_page(root, "Notes", [rt.paragraph("notes")])
    linker = ws.add_page(None, "Linker", [rt.paragraph(rt.mention_page(child, "Plans"))])
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    return Tree(clock, ws, [root, child, grandchild, second], linker, pages[0], pages)


def _stem_of(repo: Path, page_id: str, rev: str = "HEAD") -> str | None:
    """Repo-relative stem of a page's files at ``rev`` (by the id inside each .json)."""
    for rel in git(repo, "ls-tree", "-r", "--name-only", rev).splitlines():
        if rel.endswith(".json") and not rel.startswith(".notion-syncd/"):
            data = json.loads(git(repo, "show", f"{rev}:{rel}"))
            holder = data.get("page") or data.get("data_source") or {}
            if holder.get("id") == page_id:
                return rel[: -len(".json")]
    return None


def _head_files(repo: Path) -> set[str]:
    return set(git(repo, "ls-tree", "-r", "--name-only", "HEAD").splitlines())


def _edit(tree: Tree, action: str, object_id: str) -> None:
    tree.clock.advance(minutes=3)
    getattr(tree.ws, action)(object_id)
    tree.clock.advance(minutes=3)


def _setup(tmp_path: Path, server: FakeNotionServer, **sections: dict[str, Any]) -> Settings:
    return make_settings(server, tmp_path / "mirror", **sections)


def test_sweep_trashed_page_leaves_head_and_stays_in_history(tmp_path: Path) -> None:
    """A trashed leaf is removed by the sweep, kept in history, and the commit says why."""
    tree = _tree()
    with serve(tree.ws) as server:
        settings = _setup(tmp_path, server)
        run_sync(settings, now=tree.clock)
        repo = settings.export.repo
        stem = _stem_of(repo, tree.leaf)
        assert stem is not None
        _edit(tree, "trash", tree.leaf)
        run_sync(settings, now=tree.clock)
        assert f"{stem}.md" in _head_files(repo), "a plain sync deletes nothing"
        report = run_sync(settings, sweep=True, now=tree.clock)
    assert report.count("deleted") == 1
    assert not any(path.startswith(stem) for path in _head_files(repo))
    assert "trashed in Notion" in git(repo, "log", "-1", "--format=%B")
    assert "Filler 0" in git(repo, "show", f"HEAD~1:{stem}.md")
    assert git(repo, "log", "--format=%H", "--", f"{stem}.md").strip()
    assert git(repo, "status", "--porcelain") == ""


def test_sweep_restored_subtree_returns_at_same_paths(tmp_path: Path) -> None:
    """Trash a subtree, sweep, restore it: every page returns at its old path."""
    tree = _tree()
    with serve(tree.ws) as server:
        settings = _setup(tmp_path, server, sync={"mass_delete_threshold": 0.5})
        run_sync(settings, now=tree.clock)
        repo = settings.export.repo
        before = {page: _stem_of(repo, page) for page in tree.subtree}
        _edit(tree, "trash", tree.subtree[0])
        report = run_sync(settings, sweep=True, now=tree.clock)
        assert report.count("deleted") == 4
        assert all(_stem_of(repo, page) is None for page in tree.subtree)
        _edit(tree, "restore", tree.subtree[0])
        report = run_sync(settings, sweep=True, now=tree.clock)
    assert report.count("added") == 4
    assert {page: _stem_of(repo, page) for page in tree.subtree} == before
    linker_md = git(repo, "show", f"HEAD:{_stem_of(repo, tree.linker)}.md")
    assert f"{Path(str(before[tree.subtree[1]])).name}.md" in linker_md.replace("%20", " ")


def test_sweep_unshared_subtree_removed_as_no_longer_shared(tmp_path: Path) -> None:
    """Unsharing a page (404) removes it and its descendants with the reason given."""
    tree = _tree()
    with serve(tree.ws) as server:
        settings = _setup(tmp_path, server)
        run_sync(settings, now=tree.clock)
        repo = settings.export.repo
        stems = [_stem_of(repo, page) for page in tree.subtree]
        _edit(tree, "unshare", tree.subtree[0])
        report = run_sync(settings, sweep=True, now=tree.clock)
    deleted = [change for change in report.changes if change.kind == "deleted"]
    assert {change.id for change in deleted} == set(tree.subtree)
    assert all("no longer shared" in str(change.reason) for change in deleted)
    message = git(repo, "log", "-1", "--format=%B")
    assert message.count("no longer shared") == 4
    files = _head_files(repo)
    assert not any(path.startswith(str(stem)) for stem in stems for path in files)
    index_files = {path for path in files if path.startswith(".notion-syncd/index/")}
    assert not any(page in path for page in tree.subtree for path in index_files)
    linker_md = git(repo, "show", f"HEAD:{_stem_of(repo, tree.linker)}.md")
    assert f"{Path(str(stems[1])).name}.md" not in linker_md.replace("%20", " ")


def test_sweep_cut_listing_deletes_nothing(tmp_path: Path) -> None:
    """A sweep whose search listing fails mid-pagination deletes nothing and says so."""
    tree = _tree(tick=60)  # edits spread over 20 min: the incremental listing needs 1 page
    with serve(tree.ws, page_size_cap=10) as server:
        settings = _setup(tmp_path, server, notion={"max_retry_time": 1})
        run_sync(settings, now=tree.clock)
        repo = settings.export.repo
        head_before = _head_files(repo)
        _edit(tree, "trash", tree.subtree[1])
        server.faults.cut_listing("search", page=2, times=None)
        with pytest.raises(IncompleteListing, match="nothing was deleted"):
            run_sync(settings, sweep=True, now=tree.clock)
        ledger = json.loads(git(repo, "show", "HEAD:.notion-syncd/last-sync.json"))
        server.faults.clear()
        report = run_sync(settings, sweep=True, now=tree.clock)
    assert ledger["complete"] is False
    assert ledger["changes"]["deleted"] == 0
    assert {path for path in head_before if "Plans" in path} <= set(
        git(repo, "ls-tree", "-r", "--name-only", "HEAD~1").splitlines()
    )
    assert report.count("deleted") == 2


def test_sweep_mass_deletion_refused_then_allowed(tmp_path: Path) -> None:
    """Removing over 20 % is refused with the override named; allow_mass_delete removes."""
    tree = _tree(filler=6)
    with serve(tree.ws) as server:
        settings = _setup(tmp_path, server)
        run_sync(settings, now=tree.clock)
        repo = settings.export.repo
        head = git(repo, "rev-parse", "HEAD")
        _edit(tree, "trash", tree.subtree[0])
        with pytest.raises(MassDeletionRefused) as refused:
            run_sync(settings, sweep=True, now=tree.clock)
        assert "4 of 11" in refused.value.message
        assert "trashed in Notion" in refused.value.message
        assert "--allow-mass-delete" in str(refused.value.hint)
        assert git(repo, "rev-parse", "HEAD") == head
        assert _stem_of(repo, tree.subtree[2]) is not None
        report = run_sync(settings, sweep=True, allow_mass_delete=True, now=tree.clock)
    assert report.count("deleted") == 4
    assert all(_stem_of(repo, page) is None for page in tree.subtree)


def test_sweep_keeps_page_missing_from_search_lag(tmp_path: Path) -> None:
    """A page alive in Notion but not yet back in search (lag) is kept."""
    tree = _tree()
    with serve(tree.ws, search_lag=600) as server:
        settings = _setup(tmp_path, server)
        tree.clock.advance(minutes=20)
        run_sync(settings, now=tree.clock)
        repo = settings.export.repo
        tree.ws.share(tree.leaf)  # searchable again only after the lag
        report = run_sync(settings, sweep=True, now=tree.clock)
    assert report.count("deleted") == 0
    assert _stem_of(repo, tree.leaf) is not None


def test_sweep_plain_sync_does_not_sweep(tmp_path: Path) -> None:
    """Without sweep=True the deletion listing is not made (one search request)."""
    tree = _tree()
    with serve(tree.ws) as server:
        settings = _setup(tmp_path, server)
        run_sync(settings, now=tree.clock)
        _edit(tree, "unshare", tree.leaf)
        server.request_log.clear()
        report = run_sync(settings, now=tree.clock)
        assert server.request_log.count() == 1
    assert report.count("deleted") == 0

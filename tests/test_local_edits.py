"""Local edits in the mirror's working tree are kept on a named side ref, never thrown away."""

from __future__ import annotations

from pathlib import Path

from structlog.testing import capture_logs
from synchelpers import TestClock, git, make_settings, serve

from notion_syncd.commands.status import mirror_status
from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.sync.runner import run_sync


def _workspace(clock: TestClock) -> Workspace:
    workspace = Workspace(clock)
    generate_workspace(workspace, pages=4, depth=2, databases=0, rows_per_database=0)
    clock.advance(minutes=10)
    return workspace


def test_local_edits_are_kept_on_a_side_ref_before_the_reset(tmp_path: Path) -> None:
    """An edited, an added and a deleted file are reachable from the named ref afterwards."""
    clock = TestClock()
    repo = tmp_path / "m"
    with serve(_workspace(clock)) as server:
        settings = make_settings(server, repo)
        run_sync(settings, now=clock)
        head = git(repo, "rev-parse", "HEAD").strip()
        edited, removed = sorted(repo.glob("*.md"))[:2]
        edited.write_text("my own notes\n")
        removed.unlink()
        (repo / "ideas.txt").write_text("an idea\n")
        with capture_logs() as logs:
            run_sync(settings, now=clock)
    saved = [event for event in logs if event["event"] == "mirror.local_changes_saved"]
    assert len(saved) == 1 and saved[0]["paths"] == 3
    ref = saved[0]["ref"]
    assert ref.startswith("refs/notion-syncd/local/")
    assert git(repo, "rev-parse", f"{ref}^").strip() == head
    assert git(repo, "show", f"{ref}:{edited.name}") == "my own notes\n"
    assert git(repo, "show", f"{ref}:ideas.txt") == "an idea\n"
    assert removed.name not in git(repo, "ls-tree", "--name-only", ref)
    assert git(repo, "status", "--porcelain") == ""
    assert edited.read_text() != "my own notes\n" and removed.exists()
    assert not (repo / "ideas.txt").exists()
    assert ref in mirror_status(settings)


def test_local_edits_none_means_no_side_ref(tmp_path: Path) -> None:
    """A clean working tree leaves no side ref (and status names none)."""
    clock = TestClock()
    repo = tmp_path / "m"
    with serve(_workspace(clock)) as server:
        settings = make_settings(server, repo)
        run_sync(settings, now=clock)
        run_sync(settings, now=clock)
    assert git(repo, "for-each-ref", "refs/notion-syncd/") == ""
    assert "local edits" not in mirror_status(settings)

"""End to end: `log` and `diff` read a page's history from real syncs, with no network."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from synchelpers import TestClock, git, make_settings, serve

from notion_syncd.cli import main
from notion_syncd.commands.diff import page_diff
from notion_syncd.commands.history import page_history
from notion_syncd.commands.log import page_log, summary, workspace_log
from notion_syncd.config import Settings
from notion_syncd.errors import UsageError
from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.mirrorhistory import PageState
from notion_syncd.sync.runner import run_sync


@dataclass
class Story:
    settings: Settings
    page: str
    commits: list[str]  # oldest first: one per sync
    served: Callable[[], int]  # requests the (still running) fake has served so far
    config: Path  # a config with no token, base_url the (still running) fake


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    """Ada writes "Draft"; Grace renames it "Plan" and edits; Ada moves it and edits; trashed."""
    tmp_path = tmp_path_factory.mktemp("logdiff")
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    ada, grace = ws.add_user("Ada Lovelace"), ws.add_user("Grace Hopper")
    home = ws.add_page(None, "Home", [rt.paragraph("home")])
    archive = ws.add_page(None, "Archive", [rt.paragraph("archive")])
    ws.editor = ada
    page = ws.add_page(home, "Draft", [rt.paragraph("version one")])
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    commits = []
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        for step in range(4):
            if step == 1:
                ws.editor = grace
                ws.set_title(page, "Plan")
                ws.append_blocks(page, [rt.paragraph("version two")])
            if step == 2:
                ws.editor = ada
                ws.set_title(page, "Final")
                ws.move(page, archive)
                ws.append_blocks(page, [rt.paragraph("version three")])
            if step == 3:
                ws.trash(page)
            clock.advance(minutes=5)
            report = run_sync(settings, now=clock, sweep=step == 3, allow_mass_delete=True)
            assert report.commit is not None
            commits.append(report.commit)
            if step < 3:
                time.sleep(1.05)  # commit times have one-second resolution
        config = tmp_path / "config.toml"
        config.write_text(
            f'[notion]\nbase_url = "{server.base_url}"\n[export]\nrepo = "{settings.export.repo}"\n'
        )
        yield Story(settings, page, commits, lambda: len(server.request_log), config)


def _run(story: Story, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run the CLI with no token against the live fake; no request may reach it."""
    code = main([*argv, "--config", str(story.config)])
    return code, capsys.readouterr().out


def test_log_page_lists_versions_with_author_date_and_what_changed(story: Story) -> None:
    """Four versions, newest first: removed, moved and renamed, renamed, created; by editor."""
    lines = page_log(story.settings, story.page)
    assert len(lines) == 4
    assert [line[:12] for line in lines[:3]] == [c[:12] for c in reversed(story.commits[1:])]
    first_sync = git(story.settings.export.repo, "rev-list", "--first-parent", story.commits[0])
    assert lines[3][:12] in first_sync, "two editors in the first sync: Ada's own commit"
    removed, moved, renamed, created = lines
    assert removed.endswith("notion-syncd  removed"), "a deletion is the daemon's"
    assert "Ada Lovelace  renamed 'Plan' → 'Final', moved Home" in moved
    assert "+1 -0 lines" not in moved and "lines" in moved and "(Archive " in moved
    assert "Grace Hopper  renamed 'Draft' → 'Plan', +" in renamed
    assert created.endswith(".md)") and "Ada Lovelace  created  (Home " in created


def test_log_page_date_is_the_notion_edit(story: Story) -> None:
    """The date of an authored version is the author date (the edit), not the sync time."""
    versions = page_history(story.settings, story.page)
    authored = git(story.settings.export.repo, "log", "-1", "--format=%aI", versions[2].commit)
    line = page_log(story.settings, story.page)[2]
    when = versions[2].authored
    assert when is not None and when.isoformat() == authored.strip()
    assert when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") in line


def test_log_follows_the_page_by_id_from_any_name(story: Story) -> None:
    """An old path, the id and a Notion URL give the same log."""
    lines = page_log(story.settings, story.page)
    old_path = lines[-1].rsplit("(", 1)[1].rstrip(")")
    compact = story.page.replace("-", "")
    for name in (old_path, compact, f"https://www.notion.so/acme/Final-{compact}"):
        assert page_log(story.settings, name) == lines


def test_log_workspace_lists_every_commit_but_move_steps(story: Story) -> None:
    """Without PAGE: the branch's commits newest first, editors named, move steps left out."""
    lines = workspace_log(story.settings)
    chain = git(story.settings.export.repo, "log", "--first-parent", "--format=%h %an|%s")
    moves = git(story.settings.export.repo, "log", "--grep=Notion-Syncd-Step: moves", "--format=%H")
    assert moves.split(), "the renames with edits were committed as move steps"
    assert len(lines) == len(chain.splitlines()) - len(moves.split())
    assert any("  Grace Hopper  " in line for line in lines)
    step_ids = {commit[:12] for commit in moves.split()}
    assert not any(line[:12] in step_ids for line in lines)


def test_log_summary_words() -> None:
    """Renamed, moved, a changed path, lines, metadata only, unchanged."""
    a = PageState("Home/Draft 1", "Draft", ("m1", "j1"))
    assert summary(None, a, (3, 0)) == "created"
    assert summary(a, None, (0, 3)) == "removed"
    assert summary(a, PageState("Draft 1", "Draft", ("m1", "j1")), (0, 0)) == "moved Home → (top)"
    assert summary(a, PageState("Home/Draft 2", "Draft", ("m1", "j1")), (0, 0)) == (
        "path Home/Draft 1.md → Home/Draft 2.md"
    )
    assert summary(a, PageState("Home/Draft 1", "Draft", ("m1", "j2")), (0, 0)) == (
        "properties or metadata only"
    )
    assert summary(a, PageState("Home/Plan 1", "Plan", ("m2", "j1")), (2, 1)) == (
        "renamed 'Draft' → 'Plan', +2 -1 lines"
    )
    assert summary(a, a, (0, 0)) == "unchanged"


def test_diff_default_is_the_last_change_and_at_picks_one(story: Story) -> None:
    """Bare diff: the last change (the removal); --at a commit: the change it made."""
    last = page_diff(story.settings, story.page)
    assert last.splitlines()[1] == "+++ /dev/null" and "-version three" in last
    second = page_diff(story.settings, story.page, at=story.commits[1])
    assert "+version two" in second and "-version" not in second
    assert second.splitlines()[0].startswith("--- Home ") and "/Draft " in second
    assert second.splitlines()[1].startswith("+++ Home ") and "/Plan " in second
    first = page_diff(story.settings, story.page, at=story.commits[0])
    assert first.startswith("--- /dev/null\n") and "+version one" in first


def test_diff_from_and_to_by_commit_or_date(story: Story) -> None:
    """--from/--to take commits or dates; a date is the mirror as it was then."""
    whole = page_diff(story.settings, story.page, start=story.commits[0], end=story.commits[2])
    assert "+version two\n" in whole and "+version three\n" in whole
    assert "-# Draft" in whole and "+# Final" in whole
    versions = page_history(story.settings, story.page)
    at_second = versions[2].time.astimezone(UTC).replace(tzinfo=None).isoformat()
    by_date = page_diff(story.settings, story.page, start=at_second, end=story.commits[2])
    assert "+version three" in by_date and "version two" not in by_date.replace(
        " version two\n", ""
    )
    before = (versions[-1].time - timedelta(days=1)).date().isoformat()
    assert page_diff(story.settings, story.page, start=before, end=before) == ""
    assert page_diff(story.settings, story.page, start="HEAD", end="HEAD") == ""


def test_diff_move_step_reads_as_the_version_before(story: Story) -> None:
    """A moves step commit (old bytes at the new path) diffs like its sync's parent."""
    moves = git(story.settings.export.repo, "log", "--grep=Notion-Syncd-Step: moves", "--format=%H")
    step = moves.split()[-1]  # the oldest: Grace's rename
    assert page_diff(story.settings, story.page, start=story.commits[0], end=step) == ""


def test_diff_usage_errors(story: Story) -> None:
    """--at with --from, an unknown revision, a bad date: UsageError naming the option."""
    with pytest.raises(UsageError, match="--at alone"):
        page_diff(story.settings, story.page, at="HEAD", start="HEAD~1")
    with pytest.raises(UsageError, match="no such commit"):
        page_diff(story.settings, story.page, end="nonsense")
    with pytest.raises(UsageError, match="--from wants an ISO date"):
        page_diff(story.settings, story.page, start="2026-13-45")
    with pytest.raises(UsageError, match="was never in the mirror"):
        page_diff(story.settings, "0badc0de-0000-4000-8000-000000000000")


def test_log_and_diff_cli_need_no_token_and_send_no_request(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    """`log`, `log PAGE` and `diff PAGE` with no token: they print, and the fake sees nothing."""
    assert "token" not in story.config.read_text()
    served = story.served()
    code, out = _run(story, capsys, "log", story.page)
    assert code == 0 and out.splitlines() == page_log(story.settings, story.page)
    code, out = _run(story, capsys, "log")
    assert code == 0 and out.splitlines() == workspace_log(story.settings)
    code, out = _run(story, capsys, "diff", story.page, "--at", story.commits[1])
    assert code == 0 and "+version two" in out
    code, out = _run(story, capsys, "diff", story.page, "--from", "HEAD~9", "--to", "nope")
    assert code == 2
    assert story.served() == served

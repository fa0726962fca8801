"""End to end: `history` and `show --at` follow a page by id across renames and moves."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pygit2
import pytest
from synchelpers import TestClock, git, make_settings, serve

from notion_syncd.cli import main
from notion_syncd.commands.history import page_history, show_page
from notion_syncd.config import Settings, load_settings
from notion_syncd.errors import GitStoreError, UsageError
from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.mirrorhistory import parse_when
from notion_syncd.sync.runner import run_sync


@dataclass
class Renamed:
    settings: Settings
    page: str
    commits: list[str]  # oldest first: created, renamed, moved and renamed


def _renamed_twice(tmp_path: Path) -> Renamed:
    """A page synced three times: as "Draft", renamed "Plan", renamed "Final" and moved."""
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    home = ws.add_page(None, "Home", [rt.paragraph("home")])
    archive = ws.add_page(None, "Archive", [rt.paragraph("archive")])
    page = ws.add_page(home, "Draft", [rt.paragraph("version one")])
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    commits = []
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        for step in range(3):
            if step == 1:
                ws.set_title(page, "Plan")
                ws.append_blocks(page, [rt.paragraph("version two")])
            if step == 2:
                ws.set_title(page, "Final")
                ws.move(page, archive)
                ws.append_blocks(page, [rt.paragraph("version three")])
            clock.advance(minutes=5)
            report = run_sync(settings, now=clock)
            assert report.commit is not None
            commits.append(report.commit)
            if step < 2:
                time.sleep(1.05)  # commit times have one-second resolution
    return Renamed(settings, page, commits)


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> Renamed:
    return _renamed_twice(tmp_path_factory.mktemp("history"))


def test_history_lists_versions_across_renames_and_moves(renamed: Renamed) -> None:
    """Three versions, newest first, each with the title and path it had then."""
    versions = page_history(renamed.settings, renamed.page)
    chain = git(renamed.settings.export.repo, "rev-list", "--count", "HEAD").strip()
    assert chain == "5", "each rename with an edit committed its move first (not a version)"
    assert [v.commit for v in versions] == list(reversed(renamed.commits))
    assert [v.title for v in versions] == ["Final", "Plan", "Draft"]
    assert versions[0].path.startswith("Archive ")
    assert versions[2].path.startswith("Home ")
    assert all(v.subject.startswith("Sync:") for v in versions)


def test_history_accepts_id_url_and_paths(renamed: Renamed) -> None:
    """The page may be named by dashed or compact id, Notion URL, current or old path."""
    versions = page_history(renamed.settings, renamed.page)
    compact = renamed.page.replace("-", "")
    repo = Path(renamed.settings.export.repo)
    for name in (
        compact,
        f"https://www.notion.so/acme/Final-{compact}?pvs=4",
        f"{versions[0].path}.md",
        str(repo / f"{versions[0].path}.json"),
        f"{versions[2].path}.md",  # a path that no longer exists at HEAD
    ):
        assert page_history(renamed.settings, name) == versions


def test_history_show_at_gives_markdown_of_that_time(renamed: Renamed) -> None:
    """`show --at` prints the Markdown of the newest version at or before the time."""
    versions = list(reversed(page_history(renamed.settings, renamed.page)))
    for number, version in enumerate(versions, start=1):
        text = show_page(renamed.settings, renamed.page, version.time)
        assert "# " + version.title in text
        assert f"version {['one', 'two', 'three'][number - 1]}" in text
        if number < 3:
            assert f"version {['one', 'two', 'three'][number]}" not in text
    with pytest.raises(UsageError, match="not in the mirror yet"):
        show_page(renamed.settings, renamed.page, versions[0].time - timedelta(seconds=1))


def test_history_cli_prints_versions_and_markdown(
    renamed: Renamed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The `history` and `show` verbs print one line per version and the Markdown."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[notion]\ntoken = "secret_x"\n[export]\nrepo = "{renamed.settings.export.repo}"\n'
    )
    assert main(["history", renamed.page, "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert "'Final'" in lines[0] and "'Draft'" in lines[2]
    first = page_history(renamed.settings, renamed.page)[-1].time
    at = first.astimezone(UTC).replace(tzinfo=None).isoformat()
    assert main(["show", renamed.page, "--at", at, "--config", str(config)]) == 0
    assert "version one" in capsys.readouterr().out
    assert main(["show", renamed.page, "--at", "yesterday", "--config", str(config)]) == 2


def test_history_parse_when_dates_and_times() -> None:
    """A date means the end of that day (UTC); a naive datetime is UTC."""
    assert parse_when("2026-03-02") == datetime(2026, 3, 2, 23, 59, 59, 999999, UTC)
    assert parse_when("2026-03-02T08:30") == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert parse_when("2026-03-02T10:30+02:00") == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    with pytest.raises(UsageError):
        parse_when("soon")


def _settings_for(repo: Path) -> Settings:
    overrides = {"notion": {"token": "secret_x"}, "export": {"repo": str(repo)}}
    return load_settings(None, overrides=overrides, environ={})


def test_history_names_that_match_no_page_are_usage_errors(
    renamed: Renamed, tmp_path: Path
) -> None:
    """A URL without id, a path outside the mirror or not a page, an unknown id: UsageError."""
    settings = renamed.settings
    repo = Path(settings.export.repo)
    cases = {
        "https://www.notion.so/acme/no-id-here": "no page id at the end of the URL",
        str(tmp_path / "elsewhere.md"): "is not inside the mirror",
        "Nowhere 12345678.md": "is not a page of the mirror",
        str(repo / ".notion-syncd"): "is not a page of the mirror",
        "0badc0de-0000-4000-8000-000000000000": "was never in the mirror",
    }
    for name, message in cases.items():
        with pytest.raises(UsageError, match=message):
            page_history(settings, name)


def test_history_path_falls_back_to_markdown_front_matter(renamed: Renamed, tmp_path: Path) -> None:
    """A mirror with Markdown only (no JSON) still finds the page by its .md path."""
    versions = page_history(renamed.settings, renamed.page)
    markdown_only = tmp_path / "md-only"
    pygit2.clone_repository(str(renamed.settings.export.repo), str(markdown_only))
    repo = pygit2.Repository(str(markdown_only))
    (markdown_only / f"{versions[0].path}.json").write_text("not json", encoding="utf-8")
    repo.index.add(f"{versions[0].path}.json")
    repo.index.write()
    signature = pygit2.Signature("t", "t@example.com")
    repo.create_commit(
        "HEAD", signature, signature, "corrupt", repo.index.write_tree(), [repo.head.target]
    )
    found = page_history(_settings_for(markdown_only), f"{versions[0].path}.md")
    assert [(v.title, v.subject) for v in found[:1]] == [("Final", "corrupt")]
    assert found[1:] == versions


def test_history_without_a_mirror_says_so(tmp_path: Path) -> None:
    """No repository is a GitStoreError; an empty one has never held the page."""
    with pytest.raises(GitStoreError, match="no mirror repository"):
        page_history(_settings_for(tmp_path / "none"), "0badc0de-0000-4000-8000-000000000000")
    pygit2.init_repository(str(tmp_path / "empty"))
    with pytest.raises(UsageError, match="was never in the mirror"):
        page_history(_settings_for(tmp_path / "empty"), "0badc0de-0000-4000-8000-000000000000")
    with pytest.raises(UsageError, match="is not a page of the mirror"):
        show_page(_settings_for(tmp_path / "empty"), "Page.md", datetime.now(UTC))

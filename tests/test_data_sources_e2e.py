"""A database with several data sources: its parent page links every one of them,
in Notion's order, the same whatever order a sync writes them in."""

from __future__ import annotations

import posixpath
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

from gfm import github_html
from mirrortree import exported_tree, tree_differences
from synchelpers import TestClock, make_settings, serve

from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.sync.databases import alias_target, refreshed_database
from notion_syncd.sync.runner import run_sync
from notion_syncd.terms import dashed_id

SCHEMA = {"Name": "title", "Done": "checkbox"}


def _workspace() -> tuple[TestClock, Workspace, str]:
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=3)
    home = ws.add_page(None, "Home", [rt.paragraph("All our work")])
    database, tasks = ws.add_database(home, "Projects", SCHEMA, inline=True)
    bugs = ws.add_data_source(database, "Bugs", SCHEMA)
    ws.add_row(tasks, {"Name": "Write docs"})
    ws.add_row(bugs, {"Name": "Crash on start"})
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    return clock, ws, database


def _linked_sources(repo: Path, suffix: str) -> list[tuple[str, str]]:
    """(label, target file's title) of each link in the line about the Projects database."""
    (page,) = repo.glob(f"Home *{suffix}")
    text = page.read_text(encoding="utf-8")
    rendered = github_html(text) if suffix == ".md" else text
    (line,) = [line for line in rendered.splitlines() if "🗃️ Projects" in line]
    found = []
    for href, label in re.findall(r'<a href="([^"]+)">([^<]*)</a>', line):
        target = repo / posixpath.normpath(posixpath.join("", unquote(href)))
        assert target.is_file(), href
        found.append((label, target.name.rsplit(" ", 1)[0]))
    return found


def test_data_sources_every_one_linked_from_the_parent_and_kept_fresh(tmp_path: Path) -> None:
    """Two sources: both linked (Markdown and HTML); a third added later joins the list."""
    clock, ws, database = _workspace()
    with serve(ws) as server:
        settings = make_settings(
            server, tmp_path / "mirror", export={"formats": ["markdown", "json", "html"]}
        )
        repo = Path(settings.export.repo)
        run_sync(settings, now=clock)
        both = [("Projects", "Projects"), ("Bugs", "Bugs")]
        assert _linked_sources(repo, ".md") == both
        assert _linked_sources(repo, ".html") == both
        clock.advance(minutes=3)
        ideas = ws.add_data_source(database, "Ideas", SCHEMA)
        ws.add_row(ideas, {"Name": "Dark mode"})
        clock.advance(minutes=3)
        run_sync(settings, now=clock)
        assert _linked_sources(repo, ".md") == [*both, ("Ideas", "Ideas")]
        fresh = make_settings(
            server, tmp_path / "fresh", export={"formats": ["markdown", "json", "html"]}
        )
        run_sync(fresh, now=clock)
    differences = tree_differences(exported_tree(repo), exported_tree(Path(fresh.export.repo)))
    assert differences == [], "\n".join(differences[:40])


def test_data_sources_alias_is_the_first_listed_mirrored_source() -> None:
    """Whatever the write order, the database id stands for Notion's first mirrored source."""
    database = {"id": "d", "data_sources": [{"id": "a" * 32}, {"id": "b" * 32}]}
    a, b = (dashed_id(c * 32) for c in "ab")
    assert alias_target(database, b, None, lambda source: False) == b  # a not mirrored yet
    assert alias_target(database, a, b, lambda source: source == b) == a
    assert alias_target(database, b, a, lambda source: source == a) == a
    assert alias_target({"id": "d"}, b, a, lambda source: source == a) == a  # no list: keep


def test_data_sources_sibling_record_takes_the_newer_database() -> None:
    """A sibling's record gets the newest database object; an equal one is left alone."""
    newer = {"id": "d", "data_sources": [{"id": "a"}, {"id": "b"}]}
    sibling = {"database": {"id": "d", "data_sources": [{"id": "a"}]}, "data_source": {}}
    assert refreshed_database(sibling, newer) == {"database": newer, "data_source": {}}
    assert refreshed_database({"database": newer, "data_source": {}}, newer) is None

"""End to end: sibling lists of the HTML copy follow adds, renames and moves, and only them.

Fake API over loopback, real git repositories. The incremental mirror is compared with a
fresh export of the same workspace, and with what ``render`` rebuilds from the JSON.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from mirrortree import exported_tree, tree_differences
from synchelpers import TestClock, git, make_settings, serve

from notion_syncd.commands.render import render_mirror
from notion_syncd.export.htmlsiblings import NAV_SUFFIX, TOP_NAV
from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.sync.runner import run_sync


def _listed_titles(repo: Path, nav: str) -> list[str]:
    """The titles a parent's script lists, in order."""
    text = (repo / nav).read_text(encoding="utf-8")
    body = text.removeprefix("notionSiblings(").rpartition(", ")[0]
    return [title for _, title, _ in json.loads(body)]


def _nav_of(tree: dict[str, bytes], title: str) -> str:
    """The script of the parent whose stem starts with ``title``."""
    return next(path for path in tree if path.startswith(title) and path.endswith(NAV_SUFFIX))


def test_html_siblings_follow_rename_add_and_move_like_a_fresh_export(tmp_path: Path) -> None:
    """Rename, add, move and removal rewrite the old and new parent's script only; a fresh
    export and render give the same files."""
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=3)
    home = ws.add_page(None, "Home", [rt.paragraph("top")])
    first, second, _, fifth = (ws.add_page(home, name, [rt.paragraph(name)]) for name in "ABCE")
    other = ws.add_page(None, "Other", [rt.paragraph("elsewhere")])
    ws.add_page(other, "Kept", [rt.paragraph("stays")])
    lone = ws.add_page(ws.add_page(None, "Lone", [rt.paragraph("one child")]), "Only", [])
    _, tasks = ws.add_database(home, "Tasks", {"Name": "title"})
    for name in ("Row 1", "Row 2"):
        ws.add_row(tasks, {"Name": name})
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    repo = tmp_path / "mirror"
    with serve(ws) as server:
        settings = make_settings(server, repo)
        run_sync(settings, now=clock)
        before = exported_tree(repo)
        home_nav = _nav_of(before, "Home")
        assert _listed_titles(repo, home_nav) == ["A", "B", "C", "E", "Tasks"]
        rows_nav = next(path for path in before if "/Tasks " in path and path.endswith(NAV_SUFFIX))
        assert sorted(_listed_titles(repo, rows_nav)) == ["Row 1", "Row 2"]  # table order
        assert _listed_titles(repo, TOP_NAV) == ["Home", "Lone", "Other"]

        clock.advance(minutes=3)
        ws.set_title(second, "B renamed")
        ws.add_page(home, "D", [rt.paragraph("new")])
        ws.move(first, other)
        ws.trash(fifth)
        ws.trash(lone)  # its parent's script goes
        clock.advance(minutes=3)
        run_sync(settings, now=clock, sweep=True)
        after = exported_tree(repo)

        fresh = make_settings(server, tmp_path / "fresh-export")
        run_sync(fresh, now=clock)
        differences = tree_differences(after, exported_tree(Path(fresh.export.repo)))
        assert differences == [], "the mirror drifted from a fresh export:\n" + "\n".join(
            differences[:40]
        )

    assert _listed_titles(repo, home_nav) == ["B renamed", "C", "Tasks", "D"]
    other_nav = _nav_of(after, "Other")
    assert _listed_titles(repo, other_nav) == ["Kept", "A"]
    navs_changed = {
        path
        for path in before.keys() | after.keys()
        if path.endswith(NAV_SUFFIX)
        if before.get(path) != after.get(path)
    }
    lone_nav = _nav_of(before, "Lone")
    assert lone_nav not in after
    assert navs_changed == {home_nav, other_nav, lone_nav}
    untouched = next(path for path in before if "/C " in path and path.endswith(".html"))
    assert before[untouched] == after[untouched], "a sibling's HTML was rewritten"

    # render rebuilds every view and script from the JSON alone, byte for byte.
    for path in after:
        if path.endswith((".html", NAV_SUFFIX)):
            (repo / path).unlink()
    git(repo, "commit", "-qam", "drop the HTML views")
    offline = settings.model_copy(
        update={"notion": settings.notion.model_copy(update={"base_url": "http://127.0.0.1:9"})}
    )
    assert "commit" in render_mirror(offline)
    assert tree_differences(exported_tree(repo), after) == []

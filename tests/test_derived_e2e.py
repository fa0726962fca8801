"""End to end: derived content stays current where Notion does not move last_edited_time.

Fake API over loopback, real git repositories. Each scenario ends by comparing the
incremental mirror with a fresh export of the same workspace into an empty mirror.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from mirrortree import exported_tree, tree_differences
from synchelpers import TestClock, changed_files, git, make_settings, serve

from notion_syncd.config import Settings
from notion_syncd.fake_notion import FakeNotionServer, Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.sync.runner import run_sync


def _workspace() -> tuple[TestClock, Workspace]:
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=3)
    return clock, workspace


def _settle(clock: TestClock) -> None:
    clock.tick = timedelta(0)
    clock.advance(minutes=10)


def _assert_fresh_export_equal(
    server: FakeNotionServer, settings: Settings, tmp_path: Path, clock: TestClock
) -> None:
    """The incremental mirror is byte-identical to a fresh export of the same workspace."""
    fresh = make_settings(server, tmp_path / "fresh-export")
    run_sync(fresh, now=clock)
    kept = exported_tree(Path(settings.export.repo))
    differences = tree_differences(kept, exported_tree(Path(fresh.export.repo)))
    assert differences == [], "the mirror drifted from a fresh export:\n" + "\n".join(
        differences[:40]
    )


def _record_paths(repo: Path) -> dict[str, Path]:
    """Object id -> its .json file."""
    found = {}
    for path in repo.rglob("*.json"):
        parts = path.relative_to(repo).parts
        if parts[0] in (".git", ".notion-syncd", "_files"):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        holder = data.get("page") or data.get("data_source") or {}
        found[holder["id"]] = path
    return found


def _requested_ids(server: FakeNotionServer) -> str:
    return " ".join(entry.path for entry in server.request_log.entries())


def _untouched(server: FakeNotionServer, *object_ids: str) -> bool:
    """No request named any of these objects (dashed or not)."""
    requested = _requested_ids(server)
    return not any(oid in requested or oid.replace("-", "") in requested for oid in object_ids)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_derived_rename_updates_mentions_and_relation_cells(tmp_path: Path) -> None:
    """A renamed page: 3 mentioning pages and a 60-row database follow in one sync, no request."""
    clock, ws = _workspace()
    home = ws.add_page(None, "Home", [rt.paragraph("start")])
    _, people = ws.add_database(home, "People", {"Name": "title"})
    target = ws.add_row(people, {"Name": "Ada"})
    _, tasks = ws.add_database(
        home,
        "Tasks",
        {"Name": "title", "Owner": {"type": "relation", "relation": {"data_source_id": people}}},
    )
    rows = [ws.add_row(tasks, {"Name": f"Task {n}", "Owner": [target]}) for n in range(60)]
    mentioning = [
        ws.add_page(home, "Notes", [rt.paragraph("ask ", rt.mention_page(target, "Ada"))]),
        ws.add_page(home, "Plan", [rt.link_to_page(target), rt.paragraph(rt.mention_page(target))]),
        ws.add_page(None, "Log", [rt.heading(1, "By ", rt.mention_page(target, "Ada"))]),
    ]
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        repo = Path(settings.export.repo)
        head = git(repo, "rev-parse", "HEAD").strip()
        clock.advance(minutes=3)
        ws.set_title(target, "Grace")
        clock.advance(minutes=3)
        server.request_log.clear()
        run_sync(settings, now=clock)
        assert _untouched(server, *mentioning, *rows)
        _assert_fresh_export_equal(server, settings, tmp_path, clock)
    sync_commits = git(
        repo, "rev-list", "--count", "--invert-grep", "--grep=Notion-Syncd-Step: moves", "HEAD"
    )
    assert git(repo, "rev-list", "--count", f"{head}..HEAD").strip() == "2"  # moves, then edits
    assert sync_commits.strip() == "2"
    paths = _record_paths(repo)
    for page in mentioning:
        record = paths[page].read_text(encoding="utf-8")
        assert '"plain_text": "Grace"' in record and '"plain_text": "Ada"' not in record
        for suffix in (".md", ".html"):
            view = paths[page].with_suffix(suffix).read_text(encoding="utf-8")
            assert "Grace" in view and "Ada" not in view, (page, suffix)
    table = _csv_rows(paths[tasks].with_suffix(".csv"))
    assert len(table) == 60 and {row["Owner"] for row in table} == {"Grace"}
    for row in rows:
        assert "Grace" in paths[row].with_suffix(".md").read_text(encoding="utf-8")
    for suffix in (".md", ".html"):
        view = paths[tasks].with_suffix(suffix).read_text(encoding="utf-8")
        assert "Grace" in view and "Ada" not in view
    changed = changed_files(repo)
    assert paths[home].relative_to(repo).with_suffix(".json").as_posix() not in changed


def test_derived_synced_original_edit_reaches_every_copy(tmp_path: Path) -> None:
    """An edit inside a synced block's original changes every page showing a copy, same sync."""
    clock, ws = _workspace()
    source = ws.add_page(None, "Source", [rt.paragraph("intro")])
    original = ws.append_blocks(source, [rt.synced_original([rt.paragraph("version one")])])[0]
    copies = [
        ws.add_page(None, f"Copy {n}", [rt.paragraph("above"), rt.synced_duplicate(original)])
        for n in range(3)
    ]
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        repo = Path(settings.export.repo)
        clock.advance(minutes=3)
        first_child = ws.children_of(original)[0]
        ws.update_block(first_child, {"paragraph": {"rich_text": [rt.rich_text("version two")]}})
        ws.append_blocks(original, [rt.paragraph("added below")])
        clock.advance(minutes=3)
        server.request_log.clear()
        run_sync(settings, now=clock)
        assert _untouched(server, *copies)
        _assert_fresh_export_equal(server, settings, tmp_path, clock)
    paths = _record_paths(repo)
    changed = changed_files(repo)
    for page in copies:
        for suffix in (".json", ".md", ".html"):
            path = paths[page].with_suffix(suffix)
            assert path.relative_to(repo).as_posix() in changed
            text = path.read_text(encoding="utf-8")
            assert "version two" in text and "added below" in text and "version one" not in text


def test_derived_relation_of_130_and_show_original_rollup_complete(tmp_path: Path) -> None:
    """130 relations and a show_original rollup over them: complete in JSON, front matter, CSV."""
    clock, ws = _workspace()
    home = ws.add_page(None, "Home", [])
    _, people = ws.add_database(home, "People", {"Name": "title"})
    names = [f"Person {n:03d}" for n in range(130)]
    related = [ws.add_row(people, {"Name": name}) for name in names]
    schema: dict[str, Any] = {
        "Name": "title",
        "Team": {"type": "relation", "relation": {"data_source_id": people}},
        "Members": {
            "type": "rollup",
            "rollup": {
                "relation_property_name": "Team",
                "rollup_property_name": "Name",
                "function": "show_original",
            },
        },
    }
    _, teams = ws.add_database(home, "Teams", schema)
    team = ws.add_row(teams, {"Name": "Everyone", "Team": related})
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        repo = Path(settings.export.repo)
        paths = _record_paths(repo)
        properties = json.loads(paths[team].read_text(encoding="utf-8"))["page"]["properties"]
        assert [item["id"] for item in properties["Team"]["relation"]] == related
        shown = [
            "".join(part["plain_text"] for part in element["title"])
            for element in properties["Members"]["rollup"]["array"]
        ]
        assert shown == names
        front_matter = paths[team].with_suffix(".md").read_text(encoding="utf-8").split("---")[1]
        assert all(name in front_matter for name in names)
        cells = next(
            row for row in _csv_rows(paths[teams].with_suffix(".csv")) if row["id"] == team
        )
        assert cells["Members"].split(", ") == names
        assert cells["Team"].split(", ") == names

        # Notion recomputes the rollup when a related page is renamed; the team row does
        # not move, and the sweep brings the new value.
        clock.advance(minutes=3)
        ws.set_title(related[129], "Person renamed")
        clock.advance(minutes=3)
        run_sync(settings, now=clock, sweep=True)
        _assert_fresh_export_equal(server, settings, tmp_path, clock)
    properties = json.loads(paths[team].read_text(encoding="utf-8"))["page"]["properties"]
    last = properties["Members"]["rollup"]["array"][129]
    assert last["title"][0]["plain_text"] == "Person renamed"
    cells = next(row for row in _csv_rows(paths[teams].with_suffix(".csv")) if row["id"] == team)
    assert cells["Members"].split(", ")[129] == "Person renamed"


def test_derived_deleted_page_files_leave_files_dir(tmp_path: Path) -> None:
    """A removed page's hosted file leaves _files/ (history keeps it); a shared one stays."""
    clock, ws = _workspace()
    own = ws.add_file(b"only the doomed page has this", "doomed.png")
    shared = ws.add_file(b"two pages show this one", "shared.png")
    doomed = ws.add_page(None, "Doomed", [rt.media("image", own), rt.media("image", shared)])
    ws.add_page(
        None, "Keeper", [rt.media("image", ws.add_file(b"two pages show this one", "s.png"))]
    )
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        repo = Path(settings.export.repo)
        files_before = set(git(repo, "ls-files", "_files").split())
        assert len(files_before) == 2
        clock.advance(minutes=3)
        ws.trash(doomed)
        clock.advance(minutes=3)
        report = run_sync(settings, now=clock, sweep=True, allow_mass_delete=True)
        _assert_fresh_export_equal(server, settings, tmp_path, clock)
    assert report.count("deleted") == 1
    files_after = set(git(repo, "ls-files", "_files").split())
    assert len(files_after) == 1 and files_after < files_before
    (gone,) = files_before - files_after
    assert git(repo, "log", "--format=%H", "--", gone).split(), "history keeps the file"


def test_derived_unshared_page_mentions_read_untitled(tmp_path: Path) -> None:
    """After the sweep removes an unshared page, mentions of it read Untitled, as Notion shows."""
    clock, ws = _workspace()
    secret = ws.add_page(None, "Secret plans", [rt.paragraph("hidden")])
    linker = ws.add_page(None, "Linker", [rt.paragraph("see ", rt.mention_page(secret))])
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        clock.advance(minutes=3)
        ws.unshare(secret)
        clock.advance(minutes=3)
        run_sync(settings, now=clock, sweep=True, allow_mass_delete=True)
        _assert_fresh_export_equal(server, settings, tmp_path, clock)
    path = _record_paths(Path(settings.export.repo))[linker]
    assert "Secret plans" not in path.with_suffix(".md").read_text(encoding="utf-8")


def test_derived_database_moved_to_another_page_follows(tmp_path: Path) -> None:
    """A database moved to another page (its data source does not move) is re-placed there."""
    clock, ws = _workspace()
    old_home = ws.add_page(None, "Old home", [rt.paragraph("here first")])
    new_home = ws.add_page(None, "New home", [rt.paragraph("here next")])
    database, tasks = ws.add_database(old_home, "Tasks", {"Name": "title"})
    rows = [ws.add_row(tasks, {"Name": f"Task {n}"}) for n in range(3)]
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        repo = Path(settings.export.repo)
        clock.advance(minutes=3)
        ws.move(database, new_home)
        clock.advance(minutes=3)
        run_sync(settings, now=clock)
        _assert_fresh_export_equal(server, settings, tmp_path, clock)
    paths = _record_paths(repo)
    folder = paths[new_home].with_suffix("")
    for object_id in (tasks, *rows):
        assert folder in paths[object_id].parents


def test_derived_database_moved_to_top_level_follows_at_sweep(tmp_path: Path) -> None:
    """A database moved to the top level (no page shows it now) is re-placed by the sweep."""
    clock, ws = _workspace()
    home = ws.add_page(None, "Home", [rt.paragraph("text")])
    ws.add_page(None, "Other", [rt.paragraph("keeps the mass-deletion guard quiet")])
    database, tasks = ws.add_database(home, "Tasks", {"Name": "title", "Score": "number"})
    row = ws.add_row(tasks, {"Name": "Only task"})
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        repo = Path(settings.export.repo)
        clock.advance(minutes=3)
        ws.move(database, None)
        clock.advance(minutes=3)
        run_sync(settings, now=clock, sweep=True)
        _assert_fresh_export_equal(server, settings, tmp_path, clock)
    paths = _record_paths(repo)
    assert paths[tasks].parent == repo
    assert paths[row].parent == paths[tasks].with_suffix("")


def test_derived_child_page_rename_updates_parent_block_without_request(tmp_path: Path) -> None:
    """A renamed sub-page: the parent's child_page block shows the new title; parent not fetched.

    Notion does not move the parent's last_edited_time (notion-api.md §8), nor does the fake.
    """
    clock, ws = _workspace()
    parent = ws.add_page(None, "Parent", [rt.paragraph("above"), rt.child_page("First name")])
    child = ws.children_of(parent)[-1]
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        clock.advance(minutes=3)
        edited_before = ws.pages[parent].last_edited_time
        ws.set_title(child, "Second name")
        assert ws.pages[parent].last_edited_time == edited_before
        clock.advance(minutes=3)
        server.request_log.clear()
        run_sync(settings, now=clock)
        assert _untouched(server, parent)
        _assert_fresh_export_equal(server, settings, tmp_path, clock)
    record = json.loads(_record_paths(Path(settings.export.repo))[parent].read_text("utf-8"))
    assert record["blocks"][-1]["child_page"]["title"] == "Second name"


def test_derived_database_rename_relinks_its_parent_page(tmp_path: Path) -> None:
    """A renamed database: its parent's child_database block and link follow (drift D4)."""
    clock, ws = _workspace()
    home = ws.add_page(None, "Home", [rt.paragraph("text")])
    database, tasks = ws.add_database(home, "Tracker", {"Name": "title"})
    ws.add_row(tasks, {"Name": "Task"})
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        clock.advance(minutes=3)
        ws.set_title(database, "Notes")
        clock.advance(minutes=3)
        run_sync(settings, now=clock)
        _assert_fresh_export_equal(server, settings, tmp_path, clock)
    paths = _record_paths(Path(settings.export.repo))
    markdown = paths[home].with_suffix(".md").read_text(encoding="utf-8")
    assert "Notes%20" in markdown and "Tracker" not in markdown


def test_derived_schema_change_reaches_every_row(tmp_path: Path) -> None:
    """A property added and one renamed: every row shows the new schema (rows do not move)."""
    clock, ws = _workspace()
    home = ws.add_page(None, "Home", [rt.paragraph("text")])
    _, tasks = ws.add_database(home, "Tasks", {"Name": "title", "Size": "number"})
    rows = [ws.add_row(tasks, {"Name": f"Task {n}", "Size": n}) for n in range(5)]
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        clock.advance(minutes=3)
        # What PATCH /v1/data_sources does: only the data source's last_edited_time moves.
        source = ws.data_sources[tasks]
        source.properties["Points"] = {
            "id": "pts1",
            "name": "Points",
            "type": "number",
            "number": {"format": "number"},
        }
        source.properties["Estimate"] = {**source.properties.pop("Size"), "name": "Estimate"}
        for row in rows:
            ws.pages[row].properties["Estimate"] = ws.pages[row].properties.pop("Size")
        ws.touch(tasks)
        clock.advance(minutes=3)
        run_sync(settings, now=clock)
        _assert_fresh_export_equal(server, settings, tmp_path, clock)
    paths = _record_paths(Path(settings.export.repo))
    for row in rows:
        properties = json.loads(paths[row].read_text(encoding="utf-8"))["page"]["properties"]
        assert set(properties) == {"Name", "Estimate", "Points"}
    table = _csv_rows(paths[tasks].with_suffix(".csv"))
    assert sorted(row["Estimate"] for row in table) == ["0", "1", "2", "3", "4"]


def test_derived_removed_related_row_leaves_relation_cells(tmp_path: Path) -> None:
    """A related row removed by the sweep: tables relating to it show its id (drift D7)."""
    clock, ws = _workspace()
    home = ws.add_page(None, "Home", [rt.paragraph("text")])
    _, people = ws.add_database(home, "People", {"Name": "title"})
    gone, kept = ws.add_row(people, {"Name": "Ada"}), ws.add_row(people, {"Name": "Grace"})
    relation = {"type": "relation", "relation": {"data_source_id": people}}
    _, tasks = ws.add_database(home, "Tasks", {"Name": "title", "Owner": relation})
    ws.add_row(tasks, {"Name": "Task", "Owner": [gone, kept]})
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        clock.advance(minutes=3)
        ws.trash(gone)
        clock.advance(minutes=3)
        run_sync(settings, now=clock, sweep=True)
        _assert_fresh_export_equal(server, settings, tmp_path, clock)
    paths = _record_paths(Path(settings.export.repo))
    (row,) = _csv_rows(paths[tasks].with_suffix(".csv"))
    assert row["Owner"] == f"{gone}, Grace"


def test_derived_trashed_original_page_refreshes_copies(tmp_path: Path) -> None:
    """The page holding a synced original is trashed: pages with a copy show what Notion does."""
    clock, ws = _workspace()
    source = ws.add_page(None, "Source", [rt.paragraph("intro")])
    original = ws.append_blocks(source, [rt.synced_original([rt.paragraph("shared text")])])[0]
    copies = [ws.add_page(None, f"Copy {n}", [rt.synced_duplicate(original)]) for n in range(4)]
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        repo = Path(settings.export.repo)
        before = {page: _record_paths(repo)[page].read_bytes() for page in copies}
        clock.advance(minutes=3)
        ws.trash(source)
        clock.advance(minutes=3)
        run_sync(settings, now=clock, sweep=True)
        _assert_fresh_export_equal(server, settings, tmp_path, clock)
    after = _record_paths(repo)
    assert source not in after
    assert any(after[page].read_bytes() != before[page] for page in copies)


def test_derived_unshared_database_unlinks_its_parent_page(tmp_path: Path) -> None:
    """A database the sweep removes: its parent's child_database block no longer links to it."""
    clock, ws = _workspace()
    home = ws.add_page(None, "Home", [rt.paragraph("text")])
    ws.add_page(None, "Other", [rt.paragraph("keeps the mass-deletion guard quiet")])
    database, tasks = ws.add_database(home, "Tracker", {"Name": "title"})
    ws.add_row(tasks, {"Name": "Task"})
    _settle(clock)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        clock.advance(minutes=3)
        ws.unshare(database)
        clock.advance(minutes=3)
        run_sync(settings, now=clock, sweep=True, allow_mass_delete=True)
        _assert_fresh_export_equal(server, settings, tmp_path, clock)
    paths = _record_paths(Path(settings.export.repo))
    assert tasks not in paths
    assert "Tracker%20" not in paths[home].with_suffix(".md").read_text(encoding="utf-8")

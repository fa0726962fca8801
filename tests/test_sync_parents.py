"""Parents and children: order of the listing, and a parent Notion will not give."""

from __future__ import annotations

import json
from pathlib import Path

from synchelpers import TestClock, make_settings, serve

from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.sync.runner import run_sync


def _paths_by_id(repo: Path) -> dict[str, str]:
    found = {}
    for path in repo.rglob("*.json"):
        if ".notion-syncd" in path.parts or ".git" in path.parts:
            continue
        page = json.loads(path.read_text(encoding="utf-8")).get("page")
        if page:
            found[page["id"]] = path.relative_to(repo).as_posix()
    return found


def test_child_of_failing_parent_fails_instead_of_moving(tmp_path: Path) -> None:
    """A child whose new parent cannot be fetched is held back, never placed at the top."""
    clock = TestClock()
    workspace = Workspace(clock)
    root = workspace.add_page(None, "Root", [rt.paragraph("root")])
    clock.advance(minutes=10)
    with serve(workspace) as server:
        settings = make_settings(server, tmp_path / "m", notion={"max_retry_time": 2})
        run_sync(settings, now=clock)
        clock.advance(minutes=5)
        parent = workspace.add_page(root, "Parent", [rt.paragraph("parent")])
        clock.advance(minutes=1)
        child = workspace.add_page(parent, "Child", [rt.paragraph("child")])
        clock.advance(minutes=5)
        server.faults.fail_path(rf"/v1/(blocks|pages)/{parent}", 500)
        report = run_sync(settings, now=clock)
        failed = {failure.id for failure in report.failures}
        assert parent in failed and child in failed
        assert child not in _paths_by_id(tmp_path / "m")
        server.faults.clear()
        clock.advance(minutes=5)
        again = run_sync(settings, now=clock)
    assert again.failed == 0
    paths = _paths_by_id(tmp_path / "m")
    assert paths[child].startswith(paths[parent][: -len(".json")] + "/")
    assert paths[parent].startswith(paths[root][: -len(".json")] + "/")

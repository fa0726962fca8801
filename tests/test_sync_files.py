"""Hosted files: downloaded at once, content-addressed, linked locally, refreshed when expired."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from synchelpers import TestClock, make_settings, serve

from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.fake_notion.generate import tiny_png
from notion_syncd.sync.runner import run_sync

LINK = re.compile(r"\]\(([^)\s]+)\)|(?:src|href)=\"([^\"]+)\"")


def _workspace(clock: TestClock) -> tuple[Workspace, str]:
    workspace = Workspace(clock)
    image = workspace.add_file(tiny_png(), "diagram.png")
    page = workspace.add_page(
        None,
        "Files",
        [rt.media("image", image, caption="A diagram"), rt.paragraph("text")],
        icon=workspace.add_file(tiny_png(4, 4), "icon.png"),
    )
    workspace.add_page(page, "Child with the same image", [rt.media("image", image)])
    clock.advance(minutes=10)
    return workspace, page


def test_files_are_local_and_not_downloaded_twice(tmp_path: Path) -> None:
    """File links resolve inside the repo, signed URLs never land there, re-syncs reuse files."""
    clock = TestClock()
    workspace, page = _workspace(clock)
    with serve(workspace) as server:
        settings = make_settings(server, tmp_path / "m")
        report = run_sync(settings, now=clock)
        assert report.files_downloaded == 3
        clock.advance(minutes=5)
        workspace.append_blocks(page, [rt.paragraph("edited")])
        clock.advance(minutes=5)
        server.request_log.clear()
        again = run_sync(settings, now=clock)
        assert again.files_downloaded == 0 and again.files_reused == 2
        assert server.request_log.count("files.download") == 0
    repo = tmp_path / "m"
    stored = sorted(p.name for p in (repo / "_files").iterdir())
    assert len(stored) == 2
    for view in [*repo.rglob("*.md"), *repo.rglob("*.html")]:
        for match in LINK.finditer(view.read_text(encoding="utf-8")):
            target = unquote(match.group(1) or match.group(2))
            if "_files/" in target:
                assert (view.parent / target).resolve().is_file(), (view, target)
    for path in repo.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            assert b"X-Amz-Signature" not in path.read_bytes(), path


def test_expired_file_url_is_refreshed(tmp_path: Path) -> None:
    """A download answered 403 (expired URL) re-fetches the block for a fresh URL."""
    clock = TestClock()
    workspace, _page = _workspace(clock)
    with serve(workspace) as server:
        server.faults.fail_path(r"^/_files/.*diagram", 403, times=1)
        report = run_sync(make_settings(server, tmp_path / "m"), now=clock)
        assert report.files_failed == []
        assert report.files_downloaded == 3
        assert server.request_log.count("blocks.retrieve") >= 1

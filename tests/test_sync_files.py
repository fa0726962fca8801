"""Hosted files: downloaded at once, content-addressed, linked locally, refreshed when expired."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import unquote

from synchelpers import TestClock, make_settings, serve

from notion_syncd.commands.status import mirror_status
from notion_syncd.commands.sync import sync_once
from notion_syncd.config import Settings
from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.fake_notion.generate import tiny_png
from notion_syncd.sync.gaps import GAPS_FILE
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


def _files_workspace(clock: TestClock, pages: int = 6) -> Workspace:
    """Pages with an image each, one more shared, and a page icon: several hosted files."""
    workspace = Workspace(clock)
    shared = workspace.add_file(tiny_png(3, 3), "shared.png")
    root = workspace.add_page(None, "Album", [rt.media("image", shared)])
    for number in range(pages):
        image = workspace.add_file(tiny_png(5 + number, 5), f"photo-{number}.png")
        workspace.add_page(root, f"Photo {number}", [rt.media("image", image), rt.paragraph("x")])
    clock.advance(minutes=10)
    return workspace


def _missing_in_mirror(repo: Path) -> list[str]:
    """Hosted files the stored JSON records could not point at a local copy."""
    missing = []
    for path in repo.rglob("*.json"):
        if ".git" in path.parts or ".notion-syncd" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if '"download_error"' in text:
            missing.append(path.name)
    return sorted(missing)


def _sync_cli(settings: Settings) -> tuple[int, str, str]:
    """What ``notion-syncd sync`` does (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = sync_once(settings, sweep=False, allow_mass_delete=False, out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_sync_files_expiring_during_export_are_complete_after_two_syncs(tmp_path: Path) -> None:
    """Every download refused as expired: sync 1 exits 1 naming each file, sync 2 fills them."""
    clock = TestClock()
    workspace = _files_workspace(clock)
    with serve(workspace) as server:
        settings = make_settings(server, tmp_path / "m")
        server.faults.expire_file_urls()  # every URL, fresh ones too, expires before use
        status, out, err = _sync_cli(settings)
        assert status == 1
        assert "7 files missing" in out
        assert err.count("missing: ") == 7 and err.count("\n  http://") == 7
        assert len(_missing_in_mirror(tmp_path / "m")) == 7
        assert "not in the mirror yet: 7 objects, 7 files" in mirror_status(settings)
        server.faults.clear()
        clock.advance(minutes=5)
        server.request_log.clear()
        status, out, err = _sync_cli(settings)
        assert status == 0, err
        assert server.request_log.count("files.download") == 7
    repo = tmp_path / "m"
    assert _missing_in_mirror(repo) == []
    assert len(list((repo / "_files").iterdir())) == 7
    assert not (repo / GAPS_FILE).exists()
    assert "not in the mirror yet" not in mirror_status(settings)


def test_sync_files_expired_once_are_refreshed_in_the_same_sync(tmp_path: Path) -> None:
    """Each signed URL refused once: the block is fetched again and the sync exits 0."""
    clock = TestClock()
    workspace = _files_workspace(clock)
    with serve(workspace) as server:
        settings = make_settings(server, tmp_path / "m")
        server.faults.expire_file_urls(first_only=True)
        status, _out, err = _sync_cli(settings)
        assert status == 0, err
        assert server.request_log.count("blocks.retrieve") == 7
    assert _missing_in_mirror(tmp_path / "m") == []


def test_sync_files_gap_retried_when_nothing_changed_in_an_incremental_sync(
    tmp_path: Path,
) -> None:
    """A file added later whose download fails stays a gap (exit 1) until a sync gets it."""
    clock = TestClock()
    workspace = _files_workspace(clock, pages=1)
    with serve(workspace) as server:
        settings = make_settings(server, tmp_path / "m")
        assert _sync_cli(settings)[0] == 0
        clock.advance(minutes=5)
        page = workspace.add_page(
            None, "Scan", [rt.media("file", workspace.add_file(b"%PDF", "a.pdf"))]
        )
        clock.advance(minutes=5)
        server.faults.fail_path(r"^/_files/.*a\.pdf", 500)  # the download itself fails
        for _attempt in range(2):
            status, _out, err = _sync_cli(settings)
            assert status == 1 and f"missing: {page}" in err
            clock.advance(minutes=5)
        server.faults.clear()
        status, out, err = _sync_cli(settings)
        assert status == 0, err
        assert "0 added, 1 updated" in out
    assert _missing_in_mirror(tmp_path / "m") == []

"""Local edits in the mirror's working tree are kept on a named side ref, never thrown away."""

from __future__ import annotations

import json
from pathlib import Path

import pygit2
import pytest
from structlog.testing import capture_logs
from synchelpers import TestClock, git, make_settings, serve

from notion_syncd import gittree, localedits
from notion_syncd.commands.status import mirror_status
from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.gitstore import UNCOMMITTED_MARKER, Author, open_mirror
from notion_syncd.sync.runner import run_sync


def _workspace(clock: TestClock) -> Workspace:
    workspace = Workspace(clock)
    generate_workspace(workspace, pages=4, depth=2, databases=0, rows_per_database=0)
    clock.advance(minutes=10)
    return workspace


def _page_id(markdown: Path) -> str:
    record = json.loads(markdown.with_suffix(".json").read_text(encoding="utf-8"))
    return str(record["page"]["id"])


def test_local_edits_are_kept_on_a_side_ref_before_a_sync_replaces_them(tmp_path: Path) -> None:
    """A person's edit of a file the sync rewrites, and of one it deletes, are on the named
    ref afterwards; an edit of a file the sync does not touch and an added file stay put."""
    clock = TestClock()
    repo = tmp_path / "m"
    workspace = _workspace(clock)
    with serve(workspace) as server:
        settings = make_settings(server, repo)
        run_sync(settings, now=clock)
        head = git(repo, "rev-parse", "HEAD").strip()
        renamed, edited, untouched = sorted(repo.glob("*.md"))[:3]
        renamed.write_text("my notes on a page that is renamed\n")
        edited.write_text("my own notes\n")
        untouched.write_text("notes nobody syncs over\n")
        (repo / "ideas.txt").write_text("an idea\n")
        workspace.set_title(_page_id(renamed), "Renamed in Notion")
        workspace.append_blocks(_page_id(edited), [rt.paragraph("new in Notion")])
        clock.advance(minutes=5)
        with capture_logs() as logs:
            run_sync(settings, now=clock)
    saved = [event for event in logs if event["event"] == "mirror.local_changes_saved"]
    ref = saved[-1]["ref"]
    assert {event["ref"] for event in saved} == {ref} and saved[-1]["paths"] == 2
    assert ref.startswith("refs/notion-syncd/local/")
    assert git(repo, "rev-parse", f"{ref}^").strip() == head
    assert git(repo, "show", f"{ref}:{edited.name}") == "my own notes\n"
    assert git(repo, "show", f"{ref}:{renamed.name}") == "my notes on a page that is renamed\n"
    assert "new in Notion" in edited.read_text() and not renamed.exists()
    assert untouched.read_text() == "notes nobody syncs over\n"
    assert (repo / "ideas.txt").read_text() == "an idea\n"
    assert ref in mirror_status(settings)


def test_local_edits_left_by_a_killed_sync_are_kept_at_open(tmp_path: Path) -> None:
    """After a crash (the uncommitted marker), the open-time reset keeps what differed."""
    clock = TestClock()
    repo = tmp_path / "m"
    with serve(_workspace(clock)) as server:
        settings = make_settings(server, repo)
        run_sync(settings, now=clock)
        head = git(repo, "rev-parse", "HEAD").strip()
        edited = sorted(repo.glob("*.md"))[0]
        edited.write_text("half-written\n")
        (repo / ".git" / UNCOMMITTED_MARKER).parent.mkdir(exist_ok=True)
        (repo / ".git" / UNCOMMITTED_MARKER).write_bytes(b"")
        with capture_logs() as logs:
            run_sync(settings, now=clock)
    saved = [event for event in logs if event["event"] == "mirror.local_changes_saved"]
    assert len(saved) == 1
    assert git(repo, "rev-parse", f"{saved[0]['ref']}^").strip() == head
    assert git(repo, "show", f"{saved[0]['ref']}:{edited.name}") == "half-written\n"
    assert git(repo, "status", "--porcelain") == ""


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


def test_local_edits_a_deleted_file_written_again_needs_no_side_ref(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file a person deleted holds nothing HEAD lacks: written again, no ref; an edited
    file beside it is still kept, and HEAD's trees are read only for that one."""
    path = tmp_path / "m"
    author = Author("test", "test@example.invalid")
    with open_mirror(path) as mirror:
        mirror.write("pages/a.md", b"a from Notion\n")
        mirror.write("pages/b.md", b"b from Notion\n")
        mirror.commit("first", author)
        head = git(path, "rev-parse", "HEAD").strip()
    (path / "pages" / "a.md").unlink()
    (path / "pages" / "b.md").write_bytes(b"my notes\n")
    reads: list[str] = []
    entries = gittree._entries

    def counted(odb: object, tree_id: pygit2.Oid | None) -> gittree.Entries:
        reads.append(str(tree_id))
        return entries(odb, tree_id)

    with open_mirror(path) as mirror:
        with monkeypatch.context() as patch:  # a pass-through count of the folders read
            patch.setattr(gittree, "_entries", counted)
            mirror.write("pages/a.md", b"a renamed in Notion\n")
            assert reads == []  # missing: not looked up
            mirror.write("pages/b.md", b"b edited in Notion\n")
            assert len(reads) == 2  # the root and pages/ of HEAD
        mirror.commit("second", author)
        refs = localedits.local_refs(mirror.repo)
    (ref,) = refs
    assert git(path, "rev-parse", f"{ref}^").strip() == head
    assert git(path, "show", f"{ref}:pages/b.md") == "my notes\n"
    assert git(path, "show", f"{ref}:pages/a.md") == "a from Notion\n"  # HEAD's, as it was
    assert (path / "pages" / "a.md").read_bytes() == b"a renamed in Notion\n"

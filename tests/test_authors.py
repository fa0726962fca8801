"""Commit authors from Notion's last_edited_by: identities, one editor, several, no names."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from synchelpers import TestClock, git, make_settings, serve

from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.gitstore import Author
from notion_syncd.sync.authors import Edit, authorship, by_editor, identity, page_edit
from notion_syncd.sync.runner import run_sync

DAEMON = Author("notion-syncd", "notion-syncd@localhost")
ADA = Author("Ada", "a@users.noreply.notion.invalid")
GRACE = Author("Grace", "g@users.noreply.notion.invalid")


def test_authors_identity_falls_back_to_id_and_noreply() -> None:
    """No user object: the id and a .invalid address; real e-mails only when opted in."""
    user = {"name": "Ada Lovelace", "person": {"email": "ada@example.com"}}
    assert identity("u1", None, real_emails=True) == Author("u1", "u1@users.noreply.notion.invalid")
    assert identity("u1", user, real_emails=False) == Author(
        "Ada Lovelace", "u1@users.noreply.notion.invalid"
    )
    assert identity("u1", user, real_emails=True) == Author("Ada Lovelace", "ada@example.com")


def test_authors_one_editor_authors_at_newest_edit() -> None:
    """All edits by one user: that user, dated by the newest edit; none: the daemon, now."""
    edits = [Edit("a", "2026-03-02T08:00:00.000Z"), Edit("a", "2026-03-02T08:05:00.000Z")]
    result = authorship(edits, {"a": ADA}, DAEMON)
    assert (result.author, result.when, result.trailers) == (ADA, 1772438700, ())
    assert authorship([], {}, DAEMON).author == DAEMON


def test_authors_several_editors_daemon_with_trailers() -> None:
    """Two editors in one commit: the daemon authors the rest, each editor in a trailer."""
    edits = [Edit("g", "2026-03-02T08:00:00.000Z"), Edit("a", "2026-03-02T08:01:00.000Z")]
    result = authorship(edits, {"a": ADA, "g": GRACE}, DAEMON)
    assert result.author == DAEMON and result.when is None
    assert result.trailers == (
        "Co-authored-by: Ada <a@users.noreply.notion.invalid>",
        "Co-authored-by: Grace <g@users.noreply.notion.invalid>",
    )


def _two_syncs(
    tmp_path: Path, editors: list[str], *, readable: bool = True, **git_settings: object
) -> tuple[Path, dict[str, str], Workspace]:
    """First sync as the bot; each editor edits their page (or "X on Y": Y's); second sync."""
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    ws.users_readable = readable
    names = ("Ada Lovelace", "Grace Hopper", "Alan Turing")
    users = {name: ws.add_user(name) for name in names}
    pages = {name: ws.add_page(None, f"Page of {name}", [rt.paragraph("v1")]) for name in users}
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror", git=dict(git_settings))
        run_sync(settings, now=clock)
        for edit in editors:
            name, _, owner = edit.partition(" on ")  # "Ada Lovelace on Grace Hopper"
            clock.advance(minutes=1)
            ws.editor = users[name]
            ws.append_blocks(pages[owner or name], [rt.paragraph(f"{name} was here")])
        ws.editor = None
        clock.advance(minutes=10)
        run_sync(settings, now=clock)
    return settings.export.repo, users, ws


def test_authors_sync_by_one_editor_names_them(tmp_path: Path) -> None:
    """One editor: author name and Notion edit time; committer notion-syncd; blame names them."""
    repo, users, ws = _two_syncs(tmp_path, ["Grace Hopper"])
    shown = git(repo, "log", "-1", "--format=%an|%ae|%aI|%cn", "HEAD").strip()
    grace = users["Grace Hopper"]
    page = next(page for page in ws.pages.values() if page.last_edited_by == grace)
    edited = page.last_edited_time.strftime("%Y-%m-%dT%H:%M:00+00:00")  # Notion's minutes
    assert shown == f"Grace Hopper|{grace}@users.noreply.notion.invalid|{edited}|notion-syncd"
    md = next(repo.glob("Page of Grace Hopper*.md")).name
    blame = git(repo, "blame", "--line-porcelain", "--", md)
    lines = blame.split("\nauthor ")
    assert any(chunk.startswith("Grace Hopper\n") and "was here" in chunk for chunk in lines)


def test_authors_three_editors_one_commit_each_branch_moved_once(tmp_path: Path) -> None:
    """Three editors in one sync: a commit each (oldest edit first), then the daemon's rest."""
    repo, users, _ = _two_syncs(tmp_path, ["Ada Lovelace", "Grace Hopper", "Alan Turing"])
    shown = git(repo, "log", "-4", "--format=%an|%cn", "HEAD").splitlines()
    assert shown == [
        "notion-syncd|notion-syncd",
        "Alan Turing|notion-syncd",
        "Grace Hopper|notion-syncd",
        "Ada Lovelace|notion-syncd",
    ]
    trailers = git(repo, "log", "-1", "--format=%(trailers:key=Co-authored-by,valueonly)", "HEAD")
    assert [line for line in trailers.splitlines() if line] == [
        f"{name} <{users[name]}@users.noreply.notion.invalid>"
        for name in ("Ada Lovelace", "Alan Turing", "Grace Hopper")
    ]
    reflog = git(repo, "reflog", "show", "--format=%H", "main").split()
    assert len(reflog) == 2, "the branch moved once a sync"
    for name in users:
        md = next(repo.glob(f"Page of {name}*.md")).name
        blame = git(repo, "blame", "--line-porcelain", "--", md).split("\nauthor ")
        assert any(chunk.startswith(f"{name}\n") and "was here" in chunk for chunk in blame)


def test_authors_without_user_information_fallback_and_one_log_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Users answer 403: syncs succeed, the author is the user id, one line a sync says why."""
    repo, users, _ = _two_syncs(tmp_path, ["Grace Hopper"], readable=False)
    grace = users["Grace Hopper"]
    shown = git(repo, "log", "-1", "--format=%an <%ae>", "HEAD").strip()
    assert shown == f"{grace} <{grace}@users.noreply.notion.invalid>"
    assert capsys.readouterr().out.count("authors.names_unavailable") == 2  # once per sync


def test_authors_off_keeps_the_daemon_as_author(tmp_path: Path) -> None:
    """git.commit_authors = false: the old shape, every commit by notion-syncd."""
    repo, _, _ = _two_syncs(tmp_path, ["Grace Hopper"], commit_authors=False)
    assert (
        git(repo, "log", "--format=%an %ae", "HEAD").splitlines()
        == ["notion-syncd notion-syncd@localhost"] * 2
    )


def test_authors_by_editor_groups_oldest_edit_first() -> None:
    """Objects grouped by editor; the group whose newest edit is oldest comes first."""
    edits = {
        "p1": Edit("g", "2026-03-02T08:03:00.000Z"),
        "p2": Edit("a", "2026-03-02T08:01:00.000Z"),
        "p3": Edit("g", "2026-03-02T08:00:00.000Z"),
        "p4": Edit("a", "2026-03-02T08:04:00.000Z"),
        "p5": Edit("t", "2026-03-02T08:02:00.000Z"),
    }
    assert [(g.user_id, g.ids, g.newest[11:16]) for g in by_editor(edits)] == [
        ("t", ("p5",), "08:02"),
        ("g", ("p1", "p3"), "08:03"),
        ("a", ("p2", "p4"), "08:04"),
    ]


def test_authors_page_edited_by_two_last_editor_authors_other_co_authors(tmp_path: Path) -> None:
    """Ada then Grace edit Grace's page: Grace authors, Ada co-authors; blame names each."""
    repo, users, _ = _two_syncs(tmp_path, ["Ada Lovelace on Grace Hopper", "Grace Hopper"])
    ada = users["Ada Lovelace"]
    assert git(repo, "log", "-1", "--format=%an", "HEAD").strip() == "Grace Hopper"
    trailers = git(repo, "log", "-1", "--format=%(trailers:key=Co-authored-by,valueonly)", "HEAD")
    assert [line for line in trailers.splitlines() if line] == [
        f"Ada Lovelace <{ada}@users.noreply.notion.invalid>"
    ]
    md = next(repo.glob("Page of Grace Hopper*.md")).name
    blame = git(repo, "blame", "--line-porcelain", "--", md).split("\nauthor ")
    for name in ("Ada Lovelace", "Grace Hopper"):
        mine = [chunk for chunk in blame if f"{name} was here" in chunk]
        assert mine and all(chunk.startswith(f"{name}\n") for chunk in mine), name


def test_authors_page_edit_counts_block_editors_since_last_sync() -> None:
    """Blocks edited after the previous sync name co-editors; older ones and the author do not."""

    def block(user: str, when: str, children: list[object] | None = None) -> dict[str, object]:
        edited = f"2026-03-02T08:{when}:00.000Z"
        return {"last_edited_by": {"id": user}, "last_edited_time": edited, "children": children}

    record = {
        "page": {"last_edited_by": {"id": "g"}, "last_edited_time": "2026-03-02T08:09:00.000Z"},
        "blocks": [block("old", "01"), block("g", "09", [block("a", "05")]), block("t", "06")],
    }
    assert page_edit(record, "2026-03-02T08:03:00.000Z") == Edit(
        "g", "2026-03-02T08:09:00.000Z", ("a", "t")
    )
    assert page_edit(record, None) == Edit("g", "2026-03-02T08:09:00.000Z", ("a", "old", "t"))


def test_authors_deletion_with_one_editor_is_committed_by_the_daemon(tmp_path: Path) -> None:
    """One editor and a deletion in one sync: the editor's commit, then the daemon's."""
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    grace = ws.add_user("Grace Hopper")
    kept = ws.add_page(None, "Kept", [rt.paragraph("v1")])
    gone = ws.add_page(None, "Gone", [rt.paragraph("v1")])
    ws.add_page(None, "Other", [rt.paragraph("v1")])
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        clock.advance(minutes=1)
        ws.editor = grace
        ws.append_blocks(kept, [rt.paragraph("grace was here")])
        ws.editor = None
        ws.trash(gone)
        clock.advance(minutes=10)
        run_sync(settings, now=clock, sweep=True, allow_mass_delete=True)
    repo = settings.export.repo
    assert git(repo, "log", "-2", "--format=%an", "HEAD").splitlines() == [
        "notion-syncd",
        "Grace Hopper",
    ]
    removed = git(repo, "show", "--diff-filter=D", "--name-only", "--format=", "HEAD")
    assert any(name.startswith("Gone ") for name in removed.splitlines())
    trailers = git(repo, "log", "-1", "--format=%(trailers:key=Co-authored-by,valueonly)")
    assert trailers.strip() == f"Grace Hopper <{grace}@users.noreply.notion.invalid>"
    assert len(git(repo, "reflog", "show", "--format=%H", "main").split()) == 2


def test_authors_acceptance_three_editors_and_a_shared_page(tmp_path: Path) -> None:
    """Issue 16's scene: three editors on their pages, Ada also on Grace's; one sync."""
    editors = ["Ada Lovelace on Grace Hopper", "Ada Lovelace", "Grace Hopper", "Alan Turing"]
    repo, users, ws = _two_syncs(tmp_path, editors)
    shown = git(repo, "log", "-4", "--format=%an|%aI|%cn", "HEAD").splitlines()
    assert [line.split("|")[0] for line in shown] == [
        "notion-syncd",
        "Alan Turing",
        "Grace Hopper",
        "Ada Lovelace",
    ]
    for line in shown[1:]:
        name, date, committer = line.split("|")
        page = next(p for p in ws.pages.values() if p.last_edited_by == users[name])
        assert date == page.last_edited_time.strftime("%Y-%m-%dT%H:%M:00+00:00"), name
        assert committer == "notion-syncd"
    grace_commit = git(
        repo, "log", "-1", "--format=%(trailers:key=Co-authored-by,valueonly)", "HEAD~2"
    )
    assert (
        grace_commit.strip()
        == f"Ada Lovelace <{users['Ada Lovelace']}@users.noreply.notion.invalid>"
    )
    assert len(git(repo, "reflog", "show", "--format=%H", "main").split()) == 2, "moved once"
    for owner in users:
        md = next(repo.glob(f"Page of {owner}*.md")).name
        blame = git(repo, "blame", "--line-porcelain", "--", md).split("\nauthor ")
        for name in users:  # Ada's line on Grace's page is Ada's too
            mine = [chunk for chunk in blame if f"{name} was here" in chunk]
            assert all(chunk.startswith(f"{name}\n") for chunk in mine), (owner, name)
        assert any(f"{owner} was here" in chunk for chunk in blame), owner

"""The authors map: read, appended to, honoured over Notion, hand edits kept; real syncs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from synchelpers import TestClock, git, make_settings, serve

from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.gitstore import Author
from notion_syncd.sync.authorsmap import AUTHORS_FILE, HEADER, line, parse, with_learned
from notion_syncd.sync.runner import run_sync

ADA_ID = "8d1f0e6a-2c4b-4f1e-9a51-0c1e7a3f5b21"
GRACE_ID = "11111111-2222-4333-8444-555555555555"
ADA = Author("Ada Lovelace", f"{ADA_ID}@users.noreply.notion.invalid")
GRACE = Author("Grace Hopper", "grace@navy.example")


def test_authorsmap_parse_reads_lines_and_reports_the_rest() -> None:
    """Comments and blanks skipped; compact ids dashed; a bad line is reported, not fatal."""
    text = (
        "# who is who\n\n"
        f"{ADA_ID} = Ada Lovelace <{ADA.email}>\n"
        f"{GRACE_ID.replace('-', '').upper()}   =   Grace Hopper   <grace@navy.example>  \n"
        "not a line\n"
        "1234 = Short Id <x@y>\n"
    )
    found = parse(text)
    assert found.identities == {ADA_ID: ADA, GRACE_ID: GRACE}
    assert found.unreadable == (5, 6)


def test_authorsmap_with_learned_appends_sorted_and_keeps_the_text() -> None:
    """Existing text byte for byte, new users appended sorted by id; known ones left alone."""
    hand = f"# mine\n{GRACE_ID} = Rear Admiral Hopper <grace@navy.example>"  # no final newline
    learned = {GRACE_ID: Author("Grace", "g@x"), ADA_ID: ADA}
    text = with_learned(hand, learned)
    assert text == hand + "\n" + line(ADA_ID, ADA)
    assert with_learned(text, learned) == text
    assert with_learned(text, dict(reversed(list(learned.items())))) == text
    fresh = with_learned(None, {GRACE_ID: GRACE, ADA_ID: ADA})
    assert fresh == HEADER + line(GRACE_ID, GRACE) + line(ADA_ID, ADA)
    assert parse(fresh).identities == {ADA_ID: ADA, GRACE_ID: GRACE}


def test_authorsmap_line_cannot_break_the_format() -> None:
    """A name with a line break or angle brackets still makes one readable line."""
    odd = line(ADA_ID, Author("Ada\n<Lovelace>", "a<b>@x"))
    assert odd == f"{ADA_ID} = Ada Lovelace <ab@x>\n"
    assert parse(odd).identities[ADA_ID] == Author("Ada Lovelace", "ab@x")


def _workspace() -> tuple[Workspace, TestClock, dict[str, str], dict[str, str]]:
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    names = ("Ada Lovelace", "Grace Hopper", "Alan Turing")
    users = {name: ws.add_user(name, f"{name.split()[0].lower()}@example.com") for name in names}
    pages = {name: ws.add_page(None, f"Page of {name}", [rt.paragraph("v1")]) for name in names}
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    return ws, clock, users, pages


def _edit(ws: Workspace, clock: TestClock, user: str, page: str, text: str) -> None:
    clock.advance(minutes=1)
    ws.editor = user
    ws.append_blocks(page, [rt.paragraph(text)])
    ws.editor = None


def test_authorsmap_sync_learns_users_and_commits_the_map(tmp_path: Path) -> None:
    """Editors are learned once: the map is committed, sorted; the next sync asks no one."""
    ws, clock, users, pages = _workspace()
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        _edit(ws, clock, users["Ada Lovelace"], pages["Ada Lovelace"], "ada")
        _edit(ws, clock, users["Grace Hopper"], pages["Grace Hopper"], "grace")
        clock.advance(minutes=10)
        run_sync(settings, now=clock)
        asked = server.request_log.count("users.retrieve")
        repo = settings.export.repo
        committed = git(repo, "show", f"HEAD:{AUTHORS_FILE}")
        _edit(ws, clock, users["Grace Hopper"], pages["Ada Lovelace"], "grace again")
        clock.advance(minutes=10)
        run_sync(settings, now=clock)
        assert server.request_log.count("users.retrieve") == asked, "known users not asked"
    entries = parse(committed).identities
    assert set(entries) == {ws.bot_id, users["Ada Lovelace"], users["Grace Hopper"]}
    ids = [text.split(" = ")[0] for text in committed.splitlines() if not text.startswith("#")]
    assert ids[0] == ws.bot_id, "the first sync learned the integration (the pages' editor)"
    assert ids[1:] == sorted(ids[1:]), "the second sync's users appended sorted by id"
    grace = users["Grace Hopper"]
    assert entries[grace] == Author("Grace Hopper", f"{grace}@users.noreply.notion.invalid")
    assert git(repo, "log", "-1", "--format=%an", "HEAD").strip() == "Grace Hopper"


def test_authorsmap_hand_edit_is_used_kept_and_never_overwritten(tmp_path: Path) -> None:
    """An uncommitted hand edit names the commits, rides with the sync, and stays as written."""
    ws, clock, users, pages = _workspace()
    grace, turing = users["Grace Hopper"], users["Alan Turing"]
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        _edit(ws, clock, grace, pages["Grace Hopper"], "grace")
        clock.advance(minutes=10)
        run_sync(settings, now=clock)
        repo = settings.export.repo
        mapped = repo / AUTHORS_FILE
        edited = mapped.read_text().replace(
            f"{grace} = Grace Hopper <{grace}@users.noreply.notion.invalid>",
            f"{grace} = Rear Admiral Hopper <grace@navy.example>",
        )
        edited = "# corrected by hand\n" + edited
        mapped.write_text(edited)
        _edit(ws, clock, grace, pages["Grace Hopper"], "grace two")
        _edit(ws, clock, turing, pages["Alan Turing"], "turing")
        clock.advance(minutes=10)
        run_sync(settings, now=clock)
        shown = git(repo, "log", "-3", "--format=%an <%ae>", "HEAD").splitlines()
        assert "Rear Admiral Hopper <grace@navy.example>" in shown
        after = git(repo, "show", f"HEAD:{AUTHORS_FILE}")
        assert after.startswith(edited), "the hand edit is kept byte for byte"
        assert after[len(edited) :] == line(
            turing, Author("Alan Turing", f"{turing}@users.noreply.notion.invalid")
        )
        assert git(repo, "for-each-ref", "refs/notion-syncd/local/") == "", "no side ref"
        assert git(repo, "status", "--porcelain", "--", AUTHORS_FILE) == ""


def test_authorsmap_real_emails_only_when_opted_in(tmp_path: Path) -> None:
    """git.author_emails = true writes the addresses Notion gives into the map."""
    ws, clock, users, pages = _workspace()
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror", git={"author_emails": True})
        run_sync(settings, now=clock)
        _edit(ws, clock, users["Ada Lovelace"], pages["Ada Lovelace"], "ada")
        clock.advance(minutes=10)
        run_sync(settings, now=clock)
    entries = parse((settings.export.repo / AUTHORS_FILE).read_text()).identities
    assert entries[users["Ada Lovelace"]] == Author("Ada Lovelace", "ada@example.com")


def test_authorsmap_fallbacks_are_not_written_and_names_come_later(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the capability no map is written; once granted, the users are learned."""
    ws, clock, users, pages = _workspace()
    ws.users_readable = False
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        _edit(ws, clock, users["Ada Lovelace"], pages["Ada Lovelace"], "ada")
        clock.advance(minutes=10)
        run_sync(settings, now=clock)
        assert not (settings.export.repo / AUTHORS_FILE).exists()
        ws.users_readable = True
        _edit(ws, clock, users["Ada Lovelace"], pages["Ada Lovelace"], "ada again")
        clock.advance(minutes=10)
        run_sync(settings, now=clock)
    entries = parse((settings.export.repo / AUTHORS_FILE).read_text()).identities
    assert entries[users["Ada Lovelace"]].name == "Ada Lovelace"
    assert "authors.names_unavailable" in capsys.readouterr().out


def test_authorsmap_unreadable_lines_are_skipped_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken line does not fail the sync: it is named in the log and left in the file."""
    ws, clock, users, pages = _workspace()
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        mapped = settings.export.repo / AUTHORS_FILE
        mapped.write_text("Grace is the admiral\n")
        _edit(ws, clock, users["Grace Hopper"], pages["Grace Hopper"], "grace")
        clock.advance(minutes=10)
        report = run_sync(settings, now=clock)
    assert report.commit is not None
    assert mapped.read_text().startswith("Grace is the admiral\n")
    assert "authors.map_lines_skipped" in capsys.readouterr().out

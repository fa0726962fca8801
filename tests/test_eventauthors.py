"""Webhook events' `authors` become co-authors of the pages the next sync writes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from synchelpers import TestClock, git, make_settings, serve

from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.sync.authors import Edit, with_event_authors
from notion_syncd.sync.eventauthors import event_authors
from notion_syncd.sync.runner import run_sync
from notion_syncd.webhooks.store import Journal
from notion_syncd.webhooks.verify import Event


def test_eventauthors_merge_adds_co_editors_but_not_the_editor() -> None:
    """Event authors join the block editors, sorted; the last editor is left out."""
    edits = {"p": Edit("ada", "t", ("alan",)), "q": Edit("grace", "t")}
    merged = with_event_authors(edits, {"p": ["grace", "ada"], "other": ["linus"]})
    assert merged == {"p": Edit("ada", "t", ("alan", "grace")), "q": Edit("grace", "t")}


def _event(number: int, entity: str, *authors: str) -> Event:
    return Event(f"evt-{number}", "page.content_updated", entity, "page", "2026-03-02", authors)


def test_eventauthors_journal_read_by_entity(tmp_path: Path) -> None:
    """The journal's events grouped by entity (ids dashed); no journal: nothing."""
    assert event_authors(tmp_path) == {}
    journal = Journal(tmp_path)
    page = "0badc0de00004000800000000000000a"
    journal.append(_event(1, page, "u1"))
    journal.append(_event(2, "0badc0de-0000-4000-8000-00000000000a", "u2", "u1"))
    journal.append(_event(3, "0badc0de-0000-4000-8000-00000000000b"))
    with journal.path.open("a") as lines:  # Notion's form of authors, and a torn line
        lines.write('{"entity": {"id": "' + page + '"}, "authors": [{"id": "u3"}]}\n{"ent')
    assert event_authors(tmp_path) == {"0badc0de-0000-4000-8000-00000000000a": {"u1", "u2", "u3"}}


def _sync_with_events(tmp_path: Path, *, journaled: bool) -> tuple[Path, dict[str, str]]:
    """Ada edits a page; a webhook event says Grace and Ada made the change."""
    clock = TestClock()
    ws = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    users = {name: ws.add_user(name) for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing")}
    page = ws.add_page(None, "Shared", [rt.paragraph("v1")])
    other = ws.add_page(None, "Other", [rt.paragraph("v1")])
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    with serve(ws) as server:
        settings = make_settings(server, tmp_path / "mirror")
        run_sync(settings, now=clock)
        clock.advance(minutes=1)
        ws.editor = users["Ada Lovelace"]
        ws.append_blocks(page, [rt.paragraph("together")])
        ws.editor = None
        if journaled:
            journal = Journal(settings.export.repo / ".git")
            journal.append(_event(1, page, users["Grace Hopper"], users["Ada Lovelace"]))
            journal.append(_event(2, other, users["Alan Turing"]))  # not written this sync
        clock.advance(minutes=10)
        run_sync(settings, now=clock)
    return settings.export.repo, users


def test_eventauthors_sync_credits_event_authors_as_co_authors(tmp_path: Path) -> None:
    """Ada authors the commit; Grace, named only by the event, is a Co-authored-by."""
    repo, users = _sync_with_events(tmp_path, journaled=True)
    assert git(repo, "log", "-1", "--format=%an", "HEAD").strip() == "Ada Lovelace"
    trailers = git(repo, "log", "-1", "--format=%(trailers:key=Co-authored-by,valueonly)")
    grace = users["Grace Hopper"]
    assert [t for t in trailers.splitlines() if t] == [
        f"Grace Hopper <{grace}@users.noreply.notion.invalid>"
    ]


def test_eventauthors_without_events_no_co_author(tmp_path: Path) -> None:
    """The same edit with no journaled event: no trailer (Grace edited no block)."""
    repo, _ = _sync_with_events(tmp_path, journaled=False)
    assert git(repo, "log", "-1", "--format=%(trailers:key=Co-authored-by,valueonly)").strip() == ""

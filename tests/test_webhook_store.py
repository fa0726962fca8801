"""The receiver's private state: the token file and the durable journal."""

from __future__ import annotations

import stat
from pathlib import Path

import pygit2
import pytest

from notion_syncd.cli import main
from notion_syncd.webhooks.store import (
    Journal,
    read_stored_token,
    record_last_event,
    store_token,
    token_path,
)
from notion_syncd.webhooks.verify import Event


def _event(n: int) -> Event:
    return Event(f"e{n}", "page.content_updated", f"p{n}", "page", "2026-11-30T06:00:00Z")


def test_store_token_is_private(tmp_path: Path) -> None:
    """The handshake token is kept with mode 0600 and read back."""
    assert read_stored_token(tmp_path) is None
    store_token(tmp_path, "tok-1")
    assert read_stored_token(tmp_path) == "tok-1"
    assert stat.S_IMODE(token_path(tmp_path).stat().st_mode) == 0o600


def test_journal_clear_through_keeps_later_events(tmp_path: Path) -> None:
    """Clearing through a mark drops only the events written before it."""
    journal = Journal(tmp_path)
    journal.append(_event(1))
    mark = journal.mark()
    journal.append(_event(2))
    journal.clear_through(mark)
    assert [event.id for event in Journal(tmp_path).events()] == ["e2"]


def test_journal_keeps_event_authors(tmp_path: Path) -> None:
    """An event's authors survive the journal (a replay after a crash still credits them)."""
    journal = Journal(tmp_path)
    event = Event("e1", "page.content_updated", "p1", "page", "2026-11-30T06:00:00Z", ("u1", "u2"))
    journal.append(event)
    assert [e.authors for e in Journal(tmp_path).events()] == [("u1", "u2")]


def test_journal_skips_torn_last_line(tmp_path: Path) -> None:
    """A line cut by a crash mid-append is ignored; the others are read."""
    journal = Journal(tmp_path)
    journal.append(_event(1))
    with journal.path.open("ab") as handle:
        handle.write(b'{"id":"e2","ty')
    assert [event.id for event in journal.events()] == ["e1"]


def test_cli_webhooks_token_prints_stored_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`notion-syncd webhooks token` prints the handshake token, or exits 1 before one."""
    repo = tmp_path / "mirror"
    pygit2.init_repository(str(repo))
    config = tmp_path / "config.toml"
    config.write_text(f'[export]\nrepo = "{repo}"\n')
    monkeypatch.delenv("NOTION_SYNCD_CONFIG", raising=False)
    assert main(["--config", str(config), "webhooks", "token"]) == 1
    assert "no verification token" in capsys.readouterr().err
    store_token(repo / ".git", "tok-from-notion")
    assert main(["--config", str(config), "webhooks", "token"]) == 0
    assert capsys.readouterr().out == "tok-from-notion\n"


def test_status_shows_webhook_health(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`status` says whether a token was received and how many events wait; never the token."""
    repo = tmp_path / "mirror"
    pygit2.init_repository(str(repo))
    config = tmp_path / "config.toml"
    config.write_text(f'[export]\nrepo = "{repo}"\n[webhooks]\nenabled = true\n')
    monkeypatch.delenv("NOTION_SYNCD_CONFIG", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    main(["--config", str(config), "status"])
    out = capsys.readouterr().out
    assert "webhooks: no verification token yet, not verified (no signed event yet)" in out
    store_token(repo / ".git", "tok-secret-value")
    Journal(repo / ".git").append(_event(1))
    main(["--config", str(config), "status"])
    out = capsys.readouterr().out
    assert "webhooks: token received, not verified (no signed event yet), no event yet, " in out
    assert "1 event(s) awaiting a sync" in out
    record_last_event(repo / ".git", 1_800_000_000.0)
    main(["--config", str(config), "status"])
    out = capsys.readouterr().out
    assert "webhooks: token received, verified, last event 2027-01-15T08:00:00Z, 1 event(s)" in out
    assert "tok-secret-value" not in out

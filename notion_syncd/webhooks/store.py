"""The receiver's private state under ``<git dir>/notion-syncd/`` (never in the tree).

- ``webhook-token``: the verification token Notion sent at the handshake, mode 0600;
  ``notion-syncd webhooks token`` prints it for the operator to paste into Notion.
- ``webhook-journal.jsonl``: one line per accepted event, appended and fsynced before
  the 2xx, so an event answered is never lost by a crash. Lines up to a byte offset
  are dropped once a sync that started after they were written has succeeded.
- ``webhook-last-event``: the Unix time of the last verified event (best effort, not
  fsynced): how ``status`` and the daemon after a restart know the subscription works.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from notion_syncd.gitdurable import fsync_folder
from notion_syncd.webhooks.verify import Event, parse_event

STATE_DIR = "notion-syncd"
TOKEN_FILE = "webhook-token"
JOURNAL_FILE = "webhook-journal.jsonl"
LAST_EVENT_FILE = "webhook-last-event"


def token_path(git_dir: Path) -> Path:
    return git_dir / STATE_DIR / TOKEN_FILE


def read_stored_token(git_dir: Path) -> str | None:
    """The token kept from the handshake, or None."""
    try:
        text = token_path(git_dir).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return text or None


def store_token(git_dir: Path, token: str) -> None:
    """Keep ``token`` (mode 0600, written atomically and durably)."""
    path = token_path(git_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{TOKEN_FILE}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, token.encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    fsync_folder(path.parent)


def record_last_event(git_dir: Path, when: float) -> None:
    """Keep the time of the last verified event (atomically replaced; no fsync)."""
    path = git_dir / STATE_DIR / LAST_EVENT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{LAST_EVENT_FILE}.{threading.get_ident()}.tmp")
    temporary.write_text(f"{when:.3f}\n", encoding="utf-8")
    os.replace(temporary, path)


def read_last_event(git_dir: Path) -> float | None:
    """The time kept by :func:`record_last_event`, or None."""
    try:
        return float((git_dir / STATE_DIR / LAST_EVENT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class Journal:
    """Accepted events, durable before they are acknowledged."""

    def __init__(self, git_dir: Path) -> None:
        self.path = git_dir / STATE_DIR / JOURNAL_FILE
        self._lock = threading.Lock()

    def append(self, event: Event) -> None:
        """Append one line and fsync it (and the folder when the file is new)."""
        line = json.dumps(event.to_json(), sort_keys=True, separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            new = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line.encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            if new:
                fsync_folder(self.path.parent)

    def mark(self) -> int:
        """The journal's current length: events before it are covered by a sync starting now."""
        with self._lock:
            try:
                return self.path.stat().st_size
            except FileNotFoundError:
                return 0

    def events(self) -> list[Event]:
        """Every journaled event in order; a torn last line (a crash mid-append) is skipped."""
        with self._lock:
            try:
                lines = self.path.read_bytes().splitlines()
            except FileNotFoundError:
                return []
        found = []
        for raw in lines:
            try:
                event = parse_event(json.loads(raw))
            except ValueError:
                continue
            if event is not None:
                found.append(event)
        return found

    def clear_through(self, mark: int) -> None:
        """Drop the first ``mark`` bytes (events a finished sync covered), atomically."""
        if mark <= 0:
            return
        with self._lock:
            try:
                rest = self.path.read_bytes()[mark:]
            except FileNotFoundError:
                return
            temporary = self.path.with_name(f".{JOURNAL_FILE}.tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, rest)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, self.path)
            fsync_folder(self.path.parent)

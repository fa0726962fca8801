"""The record of sync attempts on this host, and the health verdict drawn from it.

A failed sync may not commit, and a sync that changed nothing commits nothing, so the
history of attempts cannot live in the mirror's commits or its committed
``.notion-syncd/`` files (they would also break "a fresh clone equals a fresh export").
It lives beside the push state, in ``<git dir>/notion-syncd/last-run.json``: local to
this host, never committed, replaced atomically, and only a record (losing it loses
nothing but what ``status`` can tell)::

    {"version": 1, "consecutive_failures": 0,
     "last_attempt": {"outcome": "success", "finished": "2026-…Z", ...},
     "last_success": {...}}

Every ``run_sync`` (``notion-syncd sync`` and the daemon's syncs) records its outcome;
a dry run records nothing. ``next_record`` and ``verdict`` are pure.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pygit2

from notion_syncd.errors import NotionSyncdError, SyncInterrupted
from notion_syncd.logs import scrub
from notion_syncd.sync.report import SyncReport

RECORD_NAME = "last-run.json"
RECORD_VERSION = 1
STALE_INTERVALS = 3
"""Like ``/readyz``: the mirror is stale when the last success is older than 3 intervals."""

Outcome = Literal["success", "failure", "interrupted"]
Level = Literal["ok", "warning", "failing", "unknown"]


@dataclass(frozen=True)
class Attempt:
    """How one sync ended (times are ISO 8601 UTC strings)."""

    outcome: Outcome
    started: str
    finished: str
    duration_seconds: float = 0.0
    error: str | None = None
    """One line for a person (secrets scrubbed), for failures."""
    error_kind: str | None = None
    """The error class, e.g. ``NotionUnauthorized``."""
    failed_objects: int = 0
    changed: int = 0
    commit: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Attempt | None:
        if not isinstance(data, dict) or data.get("outcome") not in (
            "success",
            "failure",
            "interrupted",
        ):
            return None
        try:
            return cls(
                outcome=data["outcome"],
                started=str(data.get("started") or ""),
                finished=str(data.get("finished") or ""),
                duration_seconds=float(data.get("duration_seconds") or 0.0),
                error=data.get("error") if isinstance(data.get("error"), str) else None,
                error_kind=data.get("error_kind")
                if isinstance(data.get("error_kind"), str)
                else None,
                failed_objects=int(data.get("failed_objects") or 0),
                changed=int(data.get("changed") or 0),
                commit=data.get("commit") if isinstance(data.get("commit"), str) else None,
            )
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class RunRecord:
    last_attempt: Attempt | None = None
    last_success: Attempt | None = None
    consecutive_failures: int = 0

    def to_json(self) -> str:
        document = {
            "version": RECORD_VERSION,
            "consecutive_failures": self.consecutive_failures,
            "last_attempt": asdict(self.last_attempt) if self.last_attempt else None,
            "last_success": asdict(self.last_success) if self.last_success else None,
        }
        return json.dumps(document, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> RunRecord:
        try:
            data = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        failures = data.get("consecutive_failures")
        return cls(
            last_attempt=Attempt.from_json(data.get("last_attempt")),
            last_success=Attempt.from_json(data.get("last_success")),
            consecutive_failures=failures if isinstance(failures, int) and failures > 0 else 0,
        )


def next_record(previous: RunRecord, attempt: Attempt) -> RunRecord:
    """The record after ``attempt``: an interruption (a stop) counts neither way."""
    if attempt.outcome == "success":
        return RunRecord(attempt, attempt, 0)
    if attempt.outcome == "failure":
        return replace(
            previous, last_attempt=attempt, consecutive_failures=previous.consecutive_failures + 1
        )
    return replace(previous, last_attempt=attempt)


@dataclass(frozen=True)
class Verdict:
    level: Level
    reasons: tuple[str, ...]


def verdict(record: RunRecord, *, now: datetime, interval: float, failed_objects: int) -> Verdict:
    """How the mirror is doing, for ``status``.

    - ``unknown``: no sync recorded on this host;
    - ``failing``: the last sync failed and no sync succeeded within
      ``STALE_INTERVALS`` × ``schedule.interval`` (or ever);
    - ``warning``: the last sync failed after a recent success, the last success is
      older than that (nothing is syncing), or objects failed in the last sync;
    - ``ok``: otherwise.
    """
    last, success = record.last_attempt, record.last_success
    if last is None:
        return Verdict("unknown", ("no sync recorded on this host",))
    stale_after = timedelta(seconds=STALE_INTERVALS * interval)
    success_age = now - parse_iso(success.finished) if success and success.finished else None
    stale = success_age is None or success_age > stale_after
    reasons: list[str] = []
    if last.outcome == "failure":
        count = record.consecutive_failures
        plural = "s" if count != 1 else ""
        reasons.append(f"the last {count} sync{plural} failed: {last.error or last.error_kind}")
    if success is None:
        reasons.append("no sync has succeeded yet")
    elif stale:
        reasons.append(
            f"the last successful sync is older than {STALE_INTERVALS} × schedule.interval"
        )
    if failed_objects:
        reasons.append(f"{failed_objects} object(s) failed in the last sync (retried next sync)")
    if last.outcome == "failure" and stale:
        return Verdict("failing", tuple(reasons))
    return Verdict("warning" if reasons else "ok", tuple(reasons))


def attempt_of(
    report: SyncReport, started: datetime, finished: datetime, error: BaseException | None
) -> Attempt:
    """The record of one sync: its outcome, and for a failure one scrubbed line."""
    outcome: Outcome = "success"
    message = None
    if isinstance(error, SyncInterrupted | KeyboardInterrupt):
        outcome = "interrupted"
    elif error is not None:
        outcome = "failure"
        text = error.message if isinstance(error, NotionSyncdError) else str(error)
        message = scrub(text or type(error).__name__)
    return Attempt(
        outcome=outcome,
        started=iso(started),
        finished=iso(finished),
        duration_seconds=round(report.duration, 3),
        error=message,
        error_kind=type(error).__name__ if outcome == "failure" else None,
        failed_objects=report.failed,
        changed=report.changed,
        commit=report.commit,
    )


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def record_path(repo_path: Path) -> Path | None:
    """``<git dir>/notion-syncd/last-run.json``, or None when there is no repository."""
    try:
        no_search = pygit2.enums.RepositoryOpenFlag.NO_SEARCH  # never a parent's repository
        git_dir = Path(pygit2.Repository(str(repo_path), no_search).path)
    except pygit2.GitError:
        return None
    return git_dir / "notion-syncd" / RECORD_NAME


def read_record(repo_path: Path) -> RunRecord:
    """The recorded attempts; empty when none (or the file is unreadable)."""
    path = record_path(repo_path)
    if path is None:
        return RunRecord()
    try:
        return RunRecord.from_json(path.read_text(encoding="utf-8"))
    except OSError:
        return RunRecord()


def record_attempt(repo_path: Path, attempt: Attempt) -> None:
    """Add ``attempt`` to the record (temporary file + rename). Raises OSError."""
    path = record_path(repo_path)
    if path is None:
        return
    record = next_record(read_record(repo_path), attempt)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(record.to_json(), encoding="utf-8")
    os.replace(temporary, path)

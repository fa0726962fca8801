"""The host's record of sync attempts and the health verdict ``status`` draws from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pygit2

from notion_syncd.errors import NotionUnauthorized, SyncInterrupted
from notion_syncd.logs import register_secret, reset_logging
from notion_syncd.sync import runlog
from notion_syncd.sync.report import SyncReport
from notion_syncd.sync.runlog import Attempt, RunRecord, next_record, verdict

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _attempt(outcome: runlog.Outcome, minutes_ago: float, **fields: object) -> Attempt:
    finished = runlog.iso(NOW - timedelta(minutes=minutes_ago))
    return Attempt(outcome, started=finished, finished=finished, **fields)  # type: ignore[arg-type]


def test_next_record_counts_failures_in_a_row_and_a_success_resets() -> None:
    """Failures add up, an interruption counts neither way, a success resets the count."""
    success = _attempt("success", 30)
    record = next_record(RunRecord(), success)
    record = next_record(record, _attempt("failure", 20, error="boom"))
    record = next_record(record, _attempt("interrupted", 15))
    record = next_record(record, _attempt("failure", 10, error="boom"))
    assert record.consecutive_failures == 2
    assert record.last_success == success
    assert record.last_attempt == _attempt("failure", 10, error="boom")
    assert next_record(record, _attempt("success", 0)).consecutive_failures == 0


def test_verdict_levels() -> None:
    """unknown without a record; ok; warning for a blip or failed objects; failing when stale."""
    interval = 300.0
    assert verdict(RunRecord(), now=NOW, interval=interval, failed_objects=0).level == "unknown"
    ok = next_record(RunRecord(), _attempt("success", 5))
    assert verdict(ok, now=NOW, interval=interval, failed_objects=0) == runlog.Verdict("ok", ())
    objects = verdict(ok, now=NOW, interval=interval, failed_objects=2)
    assert objects.level == "warning" and "2 object(s) failed" in objects.reasons[0]
    blip = next_record(ok, _attempt("failure", 1, error="Notion is unavailable"))
    assert verdict(blip, now=NOW, interval=interval, failed_objects=0) == runlog.Verdict(
        "warning", ("the last 1 sync failed: Notion is unavailable",)
    )
    later = NOW + timedelta(seconds=3 * interval)
    failing = verdict(blip, now=later, interval=interval, failed_objects=0)
    assert failing.level == "failing"
    assert failing.reasons[1] == "the last successful sync is older than 3 × schedule.interval"
    never = next_record(RunRecord(), _attempt("failure", 1, error_kind="NotionUnauthorized"))
    assert verdict(never, now=NOW, interval=interval, failed_objects=0) == runlog.Verdict(
        "failing", ("the last 1 sync failed: NotionUnauthorized", "no sync has succeeded yet")
    )
    stale = verdict(ok, now=later, interval=interval, failed_objects=0)
    assert stale.level == "warning"


def test_attempt_of_words_failures_scrubbed_and_interruptions() -> None:
    """A failure keeps one scrubbed line and its class; a stop is an interruption."""
    register_secret("hunter2-is-a-long-secret")
    try:
        report = SyncReport(duration=1.23456)
        error = NotionUnauthorized("token hunter2-is-a-long-secret was refused", status=401)
        failed = runlog.attempt_of(report, NOW, NOW, error)
        assert (failed.outcome, failed.error, failed.error_kind) == (
            "failure",
            "token [REDACTED] was refused",
            "NotionUnauthorized",
        )
        assert failed.duration_seconds == 1.235 and failed.finished == "2026-03-02T12:00:00Z"
        stopped = runlog.attempt_of(report, NOW, NOW, SyncInterrupted("stop"))
        assert (stopped.outcome, stopped.error) == ("interrupted", None)
    finally:
        reset_logging()


def test_record_attempt_lives_in_the_git_dir_and_survives_damage(tmp_path: Path) -> None:
    """The record is <git dir>/notion-syncd/last-run.json; a damaged file reads as empty."""
    mirror = tmp_path / "mirror"
    pygit2.init_repository(str(mirror), initial_head="main")
    assert runlog.read_record(mirror) == RunRecord()
    runlog.record_attempt(mirror, _attempt("failure", 3, error="x"))
    runlog.record_attempt(mirror, _attempt("failure", 2, error="y"))
    path = mirror / ".git" / "notion-syncd" / "last-run.json"
    record = runlog.read_record(mirror)
    assert record.consecutive_failures == 2 and record.last_attempt is not None
    assert record.last_attempt.error == "y"
    assert RunRecord.from_json(record.to_json()) == record
    path.write_text("{not json", encoding="utf-8")
    assert runlog.read_record(mirror) == RunRecord()


def test_record_path_never_writes_into_an_enclosing_repository(tmp_path: Path) -> None:
    """A mirror folder without its own .git inside another repository has no record."""
    pygit2.init_repository(str(tmp_path), initial_head="main")
    (tmp_path / "mirror").mkdir()
    assert runlog.record_path(tmp_path / "mirror") is None
    runlog.record_attempt(tmp_path / "mirror", _attempt("success", 0))
    assert not (tmp_path / ".git" / "notion-syncd").exists()

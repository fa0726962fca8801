"""Tests for notion_syncd.logs: output format and secret redaction."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from notion_syncd.logs import (
    REDACTED,
    configure_logging,
    register_secret,
    reset_logging,
    scrub,
)

CANARY = "canary-8f3a1c2e9d7b4a6f"
PATTERN_TOKEN = "ntn_AbCdEf0123456789XyZ"


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    """Leave no handler or registered secret behind for other tests."""
    yield
    reset_logging()


def _log_everything(stream: io.StringIO, fmt: str) -> str:
    configure_logging("debug", fmt, stream, secrets=[CANARY])
    log = structlog.get_logger("test")
    log.info("page.fetched", title=f"Roadmap {CANARY}", nested={"deep": [CANARY]})
    log.info("client.created", authorization=f"Bearer {CANARY}", headers={"x": "y"})
    log.info("client.pattern", detail=f"sent {PATTERN_TOKEN} once")

    def fetch(token: str) -> None:
        secret_local = token  # a local holding the token must not be printed
        raise RuntimeError(f"request failed for {secret_local}")

    try:
        fetch(CANARY)
    except RuntimeError:
        log.exception("sync.failed")
    try:
        fetch(CANARY)
    except RuntimeError as exc:
        log.error("sync.failed", error=exc)
    logging.getLogger("httpx").warning("HTTP Request with %s", CANARY)
    try:
        fetch(CANARY)
    except RuntimeError:
        logging.getLogger("apscheduler").exception("job raised")
    return stream.getvalue()


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_configure_logging_canary_never_printed(fmt: str) -> None:
    """A registered secret never appears: not in values, exceptions, locals or stdlib lines."""
    output = _log_everything(io.StringIO(), fmt)
    assert CANARY not in output
    assert PATTERN_TOKEN not in output
    assert "page.fetched" in output
    assert "HTTP Request with" in output
    assert REDACTED in output


def test_configure_logging_json_lines_utc() -> None:
    """Without a terminal every line is one JSON object with an ISO UTC timestamp."""
    output = _log_everything(io.StringIO(), "auto")
    events = [json.loads(line) for line in output.splitlines()]
    assert events[0]["event"] == "page.fetched"
    assert events[0]["timestamp"].endswith("Z")
    assert events[1]["authorization"] == REDACTED
    assert events[1]["headers"] == REDACTED


def test_configure_logging_traceback_without_locals() -> None:
    """JSON tracebacks carry frames but no local variables."""
    output = _log_everything(io.StringIO(), "json")
    failed = next(json.loads(line) for line in output.splitlines() if "sync.failed" in line)
    frames = failed["exception"][0]["frames"]
    assert frames and all("locals" not in frame for frame in frames)
    assert "secret_local" not in output


def test_configure_logging_libraries_quiet_below_warning() -> None:
    """httpx, httpcore and apscheduler INFO lines are dropped even at debug level."""
    stream = io.StringIO()
    configure_logging("debug", "json", stream)
    logging.getLogger("httpx").info("HTTP Request: GET /v1/search")
    logging.getLogger("apscheduler.scheduler").info("Added job")
    logging.getLogger("httpcore").warning("connection reset")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["logger"] == "httpcore"


def test_configure_logging_level_filters() -> None:
    """At warning level info events are not written."""
    stream = io.StringIO()
    configure_logging("warning", "json", stream)
    structlog.get_logger().info("sync.started")
    structlog.get_logger().warning("sync.slow")
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == ["sync.slow"]


def test_configure_logging_reconfigure_replaces_handler() -> None:
    """Configuring twice writes each line once, to the new stream only."""
    first, second = io.StringIO(), io.StringIO()
    configure_logging("info", "json", first)
    configure_logging("info", "json", second)
    structlog.get_logger().info("config.reloaded")
    assert first.getvalue() == ""
    assert len(second.getvalue().splitlines()) == 1


def test_scrub_token_patterns_and_short_secrets() -> None:
    """Token patterns are scrubbed; too-short registered values are ignored."""
    register_secret("ab")
    assert scrub("token secret_Abc123 and ntn_x9") == f"token {REDACTED} and {REDACTED}"
    assert scrub("top_secret_plan stays") == "top_secret_plan stays"
    assert scrub("ab stays") == "ab stays"

"""The terminal progress line: counts, total, rate and ETA; logs printed above it."""

from __future__ import annotations

import io
import logging
from collections import deque
from pathlib import Path

import structlog
from synchelpers import TestClock, make_settings, serve

from notion_syncd.fake_notion import Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.logs import configure_logging, reset_logging
from notion_syncd.sync.progress import TerminalProgress, format_duration, rate_of, status_text
from notion_syncd.sync.report import Progress
from notion_syncd.sync.runner import run_sync


class _Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_status_text_shows_done_total_rate_and_eta() -> None:
    """Done/total, the rate and the time left at that rate; without a total, no ETA."""
    progress = Progress("exporting", 1234, 5000, "exported 1234 objects")
    assert status_text(progress, 4.2) == (
        "exporting: 1,234/5,000 objects, 4.2/s, ETA 14m57s · exported 1234 objects"
    )
    assert status_text(Progress("sweeping", 7, None, ""), 2.0) == "sweeping: 7 objects, 2.0/s"
    assert status_text(Progress("listing", 0, None, "listing"), None) == (
        "listing: 0 objects · listing"
    )
    assert len(status_text(Progress("x", 1, 2, "y" * 300), 1.0)) == 100


def test_format_duration_and_rate_of_samples() -> None:
    """Durations read as 42s / 3m05s / 2h07m; the rate is Δdone/Δt over the samples."""
    assert [format_duration(s) for s in (41.6, 185, 7620)] == ["42s", "3m05s", "2h07m"]
    assert rate_of(deque([(0.0, 0)])) is None
    assert rate_of(deque([(0.0, 10), (5.0, 30)])) == 4.0


def test_terminal_progress_redraws_one_line_with_rate_and_erases_it() -> None:
    """Each update overwrites the last (padded over longer text); leaving clears the line."""
    stream, clock = _Terminal(), _Clock()
    with TerminalProgress(stream, interval=0, clock=clock) as progress:
        progress(Progress("exporting", 0, 10, "a long first message"))
        clock.now += 2
        progress(Progress("exporting", 4, 10, "short"))
    first = "exporting: 0/10 objects · a long first message"
    second = "exporting: 4/10 objects, 2.0/s, ETA 3s · short"
    assert stream.getvalue() == (
        "\r" + first + "\r" + second.ljust(len(first)) + "\r" + " " * len(second) + "\r"
    )


def test_terminal_progress_is_throttled() -> None:
    """Updates within the interval are not drawn (they still count for the rate)."""
    stream, clock = _Terminal(), _Clock()
    progress = TerminalProgress(stream, interval=60, clock=clock)
    progress(Progress("render", 1, None, ""))
    clock.now += 1
    progress(Progress("render", 2, None, "dropped"))
    assert stream.getvalue() == "\rrender: 1 objects"


def test_terminal_progress_prints_log_lines_above_the_status_line() -> None:
    """A log line erases the status line, is printed whole, and the line is redrawn under it."""
    stream, clock = _Terminal(), _Clock()
    with TerminalProgress(stream, interval=0, clock=clock) as terminal:
        configure_logging("info", "console", stream=terminal)  # type: ignore[arg-type]
        try:
            terminal(Progress("exporting", 3, None, ""))
            structlog.get_logger("t").warning("sync.object_failed", id="abc")
            logging.getLogger("t").warning("plain stdlib line")
        finally:
            reset_logging()
    line = "exporting: 3 objects"
    erase = "\r" + " " * len(line) + "\r"
    output = stream.getvalue()
    chunks = output.split(erase)
    assert chunks[0] == "\r" + line
    assert "sync.object_failed" in chunks[1] and chunks[1].endswith("\n\r" + line)
    assert "plain stdlib line" in chunks[2] and chunks[2].endswith("\n\r" + line)
    assert chunks[3] == "" and len(chunks) == 4  # erased at the end, nothing after


def test_terminal_progress_is_silent_off_a_terminal() -> None:
    """Written to a file or pipe, progress prints nothing and log text passes through."""
    stream = io.StringIO()
    with TerminalProgress(stream, interval=0) as progress:
        progress(Progress("fetch", 1, 1, "one"))
        progress.write("a log line\n")
    assert stream.getvalue() == "a log line\n"
    assert not progress.isatty()


def test_run_sync_progress_knows_the_total_once_the_listing_is_read(tmp_path: Path) -> None:
    """A first export reports objects done out of a known total, ending at total/total."""
    clock = TestClock()
    workspace = Workspace(clock)
    for n in range(6):
        workspace.add_page(None, f"Page {n}", [rt.paragraph("text")])
    clock.advance(minutes=10)
    events: list[Progress] = []
    with serve(workspace) as server:
        run_sync(make_settings(server, tmp_path / "mirror"), now=clock, progress=events.append)
    exporting = [event for event in events if event.phase == "exporting"]
    assert exporting[-1].done == exporting[-1].total == 6
    assert all(e.total is None or e.done <= e.total for e in events)
    assert [e.done for e in exporting] == sorted(e.done for e in exporting)

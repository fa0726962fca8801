"""The terminal progress line: redrawn in place on a TTY, throttled, erased at the end."""

from __future__ import annotations

import io

from notion_syncd.sync.progress import TerminalProgress
from notion_syncd.sync.report import Progress


class _Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_terminal_progress_redraws_one_line_and_erases_it() -> None:
    """Each update overwrites the last (padded over longer text); leaving clears the line."""
    stream = _Terminal()
    with TerminalProgress(stream, interval=0) as progress:
        progress(Progress("fetch", 1, 10, "a long first message"))
        progress(Progress("fetch", 2, 10, "short"))
    first, second = "fetch: a long first message", "fetch: short"
    assert stream.getvalue() == (
        "\r" + first + "\r" + second.ljust(len(first)) + "\r" + " " * len(second) + "\r"
    )


def test_terminal_progress_is_throttled_and_cut_to_100_characters() -> None:
    """Updates within the interval are dropped; a line never exceeds 100 characters."""
    stream = _Terminal()
    progress = TerminalProgress(stream, interval=60)
    progress(Progress("render", 1, None, "x" * 300))
    progress(Progress("render", 2, None, "dropped"))
    assert stream.getvalue() == "\r" + ("render: " + "x" * 300)[:100]


def test_terminal_progress_is_silent_off_a_terminal() -> None:
    """Written to a file or pipe, progress prints nothing at all."""
    stream = io.StringIO()
    with TerminalProgress(stream, interval=0) as progress:
        progress(Progress("fetch", 1, 1, "one"))
    assert stream.getvalue() == ""

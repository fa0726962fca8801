"""Pages whose views wait for the final flush of a sync, kept where a crash finds them.

A page written before the objects it links to is not rendered at the checkpoint: its
links and titles would change as soon as they arrive, and a first export rendered every
page about one and a half times (issue 10). It waits instead, and the final flush
renders it once, with every target in place (when more than ``sync.checkpoint_pages``
wait, in batches of that size, each committed by a checkpoint, so the final phase
holds no more in memory than a checkpoint does). The checkpoint commits hold its JSON, not
its views, so the ids that wait are kept outside the commit, in the git dir
(``.git/notion-syncd/views-waiting``, one id per line): a sync after a crash renders
them at its own end. Lines are appended before the checkpoint that needs them and
fsynced before that commit (a power cut cannot keep the commit and lose its lines);
the file goes after the final commit.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

WAITING_FILE = "notion-syncd/views-waiting"
"""Under the git dir."""
ID_LENGTH = 36
"""A dashed Notion id."""


class WaitingViews:
    """The ids of pages waiting for the final flush, appended to a host-local file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> set[str]:
        """The ids an earlier sync left waiting (it ended before its final commit)."""
        try:
            raw = self.path.read_bytes()
        except OSError:
            return set()
        lines = raw.decode("utf-8", "replace").split("\n")
        return {line for line in lines if len(line) == ID_LENGTH}  # not a torn last line

    def add(self, ids: Iterable[str]) -> None:
        """Append ``ids`` and make them durable (before the commit that needs them).

        Once per checkpoint: the file is opened for it and closed again, so a sync that
        stops on an error holds no descriptor. Raises OSError.
        """
        data = "".join(f"{object_id}\n" for object_id in ids).encode()
        if not data:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def clear(self) -> None:
        """Forget every id: the final commit holds their views."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

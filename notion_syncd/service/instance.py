"""One daemon per mirror: ``run`` holds an exclusive lock on the mirror for its lifetime.

The sync itself locks the mirror only while it writes (``gitstore``), so two daemons on
one mirror would take turns and fight at every sync. The daemon lock is a second file in
the mirror's git directory, ``notion-syncd-daemon.lock``, held with ``flock`` from start
to exit (the kernel releases it when the process dies, even on SIGKILL). It records who
holds it, so a second ``run`` can name the first.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from notion_syncd.errors import RepositoryLocked

DAEMON_LOCK_NAME = "notion-syncd-daemon.lock"


class DaemonLock:
    """The held lock; :meth:`release` (or process exit) frees it."""

    def __init__(self, handle: IO[str], path: Path) -> None:
        self._handle = handle
        self.path = path

    def release(self) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()


def acquire_daemon_lock(git_dir: Path, mirror: Path, *, now: datetime | None = None) -> DaemonLock:
    """Take the daemon lock of the mirror whose git directory is ``git_dir``.

    Raises :class:`RepositoryLocked` naming the holder when another daemon has it.
    """
    path = git_dir / DAEMON_LOCK_NAME
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "a process that has not said who it is"
        handle.close()
        raise RepositoryLocked(
            f"another notion-syncd daemon is already running on the mirror at {mirror}: {holder}",
            hint="run one daemon per mirror; stop the other one or point export.repo elsewhere",
        ) from None
    started = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, started {started}\n")
    handle.flush()
    return DaemonLock(handle, path)

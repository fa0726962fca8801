"""Is the mirror the daemon opened at start still there? :class:`MirrorWatch`.

A mirror removed (or replaced) under a running daemon must not be silently re-created:
the next sync would export everything again into an empty folder, beside a daemon lock
held on the removed one. The daemon records the identity (device and inode) of the
mirror's git directory when it opens it, and checks it before every sync; a missing or
different one is :class:`~notion_syncd.errors.MirrorMissing`, a permanent failure
(see :mod:`.failures`).
"""

from __future__ import annotations

from pathlib import Path

from notion_syncd.errors import MirrorMissing


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


class MirrorWatch:
    """Remembers a mirror's git directory; :meth:`check` raises when it changed."""

    def __init__(self) -> None:
        self._git_dir: Path | None = None
        self._identity: tuple[int, int] | None = None

    def opened(self, git_dir: Path) -> None:
        """The daemon opened the mirror whose git directory is ``git_dir``."""
        self._git_dir, self._identity = git_dir, _identity(git_dir)

    def check(self) -> None:
        """Raise :class:`MirrorMissing` unless the mirror opened is still in place."""
        if self._git_dir is None or self._identity is None:
            return
        if _identity(self._git_dir) != self._identity:
            raise MirrorMissing(
                f"the mirror at {self._git_dir.parent} was removed or replaced while the "
                "daemon ran",
                hint="restore it, or restart the daemon to create it afresh",
            )

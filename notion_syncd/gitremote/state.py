"""Per-remote push state in ``<git dir>/notion-syncd/push-state.json``.

The file is local to this host (inside the git directory, never committed) and only
a cache: losing it costs at most one redundant push. It is replaced atomically.

    {"version": 1, "remotes": {"<name>": {"last_pushed_commit": "...", ...}}}
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pygit2
import structlog

from notion_syncd.errors import GitStoreError
from notion_syncd.gitremote.hostkeys import write_text_atomically

STATE_VERSION = 1
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_MAX_SECONDS = 3600.0


def _log() -> Any:
    """The module's logger, looked up per use so a later structlog configuration applies."""
    return structlog.get_logger("notion_syncd.gitremote")


@dataclass(frozen=True)
class RemoteState:
    """What this host knows about pushing to one remote (times are unix seconds)."""

    last_pushed_commit: str | None = None
    #: URL (without password) and branch that ``last_pushed_commit`` went to; a changed
    #: remote URL or branch makes the next round push again.
    last_target: str | None = None
    last_attempt: float | None = None
    last_success: float | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    next_attempt_after: float | None = None

    @classmethod
    def from_json(cls, data: Any) -> RemoteState:
        """Read one remote's entry, ignoring unknown keys and wrong types."""
        if not isinstance(data, dict):
            return cls()
        known: dict[str, Any] = {}
        for field in fields(cls):
            value = data.get(field.name)
            if field.name == "consecutive_failures":
                known[field.name] = value if isinstance(value, int) and value >= 0 else 0
            elif field.name in {"last_attempt", "last_success", "next_attempt_after"}:
                number = isinstance(value, int | float) and not isinstance(value, bool)
                known[field.name] = float(value) if number and value is not None else None
            else:
                known[field.name] = value if isinstance(value, str) else None
        return cls(**known)


def backoff_delay(consecutive_failures: int) -> float:
    """Seconds to wait after that many failures in a row: 30 s, 1 m, 2 m … at most 1 h."""
    if consecutive_failures <= 0:
        return 0.0
    exponent = min(consecutive_failures - 1, 32)
    return float(min(BACKOFF_BASE_SECONDS * 2**exponent, BACKOFF_MAX_SECONDS))


def default_homedir(repo_path: Path) -> Path:
    """A home directory of notion-syncd's own for libgit2: ``<git dir>/notion-syncd/home``.

    Pass it as ``homedir`` to :func:`~notion_syncd.gitremote.push_all`; libgit2 then reads
    ``known_hosts`` (written by notion-syncd) and no ``.gitconfig`` from a real home.
    """
    return state_path(repo_path).parent / "home"


def format_remote_state(name: str, state: RemoteState) -> str:
    """One line for ``notion-syncd status`` about one remote."""
    if state.consecutive_failures:
        line = (
            f"remote {name}: failing ({state.consecutive_failures} attempt(s) in a row, "
            f"last {iso_time(state.last_attempt)}): {state.last_error}"
        )
        if state.next_attempt_after is not None:
            line += f"; next attempt after {iso_time(state.next_attempt_after)}"
        if state.last_pushed_commit:
            line += (
                f"; last pushed {state.last_pushed_commit[:12]} at {iso_time(state.last_success)}"
            )
        return line
    if state.last_pushed_commit:
        pushed_at = iso_time(state.last_success)
        return f"remote {name}: pushed {state.last_pushed_commit[:12]} at {pushed_at}"
    return f"remote {name}: never pushed"


def iso_time(timestamp: float | None) -> str:
    """A unix time as ``2026-01-02T03:04:05Z`` (``never`` for None)."""
    if timestamp is None:
        return "never"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def state_path(repo_path: Path) -> Path:
    """Where the push state of the repository at ``repo_path`` lives."""
    try:
        git_dir = Path(pygit2.Repository(str(repo_path)).path)
    except pygit2.GitError as error:
        raise GitStoreError(f"cannot open the mirror repository {repo_path}: {error}") from None
    return git_dir / "notion-syncd" / "push-state.json"


def read_push_state(repo_path: Path) -> dict[str, RemoteState]:
    """Every remote's recorded state; empty when nothing was pushed yet.

    An unreadable or corrupt file is logged and treated as empty (it is only a cache).
    """
    path = state_path(repo_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        _log().warning("push.state_unreadable", path=str(path), error=str(error))
        return {}
    remotes = data.get("remotes") if isinstance(data, dict) else None
    if not isinstance(remotes, dict):
        return {}
    return {str(name): RemoteState.from_json(entry) for name, entry in remotes.items()}


def write_push_state(repo_path: Path, states: dict[str, RemoteState]) -> None:
    """Replace the state file atomically (temporary file, fsync, rename)."""
    path = state_path(repo_path)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    document = {
        "version": STATE_VERSION,
        "remotes": {name: asdict(states[name]) for name in sorted(states)},
    }
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    write_text_atomically(path, text)

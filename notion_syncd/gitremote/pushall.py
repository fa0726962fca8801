"""Push the mirror to every configured remote: :func:`push_all`."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pygit2
import structlog

from notion_syncd.config import GitSettings, RemoteSettings
from notion_syncd.errors import GitStoreError, NotionSyncdError, PushError, PushRejected
from notion_syncd.gitremote.push import PushResult, push_remote, redact_url
from notion_syncd.gitremote.state import (
    RemoteState,
    backoff_delay,
    iso_time,
    read_push_state,
    write_push_state,
)
from notion_syncd.metrics import (
    GIT_PUSHES,
    LAST_PUSH_SUCCESS,
    PUSH_FAILURES_IN_A_ROW,
    PUSH_PENDING_COMMITS,
    record_push_error,
)


def _log() -> Any:
    """The module's logger, looked up per use so a later structlog configuration applies."""
    return structlog.get_logger("notion_syncd.gitremote")


#: One push round at a time in this process (the state file is read-modify-write).
_ROUND = threading.Lock()


def push_all(
    repo_path: Path,
    git: GitSettings,
    *,
    local_branch: str,
    homedir: Path,
    now: float | None = None,
    force_attempt: bool = False,
    environ: Mapping[str, str] | None = None,
) -> list[PushResult]:
    """Push ``refs/heads/<local_branch>`` to every remote in ``git.remotes``, in order.

    Never raises for one remote's failure: each remote gets a :class:`PushResult`.
    A remote whose recorded last pushed commit (to the same URL and branch) is the
    local head is skipped. A remote that failed is not tried again before its
    ``next_attempt_after`` (exponential backoff, see :func:`backoff_delay`) unless
    ``force_attempt`` (the ``notion-syncd push`` command). ``now`` (unix seconds)
    replaces the clock, for tests. Each push is bounded by ``git.push_timeout`` per
    connect and per read/write.
    """
    if not git.remotes:
        return []
    clock: Callable[[], float] = (lambda: now) if now is not None else time.time
    with _ROUND:
        head = _local_head(repo_path, local_branch)
        if head is None:
            message = f"the mirror has no branch {local_branch!r} yet: nothing to push"
            return [
                PushResult(remote=r.name, ok=False, commit=None, error=message, skipped=True)
                for r in git.remotes
            ]
        states = read_push_state(repo_path)
        results = []
        for remote in git.remotes:
            state = states.get(remote.name, RemoteState())
            result, new_state = _push_one(
                repo_path,
                remote,
                state,
                head=head,
                local_branch=local_branch,
                homedir=homedir,
                timeout=git.push_timeout,
                clock=clock,
                force_attempt=force_attempt,
                environ=environ,
            )
            results.append(result)
            _record_push_state(repo_path, remote.name, head, new_state)
            if new_state != state:
                states[remote.name] = new_state
                write_push_state(repo_path, states)
        return results


def _push_one(
    repo_path: Path,
    remote: RemoteSettings,
    state: RemoteState,
    *,
    head: str,
    local_branch: str,
    homedir: Path,
    timeout: float,
    clock: Callable[[], float],
    force_attempt: bool,
    environ: Mapping[str, str] | None,
) -> tuple[PushResult, RemoteState]:
    target = f"{redact_url(remote.url)}#{remote.branch}"
    if state.last_pushed_commit == head and state.last_target == target:
        return PushResult(remote=remote.name, ok=True, commit=head, skipped=True), state
    started = clock()
    if (
        not force_attempt
        and state.next_attempt_after is not None
        and started < state.next_attempt_after
    ):
        until = iso_time(state.next_attempt_after)
        error = (
            f"not retried before {until} after {state.consecutive_failures} failed "
            f"attempt(s); last error: {state.last_error}"
        )
        return PushResult(
            remote=remote.name, ok=False, commit=head, error=error, skipped=True
        ), state
    try:
        result = push_remote(
            repo_path,
            remote,
            local_branch=local_branch,
            homedir=homedir,
            timeout=timeout,
            environ=environ,
        )
    except Exception as error:  # one remote's failure never stops the others
        return _failed(remote, state, head=head, error=error, started=started, clock=clock)
    finished = clock()
    GIT_PUSHES.labels(remote=remote.name, result="ok").inc()
    LAST_PUSH_SUCCESS.labels(remote=remote.name).set(finished)
    _log().info(
        "push.finished",
        remote=remote.name,
        commit=result.commit,
        branch=remote.branch,
        forced=remote.force,
        duration=round(finished - started, 3),
    )
    new_state = RemoteState(
        last_pushed_commit=result.commit,
        last_target=target,
        last_attempt=started,
        last_success=finished,
    )
    return result, new_state


def _failed(
    remote: RemoteSettings,
    state: RemoteState,
    *,
    head: str,
    error: Exception,
    started: float,
    clock: Callable[[], float],
) -> tuple[PushResult, RemoteState]:
    if isinstance(error, PushError):
        message = f"{error.message} ({error.hint})" if error.hint else error.message
        outcome = "rejected" if isinstance(error, PushRejected) else "error"
    else:  # a bug or an unmapped library error: report its type, not its details
        message = f"pushing to remote {remote.name!r} failed unexpectedly: {type(error).__name__}"
        outcome = "error"
    failures = state.consecutive_failures + 1
    error_class = type(error).__name__ if isinstance(error, NotionSyncdError) else "InternalError"
    record_push_error(remote.name, error_class)
    retry_after = clock() + backoff_delay(failures)
    GIT_PUSHES.labels(remote=remote.name, result=outcome).inc()
    _log().warning(
        "push.failed",
        remote=remote.name,
        commit=head,
        result=outcome,
        error=message,
        error_type=type(error).__name__,
        consecutive_failures=failures,
        retry_in=round(retry_after - started),
    )
    new_state = dataclasses.replace(
        state,
        last_attempt=started,
        last_error=message,
        consecutive_failures=failures,
        next_attempt_after=retry_after,
    )
    result = PushResult(remote=remote.name, ok=False, commit=head, error=message)
    return result, new_state


def _pending_commits(repo_path: Path, head: str, pushed: str | None) -> int:
    """Commits reachable from ``head`` and not from ``pushed`` (all of them if unknown)."""
    try:
        repo = pygit2.Repository(str(repo_path))
        if pushed is not None and pushed in repo:
            ahead, _behind = repo.ahead_behind(head, pushed)
            return int(ahead)
        return sum(1 for _ in repo.walk(head))
    except (pygit2.GitError, KeyError, ValueError):
        return 0


def _record_push_state(repo_path: Path, remote: str, head: str, state: RemoteState) -> None:
    """The per-remote metrics: failures in a row, commits not pushed, last error class."""
    PUSH_FAILURES_IN_A_ROW.labels(remote=remote).set(state.consecutive_failures)
    pending = 0 if state.last_pushed_commit == head else None
    if pending is None:
        pending = _pending_commits(repo_path, head, state.last_pushed_commit)
    PUSH_PENDING_COMMITS.labels(remote=remote).set(pending)
    if not state.consecutive_failures:
        record_push_error(remote, None)


def _local_head(repo_path: Path, local_branch: str) -> str | None:
    """The commit id of the local branch, None when it does not exist yet."""
    try:
        reference = pygit2.Repository(str(repo_path)).references.get(f"refs/heads/{local_branch}")
    except pygit2.GitError as error:
        raise GitStoreError(f"cannot open the mirror repository {repo_path}: {error}") from None
    return None if reference is None else str(reference.resolve().target)

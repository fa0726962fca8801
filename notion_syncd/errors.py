"""The one error tree of notion-syncd.

Low-level errors (httpx, pygit2, OSError, pydantic) are mapped onto this tree at the
boundary where they happen; everything above the boundary only sees these classes.
``cli.describe`` turns any of them into one line for a person.

    NotionSyncdError                    anything notion-syncd reports on purpose
    ├── ConfigError                     bad or missing setting (exit 2)
    ├── UsageError                      bad command line (exit 2)
    ├── NotionError                     talking to the Notion API failed
    │   ├── NotionHTTPError             a non-retryable answer (4xx), keeps status/code
    │   │   ├── NotionUnauthorized      401: the token is wrong or revoked
    │   │   ├── NotionForbidden         403: missing capability
    │   │   └── NotionNotFound          404: missing or not shared with the integration
    │   ├── NotionUnavailable           retries exhausted (429/5xx/timeouts) within the time bound
    │   │   └── NotionRateLimited       Notion asked to wait longer than the bound: fail now
    │   ├── NotionBadResponse           the body is not what the API documents
    │   └── NotionInconsistent          answers contradict each other (moved mid-sync)
    ├── FileDownloadError               a hosted file could not be downloaded
    ├── GitStoreError                   the mirror repository cannot be read or written
    │   ├── RepositoryLocked            another notion-syncd process holds the repository
    │   ├── MirrorMissing               the mirror a daemon opened was removed or replaced
    │   ├── ForeignRepository           export.repo is not a mirror but a git repo (exit 2)
    │   └── MirrorUnusable              export.repo is a file, not writable, or its state is
    │                                   damaged: a person must fix it (exit 2)
    ├── SyncError                       a sync could not complete safely
    │   ├── IncompleteListing           a listing ended early: nothing is deleted
    │   ├── MassDeletionRefused         a sweep would delete too much
    │   ├── NothingShared               a first sync listed nothing: no page is shared
    │   └── SyncInterrupted             stop was requested; the sync is redone next time
    ├── RestoreError                    a restore into Notion cannot go on (capability, journal)
    └── PushError                       pushing to a remote failed
        ├── PushRejected                non-fast-forward or refused by a server hook
        ├── HostKeyError                unknown or changed SSH host key
        └── RemoteAuthError             the remote refused the credentials
"""

from __future__ import annotations


class NotionSyncdError(Exception):
    """Base of every error notion-syncd raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(NotionSyncdError):
    """A setting is missing or invalid."""

    exit_code = 2


class UsageError(NotionSyncdError):
    """The command line is wrong."""

    exit_code = 2


class NotionError(NotionSyncdError):
    """Talking to the Notion API failed."""


class NotionHTTPError(NotionError):
    """Notion answered with an error that retrying will not fix."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        request_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.request_id = request_id


class NotionUnauthorized(NotionHTTPError):
    """401: the integration token is invalid or revoked."""


class NotionForbidden(NotionHTTPError):
    """403: the integration lacks a capability."""


class NotionNotFound(NotionHTTPError):
    """404: the object does not exist or is not shared with the integration."""


class NotionUnavailable(NotionError):
    """Notion kept failing (429, 5xx, timeouts) past the retry bound."""


class NotionRateLimited(NotionUnavailable):
    """Notion asked for a wait (``Retry-After``) longer than a request may wait.

    The whole sync stops at once rather than sitting the wait out; ``wait_seconds`` says
    how long Notion asked for.
    """

    def __init__(self, message: str, *, wait_seconds: float, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.wait_seconds = wait_seconds


class NotionBadResponse(NotionError):
    """The API returned something that is not the documented shape."""


class NotionInconsistent(NotionError):
    """Notion's answers contradict each other (an object moved while the sync read it)."""


class FileDownloadError(NotionSyncdError):
    """A Notion-hosted or external file could not be downloaded."""


class GitStoreError(NotionSyncdError):
    """The mirror repository cannot be read or written."""


class RepositoryLocked(GitStoreError):
    """Another notion-syncd process holds the repository lock."""


class MirrorMissing(GitStoreError):
    """The mirror the daemon opened at start is gone (deleted, or replaced by another)."""


class ForeignRepository(GitStoreError):
    """``export.repo`` is someone else's git repository: it is refused, never reset."""

    exit_code = 2


class MirrorUnusable(GitStoreError):
    """``export.repo`` cannot be used until a person fixes it (the message says how).

    A file where the folder should be, a folder that cannot be created or written, a
    damaged ``.notion-syncd/`` file. Retrying does not help, so it exits 2 like a bad
    setting. A full disk is not one of these: it is a runtime error (exit 1), and the next
    run completes once space is back.
    """

    exit_code = 2


class SyncError(NotionSyncdError):
    """A sync could not complete safely; the mirror is left consistent."""


class IncompleteListing(SyncError):
    """A listing of the workspace ended early; nothing is deleted on a partial view."""


class MassDeletionRefused(SyncError):
    """A sweep would delete more of the mirror than allowed."""


class NothingShared(SyncError):
    """The first sync of an empty mirror listed nothing: the token sees no page."""


class SyncInterrupted(SyncError):
    """A stop was requested during a sync; the next sync redoes the rest."""


class RestoreError(NotionSyncdError):
    """A restore into Notion cannot go on; re-running the same command resumes it."""


class PushError(NotionSyncdError):
    """Pushing the mirror to a remote failed."""


class PushRejected(PushError):
    """The remote refused the update (not a fast-forward, or a server hook)."""


class HostKeyError(PushError):
    """The remote's SSH host key is unknown or changed."""


class RemoteAuthError(PushError):
    """The remote refused the credentials."""

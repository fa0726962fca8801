"""Which failed syncs heal by themselves, and when the daemon gives up.

A *transient* failure is retried at the next interval while the daemon keeps
running: Notion unavailable, rate limited or answering garbage (429, 5xx, timeouts),
a listing cut short, a file download, the mirror locked by a one-off ``sync``, an
interrupted sync, an unexpected error (a bug: logged with its traceback, retried).
Failures that need a person but that a restart would not cure either (a sweep refusing
a mass deletion, a first sync that sees no page) are transient too: the daemon keeps
running, ``/readyz`` turns stale after three intervals, ``STATUS=`` says why.

A *permanent* failure does not heal while the process runs, and a restart (after the
fix) is the cure: the token is refused (401) or lacks a capability (403), the mirror
cannot be written (refused or failed writes, someone else's repository) or the mirror
the daemon opened was removed under it. The first one makes ``/readyz`` 503 at once;
after :data:`GIVE_UP_AFTER` in a row the daemon exits with :data:`EX_TEMPFAIL`, so
systemd, Docker or Kubernetes restart it and show a restart loop while it persists.
"""

from __future__ import annotations

from notion_syncd.errors import (
    GitStoreError,
    NotionForbidden,
    NotionUnauthorized,
    RepositoryLocked,
)

PERMANENT = "permanent"
TRANSIENT = "transient"
#: Permanent failures in a row after which the daemon exits.
GIVE_UP_AFTER = 3
#: sysexits.h EX_TEMPFAIL: "temporary failure; retrying later may succeed" — a restart.
EX_TEMPFAIL = 75


def failure_kind(error: BaseException) -> str:
    """:data:`PERMANENT` or :data:`TRANSIENT` (see the module docstring)."""
    if isinstance(error, NotionUnauthorized | NotionForbidden):
        return PERMANENT
    if isinstance(error, GitStoreError) and not isinstance(error, RepositoryLocked):
        return PERMANENT
    return TRANSIENT


def should_give_up(permanent_in_a_row: int) -> bool:
    """True once that many permanent failures in a row were seen."""
    return permanent_in_a_row >= GIVE_UP_AFTER

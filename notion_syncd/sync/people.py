"""Names of Notion users for commit authors: the authors map, else ``GET /v1/users/{id}``.

A user in the mirror's authors map (:mod:`notion_syncd.sync.authorsmap`) is taken from
it and never asked for; any other is asked once per sync, and what Notion answered is
``learned`` (the committer adds it to the map).

Without the integration's user-information capability Notion answers 403: the sync
goes on with fallback identities (the user id) and says once how to get names. A user
Notion does not show (a guest: 404) or a failed request gets the fallback too; an
authorship never fails a sync.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Executor, Future
from typing import Any

import structlog

from notion_syncd.errors import NotionError, NotionForbidden
from notion_syncd.gitstore import Author, Mirror
from notion_syncd.notion.client import NotionClient
from notion_syncd.sync import authorsmap
from notion_syncd.sync.authors import identity

log = structlog.get_logger()

NAMES_HINT = (
    "give the integration the capability 'Read user information' (with e-mail addresses "
    "for git.author_emails) to name commit authors"
)


class People:
    """Notion user id -> commit identity, each user asked at most once.

    ``warm`` asks about an editor as soon as a written object names them, in the pool
    given (``ahead``), so a commit does not wait a round trip per new editor with the
    fetch window already empty. ``warm`` and ``identity`` are called by the sync's
    thread only; the lookups run in the pool. Users in ``known`` (the authors map) are
    never asked about.
    """

    def __init__(
        self,
        client: NotionClient,
        *,
        real_emails: bool,
        known: Mapping[str, Author] | None = None,
        ahead: Executor | None = None,
    ) -> None:
        self._client = client
        self._real_emails = real_emails
        self._ahead = ahead
        self._known: dict[str, Author] = dict(known or {})
        self._asked: dict[str, Future[dict[str, Any] | None]] = {}
        self.learned: dict[str, Author] = {}
        """Users Notion named during this sync (not fallbacks), for the authors map."""
        self._readable = True
        self._confirmed = False
        """A user was read: Notion lets this integration read users (ask several at once)."""

    def warm(self, user_ids: Iterable[str]) -> None:
        """Ask Notion about these users now (in the pool), unless asked already.

        One at a time until an answer shows users are readable: without the capability
        every lookup is a 403, and one is enough to know.
        """
        if self._ahead is None or not self._readable:
            return
        for user_id in user_ids:
            if user_id in self._known or user_id in self._asked:
                continue
            if not self._confirmed and self._asked:
                return
            self._asked[user_id] = self._ahead.submit(self._lookup, user_id)

    def identity(self, user_id: str) -> Author:
        if user_id not in self._known:
            asked = self._asked.pop(user_id, None)
            ready = asked is not None and not asked.cancelled()  # cancelled: the pool shut
            user = asked.result() if asked is not None and ready else self._lookup(user_id)
            who = identity(user_id, user, real_emails=self._real_emails)
            if user is not None:
                self.learned[user_id] = who
            self._known[user_id] = who
        return self._known[user_id]

    def _lookup(self, user_id: str) -> dict[str, Any] | None:
        if not self._readable:
            return None
        try:
            user = self._client.request("GET", f"/v1/users/{user_id}")
            self._confirmed = True
            return user
        except NotionForbidden:
            self._readable = False
            log.warning("authors.names_unavailable", hint=NAMES_HINT)
        except NotionError as exc:
            log.info("authors.user_unknown", user=user_id, error=str(exc))
        return None


def people_of(
    mirror: Mirror, client: NotionClient, real_emails: bool, ahead: Executor | None = None
) -> People:
    """People who starts from the mirror's authors map.

    A hand edit of the map not committed yet is staged as it is, so this sync's commit
    carries it (and adding learned users builds on it rather than setting it aside).
    """
    raw = mirror.read(authorsmap.AUTHORS_FILE)
    if raw is None:
        return People(client, real_emails=real_emails, ahead=ahead)
    if mirror.adopt(authorsmap.AUTHORS_FILE):
        log.info("authors.map_edited", file=authorsmap.AUTHORS_FILE)
    authors = authorsmap.parse(raw.decode("utf-8", errors="replace"))
    if authors.unreadable:
        log.warning(
            "authors.map_lines_skipped",
            file=authorsmap.AUTHORS_FILE,
            lines=list(authors.unreadable),
            hint="a line is: <Notion user id> = Name <e-mail>",
        )
    return People(client, real_emails=real_emails, known=authors.identities, ahead=ahead)

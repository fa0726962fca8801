"""Names of Notion users for commit authors: ``GET /v1/users/{id}``, asked once per user.

Without the integration's user-information capability Notion answers 403: the sync
goes on with fallback identities (the user id) and says once how to get names. A user
Notion does not show (a guest: 404) or a failed request gets the fallback too; an
authorship never fails a sync.
"""

from __future__ import annotations

from typing import Any

import structlog

from notion_syncd.errors import NotionError, NotionForbidden
from notion_syncd.gitstore import Author
from notion_syncd.notion.client import NotionClient
from notion_syncd.sync.authors import identity

log = structlog.get_logger()

NAMES_HINT = (
    "give the integration the capability 'Read user information' (with e-mail addresses "
    "for git.author_emails) to name commit authors"
)


class People:
    """Notion user id -> commit identity, each user asked at most once."""

    def __init__(self, client: NotionClient, *, real_emails: bool) -> None:
        self._client = client
        self._real_emails = real_emails
        self._known: dict[str, Author] = {}
        self._readable = True

    def identity(self, user_id: str) -> Author:
        if user_id not in self._known:
            self._known[user_id] = identity(
                user_id, self._lookup(user_id), real_emails=self._real_emails
            )
        return self._known[user_id]

    def _lookup(self, user_id: str) -> dict[str, Any] | None:
        if not self._readable:
            return None
        try:
            return self._client.request("GET", f"/v1/users/{user_id}")
        except NotionForbidden:
            self._readable = False
            log.warning("authors.names_unavailable", hint=NAMES_HINT)
        except NotionError as exc:
            log.info("authors.user_unknown", user=user_id, error=str(exc))
        return None

"""Comments: fetch a page's discussions, keep them current, store them in the record.

Notion lists comments per parent (``GET /v1/comments?block_id=…``): the page's own
discussions with the page id, a block's with the block id; there is no call for a
whole page and no flag telling which blocks have discussions. ``export.comments``:

- ``"page"`` (default): page discussions, one request per fetched page;
- ``"blocks"``: also every block that can hold a discussion, one request per block;
- ``"off"``: none.

A comment moves neither the page's nor the block's ``last_edited_time``, so the
incremental listing never shows one. The sweep asks again for every mirrored page
(``Requery.comments``) and rewrites the records whose comments changed. Without the
integration's read-comments capability Notion answers 403: comments are then skipped
for the rest of the sync, with one warning.

Stored form: ``record["comments"]``, the API's comment objects in the order fetched
(page discussions first, then blocks in document order; oldest first within each),
absent when there are none. Attachment URLs lose their volatile query and expiry.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator
from typing import Any, Literal, Protocol

import structlog

from notion_syncd.errors import NotionHTTPError, NotionUnauthorized

log = structlog.get_logger()

CommentMode = Literal["off", "page", "blocks"]
Record = dict[str, Any]
CHANGED = "comments changed"
NO_DISCUSSIONS = frozenset({"child_page", "child_database", "column_list", "column", "unsupported"})
"""Block types that never carry a discussion of their own (containers, other objects)."""


class CommentClient(Protocol):
    def paginate(
        self, method: str, path: str, *, params: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]: ...


def discussion_holders(page_id: str, blocks: list[Record], mode: CommentMode) -> list[str]:
    """Ids to ask for comments: the page, then (``blocks`` mode) its blocks in document order.

    Children of a synced copy are the original's blocks: asked for where the original is.
    """
    if mode == "off":
        return []
    holders = [page_id]
    if mode == "blocks":
        holders.extend(_block_ids(blocks))
    return holders


def _block_ids(blocks: list[Record]) -> Iterator[str]:
    for block in blocks:
        if block.get("type") not in NO_DISCUSSIONS and isinstance(block.get("id"), str):
            yield block["id"]
        synced = block.get("synced_block") or {}
        if block.get("type") == "synced_block" and synced.get("synced_from"):
            continue
        yield from _block_ids(block.get("children") or [])


def stable_comment(comment: Record) -> Record:
    """A comment as stored: no ``request_id``; attachments without signed query or expiry."""
    stored = {key: value for key, value in comment.items() if key != "request_id"}
    attachments = stored.get("attachments")
    if isinstance(attachments, list):
        stored["attachments"] = [_stable_attachment(item) for item in attachments]
    return stored


def _stable_attachment(attachment: object) -> object:
    if not isinstance(attachment, dict) or not isinstance(attachment.get("file"), dict):
        return attachment
    url = attachment["file"].get("url")
    file_info = {"url": url.split("?", 1)[0] if isinstance(url, str) else url}
    return {**attachment, "file": file_info}


def with_comments(record: Record, comments: list[Record]) -> Record | None:
    """``record`` holding ``comments`` (none: no key), or None when it already does."""
    if record.get("comments", []) == comments:
        return None
    refreshed = {key: value for key, value in record.items() if key != "comments"}
    if comments:
        refreshed["comments"] = comments
    return refreshed


class CommentFetcher:
    """Fetches discussions through the shared client; remembers a 403 for the whole sync."""

    def __init__(self, client: CommentClient, mode: CommentMode, per_sweep: int = 0) -> None:
        self.client = client
        self.mode: CommentMode = mode
        self.per_sweep = per_sweep
        """Pages whose comments a sweep reads again (0: all), in turn (``sweep_share``)."""
        self._forbidden = threading.Event()

    @property
    def enabled(self) -> bool:
        return self.mode != "off" and not self._forbidden.is_set()

    def fetch(self, page_id: str, blocks: list[Record]) -> list[Record] | None:
        """Every listed comment of a page and (by mode) its blocks; None when not readable."""
        comments: list[Record] = []
        for holder in discussion_holders(page_id, blocks, self.mode):
            if not self.enabled:
                return None
            try:
                listed = list(
                    self.client.paginate("GET", "/v1/comments", params={"block_id": holder})
                )
            except NotionUnauthorized:
                raise
            except NotionHTTPError as exc:
                if exc.status == 403:
                    self._forbid(exc.message)
                    return None
                if exc.status in (400, 404) and holder != page_id:
                    continue  # the block went away since its page was read, or has none
                raise
            comments.extend(stable_comment(comment) for comment in listed)
        return comments

    def _forbid(self, message: str) -> None:
        if not self._forbidden.is_set():
            self._forbidden.set()
            log.warning(
                "comments.forbidden",
                error=message,
                hint="give the integration the read-comments capability, "
                "or set export.comments = 'off'",
            )

    def add_to(self, record: Record) -> None:
        """Put a freshly fetched page record's comments into it (in place)."""
        page_id = (record.get("page") or {}).get("id")
        if not isinstance(page_id, str):
            return
        comments = self.fetch(page_id, record.get("blocks") or [])
        if comments:
            record["comments"] = comments


def sweep_share(pages: list[str], after: str | None, limit: int) -> list[str]:
    """The pages (sorted ids) whose comments this sweep reads again, in turn.

    Up to ``limit`` pages (all when ``limit`` is 0 or covers them) from the first id past
    ``after`` (the last one the previous sweep read), wrapping around at the end, so
    every page comes round once per ``ceil(len(pages) / limit)`` sweeps.
    """
    if limit <= 0 or len(pages) <= limit:
        return list(pages)
    start = bisect.bisect_right(pages, after) if after is not None else 0
    share = pages[start : start + limit]
    return share + pages[: limit - len(share)]

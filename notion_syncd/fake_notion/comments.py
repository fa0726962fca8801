"""Comments in the fake workspace: discussions on a page or on a block (API §6.10).

A discussion is a thread: its first comment opens it, later ones reply. Like Notion,
adding a comment moves neither the page's nor the block's ``last_edited_time``, and a
resolved discussion is no longer listed by ``GET /v1/comments``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from notion_syncd.fake_notion.clock import minute_timestamp

JSON = dict[str, Any]


@dataclass
class CommentRecord:
    """One comment; ``parent_id`` is the page (page discussion) or block it is on."""

    id: str
    parent_id: str
    parent_is_page: bool
    discussion_id: str
    rich_text: list[JSON]
    created_time: datetime
    created_by: str
    display_name: str
    resolved: bool = False


def comment_json(comment: CommentRecord, author_type: str) -> JSON:
    """The API's comment object, in the key order of the recordings."""
    parent_key = "page_id" if comment.parent_is_page else "block_id"
    return {
        "object": "comment",
        "id": comment.id,
        "parent": {"type": parent_key, parent_key: comment.parent_id},
        "discussion_id": comment.discussion_id,
        "created_time": minute_timestamp(comment.created_time),
        "last_edited_time": minute_timestamp(comment.created_time),
        "created_by": {"object": "user", "id": comment.created_by},
        "rich_text": comment.rich_text,
        "display_name": {"type": author_type, "resolved_name": comment.display_name},
    }


def listed_comments(comments: list[CommentRecord], parent_id: str) -> list[CommentRecord]:
    """Unresolved comments on ``parent_id``, oldest first (as Notion lists them)."""
    return [c for c in comments if c.parent_id == parent_id and not c.resolved]

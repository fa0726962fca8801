"""Comments of a page record (``record["comments"]``) → a Markdown or HTML section.

Comments come as discussions: the first comment opens a thread, later ones with the same
``discussion_id`` reply. Page discussions come first, then each block's, anchored to the
block by a short quote of its text (Notion shows the same in its comment sidebar). Each
comment shows its author (``display_name``, else the user id), its time in UTC and its
rich text; attachments are links.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from notion_syncd.export.links import RenderContext, safe_url
from notion_syncd.export.richtext import escape_markdown, rich_text_html, rich_text_markdown

Comment = dict[str, Any]
EXCERPT_LENGTH = 60
SECTION_TITLE = "Comments"
LINKABLE_SCHEMES = ("http://", "https://")
BLOCK_WORDS = {
    "heading_1": "heading",
    "heading_2": "heading",
    "heading_3": "heading",
    "heading_4": "heading",
    "bulleted_list_item": "list item",
    "numbered_list_item": "list item",
    "to_do": "to-do",
}


@dataclass
class Discussion:
    """A thread on the page (``anchor`` None) or on one block."""

    anchor: str | None
    comments: list[Comment] = field(default_factory=list)


def discussions(comments: list[Comment]) -> list[Discussion]:
    """Threads in the order their first comment was stored (page threads first)."""
    threads: dict[tuple[str | None, str], Discussion] = {}
    for comment in comments:
        parent = comment.get("parent") or {}
        anchor = parent.get("block_id") if parent.get("type") == "block_id" else None
        key = (anchor, str(comment.get("discussion_id") or comment.get("id")))
        threads.setdefault(key, Discussion(anchor)).comments.append(comment)
    ordered = list(threads.values())
    return [d for d in ordered if d.anchor is None] + [d for d in ordered if d.anchor]


def comment_time(comment: Comment) -> str:
    """``2026-07-04 09:11 UTC`` from the comment's ``created_time``."""
    raw = str(comment.get("created_time") or "")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return raw
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def author(comment: Comment) -> str:
    """Who wrote it: the name Notion resolved, else ``user <id8>``."""
    name = (comment.get("display_name") or {}).get("resolved_name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    user_id = str((comment.get("created_by") or {}).get("id") or "")
    return f"user {user_id.replace('-', '')[-8:]}" if user_id else "unknown author"


def block_texts(blocks: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Block id → (type, plain text) for every block of the tree."""
    found: dict[str, tuple[str, str]] = {}
    for block in _walk(blocks):
        kind = str(block.get("type") or "")
        found_payload = block.get(kind)
        payload: dict[str, Any] = found_payload if isinstance(found_payload, dict) else {}
        text = payload.get("rich_text") or payload.get("caption") or []
        plain = "".join(str(item.get("plain_text") or "") for item in text)
        found[str(block.get("id"))] = (kind, " ".join(plain.split()))
    return found


def _walk(blocks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for block in blocks:
        yield block
        yield from _walk(block.get("children") or [])


def anchor_label(anchor: str | None, texts: dict[str, tuple[str, str]]) -> str:
    """Plain words naming where a thread is: the page, or a quote of its block."""
    if anchor is None:
        return "On the page"
    if anchor not in texts:
        return f"On a block no longer on the page ({anchor.replace('-', '')[-8:]})"
    kind, text = texts[anchor]
    label = BLOCK_WORDS.get(kind, kind.replace("_", " "))
    if not text:
        return f"On a {label} block"
    if len(text) > EXCERPT_LENGTH:
        text = text[: EXCERPT_LENGTH - 1].rstrip() + "…"
    return f"On the {label} “{text}”"


def _attachments(comment: Comment) -> list[tuple[str, str]]:
    """(label, url) of each attachment with a linkable URL."""
    found = []
    for item in comment.get("attachments") or []:
        if not isinstance(item, dict):
            continue
        url = str((item.get("file") or {}).get("url") or "")
        if url.startswith(LINKABLE_SCHEMES):
            found.append((str(item.get("category") or "attachment"), url))
    return found


# --- Markdown -------------------------------------------------------------------------


def _comment_markdown(comment: Comment, ctx: RenderContext) -> list[str]:
    who = escape_markdown(author(comment), line_start=False)
    text = rich_text_markdown(comment.get("rich_text"), ctx, line_start=False)
    links = " ".join(
        f"[{escape_markdown(label, line_start=False)}]({safe_url(url)})"
        for label, url in _attachments(comment)
    )
    body = " ".join(part for part in (text, links) if part)
    head = f"**{who}**, {comment_time(comment)}:"
    lines = f"{head} {body}".rstrip().split("\n")
    return [("- " if n == 0 else "  ") + line for n, line in enumerate(lines)]


def comments_markdown(record: dict[str, Any], ctx: RenderContext) -> str:
    """The ``## Comments`` section of a page's Markdown, or ``""`` without comments."""
    threads = discussions(record.get("comments") or [])
    if not threads:
        return ""
    texts = block_texts(record.get("blocks") or [])
    parts = [f"## {SECTION_TITLE}"]
    previous: str | bool | None = False
    for thread in threads:
        if thread.anchor != previous:
            label = escape_markdown(anchor_label(thread.anchor, texts), line_start=False)
            parts.append(f"{label}:")
            parts.append("")
            previous = thread.anchor
        first, *replies = thread.comments
        lines = _comment_markdown(first, ctx)
        for reply in replies:
            lines.extend("  " + line for line in _comment_markdown(reply, ctx))
        parts.append("\n".join(lines))
        parts.append("")
    return _join_blocks(parts)


def _join_blocks(parts: list[str]) -> str:
    """Paragraphs and lists separated by blank lines; one list per anchor label."""
    out: list[str] = []
    for part in parts:
        if part == "":
            continue
        if out and not (part.startswith("- ") and out[-1].startswith("- ")):
            out.append("")
        out.append(part)
    return "\n".join(out)


# --- HTML -----------------------------------------------------------------------------


def _comment_html(comment: Comment, ctx: RenderContext) -> str:
    links = "".join(
        f' <a class="attachment" href="{html.escape(url)}">{html.escape(label)}</a>'
        for label, url in _attachments(comment)
    )
    raw_time = html.escape(str(comment.get("created_time") or ""))
    return (
        f'<span class="comment-author">{html.escape(author(comment))}</span>, '
        f'<time datetime="{raw_time}">{html.escape(comment_time(comment))}</time>: '
        f"{rich_text_html(comment.get('rich_text'), ctx)}{links}"
    )


def comments_html(record: dict[str, Any], ctx: RenderContext) -> str:
    """The comments ``<section>`` of a page's HTML, or ``""`` without comments."""
    threads = discussions(record.get("comments") or [])
    if not threads:
        return ""
    texts = block_texts(record.get("blocks") or [])
    out = ['<section class="comments">', f"<h2>{SECTION_TITLE}</h2>"]
    previous: str | bool | None = False
    for thread in threads:
        if thread.anchor != previous:
            if previous is not False:
                out.append("</ul>")
            label = html.escape(anchor_label(thread.anchor, texts))
            out.append(f'<p class="comment-anchor">{label}:</p>')
            out.append('<ul class="discussions">')
            previous = thread.anchor
        first, *replies = thread.comments
        item = f"<li>{_comment_html(first, ctx)}"
        if replies:
            item += (
                "\n<ul>\n"
                + "\n".join(f"<li>{_comment_html(reply, ctx)}</li>" for reply in replies)
                + "\n</ul>\n"
            )
        out.append(item + "</li>")
    out.extend(["</ul>", "</section>"])
    return "\n".join(out)

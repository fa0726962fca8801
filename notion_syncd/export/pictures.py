"""Icons and covers of pages and data sources, as every view shows them.

- an emoji icon is its character, printed before the title;
- a downloaded file (``_files/…``: a hosted icon or cover, a custom emoji, which the sync
  downloads like a hosted file) is an image; a block's icon (a callout's) at text size;
- anything else with a URL (an external icon or cover, a file whose download failed)
  is a plain link, so that opening a view never fetches from elsewhere;
- Notion's own icon set (``"type": "icon"``) has no character or file: its name is
  kept in front matter and JSON only.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from notion_syncd.export.links import FILES_PREFIX, RenderContext, relative_link, safe_url
from notion_syncd.export.richtext import escape_markdown, inline_image

ICON_SIZE = 40


@dataclass(frozen=True)
class Picture:
    """An icon or cover: exactly one of ``emoji``, ``local`` (repo-relative), ``link``."""

    emoji: str = ""
    local: str = ""
    link: str = ""
    name: str = ""


def picture(value: dict[str, Any] | None) -> Picture | None:
    """What a Notion icon or cover object shows, or None when there is nothing."""
    if not isinstance(value, dict):
        return None
    kind = str(value.get("type") or "")
    inner = value.get(kind)
    if kind == "emoji":
        return Picture(emoji=str(inner or "")) if inner else None
    if not isinstance(inner, dict):
        return None
    name = str(inner.get("name") or "")
    url = str(inner.get("url") or "")
    if kind == "icon":
        return Picture(name=name) if name else None
    if url.startswith(FILES_PREFIX) and not value.get("download_error"):
        return Picture(local=url, name=name)
    source = str(inner.get("source_url") or url)
    if source.startswith(("http://", "https://")):
        return Picture(link=source, name=name)
    return None


def front_matter_value(value: dict[str, Any] | None) -> str | None:
    """The front matter form: the emoji, the repo-relative file, the URL, or the name."""
    found = picture(value)
    if found is None:
        return None
    return found.emoji or found.local or found.link or found.name or None


def title_prefix(icon: dict[str, Any] | None) -> str:
    """An emoji icon with a space, to print before the title; else ``""``."""
    found = picture(icon)
    return f"{found.emoji} " if found is not None and found.emoji else ""


def block_icon(icon: Any, ctx: RenderContext) -> str:
    """A block's icon (callout, paragraph, tab) as inline HTML, valid in Markdown too: the
    emoji, or a downloaded image (a custom emoji, a hosted icon) at text size; else ``""``."""
    found = picture(icon)
    if found is None:
        return ""
    if found.emoji:
        return html.escape(found.emoji)
    if found.local:
        return inline_image(relative_link(ctx.path, found.local), found.name or "icon")
    return ""


def markdown_lines(icon: Any, cover: Any, ctx: RenderContext) -> list[str]:
    """Lines above a page's title: the cover, then an image icon (never an emoji)."""
    lines = []
    shown_cover = picture(cover)
    if shown_cover is not None and shown_cover.local:
        lines.append(f"![Cover]({relative_link(ctx.path, shown_cover.local)})")
    elif shown_cover is not None and shown_cover.link:
        lines.append(f"[Cover image]({safe_url(shown_cover.link)})")
    shown_icon = picture(icon)
    if shown_icon is not None and shown_icon.local:
        source = html.escape(relative_link(ctx.path, shown_icon.local))
        alt = html.escape(shown_icon.name or "icon")
        lines.append(f'<img src="{source}" alt="{alt}" width="{ICON_SIZE}" height="{ICON_SIZE}">')
    elif shown_icon is not None and shown_icon.link:
        label = escape_markdown(shown_icon.name or "Icon", line_start=False)
        lines.append(f"[{label}]({safe_url(shown_icon.link)})")
    return lines


def html_header(icon: Any, cover: Any, ctx: RenderContext) -> tuple[str, str]:
    """``(cover element, icon element)`` for an HTML header; ``""`` where there is none."""
    cover_html = ""
    shown_cover = picture(cover)
    if shown_cover is not None and shown_cover.local:
        source = html.escape(relative_link(ctx.path, shown_cover.local))
        cover_html = f'<img class="cover" src="{source}" alt="Cover">'
    elif shown_cover is not None and shown_cover.link:
        target = html.escape(safe_url(shown_cover.link))
        cover_html = f'<p class="cover"><a href="{target}">Cover image</a></p>'
    icon_html = ""
    shown_icon = picture(icon)
    if shown_icon is not None and shown_icon.emoji:
        icon_html = html.escape(shown_icon.emoji) + " "
    elif shown_icon is not None and shown_icon.local:
        source = html.escape(relative_link(ctx.path, shown_icon.local))
        alt = html.escape(shown_icon.name or "icon")
        icon_html = f'<img class="icon" src="{source}" alt="{alt}"> '
    elif shown_icon is not None and shown_icon.link:
        label = html.escape(shown_icon.name or "Icon")
        icon_html = f'<a class="icon" href="{html.escape(safe_url(shown_icon.link))}">{label}</a> '
    return cover_html, icon_html

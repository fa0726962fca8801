"""Markdown as GitHub renders it: cmark-gfm (GitHub's own engine) with its extensions.

GitHub shows YAML front matter as a table, not as Markdown, so it is cut off first;
raw HTML is kept (GitHub allows ``<img>``, ``<details>`` and the like, and sanitises the
rest after rendering).
"""

from __future__ import annotations

import cmarkgfm
from cmarkgfm.cmark import Options


def without_front_matter(markdown: str) -> str:
    """The Markdown after the closing ``---`` of its front matter (if any)."""
    if not markdown.startswith("---\n"):
        return markdown
    end = markdown.find("\n---\n", 4)
    return markdown[end + 5 :] if end >= 0 else markdown


def github_html(markdown: str) -> str:
    """The HTML cmark-gfm makes of a Markdown file, front matter cut off."""
    html: str = cmarkgfm.github_flavored_markdown_to_html(
        without_front_matter(markdown), options=Options.CMARK_OPT_UNSAFE
    )
    return html

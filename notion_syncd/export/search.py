"""The offline search index of the HTML copy: pure decisions (what an entry is, which shard).

Each mirrored page or data source has one entry (id, path stem, title, the first
:data:`EXCERPT_CHARS` characters of its text). Entries live in :data:`SHARDS` shard files
chosen by a hash of the id, so a one-page sync rewrites one shard, whatever the size of
the workspace. Shards are JavaScript (``notionSearch([...]);``) rather than JSON because a
page opened from ``file://`` may load a script but may not ``fetch`` a file; one entry per
line, sorted by id, so the file is deterministic and :func:`parse_shard` reads it back.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from notion_syncd.terms import plain_text

SHARDS = 64
WORD_SHARDS = 128
"""Word shards of the full-text index (:mod:`notion_syncd.export.searchwords`)."""
SHARD_DIR = "_search"
EXCERPT_CHARS = 600
SEARCH_PAGE = "search.html"
SEARCH_SCRIPT = "_assets/search.js"
_OPEN = "notionSearch(["
_CLOSE = "]);"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class SearchEntry:
    """What the search page knows about one object."""

    id: str
    stem: str
    title: str
    excerpt: str
    word_shards: str = ""
    """The word shards holding this object's postings (:mod:`searchwords` bitmap)."""


def shard_of(object_id: str) -> int:
    """The shard holding ``object_id``'s entry (stable across runs and machines)."""
    digest = hashlib.sha256(object_id.replace("-", "").lower().encode()).digest()
    return digest[0] % SHARDS


def shard_path(number: int) -> str:
    return f"{SHARD_DIR}/{number:02d}.js"


def _block_texts(blocks: Iterable[dict[str, Any]], budget: list[int]) -> Iterable[str]:
    for block in blocks:
        if budget[0] <= 0:
            return
        payload = block.get(str(block.get("type")))
        if isinstance(payload, dict):
            for key in ("rich_text", "caption"):
                text = plain_text(payload.get(key))
                if text:
                    budget[0] -= len(text) + 1
                    yield text
            title = payload.get("title")
            if isinstance(title, str) and title:
                budget[0] -= len(title) + 1
                yield title
        yield from _block_texts(block.get("children") or [], budget)


def excerpt(blocks: list[dict[str, Any]]) -> str:
    """The page's text in document order, spaces collapsed, cut at :data:`EXCERPT_CHARS`."""
    text = " ".join(_block_texts(blocks, [EXCERPT_CHARS]))
    return _SPACE.sub(" ", text).strip()[:EXCERPT_CHARS]


def render_shard(entries: Mapping[str, SearchEntry]) -> str:
    """A shard file: one JSON array per entry, sorted by id."""
    lines = [
        json.dumps([e.id, e.stem, e.title, e.excerpt, e.word_shards], ensure_ascii=False) + ","
        for _, e in sorted(entries.items())
    ]
    return "\n".join([_OPEN, *lines, _CLOSE]) + "\n"


def shard_rows(text: str) -> Iterator[list[str]]:
    """The rows of a shard script: each line holding one JSON array of strings, as
    :func:`render_shard` and the word shards write them (other lines are skipped)."""
    for line in text.splitlines():
        if not line.startswith("["):
            continue
        try:
            value = json.loads(line.rstrip(","))
        except ValueError:
            continue
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            yield value


def parse_shard(text: str) -> dict[str, SearchEntry]:
    """The entries of a shard written by :func:`render_shard` (lines it cannot read are skipped)."""
    return {row[0]: SearchEntry(*row) for row in shard_rows(text) if len(row) in (4, 5)}


def search_body() -> str:
    """The body of ``search.html`` (the script fills the results)."""
    return "\n".join(
        [
            "<h1>Search</h1>",
            f'<form id="search" role="search" data-shards="{SHARDS}"'
            f' data-word-shards="{WORD_SHARDS}">',
            '<input id="q" type="search" name="q" placeholder="Words in titles and text"'
            ' aria-label="Search" autofocus>',
            "</form>",
            '<p id="status" role="status"></p>',
            '<ol id="results" class="results"></ol>',
            "<noscript><p>Search needs JavaScript; index.html browses without it.</p></noscript>",
            f'<script src="{SEARCH_SCRIPT}"></script>',
        ]
    )

"""The offline search index of the HTML copy: pure decisions (what an entry is, which shard).

Each mirrored page or data source has one entry (id, path stem, title, the first
:data:`EXCERPT_CHARS` characters of its text) in an *id shard*, ``_search/ids/F/N.js``
(``F`` = ``N // 256``), chosen by a hash of the id's last 12 hex digits
(:func:`key_hash`); how many shards there are follows from how many entries
(:mod:`notion_syncd.export.searchlayout`), so a shard stays small whatever the size of
the workspace. Shards are JavaScript (``notionSearch([...]);``) rather than JSON because
a page opened from ``file://`` may load a script but may not ``fetch`` a file; one entry
per line, sorted by id, so the file is deterministic and :func:`parse_shard` reads it
back.

Buckets files, ``_search/buckets/F/N.txt``, say which word hashes each entry has
postings under (:mod:`notion_syncd.export.searchwords`), so a sync knows which word
shards to visit when a page changes or goes. The browser never loads them.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from notion_syncd.export.searchlayout import SHARD_DIR as SHARD_DIR  # re-exported
from notion_syncd.export.searchlayout import fnv1a, shard_file
from notion_syncd.terms import plain_text

ID_DIR = f"{SHARD_DIR}/ids"
BUCKET_DIR = f"{SHARD_DIR}/buckets"
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


def key_of(object_id: str) -> str:
    """An object's key in the word shards: the last 12 hex digits of its id.

    The last ones: Notion's newer ids begin with a timestamp, and end at random.
    """
    return object_id.replace("-", "").lower()[-12:]


def key_hash(object_id: str) -> int:
    """The hash choosing ``object_id``'s id shard (``search.js`` hashes a key the same way)."""
    return fnv1a(key_of(object_id))


def shard_path(number: int) -> str:
    return shard_file(ID_DIR, number, ".js")


def buckets_path(number: int) -> str:
    return shard_file(BUCKET_DIR, number, ".txt")


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
        json.dumps([e.id, e.stem, e.title, e.excerpt], ensure_ascii=False) + ","
        for _, e in sorted(entries.items())
    ]
    return "\n".join([_OPEN, *lines, _CLOSE]) + "\n"


def shard_rows(text: str) -> Iterator[list[Any]]:
    """The rows of a shard script: each line holding one JSON array, as
    :func:`render_shard` and the word shards write them (other lines are skipped)."""
    for line in text.splitlines():
        if not line.startswith("["):
            continue
        try:
            value = json.loads(line.rstrip(","))
        except ValueError:
            continue
        if isinstance(value, list):
            yield value


def parse_shard(text: str) -> dict[str, SearchEntry]:
    """The entries of a shard written by :func:`render_shard` (lines it cannot read are skipped)."""
    return {
        row[0]: SearchEntry(*row)
        for row in shard_rows(text)
        if len(row) == 4 and all(isinstance(value, str) for value in row)
    }


def render_buckets(buckets: Mapping[str, Sequence[int]]) -> str:
    """A buckets file: ``id hash hash …`` per entry (hashes as 4 hex digits), sorted."""
    return "".join(
        " ".join([object_id, *(f"{value:04x}" for value in values)]) + "\n"
        for object_id, values in sorted(buckets.items())
    )


def parse_buckets(text: str) -> dict[str, array[int]]:
    """The word hashes of each entry in a :func:`render_buckets` file (a line it cannot
    read counts as an entry without postings), 2 bytes a hash (:func:`word_hash_array`)."""
    buckets = {}
    for line in text.splitlines():
        object_id, *values = line.split(" ")
        if object_id:
            try:
                buckets[object_id] = word_hash_array(int(value, 16) for value in values)
            except (ValueError, OverflowError):
                buckets[object_id] = word_hash_array(())
    return buckets


def word_hash_array(hashes: Iterable[int]) -> array[int]:
    """Word hashes (16 bits each) in 2 bytes apiece.

    A write of the search's shards holds the hashes of every object it changes, before
    and after: as tuples of ints (8 bytes a pointer, 28 an int) the 2,500 pages of one
    write in the 50,000-page bench held 110,000 of them, the ints alone 3.2 MB (issue 10).
    """
    return array("H", hashes)


def search_body() -> str:
    """The body of ``search.html`` (the script fills the results)."""
    return "\n".join(
        [
            "<h1>Search</h1>",
            '<form id="search" role="search">',
            '<input id="q" type="search" name="q" placeholder="Words in titles and text"'
            ' aria-label="Search" autofocus>',
            "</form>",
            '<p id="status" role="status"></p>',
            '<ol id="results" class="results"></ol>',
            "<noscript><p>Search needs JavaScript; index.html browses without it.</p></noscript>",
            f'<script src="{SEARCH_SCRIPT}"></script>',
        ]
    )

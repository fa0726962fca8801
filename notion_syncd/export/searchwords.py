"""The full-text part of the offline search: a word index sharded by word (pure decisions).

Every word of a page (title and all block text, not only the excerpt) maps to a
*posting*, a short key of the page, in one of :data:`WORD_SHARDS` script files chosen by a
hash of the word. A query loads one shard per word it has, whatever the size of the
workspace, and the id shards (:mod:`notion_syncd.export.search`) only for the hits.

A page's id-shard entry records which word shards hold its postings (a bitmap), so a
one-page sync rewrites its id shard and only the word shards whose postings change: at
most :data:`WORD_SHARDS` + 1 files, and for a small edit the shards of the words that
came or went (see :func:`word_edits`).

Words: text is decomposed (NFKD), accents dropped, lower-cased and cut into runs of
letters, digits and ``_`` of at most :data:`MAX_WORD` characters; ``search.js`` does the
same to a query. A page contributes at most :data:`MAX_WORDS` distinct words.

Why not Pagefind or lunr: the copy is opened from ``file://``, where a page may load
scripts but not ``fetch`` files or WebAssembly, which Pagefind needs; a whole-index
library (lunr, MiniSearch) would load every page's words for each search. Shards that
are scripts, chosen by a hash the browser can compute, are the smallest thing that works.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from notion_syncd.export.search import SHARD_DIR, WORD_SHARDS, shard_of, shard_rows
from notion_syncd.terms import plain_text

WORD_DIR = f"{SHARD_DIR}/words"
MAX_WORD = 40
MAX_WORDS = 5000
_ACCENTS = re.compile("[\u0300-\u036f]")
_WORD = re.compile(r"[^\W]+")
_OPEN = "notionWords({number}, ["
_CLOSE = "]);"


def words_of(text: str) -> list[str]:
    """The search words of ``text``, in order (repeats kept)."""
    folded = _ACCENTS.sub("", unicodedata.normalize("NFKD", text)).lower()
    return [word for word in _WORD.findall(folded) if len(word) <= MAX_WORD]


def _block_texts(blocks: Iterable[dict[str, Any]]) -> Iterator[str]:
    for block in blocks:
        payload = block.get(str(block.get("type")))
        if isinstance(payload, dict):
            for key in ("rich_text", "caption", "title"):
                value = payload.get(key)
                yield value if isinstance(value, str) else plain_text(value)
            for cell in payload.get("cells") or []:
                yield plain_text(cell)
            expression = payload.get("expression")
            if isinstance(expression, str):
                yield expression
        yield from _block_texts(block.get("children") or [])


def page_words(title: str, blocks: list[dict[str, Any]]) -> tuple[str, ...]:
    """The distinct words of a page's title and every block, the first :data:`MAX_WORDS`.

    A tuple of interned strings: a sync holds the words of every page it rendered until
    the search shards are written, and a set of fresh strings took 2.4 KB per page of
    the 2,000-page bench workspace (22 words on average), the tuple 0.23 KB (issue 10).
    """
    seen: dict[str, None] = {}
    for text in (title, *_block_texts(blocks)):
        for word in words_of(text):
            seen.setdefault(sys.intern(word), None)
            if len(seen) >= MAX_WORDS:
                return tuple(seen)
    return tuple(seen)


def word_shard_of(word: str) -> int:
    """FNV-1a (32 bits) of the word's UTF-8 bytes, modulo :data:`WORD_SHARDS`."""
    value = 0x811C9DC5
    for byte in word.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value % WORD_SHARDS


def word_shard_path(number: int) -> str:
    return f"{WORD_DIR}/{number:03d}.js"


def posting(object_id: str) -> str:
    """An object's key in word shards: its id shard (2 hex digits) and the last 12 of its id.

    The last ones: Notion's newer ids begin with a timestamp, and end at random.
    """
    return f"{shard_of(object_id):02x}{object_id.replace('-', '').lower()[-12:]}"


def shard_bitmap(numbers: Iterable[int]) -> str:
    """Word shard numbers as a hex bitmap (``""`` for none)."""
    bits = sum(1 << number for number in set(numbers))
    return f"{bits:0{WORD_SHARDS // 4}x}" if bits else ""


def bitmap_shards(bitmap: str) -> set[int]:
    """The word shard numbers of a :func:`shard_bitmap` (nothing for text it cannot read)."""
    try:
        bits = int(bitmap, 16) if bitmap else 0
    except ValueError:
        return set()
    return {number for number in range(WORD_SHARDS) if bits >> number & 1}


def render_word_shard(number: int, index: Mapping[str, Iterable[str]]) -> str:
    """A word shard: one ``["word", "posting posting …"],`` line per word, all sorted.

    Pairs rather than an object literal: a word such as ``__proto__`` is no key to trip on.
    """
    lines = [
        json.dumps([word, " ".join(sorted(postings))], ensure_ascii=False) + ","
        for word, postings in sorted(index.items())
    ]
    return "\n".join([_OPEN.format(number=number), *lines, _CLOSE]) + "\n"


def parse_word_shard(text: str) -> dict[str, set[str]]:
    """The index of a word shard written by :func:`render_word_shard`."""
    return {row[0]: set(row[1].split()) for row in shard_rows(text) if len(row) == 2}


@dataclass
class ShardEdit:
    """What changes in one word shard: postings to drop everywhere, then words to add."""

    drop: set[str] = field(default_factory=set)
    add: dict[str, set[str]] = field(default_factory=dict)

    def apply(self, index: dict[str, set[str]]) -> None:
        if self.drop:
            for word in list(index):
                index[word] -= self.drop
                if not index[word]:
                    del index[word]
        for word, postings in self.add.items():
            index.setdefault(word, set()).update(postings)


def word_edits(
    object_id: str, old_bitmap: str, words: Iterable[str], edits: dict[int, ShardEdit]
) -> str:
    """Record in ``edits`` how ``object_id``'s words change; returns its new bitmap.

    ``old_bitmap``: the shards its postings were in; ``words``: its words now (empty
    when it is removed). Every shard it was in drops it; every shard of a word adds it.
    """
    key = posting(object_id)
    for number in bitmap_shards(old_bitmap):
        edits.setdefault(number, ShardEdit()).drop.add(key)
    numbers = set()
    for word in words:
        number = word_shard_of(word)
        numbers.add(number)
        edits.setdefault(number, ShardEdit()).add.setdefault(word, set()).add(key)
    return shard_bitmap(numbers)

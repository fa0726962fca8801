"""The full-text part of the offline search: a word index sharded by word (pure decisions).

Every word of a page (title and all block text, not only the excerpt) maps to a
*posting*, the page's key (:func:`notion_syncd.export.search.key_of`), in a word shard,
``_search/words/F/N.js`` (``F`` = ``N // 256``), chosen by a 16-bit hash of the word
(:func:`word_hash`); how many shards there are follows from how many postings
(:mod:`.searchlayout`). A query loads one shard per word it has, whatever the size of
the workspace, and the id shards only for the hits.

The buckets files record the word hashes of each entry, so a one-page sync rewrites only
the word shards holding those hashes or the new words', and of those only the ones whose
postings change: for a small edit, the shards of the words that came or went
(``sync.searchwrite``). A word's postings are one line of one shard, so a common word's
line grows with the workspace (issue 10, left open).

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
from typing import Any

from notion_syncd.export.search import shard_rows
from notion_syncd.export.searchlayout import SHARD_DIR, WORD_BUCKETS, fnv1a, shard_file
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


def word_hash(word: str) -> int:
    """The word's hash, as its shard is chosen by (FNV-1a of the UTF-8 bytes, 16 bits)."""
    return fnv1a(word) % WORD_BUCKETS


def word_hashes(words: Iterable[str]) -> tuple[int, ...]:
    """The distinct hashes of ``words``, ascending (what a buckets file keeps)."""
    return tuple(sorted({word_hash(word) for word in words}))


def word_shard_path(number: int) -> str:
    return shard_file(WORD_DIR, number, ".js")


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

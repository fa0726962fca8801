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
(``sync.searchwrite``).

A word on more than :data:`INLINE_POSTINGS` pages is *common*: its line in the word shard
holds only its count (``["the", 28000, 7]``: 7 parts), and its postings are in part files
of its own, ``_search/parts/HH/HHHHHHHH/N.js`` (the word's FNV-1a in hex, ``N`` the part),
about :data:`PART_POSTINGS` each, a posting going to its part by linear hashing of its own
hash (``sync.searchparts``). Without them, "the" on every page of 50,000 was a 697 KB line
that every page added or removed rewrote (issue 10); now such a change rewrites one part.

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
from notion_syncd.export.searchlayout import SHARD_DIR, WORD_BUCKETS, bucket, fnv1a, shard_file
from notion_syncd.terms import plain_text

WORD_DIR = f"{SHARD_DIR}/words"
PART_DIR = f"{SHARD_DIR}/parts"
INLINE_POSTINGS = 1024
"""A word on more pages than this has its postings in part files (13 KB of them)."""
PART_POSTINGS = 4096
"""Postings per part of a common word (about 53 KB; as many as a word shard holds)."""
MAX_WORD = 40
MAX_WORDS = 5000
_ACCENTS = re.compile("[\u0300-\u036f]")
_WORD = re.compile(r"[^\W]+")
_OPEN = "notionWords({number}, ["
_PART_OPEN = "notionPart({name}, {number}, ["
_CLOSE = "]);"

WordPostings = set[str] | int
"""A word's value in its word shard: its postings, or how many (a common word's, whose
postings are in its parts)."""


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


def part_count(postings: int) -> int:
    """How many part files a word on ``postings`` pages has (0: its line holds them)."""
    return 0 if postings <= INLINE_POSTINGS else -(-postings // PART_POSTINGS)


def part_name(word: str) -> str:
    """The name of a common word's parts: its FNV-1a in hex (two words may share it; a
    part holds the lines of each)."""
    return f"{fnv1a(word):08x}"


def part_path(word: str, number: int) -> str:
    name = part_name(word)
    return f"{PART_DIR}/{name[:2]}/{name}/{number}.js"


def posting_part(posting: str, parts: int) -> int:
    """The part of a common word's ``parts`` holding ``posting`` (``search.js`` does not
    need it: it loads every part of a word)."""
    return bucket(fnv1a(posting), parts)


def _rows(opener: str, index: Mapping[str, Iterable[str] | int]) -> str:
    lines = []
    for word, postings in sorted(index.items()):
        row = (
            [word, postings, part_count(postings)]
            if isinstance(postings, int)
            else [word, " ".join(sorted(postings))]
        )
        lines.append(json.dumps(row, ensure_ascii=False) + ",")
    return "\n".join([opener, *lines, _CLOSE]) + "\n"


def render_word_shard(number: int, index: Mapping[str, Iterable[str] | int]) -> str:
    """A word shard: one ``["word", "posting posting …"],`` line per word, all sorted, a
    common word's being ``["word", count, parts],``.

    Pairs rather than an object literal: a word such as ``__proto__`` is no key to trip on.
    """
    return _rows(_OPEN.format(number=number), index)


def parse_word_shard(text: str) -> dict[str, WordPostings]:
    """The index of a word shard written by :func:`render_word_shard`."""
    index: dict[str, WordPostings] = {}
    for row in shard_rows(text):
        match row:
            case [str(word), str(postings)]:
                index[word] = set(postings.split())
            case [str(word), int(count), int()] if count > 0:
                index[word] = count
    return index


def render_part(name: str, number: int, index: Mapping[str, Iterable[str]]) -> str:
    """Part ``number`` of the common words named ``name``: their lines, as in a word shard."""
    return _rows(_PART_OPEN.format(name=json.dumps(name), number=number), index)


def parse_part(text: str) -> dict[str, set[str]]:
    """The postings in a part written by :func:`render_part`, by word."""
    index = parse_word_shard(text)
    return {word: postings for word, postings in index.items() if isinstance(postings, set)}

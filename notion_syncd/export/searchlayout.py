"""How many files the offline search has, and which one holds a key (pure decisions).

The search's shards (:mod:`notion_syncd.export.search`, :mod:`.searchwords`) are laid
out by *linear hashing* (Litwin, 1980): with ``n`` shards, a key whose hash is ``h``
lives in shard ``h mod 2^L`` (``L = floor(log2 n)``), or in ``h mod 2^(L+1)`` when that
shard is below ``n - 2^L``, i.e. already split. Going from ``n`` to ``n + 1`` shards
splits one shard in two and moves nothing else, so the layout grows a shard at a time.

The number of shards is a pure function of what the index holds (:class:`Layout`): one
id shard per :data:`ENTRIES_PER_SHARD` entries, one word shard per
:data:`POSTINGS_PER_SHARD` postings, one buckets file per
:data:`HASHES_PER_BUCKETS_FILE` postings. Every shard so keeps about the same size whatever
the size of the workspace, so a one-page sync rewrites a few small files; with a fixed
64 id shards a shard held 369 KB at 50,000 pages, and a one-word edit rewrote it (issue
10). And a mirror synced incrementally has the same files, byte for byte, as a fresh
export of the same workspace.

The browser computes the same hash (FNV-1a, 32 bits, of the UTF-8 bytes) and reads the
two counts from :data:`LAYOUT_PATH`; ``search.js`` mirrors :func:`bucket`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

SHARD_DIR = "_search"
"""Every file of the search index is under it."""

FORMAT = 3
"""The layout of ``_search/`` this code writes; a mirror with another is rebuilt
(``Views``): none, the fixed 64 + 128 shards of before stop 28; 2, every word's postings
in its word shard, before common words had parts."""
ENTRIES_PER_SHARD = 128
"""Id-shard entries per shard (an entry is about 0.5 KB: a shard of about 64 KB)."""
POSTINGS_PER_SHARD = 4096
"""Postings per word shard (a posting is 13 bytes, plus the words: about 64 KB)."""
HASHES_PER_BUCKETS_FILE = 8192
"""Word hashes per buckets file (5 bytes each: about 40 KB). By postings, not entries:
a page of prose has hundreds of distinct words, and 128 such entries made a 180 KB file."""
SHARDS_PER_FOLDER = 256
"""Shard ``n`` of a kind is in folder ``n // 256`` of its own: a git tree of thousands of
entries (a workspace of prose has 280 distinct words a page; 50,000 pages, 3,400 word
shards) would be rewritten whole by every commit touching one of its shards."""
WORD_BUCKETS = 1 << 16
"""A word's hash is kept to 16 bits (``word_hash``), so at most this many word shards."""
LAYOUT_PATH = f"{SHARD_DIR}/shards.js"
_OPEN = "notionShards("
_CLOSE = ");"


def shard_file(folder: str, number: int, suffix: str) -> str:
    """Where shard ``number`` of a kind kept in ``folder`` is (``search.js`` says the same)."""
    return f"{folder}/{number // SHARDS_PER_FOLDER}/{number}{suffix}"


def fnv1a(text: str) -> int:
    """FNV-1a (32 bits) of ``text``'s UTF-8 bytes."""
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def bucket(hash_value: int, shards: int) -> int:
    """The shard of a key hashed to ``hash_value`` when there are ``shards`` (≥ 1)."""
    level = 1 << (shards.bit_length() - 1)
    low = hash_value % level
    return hash_value % (level * 2) if low < shards - level else low


def parent(shard: int) -> int:
    """The shard that ``shard`` (≥ 1) was split from."""
    return shard - (1 << (shard.bit_length() - 1))


def _root(shard: int, below: int) -> int:
    """The first ancestor of ``shard`` (itself included) that is below ``below``."""
    while shard >= below:
        shard = parent(shard)
    return shard


@dataclass(frozen=True)
class Resize:
    """From ``old`` shards to ``new``: which shards change, and where their keys were."""

    old: int
    new: int
    touched: frozenset[int]
    """Every shard whose keys are not the same under both counts."""

    @property
    def written(self) -> set[int]:
        """Shards of the new layout whose keys changed (they must be written)."""
        return {shard for shard in self.touched if shard < self.new}

    @property
    def gone(self) -> set[int]:
        """Shards of the old layout that the new one no longer has."""
        return {shard for shard in self.touched if shard >= self.new}

    def sources(self, shard: int) -> set[int]:
        """The old shards holding the keys that ``shard`` holds in the new layout."""
        merged = {old for old in range(self.new, self.old) if _root(old, self.new) == shard}
        return {_root(shard, self.old), *merged}


def resize(old: int, new: int) -> Resize:
    """The change from ``old`` shards to ``new`` (either may be the larger)."""
    low, high = sorted((old, new))
    touched = set()
    for shard in range(low, high):
        touched.add(shard)
        touched.add(_root(shard, low))
    return Resize(old, new, frozenset(touched))


@dataclass(frozen=True)
class Layout:
    """What the search index holds, from which its shard counts follow."""

    entries: int = 0
    """Id-shard entries (mirrored pages and data sources)."""
    postings: int = 0
    """Word-shard postings: the sum, over entries, of their distinct word hashes."""

    @property
    def id_shards(self) -> int:
        return max(1, -(-self.entries // ENTRIES_PER_SHARD))

    @property
    def word_shards(self) -> int:
        return min(WORD_BUCKETS, max(1, -(-self.postings // POSTINGS_PER_SHARD)))

    @property
    def buckets_files(self) -> int:
        """Buckets files (keyed by id, as the id shards, but counted by postings)."""
        return max(1, -(-self.postings // HASHES_PER_BUCKETS_FILE))

    def render(self) -> str:
        """``_search/shards.js``: the counts the browser needs, and the totals behind them."""
        counts = {
            "format": FORMAT,
            "entries": self.entries,
            "postings": self.postings,
            "ids": self.id_shards,
            "words": self.word_shards,
        }
        return f"{_OPEN}{json.dumps(counts, sort_keys=True)}{_CLOSE}\n"


def parse_layout(text: str) -> Layout | None:
    """The layout in a :meth:`Layout.render` file; None when unreadable or of another
    :data:`FORMAT`."""
    body = text.strip()
    if not (body.startswith(_OPEN) and body.endswith(_CLOSE)):
        return None
    try:
        counts = json.loads(body[len(_OPEN) : -len(_CLOSE)])
    except ValueError:
        return None
    if not isinstance(counts, dict) or counts.get("format") != FORMAT:
        return None
    entries, postings = counts.get("entries"), counts.get("postings")
    if not (isinstance(entries, int) and isinstance(postings, int)):
        return None
    if entries < 0 or postings < 0:
        return None
    return Layout(entries, postings)

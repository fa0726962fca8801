"""Writes the offline search's changed entries into its shards (``_search/``).

Three kinds of shard file, laid out by :mod:`notion_syncd.export.searchlayout`: id shards
(the entries the browser lists), buckets files (the word hashes of each entry: which
word shards hold its postings; keyed by id too) and word shards. One write:

1. reads the buckets files of the changed objects, to learn which of them had an entry
   and how many word hashes: the new totals, so the new shard counts;
2. rewrites each id shard and buckets file that holds a changed object or that the new
   count splits or merges, from the old shards its keys come from
   (:meth:`Resize.sources`);
3. does the same for the word shards: those holding a changed object's old or new word
   hashes, and those the new count splits or merges; a changed object's postings are
   dropped from each and its new ones added (a common word's in its parts,
   :mod:`.searchparts`);
4. writes ``_search/shards.js`` with the new totals.

Only those files are read, one at a time, so the work and the memory follow the change,
not the workspace; a file whose bytes come out the same is not staged again.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from notion_syncd.export import search, searchwords
from notion_syncd.export.searchlayout import (
    LAYOUT_PATH,
    SHARD_DIR,
    Layout,
    Resize,
    bucket,
    parse_layout,
    resize,
)
from notion_syncd.export.searchwords import WordPostings
from notion_syncd.gitstore import Mirror
from notion_syncd.sync import searchparts

V = TypeVar("V")


@dataclass(frozen=True)
class SearchChange:
    """An object's entry and words now (``entry`` None: it left the index)."""

    entry: search.SearchEntry | None
    words: tuple[str, ...] = ()


def read_layout(mirror: Mirror) -> Layout | None:
    """The layout the mirror's search index has; None when it has no readable one."""
    text = _read(mirror, LAYOUT_PATH)
    return parse_layout(text) if text else None


def outdated(mirror: Mirror) -> bool:
    """Whether the mirror has search files but not this code's layout (they predate it):
    the whole index must be written again."""
    if read_layout(mirror) is not None:
        return False
    return next(iter(mirror.walk_files(SHARD_DIR)), None) is not None


def clear(mirror: Mirror) -> None:
    """Delete every file of the search index (it is about to be written again whole)."""
    for rel in list(mirror.walk_files(SHARD_DIR)):
        mirror.delete(rel)


def write_search(mirror: Mirror, changes: Mapping[str, SearchChange]) -> None:
    """Bring the search's shards up to date with ``changes`` (by object id)."""
    if not changes:
        return
    before = read_layout(mirror) or Layout()
    old = _old_hashes(mirror, changes, before.buckets_files)
    new: dict[str, array[int]] = {}
    coming: dict[str, list[str]] = {}  # word -> the postings having it now
    for object_id, change in changes.items():
        if change.entry is not None:
            key = search.key_of(object_id)  # one string, however many words list it
            for word in change.words:
                coming.setdefault(word, []).append(key)
            new[object_id] = search.word_hash_array(searchwords.word_hashes(change.words))
    after = Layout(
        before.entries + len(new) - len(old),
        before.postings + sum(map(len, new.values())) - sum(map(len, old.values())),
    )
    entries = {object_id: c.entry for object_id, c in changes.items() if c.entry is not None}
    _write_by_id(mirror, _ID_SHARDS, changes, entries, resize(before.id_shards, after.id_shards))
    sizes = resize(before.buckets_files, after.buckets_files)
    _write_by_id(mirror, _BUCKETS_FILES, changes, new, sizes)
    sizes = resize(before.word_shards, after.word_shards)
    _write_word_shards(mirror, coming, old, sizes)
    if after.entries or after.postings:
        mirror.write(LAYOUT_PATH, after.render().encode())
    else:
        mirror.delete(LAYOUT_PATH)


@dataclass(frozen=True)
class _Family(Generic[V]):
    """One kind of shard file: where shard ``n`` is, how it reads and writes, how a key
    is hashed."""

    path: Callable[[int], str]
    parse: Callable[[str], dict[str, V]]
    render: Callable[[int, dict[str, V]], str]
    key_hash: Callable[[str], int]


_ID_SHARDS = _Family(
    search.shard_path,
    search.parse_shard,
    lambda _, entries: search.render_shard(entries),
    search.key_hash,
)
_BUCKETS_FILES = _Family(
    search.buckets_path,
    search.parse_buckets,
    lambda _, buckets: search.render_buckets(buckets),
    search.key_hash,
)
_WORD_SHARDS: _Family[WordPostings] = _Family(
    searchwords.word_shard_path,
    searchwords.parse_word_shard,
    searchwords.render_word_shard,
    searchwords.word_hash,
)


def _highest_first(numbers: Iterable[int]) -> list[int]:
    """The order shards are rewritten in: a shard split off by this write reads the old
    shard its keys come from, which has a lower number, before that one is rewritten
    without them (a merge reads shards that go, which are not rewritten)."""
    return sorted(numbers, reverse=True)


def _read(mirror: Mirror, path: str) -> str:
    raw = mirror.read(path)
    return raw.decode("utf-8", "replace") if raw else ""


def _gather(
    mirror: Mirror,
    family: _Family[V],
    sizes: Resize,
    number: int,
    kept: Callable[[str, V], V | None],
) -> dict[str, V]:
    """What shard ``number`` of the new layout keeps: the keys of its old sources that
    hash to it, each value as ``kept`` says (None: dropped)."""
    table: dict[str, V] = {}
    for source in sorted(sizes.sources(number)):
        split = source in sizes.touched  # else every key of the shard stays in it
        for key, value in family.parse(_read(mirror, family.path(source))).items():
            if not split or bucket(family.key_hash(key), sizes.new) == number:
                kept_value = kept(key, value)
                if kept_value is not None:
                    table[key] = kept_value
    return table


def _store(mirror: Mirror, family: _Family[V], number: int, table: dict[str, V]) -> None:
    """Write shard ``number``, or delete it when empty (an empty shard has no file)."""
    if table:
        mirror.write(family.path(number), family.render(number, table).encode())
    else:
        mirror.delete(family.path(number))


def _old_hashes(mirror: Mirror, changes: Iterable[str], shards: int) -> dict[str, array[int]]:
    """The word hashes of each changed object that had an entry before this write, by id
    (``shards``: the count of buckets files before it)."""
    by_shard: dict[int, list[str]] = {}
    for object_id in changes:
        by_shard.setdefault(bucket(search.key_hash(object_id), shards), []).append(object_id)
    old: dict[str, array[int]] = {}
    for number, ids in sorted(by_shard.items()):
        table = search.parse_buckets(_read(mirror, search.buckets_path(number)))
        old.update((object_id, table[object_id]) for object_id in ids if object_id in table)
    return old


def _write_by_id(
    mirror: Mirror,
    family: _Family[V],
    changes: Collection[str],
    values: Mapping[str, V],
    sizes: Resize,
) -> None:
    """Rewrite the shards of a family keyed by object id (id shards, buckets files) that
    hold a changed object or that the resize touches: ``values`` are the changed
    objects' lines now (an object without one has left the index)."""
    by_shard: dict[int, list[str]] = {}
    for object_id in changes:
        by_shard.setdefault(bucket(search.key_hash(object_id), sizes.new), []).append(object_id)

    def unchanged(key: str, value: V) -> V | None:
        return None if key in changes else value

    for number in _highest_first(sizes.written | set(by_shard)):
        table = _gather(mirror, family, sizes, number, unchanged)
        table.update((i, values[i]) for i in by_shard.get(number, ()) if i in values)
        _store(mirror, family, number, table)
    for number in sizes.gone:
        mirror.delete(family.path(number))


def _write_word_shards(
    mirror: Mirror,
    coming: Mapping[str, list[str]],
    old: Mapping[str, Sequence[int]],
    sizes: Resize,
) -> None:
    """Rewrite the word shards holding a changed object's old or new postings, or that
    the resize touches: each changed object's postings out (``old``: its word hashes
    before), its words now in (``coming``, by word; lists rather than sets, which took 3
    times the memory for the many words of one page or two); a common word's through
    its parts (``searchparts``).

    What is held through the write is a list entry per posting coming or going, each
    object's key one string: a set per word hash with a key made for each of its hashes
    held 7.8 MB for the 2,500 pages of one write in the 50,000-page bench (issue 10).
    """
    added: dict[int, list[str]] = {}  # word shard -> the words coming to it
    for word in coming:
        added.setdefault(bucket(searchwords.word_hash(word), sizes.new), []).append(word)
    dropped = {object_id: search.key_of(object_id) for object_id in old}
    dropped_under: dict[int, list[str]] = {}  # word hash -> postings of objects that had it
    for object_id, hashes in old.items():
        for value in hashes:  # distinct: each object's posting is listed once per hash
            dropped_under.setdefault(value, []).append(dropped[object_id])
    left = {bucket(value, sizes.new) for value in dropped_under}
    dropped_keys = set(dropped.values())

    def without_dropped(_: str, postings: WordPostings) -> WordPostings | None:
        if isinstance(postings, int):
            return postings  # a common word's: searchparts looks for them
        return (postings - dropped_keys) or None

    for number in _highest_first(sizes.written | left | set(added)):
        index = _gather(mirror, _WORD_SHARDS, sizes, number, without_dropped)
        arriving = {word: coming[word] for word in added.get(number, ())}
        for word in sorted({w for w, v in index.items() if isinstance(v, int)} | set(arriving)):
            before = index.get(word, set())
            going = dropped_under.get(searchwords.word_hash(word), [])
            keys = set(arriving.get(word, ()))
            if isinstance(before, set) and not searchwords.part_count(len(before | keys)):
                index[word] = before | keys
            elif keys or (going and isinstance(before, int)):
                now = searchparts.update_word(mirror, word, before, going, keys)
                if now:
                    index[word] = now
                else:
                    index.pop(word, None)
        _store(mirror, _WORD_SHARDS, number, index)
    for number in sizes.gone:
        mirror.delete(_WORD_SHARDS.path(number))

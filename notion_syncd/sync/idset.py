"""Maps and sets of Notion ids at 16 to 24 bytes an id, for what a sync remembers of
every object it meets.

A sync remembers a fact or two about each object until it ends: the ids it queued,
listed, wrote and authored. As Python ``dict`` and ``set`` of id strings these cost
110–190 bytes an object each; at 10,000 pages they were 6.2 MB of the export's 9 MB
of RSS growth (issue 10: the RSS of a sync must not grow with the workspace). Here an
id is its UUID's 16 bytes in one sorted ``bytes`` string (``IdSet``: 16 bytes an id),
and its value one pointer to a string shared by every equal value (``IdMap``: 24 bytes;
``last_edited_time`` repeats a lot). The newest additions wait in a small dict or set
that is merged in when it fills, once per ``RECENT`` additions. A merge copies the runs
of settled ids between the new ones (:func:`_merged`): it makes no object per settled
id, which at 50,000 ids was 6 MB of short-lived tuples and strings per merge, scattered
through the allocator's arenas, where what other threads kept meanwhile pinned them.

An id that is not a UUID (tests, or an API that changes its ids) is kept as given, in a
plain dict. Iteration gives the ids in dashed form.

One thread adds; any thread may read: a merge publishes the new sorted keys with their
values as one tuple before it empties the recent dict, so a reader that misses a key in
the recent dict finds it in the tuple.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from notion_syncd.terms import compact_id, dashed_id

_KEY = 16
RECENT = 2_048
"""Additions kept in a dict before they are merged into the sorted string."""


def _key(object_id: str) -> bytes | None:
    """The UUID's 16 bytes, or None when ``object_id`` is not a UUID."""
    compact = compact_id(object_id)
    if len(compact) != 32:
        return None
    try:
        return bytes.fromhex(compact)
    except ValueError:
        return None


def _position(keys: bytes, key: bytes) -> int | None:
    """The index of ``key`` in the sorted 16-byte ``keys``, or None."""
    at = _insertion(keys, key)
    return at if keys[at * _KEY : at * _KEY + _KEY] == key else None


def _insertion(keys: bytes, key: bytes) -> int:
    """The index of the first key in the sorted 16-byte ``keys`` not below ``key``."""
    low, high = 0, len(keys) // _KEY
    while low < high:
        middle = (low + high) // 2
        if keys[middle * _KEY : middle * _KEY + _KEY] < key:
            low = middle + 1
        else:
            high = middle
    return low


def _merged(keys: bytes, new: list[bytes]) -> tuple[bytes, list[int]]:
    """``keys`` with the sorted ``new`` keys (none of them in ``keys``) in their places,
    and where each went among the old keys (its insertion index)."""
    places = [_insertion(keys, key) for key in new]
    view = memoryview(keys)
    parts: list[bytes | memoryview] = []
    start = 0
    for place, key in zip(places, new, strict=True):
        parts += (view[start * _KEY : place * _KEY], key)
        start = place
    parts.append(view[start * _KEY :])
    return b"".join(parts), places


def _key_id(keys: bytes, index: int) -> str:
    return dashed_id(keys[index * _KEY : index * _KEY + _KEY].hex())


class IdMap:
    """Notion id -> string: ``[id] = value``, ``get``, ``in``, ``len``, iteration."""

    def __init__(self) -> None:
        self._settled: tuple[bytes, list[str]] = (b"", [])
        """Sorted keys, and their values in the same order."""
        self._recent: dict[bytes, str] = {}
        self._other: dict[str, str] = {}
        self._shared: dict[str, str] = {}
        """Each distinct value once (``sys.intern`` would keep them past the sync)."""

    def __setitem__(self, object_id: str, value: str) -> None:
        value = self._shared.setdefault(value, value)
        key = _key(object_id)
        if key is None:
            self._other[object_id] = value
            return
        keys, values = self._settled
        position = _position(keys, key) if key not in self._recent else None
        if position is not None:
            values[position] = value
            return
        self._recent[key] = value
        if len(self._recent) >= RECENT:
            self._merge()

    def _merge(self) -> None:
        keys, values = self._settled
        new = sorted(self._recent)
        merged, places = _merged(keys, new)
        merged_values: list[str] = []
        start = 0
        for place, key in zip(places, new, strict=True):
            merged_values += values[start:place]
            merged_values.append(self._recent[key])
            start = place
        merged_values += values[start:]
        self._settled = (merged, merged_values)
        self._recent = {}

    def get(self, object_id: str) -> str | None:
        key = _key(object_id)
        if key is None:
            return self._other.get(object_id)
        value = self._recent.get(key)
        if value is not None:
            return value
        keys, values = self._settled
        position = _position(keys, key)
        return values[position] if position is not None else None

    def __contains__(self, object_id: object) -> bool:
        return isinstance(object_id, str) and self.get(object_id) is not None

    def __len__(self) -> int:
        return len(self._settled[1]) + len(self._recent) + len(self._other)

    def __iter__(self) -> Iterator[str]:
        return (object_id for object_id, _ in self.items())

    def items(self) -> Iterator[tuple[str, str]]:
        keys, values = self._settled
        for index, value in enumerate(values):
            yield _key_id(keys, index), value
        for key, value in list(self._recent.items()):
            yield dashed_id(key.hex()), value
        yield from list(self._other.items())


class IdSet:
    """A set of Notion ids: ``add``, ``update``, ``in``, ``len``, iteration, ``take``."""

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._settled = b""
        """Sorted keys."""
        self._recent: set[bytes] = set()
        self._other: set[str] = set()
        self.update(ids)

    def add(self, object_id: str) -> None:
        key = _key(object_id)
        if key is None:
            self._other.add(object_id)
        elif key not in self._recent and _position(self._settled, key) is None:
            self._recent.add(key)
            if len(self._recent) >= RECENT:
                self._merge()

    def update(self, ids: Iterable[str]) -> None:
        for object_id in ids:
            self.add(object_id)

    def _merge(self) -> None:
        self._settled = _merged(self._settled, sorted(self._recent))[0]
        self._recent = set()

    def __contains__(self, object_id: object) -> bool:
        if not isinstance(object_id, str):
            return False
        key = _key(object_id)
        if key is None:
            return object_id in self._other
        return key in self._recent or _position(self._settled, key) is not None

    def __len__(self) -> int:
        return len(self._settled) // _KEY + len(self._recent) + len(self._other)

    def __iter__(self) -> Iterator[str]:
        yield from self._settled_ids()
        for key in list(self._recent):
            yield dashed_id(key.hex())
        yield from list(self._other)

    def in_order(self) -> Iterator[str]:
        """Every id in sorted order (ids that are not UUIDs last), none of them held in a
        list. For the one thread that adds (it merges), which adds none meanwhile."""
        self._merge()
        yield from self._settled_ids()
        yield from sorted(self._other)

    def _settled_ids(self) -> Iterator[str]:
        """The merged ids, in order (of the keys as they are when it starts)."""
        keys = self._settled
        for index in range(len(keys) // _KEY):
            yield _key_id(keys, index)

    def take(self, limit: int) -> list[str]:
        """Remove and return the first ``limit`` ids in sorted order (ids that are not
        UUIDs last). For the one thread that adds: it does not publish as a merge does."""
        self._merge()
        keys = self._settled
        count = min(limit, len(keys) // _KEY)
        taken = [_key_id(keys, index) for index in range(count)]
        self._settled = keys[count * _KEY :]
        others = sorted(self._other)[: limit - count]
        self._other.difference_update(others)
        return taken + others

    def clear(self) -> None:
        self._settled, self._recent, self._other = b"", set(), set()

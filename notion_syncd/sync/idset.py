"""Maps and sets of Notion ids at about 24 bytes an id, for what a sync remembers of
every object it meets.

A sync remembers a fact or two about each object until it ends: the ids it queued,
listed, wrote and authored. As Python ``dict`` and ``set`` of id strings these cost
110–190 bytes an object each; at 10,000 pages they were 6.2 MB of the export's 9 MB
of RSS growth (issue 10: the RSS of a sync must not grow with the workspace). Here an
id is its UUID's 16 bytes in one sorted ``bytes`` string, and its value one pointer to
a string shared by every equal value (``last_edited_time`` repeats a lot). The newest
additions wait in a small dict that is merged in when it fills; a merge sorts the
whole, once per ``RECENT`` additions.

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
    low, high = 0, len(keys) // _KEY
    while low < high:
        middle = (low + high) // 2
        found = keys[middle * _KEY : middle * _KEY + _KEY]
        if found < key:
            low = middle + 1
        elif found > key:
            high = middle
        else:
            return middle
    return None


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
        pairs = [(keys[i * _KEY : i * _KEY + _KEY], value) for i, value in enumerate(values)]
        pairs.extend(self._recent.items())
        pairs.sort()
        self._settled = (b"".join(key for key, _ in pairs), [value for _, value in pairs])
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
            yield dashed_id(keys[index * _KEY : index * _KEY + _KEY].hex()), value
        for key, value in list(self._recent.items()):
            yield dashed_id(key.hex()), value
        yield from list(self._other.items())


class IdSet:
    """A set of Notion ids: ``add``, ``update``, ``in``, ``len``, iteration."""

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._map = IdMap()
        self.update(ids)

    def add(self, object_id: str) -> None:
        self._map[object_id] = ""

    def update(self, ids: Iterable[str]) -> None:
        for object_id in ids:
            self.add(object_id)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._map

    def __len__(self) -> int:
        return len(self._map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

"""Sync state kept inside the mirror repository, so a fresh clone is enough to resume.

- ``.notion-syncd/state.json``: the watermark (newest ``last_edited_time`` up to which
  every change is mirrored), when the last committed sync listed the workspace, and the
  settings that shape the output (formats).
- ``.notion-syncd/index/<2 hex>/<id>.json``: one index entry per exported object. One
  small file each, so a one-page change rewrites one small file, not a big index.

An index entry stores its object's ``name`` (one path component) and its ``parent`` id,
not its full path: the path is derived by walking up the parents, so moving or renaming
a page changes that page's entry only, however many descendants it has.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from notion_syncd import jsoncodec
from notion_syncd.errors import MirrorUnusable
from notion_syncd.sync.removals import Mirrored
from notion_syncd.terms import compact_id, dashed_id

STATE_DIR = ".notion-syncd"
STATE_FILE = f"{STATE_DIR}/state.json"
INDEX_DIR = f"{STATE_DIR}/index"
LEDGER_FILE = f"{STATE_DIR}/last-sync.json"
FORMAT_VERSION = 1
MAX_DEPTH = 200  # parent hops followed before a chain counts as broken

Kind = Literal["page", "data_source", "database"]


class MirrorFiles(Protocol):
    """What state and index need of a mirror: ``gitstore.Mirror``, or a read-only
    ``snapshot.CommittedTree`` (a dry run, whose writes raise)."""

    path: Path  # the working folder, to name a damaged file

    def read(self, rel: str) -> bytes | None: ...
    def write(self, rel: str, data: bytes) -> bool: ...
    def delete(self, rel: str) -> bool: ...
    def walk_files(self, rel: str) -> Iterator[str]: ...


def dump_json(value: object) -> bytes:
    """Deterministic JSON bytes: sorted keys, two-space indent, trailing newline."""
    return jsoncodec.dumps_indented(value)


@dataclass(frozen=True)
class IndexEntry:
    """What the mirror knows about one exported object."""

    id: str
    kind: Kind
    title: str
    parent: str | None
    name: str
    last_edited_time: str
    created_time: str = ""
    alias_of: str | None = None
    settled: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        defaults: dict[str, object] = {
            "alias_of": None,
            "settled": True,
            "extra": {},
            "created_time": "",
        }
        data = {
            key: value
            for key, value in asdict(self).items()
            if key not in defaults or value != defaults[key]
        }
        return dump_json(data)

    def alias(self, database_id: str) -> IndexEntry:
        """The entry of a database that stands for this data source (same name and place)."""
        return IndexEntry(
            id=database_id,
            kind="database",
            title=self.title,
            parent=self.parent,
            name=self.name,
            last_edited_time="",
            alias_of=self.id,
        )

    @classmethod
    def from_json(cls, raw: bytes) -> IndexEntry:
        data = json.loads(raw)
        data.setdefault("extra", {})
        return cls(**data)

    def with_changes(self, **changes: Any) -> IndexEntry:
        return replace(self, **changes)


@dataclass(frozen=True)
class SyncState:
    watermark: str | None = None
    formats: tuple[str, ...] = ()
    format_version: int = FORMAT_VERSION
    search_lag: float = 0.0  # seconds search was seen behind (``lag.py``); 0: never

    def to_json(self) -> bytes:
        data: dict[str, object] = {
            "format_version": self.format_version,
            "formats": list(self.formats),
            "watermark": self.watermark,
        }
        if self.search_lag:
            data["search_lag"] = round(self.search_lag)
        return dump_json(data)


def read_state(mirror: MirrorFiles) -> SyncState:
    raw = mirror.read(STATE_FILE)
    if raw is None:
        return SyncState()
    try:
        data = json.loads(raw)
        watermark = data.get("watermark")
        if watermark is not None:
            datetime.fromisoformat(str(watermark).replace("Z", "+00:00"))
        return SyncState(
            watermark=watermark,
            formats=tuple(data.get("formats", ())),
            format_version=int(data.get("format_version", FORMAT_VERSION)),
            search_lag=float(data.get("search_lag", 0.0)),
        )
    except (ValueError, TypeError, AttributeError) as exc:
        raise MirrorUnusable(
            f"{mirror.path / STATE_FILE} is damaged: {exc}",
            hint=f"repair it (a JSON object; watermark an ISO time or null) and commit it, or "
            f"restore it from an earlier commit (git log -- {STATE_FILE}); "
            "a watermark of null makes the next sync list everything and fetch only what changed",
        ) from None


def _place_of(entry: IndexEntry) -> tuple[str, str | None, str | None]:
    """What an entry's path depends on, besides its parents' entries."""
    return entry.name, entry.parent, entry.alias_of


def index_path(notion_id: str) -> str:
    raw = compact_id(notion_id)
    return f"{INDEX_DIR}/{raw[:2]}/{dashed_id(raw)}.json"


INDEX_CACHE_ENTRIES = 1_000
"""Entries kept in memory: the parents of the pages in flight, not the mirror (issue 10)."""
PATH_CACHE_ENTRIES = 2_000
"""Paths kept in memory (``Index.path_of``), cleared when full: cheap to walk again."""


class Index:
    """Lazy, cached access to the index entries stored in the mirror."""

    def __init__(self, mirror: MirrorFiles, *, cache_size: int = INDEX_CACHE_ENTRIES) -> None:
        self._mirror = mirror
        self._cache: OrderedDict[str, IndexEntry | None] = OrderedDict()
        self._cache_size = cache_size
        self._paths: dict[str, str | None] = {}
        self._unplaced: set[str] = set()
        """Ids in ``_paths`` without a path: an entry added later may give them one."""
        self.net_added = 0
        """Entries added less entries removed through this index (the pages gauge)."""

    def get(self, notion_id: str) -> IndexEntry | None:
        key = dashed_id(notion_id)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        raw = self._mirror.read(index_path(key))
        entry = None
        if raw is not None:
            try:
                entry = IndexEntry.from_json(raw)
            except (ValueError, TypeError, AttributeError) as exc:
                file = self._mirror.path / index_path(key)
                raise MirrorUnusable(
                    f"index entry {file} is damaged: {exc}",
                    hint="rebuild the index from the mirror's JSON records: "
                    "notion-syncd check --repair --config FILE (this command's configuration)",
                ) from None
        self._remember(key, entry)
        return entry

    def _remember(self, key: str, entry: IndexEntry | None) -> None:
        self._cache[key] = entry
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def put(self, entry: IndexEntry) -> None:
        try:
            before = self.get(entry.id)
            self.net_added += before is None
        except MirrorUnusable:  # a damaged entry, replaced now: where it was is unknown
            before = None
            self._forget_paths()
        self._mirror.write(index_path(entry.id), entry.to_json())
        self._remember(entry.id, entry)
        if before is None:
            self._forget_unplaced()  # only paths that were missing can appear
        elif _place_of(before) != _place_of(entry):
            self._forget_paths()  # a move or rename: its descendants' paths change
        # Otherwise no path changes (a new title or edit time): clearing every path on
        # each put made a first export walk each link's parents again (issue 10).

    def remove(self, notion_id: str) -> None:
        key = dashed_id(notion_id)
        self.net_added -= self._mirror.delete(index_path(key))
        self._remember(key, None)
        self._forget_paths()

    def _forget_unplaced(self) -> None:
        for key in self._unplaced:
            self._paths.pop(key, None)
        self._unplaced.clear()

    def _forget_paths(self) -> None:
        self._paths.clear()
        self._unplaced.clear()

    def path_of(self, notion_id: str) -> str | None:
        """Repo-relative path stem of an object's files, or None when not mirrored.

        None also for an entry whose parent chain loops back on itself, which the writer
        never leaves behind (``Exporter`` writes a parent that moved first) but a damaged
        index could hold.
        """
        key = dashed_id(notion_id)
        if key in self._paths:
            return self._paths[key]
        names = []
        for entry in self.lineage(key):
            if entry is None:
                path = None
                break
            if not entry.alias_of:
                names.append(entry.name)
        else:
            path = "/".join(reversed(names))
        if len(self._paths) > PATH_CACHE_ENTRIES:
            self._forget_paths()
        self._paths[key] = path
        if path is None:
            self._unplaced.add(key)
        return path

    def lineage(self, notion_id: str) -> Iterator[IndexEntry | None]:
        """An entry, then its alias target or parent, up to the top level.

        Ends with ``None`` when a link is missing or the chain loops (a cycle).
        """
        key: str | None = dashed_id(notion_id)
        seen: set[str] = set()
        while key is not None:
            entry = self.get(key)
            if entry is None or key in seen or len(seen) > MAX_DEPTH:
                yield None
                return
            seen.add(key)
            yield entry
            key = entry.alias_of or entry.parent

    def descends_from(self, notion_id: str, ancestor_id: str) -> bool:
        """True when ``ancestor_id`` is on the mirrored parent chain of ``notion_id``."""
        ancestor = dashed_id(ancestor_id)
        return any(entry is not None and entry.id == ancestor for entry in self.lineage(notion_id))

    def title_of(self, notion_id: str) -> str | None:
        entry = self.get(notion_id)
        return entry.title if entry is not None else None

    def all_ids(self) -> Iterator[str]:
        """Every indexed id (a walk of the index folder, one of its folders listed at a
        time; ids only, not entries). Not a list: at 50,000 pages the ids were 5 MB,
        held through each walk of ``Views.write_index_html``."""
        for rel in self._mirror.walk_files(INDEX_DIR):
            name = rel.rsplit("/", 1)[-1]
            if name.endswith(".json"):
                yield name[: -len(".json")]

    def mirrored(self) -> list[Mirrored]:
        """Every entry as ``removals`` sees it: id, parent and alias target."""
        entries = []
        for object_id in self.all_ids():
            entry = self.get(object_id)
            if entry is not None:
                parent = dashed_id(entry.parent) if entry.parent else None
                alias = dashed_id(entry.alias_of) if entry.alias_of else None
                entries.append(Mirrored(entry.id, parent, alias))
        return entries

    def count(self) -> int:
        """How many objects the index holds (a listing of its folder)."""
        return sum(1 for _ in self.all_ids())

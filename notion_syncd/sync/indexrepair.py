"""The index rebuilt from the mirror's JSON records: find damaged entries, repair them.

Every index entry (``.notion-syncd/index/<2 hex>/<id>.json``, see :mod:`.state`) holds
nothing the mirror does not also say, because a sync writes each object's lossless
record at ``<stem>.json`` beside the entry:

- ``id``, ``kind``, ``title``, ``created_time``, ``last_edited_time``: the record's page
  or data source object (the title as the writer takes it, ``terms``);
- ``name``: the record's file name without ``.json``;
- ``parent``: the object whose record names the folder it is in (``A/B.json`` is the
  parent of ``A/B/C.json``); none at the top level;
- a database's alias entry: the first of its data sources, in Notion's order, that the
  mirror holds (``databases.alias_target``), with that source's title, parent and name;
- ``settled`` is the one fact no record holds (when it was fetched). A readable entry
  with the same ``last_edited_time`` keeps its own. Otherwise an object the next sync
  will not list again (edited before its listing floor) is settled, as a fresh export
  writes it; one it lists again takes the flag from the entry's newest readable version
  in the branch's recent history (same ``last_edited_time``), else is marked unsettled,
  so that sync fetches it once more (never the reverse: an edit made in the minute of
  the fetch would be missed).

A damaged record, or a folder without its record, stops the rebuild with a
``MirrorUnusable`` naming it: the records are the source, and a guess would misplace
every object below it.

Records are read one at a time (the walk keeps the ids of a few parents, the data
sources, and the set of index paths it rebuilt), so the cost is one pass over the
records and the index, and memory does not grow with the size of the records.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from notion_syncd import terms
from notion_syncd.errors import MirrorUnusable
from notion_syncd.sync import databases
from notion_syncd.sync.planner import parse_time
from notion_syncd.sync.state import (
    INDEX_DIR,
    STATE_DIR,
    IndexEntry,
    Kind,
    MirrorFiles,
    index_path,
)
from notion_syncd.terms import dashed_id

SKIPPED_FOLDERS = (STATE_DIR, "_files", "_assets")
"""Top-level folders that hold no record (state, downloaded files, stylesheets)."""
PARENT_CACHE = 256
"""Parent ids remembered while walking: a folder's records come together."""


@dataclass(frozen=True)
class Damage:
    """An index file that differs from what the records say.

    ``entry``: the bytes it should hold; None when it should not exist.
    """

    rel: str
    problem: str
    entry: bytes | None


def _record_object(raw: bytes) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(record, its page or data source object) when ``raw`` is a record, else None."""
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    holder = record.get("data_source") if "data_source" in record else record.get("page")
    if not isinstance(holder, dict) or not isinstance(holder.get("id"), str):
        return None
    return record, holder


def _unusable(files: MirrorFiles, rel: str, what: str) -> MirrorUnusable:
    """A record the index cannot be rebuilt without: the records are the source."""
    return MirrorUnusable(
        f"{what} ({files.path / rel}): the index cannot be rebuilt without it",
        hint=f"restore it from an earlier commit (git log -- '{rel}', then git checkout "
        f"COMMIT -- '{rel}') and commit it, then check again",
    )


class _ParentIds:
    """The id of the record at ``<stem>.json``, read once per stem while it is in use."""

    def __init__(self, files: MirrorFiles) -> None:
        self._files = files
        self._ids: OrderedDict[str, str | None] = OrderedDict()

    def of(self, stem: str) -> str | None:
        if stem in self._ids:
            self._ids.move_to_end(stem)
            return self._ids[stem]
        rel = f"{stem}.json"
        raw = self._files.read(rel)
        if raw is None:
            raise _unusable(self._files, rel, f"the folder {stem} has no record {rel}")
        found = _record_object(raw)
        if found is None:
            raise _unusable(self._files, rel, f"the record {rel} is damaged")
        object_id = dashed_id(found[1]["id"])
        self._ids[stem] = object_id
        if len(self._ids) > PARENT_CACHE:
            self._ids.popitem(last=False)
        return object_id


def _record_paths(files: MirrorFiles) -> Iterator[str]:
    for rel in files.walk_files(""):
        if rel.endswith(".json") and rel.split("/", 1)[0] not in SKIPPED_FOLDERS:
            yield rel


def entry_of(
    rel: str, record: dict[str, Any], holder: dict[str, Any], parent: str | None
) -> IndexEntry:
    """The entry the writer makes for the record stored at ``rel`` (``settled`` aside)."""
    stem = rel[: -len(".json")]
    kind: Kind
    if "data_source" in record:
        kind = "data_source"
        title = terms.data_source_title(holder, record.get("database") or {})
    else:
        kind = "page"
        title = terms.page_title(holder)
    return IndexEntry(
        id=dashed_id(holder["id"]),
        kind=kind,
        title=title,
        parent=parent,
        name=stem.rsplit("/", 1)[-1],
        last_edited_time=str(holder.get("last_edited_time") or ""),
        created_time=str(holder.get("created_time") or ""),
    )


def rebuilt_entries(files: MirrorFiles) -> Iterator[IndexEntry]:
    """Every index entry the mirror's records call for: objects first, then aliases."""
    parents = _ParentIds(files)
    sources: dict[str, IndexEntry] = {}
    orders: dict[str, list[str]] = {}
    holders: dict[str, str] = {}  # database id -> the first source holding it (walk order)
    for rel in _record_paths(files):
        raw = files.read(rel)
        found = _record_object(raw) if raw is not None else None
        if found is None:
            raise _unusable(files, rel, f"the record {rel} is damaged")
        record, holder = found
        folder = rel.rpartition("/")[0]
        entry = entry_of(rel, record, holder, parents.of(folder) if folder else None)
        yield entry
        database = record.get("database")
        if entry.kind == "data_source" and isinstance(database, dict) and database.get("id"):
            sources[entry.id] = entry
            database_id = dashed_id(str(database["id"]))
            orders[database_id] = databases.source_ids(database)
            holders.setdefault(database_id, entry.id)
    for database_id in sorted(orders):
        mirrored = [source for source in orders[database_id] if source in sources]
        target = sources[mirrored[0] if mirrored else holders[database_id]]
        yield target.alias(database_id)


def _no_history(rel: str) -> IndexEntry | None:
    return None


@dataclass(frozen=True)
class Settling:
    """What decides ``settled`` where the entry itself cannot (see the module docstring).

    ``floor``: the next sync's listing floor (``planner.listing_floor``; None: it lists
    everything). ``earlier``: the newest readable version of an index file in the
    branch's history (None when there is none), asked only for objects the next sync
    lists again.
    """

    floor: datetime | None
    earlier: Callable[[str], IndexEntry | None] = _no_history


def _settled(entry: IndexEntry, current: IndexEntry | None, settling: Settling) -> IndexEntry:
    if entry.kind == "database" or not entry.last_edited_time:
        return entry
    if current is not None and current.last_edited_time == entry.last_edited_time:
        return entry.with_changes(settled=current.settled)
    floor = settling.floor
    if floor is not None and parse_time(entry.last_edited_time) < floor:
        return entry.with_changes(settled=True)  # not listed again: as a fresh export
    previous = settling.earlier(index_path(entry.id))
    if previous is not None and previous.last_edited_time == entry.last_edited_time:
        return entry.with_changes(settled=previous.settled)
    return entry.with_changes(settled=False)  # the next sync fetches it once more


def _differences(current: IndexEntry, expected: IndexEntry) -> str:
    names = [
        field.name
        for field in fields(IndexEntry)
        if getattr(current, field.name) != getattr(expected, field.name)
    ]
    return (
        f"differs from its record ({', '.join(names)})"
        if names
        else "is not written as a sync writes it"
    )


def _checked(entry: IndexEntry, files: MirrorFiles, settling: Settling) -> Damage | None:
    rel = index_path(entry.id)
    raw = files.read(rel)
    if raw is None:
        return Damage(rel, "is missing", _settled(entry, None, settling).to_json())
    try:
        current: IndexEntry | None = IndexEntry.from_json(raw)
        problem = ""
    except (ValueError, TypeError, AttributeError) as exc:
        current, problem = None, f"is damaged ({exc})"
    expected = _settled(entry, current, settling)
    data = expected.to_json()
    if raw == data:
        return None
    return Damage(rel, problem or _differences(current or expected, expected), data)


def find_damage(files: MirrorFiles, settling: Settling) -> Iterator[Damage]:
    """Every index file that differs from the records, in walk order."""
    rebuilt: set[str] = set()
    for entry in rebuilt_entries(files):
        rel = index_path(entry.id)
        if rel in rebuilt:
            continue  # two records of one object: the first one walked places it
        rebuilt.add(rel)
        damage = _checked(entry, files, settling)
        if damage is not None:
            yield damage
    for rel in list(files.walk_files(INDEX_DIR)):
        if rel not in rebuilt:
            yield Damage(rel, "names no record in the mirror", None)

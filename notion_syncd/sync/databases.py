"""A database with several data sources: pure decisions, no I/O.

Each data source's record holds its database object, which lists every data source
(``data_sources``, in Notion's order). Two facts must not depend on the order in which
a sync happens to write the sources:

- which source the database id stands for (its index alias, used by links to the
  database): the first one Notion lists that the mirror holds;
- the database object in each source's record: the newest one fetched, so that a
  source added later is listed by its siblings' records too (Notion does not move
  their ``last_edited_time``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from notion_syncd.terms import dashed_id


def source_ids(database: dict[str, Any]) -> list[str]:
    """The dashed ids of a database object's data sources, in Notion's order."""
    return [
        dashed_id(str(source["id"]))
        for source in database.get("data_sources") or []
        if isinstance(source, dict) and source.get("id")
    ]


def alias_target(
    database: dict[str, Any], writing: str, current: str | None, mirrored: Callable[[str], bool]
) -> str:
    """The data source the database id should stand for once ``writing`` is written.

    ``current`` is the one it stands for now (None when none). The first source Notion
    lists that is mirrored (or is being written) wins; a database object that does not
    list ``writing`` (an older API) keeps the current choice, else takes ``writing``.
    """
    order = source_ids(database)
    for source in order:
        if source == writing or mirrored(source):
            return source
    return current if current is not None and mirrored(current) else writing


def refreshed_database(record: dict[str, Any], database: dict[str, Any]) -> dict[str, Any] | None:
    """A sibling source's ``record`` holding the newer ``database`` object, or None when
    it holds that object already."""
    if record.get("database") == database or "data_source" not in record:
        return None
    return {**record, "database": database}

"""Who else edited a page, from the webhook events waiting in the journal (``authors``).

Notion's page events name everyone who made the change (``authors``: partial users).
The receiver journals them under ``<git dir>/notion-syncd/`` until a sync that started
after them succeeds (:mod:`notion_syncd.webhooks.store`), so at the start of a sync the
journal holds exactly the events since the last successful one. Read-only here: the
journal is the receiver's, and a mirror without webhooks has none (empty answer).

The lines are read here rather than through ``Journal.events()``: the journal writes
``authors`` as plain ids and ``parse_event`` reads only ``{"id": …}`` objects (Notion's
form), so the authors are lost on the way back. Both forms are accepted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from notion_syncd.terms import compact_id, dashed_id
from notion_syncd.webhooks.store import Journal


def event_authors(git_dir: str | Path) -> Mapping[str, frozenset[str]]:
    """Entity id (dashed) -> the user ids the journaled events name as its authors."""
    found: dict[str, set[str]] = {}
    for entity_id, authors in _journaled(Journal(Path(git_dir)).path):
        found.setdefault(dashed_id(compact_id(entity_id)), set()).update(authors)
    return {entity: frozenset(users) for entity, users in found.items() if users}


def _journaled(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(entity id, author ids) of each readable line; a torn or odd line is skipped."""
    try:
        lines = path.read_bytes().splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return
    for raw in lines:
        try:
            event = json.loads(raw)
        except ValueError:
            continue
        entity = event.get("entity") if isinstance(event, dict) else None
        entity_id = entity.get("id") if isinstance(entity, dict) else None
        if isinstance(entity_id, str):
            yield entity_id, [user for item in event.get("authors") or [] if (user := _id(item))]


def _id(item: Any) -> str | None:
    if isinstance(item, dict):
        item = item.get("id")
    return item if isinstance(item, str) and item else None

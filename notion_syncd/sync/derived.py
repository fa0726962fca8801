"""Derived content Notion changes without moving ``last_edited_time``: pure decisions.

A page's stored record holds things that other objects own:

- the title of a mentioned page or database (``plain_text`` of a ``mention``), and the
  title, last edit and content flag of a child page or database (``child_page`` /
  ``child_database`` blocks);
- the children of a synced block's original, which a copy
  (``synced_block.synced_from.block_id``) lists as its own;
- formula and rollup values, which Notion recomputes from other pages.

Notion changes these in a fresh fetch but does not move the linking page's
``last_edited_time``, so a sync that follows ``last_edited_time`` alone would keep them
stale. Each function here takes a stored record and the new facts and returns the
refreshed record, or ``None`` when nothing changes; the I/O (which records to read,
writing them back, re-rendering views) lives in ``refresh.py``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from notion_syncd.sync.fetch import FILES_DIR, file_info, hosted_files
from notion_syncd.terms import dashed_id, page_title, plain_text

Record = dict[str, Any]

UNSHARED_TITLE = "Untitled"
"""What Notion shows for a mention of a page the integration cannot see."""
COMPUTED_TYPES = ("formula", "rollup")


def shown_titles(record: Record) -> dict[str, str]:
    """Ids → the title Notion shows for the object of ``record`` where it is referenced.

    A page is mentioned (and listed as a ``child_page``) by its id with its title; a
    database by the database id with the database's title (not the data source's).
    """
    if "data_source" in record:
        database = record.get("database") or {}
        if not database.get("id"):
            return {}
        return {dashed_id(str(database["id"])): plain_text(database.get("title"))}
    page = record.get("page") or {}
    if not page.get("id"):
        return {}
    return {dashed_id(str(page["id"])): page_title(page)}


def refresh_titles(record: Record, titles: Mapping[str, str]) -> Record | None:
    """``record`` with its mentions of ``titles``' ids showing those titles."""
    wanted = {dashed_id(key): value for key, value in titles.items()}
    if not any(_stale_mentions(record, wanted)):
        return None  # the usual case: copying every record first was 4 % of an export
    refreshed = copy.deepcopy(record)
    for node, title in list(_stale_mentions(refreshed, wanted)):
        node["plain_text"] = title
    return refreshed


def _stale_mentions(record: Record, wanted: Mapping[str, str]) -> Iterator[tuple[Record, str]]:
    """The page and database mentions in ``record`` not showing their ``wanted`` title."""
    for node in _dicts(record):
        if node.get("type") != "mention":
            continue
        mention = node.get("mention") or {}
        target = (mention.get(mention.get("type")) or {}) if isinstance(mention, dict) else {}
        if mention.get("type") not in ("page", "database") or not isinstance(target, dict):
            continue
        title = wanted.get(dashed_id(str(target.get("id", ""))))
        if title is not None and node.get("plain_text") != title:
            yield node, title


def child_block_facts(record: Record) -> tuple[str, Record] | None:
    """The id of the block showing ``record``'s object in its parent page, and its fields.

    A page's ``child_page`` block carries the page's title, last edit and whether it has
    content; a database's ``child_database`` block its title and last edit (rounded to
    the minute, like every block's). Notion changes them without moving the parent.
    """
    if "data_source" in record:
        database = record.get("database") or {}
        edited = minute_of(str(database.get("last_edited_time") or ""))
        if not database.get("id") or edited is None:
            return None
        title = plain_text(database.get("title"))
        facts: Record = {"type": "child_database", "title": title, "last_edited_time": edited}
        return dashed_id(str(database["id"])), facts
    page = record.get("page") or {}
    if not page.get("id"):
        return None
    facts = {
        "type": "child_page",
        "title": page_title(page),
        "last_edited_time": page.get("last_edited_time"),
        "last_edited_by": page.get("last_edited_by"),
        "has_children": bool(record.get("blocks")),
    }
    return dashed_id(str(page["id"])), facts


def refresh_child_blocks(record: Record, facts: Mapping[str, Record]) -> Record | None:
    """``record`` with its child blocks showing ``facts`` (block id → ``child_block_facts``)."""
    wanted = {dashed_id(key): value for key, value in facts.items()}
    refreshed = copy.deepcopy(record)
    changed = False
    for block in _blocks(refreshed.get("blocks") or []):
        fields = wanted.get(dashed_id(str(block.get("id", ""))))
        kind = block.get("type")
        if fields is None or kind != fields["type"] or not isinstance(block.get(kind), dict):
            continue
        for key, value in fields.items():
            if key == "type":
                continue
            holder = block[kind] if key == "title" else block
            if holder.get(key) != value:
                holder[key] = copy.deepcopy(value)
                changed = True
    return refreshed if changed else None


def minute_of(timestamp: str) -> str | None:
    """``2026-07-04T09:09:45.607+00:00`` → ``2026-07-04T09:09:00.000Z`` (None if unreadable)."""
    try:
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:00.000Z")


def synced_originals(record: Record) -> dict[str, Record]:
    """Original synced blocks in ``record`` (``synced_from`` is null), by block id."""
    return {
        dashed_id(str(block["id"])): block
        for block in _blocks(record.get("blocks") or [])
        if block.get("type") == "synced_block"
        and not (block.get("synced_block") or {}).get("synced_from")
        and block.get("id")
    }


def synced_copy_sources(record: Record) -> set[str]:
    """Ids of the original blocks that synced-block copies in ``record`` show."""
    sources = set()
    for block in _blocks(record.get("blocks") or []):
        original = _copied_from(block)
        if original is not None:
            sources.add(original)
    return sources


def refresh_synced_copies(record: Record, originals: Mapping[str, Record]) -> Record | None:
    """``record`` with every copy of ``originals`` listing the original's current children.

    A copy's children are the original's (same ids, same content), so a fresh fetch of
    the copy gives exactly what the original's record holds.
    """
    wanted = {dashed_id(key): value for key, value in originals.items()}
    refreshed = copy.deepcopy(record)
    changed = False
    for block in _blocks(refreshed.get("blocks") or []):
        original = wanted.get(_copied_from(block) or "")
        if original is None:
            continue
        before = {key: block.get(key) for key in ("has_children", "children", "children_error")}
        block["has_children"] = original.get("has_children", False)
        for key in ("children", "children_error"):
            if key in original:
                block[key] = copy.deepcopy(original[key])
            else:
                block.pop(key, None)
        after = {key: block.get(key) for key in before}
        changed |= before != after
    return refreshed if changed else None


def child_database_ids(record: Record) -> set[str]:
    """Ids of the databases whose ``child_database`` blocks sit in ``record``'s page."""
    return {
        dashed_id(str(block["id"]))
        for block in _blocks(record.get("blocks") or [])
        if block.get("type") == "child_database" and block.get("id")
    }


def disagrees_with_schema(schema: Record, page: Record) -> bool:
    """Whether a stored row shows another schema than its data source's (changed since).

    Notion shows a schema change (a property added, renamed, removed, retyped, an option
    renamed) in every row's page object without moving the rows' ``last_edited_time``.
    """
    properties = page.get("properties") or {}
    shape = {
        name: (value.get("id"), value.get("type"))
        for name, value in properties.items()
        if isinstance(value, dict)
    }
    wanted = {
        name: (entry.get("id"), entry.get("type"))
        for name, entry in schema.items()
        if isinstance(entry, dict)
    }
    if shape != wanted:
        return True
    for name, value in properties.items():
        kind = value.get("type")
        if kind not in ("select", "status", "multi_select"):
            continue
        config = schema[name].get(kind) or {}
        options = {
            option.get("id"): option
            for option in config.get("options") or []
            if isinstance(option, dict)
        }
        chosen = value.get(kind)
        for option in chosen if isinstance(chosen, list) else [chosen]:
            known = options.get(option.get("id")) if isinstance(option, dict) else None
            if known is not None and (
                (known.get("name"), known.get("color")) != (option.get("name"), option.get("color"))
            ):
                return True
    return False


def replace_page(record: Record, page: Record) -> Record | None:
    """``record`` with ``page`` as its page object (blocks kept), or None when equal."""
    if record.get("page") == page:
        return None
    return {**record, "page": page}


def has_computed_properties(data_source_record: Record) -> bool:
    """Whether a data source's schema has values Notion recomputes (formula, rollup)."""
    schema = (data_source_record.get("data_source") or {}).get("properties") or {}
    return any(
        isinstance(entry, dict) and entry.get("type") in COMPUTED_TYPES for entry in schema.values()
    )


def relation_truncated(page: Record) -> bool:
    """Whether a page object shows only part of a relation (its rollups may be wrong)."""
    for value in (page.get("properties") or {}).values():
        if isinstance(value, dict) and value.get("type") == "relation" and value.get("has_more"):
            return True
    return False


def refresh_computed(record: Record, fresh_page: Record) -> Record | None:
    """``record`` with the formula and rollup values of ``fresh_page`` (the same page, now)."""
    stored = (record.get("page") or {}).get("properties")
    fresh = fresh_page.get("properties") or {}
    if not isinstance(stored, dict):
        return None
    updates = {
        name: value
        for name, value in fresh.items()
        if isinstance(value, dict)
        and value.get("type") in COMPUTED_TYPES
        and name in stored
        and stored[name] != value
    }
    if not updates:
        return None
    refreshed = copy.deepcopy(record)
    refreshed["page"]["properties"].update(copy.deepcopy(updates))
    return refreshed


def referenced_files(record: Record) -> set[str]:
    """The ``_files/`` paths a stored record refers to."""
    paths = set()
    for holder in hosted_files(record):
        url = file_info(holder).get("url")
        if isinstance(url, str) and url.startswith(f"{FILES_DIR}/"):
            paths.add(url)
    return paths


def _copied_from(block: Record) -> str | None:
    if block.get("type") != "synced_block":
        return None
    synced_from = (block.get("synced_block") or {}).get("synced_from")
    if not isinstance(synced_from, dict) or not synced_from.get("block_id"):
        return None
    return dashed_id(str(synced_from["block_id"]))


def _blocks(blocks: list[Any]) -> Iterator[Record]:
    """Every block of a tree, parents before their children."""
    for block in blocks:
        if isinstance(block, dict):
            yield block
            yield from _blocks(block.get("children") or [])


def _dicts(node: object) -> Iterator[Record]:
    """Every dict inside ``node`` (a record), outermost first."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(value for value in item.values() if isinstance(value, dict | list))
        elif isinstance(item, list):
            stack.extend(value for value in item if isinstance(value, dict | list))

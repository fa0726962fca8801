"""Which mirrored objects link to which: so a move re-renders the pages that point at it.

``link_targets`` is pure: every Notion id a record links to (child pages and databases,
``link_to_page``, page/database mentions, relation values) and the original blocks its
synced-block copies show (so an edit of an original reaches the copies, see
``refresh.py``). The reverse index lives in
the repo, one small file per target (``.notion-syncd/backlinks/<2 hex>/<id>.json``,
a sorted list of source ids), so updating it costs what changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from notion_syncd import jsoncodec
from notion_syncd.gitstore import Mirror
from notion_syncd.sync.derived import synced_copy_sources
from notion_syncd.sync.state import STATE_DIR, dump_json
from notion_syncd.terms import compact_id, dashed_id

BACKLINKS_DIR = f"{STATE_DIR}/backlinks"


def link_targets(record: dict[str, Any]) -> set[str]:
    """Every object id the record links to, and every synced original it copies (dashed)."""
    targets = synced_copy_sources(record)
    _collect(record.get("blocks") or [], targets)
    page = record.get("page") or {}
    _collect(page.get("properties") or {}, targets)
    own = record.get("page") or record.get("data_source") or {}
    targets.discard(dashed_id(str(own.get("id", ""))))
    return targets


def _collect(node: object, targets: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect(item, targets)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind in ("child_page", "child_database") and node.get("object") == "block":
        targets.add(dashed_id(str(node.get("id", ""))))
    elif kind == "link_to_page":
        link = node.get("link_to_page") or {}
        target = link.get("page_id") or link.get("database_id")
        if target:
            targets.add(dashed_id(str(target)))
    elif kind == "mention":
        mention = node.get("mention") or {}
        for key in ("page", "database"):
            target = (mention.get(key) or {}).get("id")
            if target:
                targets.add(dashed_id(str(target)))
    elif kind == "relation" and isinstance(node.get("relation"), list):
        for item in node["relation"]:
            if isinstance(item, dict) and item.get("id"):
                targets.add(dashed_id(str(item["id"])))
    for value in node.values():
        if isinstance(value, dict | list):
            _collect(value, targets)


def _path(target: str) -> str:
    return f"{BACKLINKS_DIR}/{compact_id(target)[:2]}/{dashed_id(target)}.json"


def sources_of(mirror: Mirror, target: str) -> list[str]:
    """Ids of the objects whose records link to ``target``."""
    raw = mirror.read(_path(target))
    if raw is None:
        return []
    try:
        value = jsoncodec.loads(raw)
    except ValueError:
        return []
    return [str(item) for item in value] if isinstance(value, list) else []


def update(mirror: Mirror, source: str, old: Iterable[str], new: Iterable[str]) -> None:
    """Record that ``source`` now links to ``new`` instead of ``old``."""
    old_set, new_set = set(old), set(new)
    source = dashed_id(source)
    for target in sorted(old_set ^ new_set):
        sources = set(sources_of(mirror, target))
        if target in new_set:
            sources.add(source)
        else:
            sources.discard(source)
        if sources:
            mirror.write(_path(target), dump_json(sorted(sources)))
        else:
            mirror.delete(_path(target))

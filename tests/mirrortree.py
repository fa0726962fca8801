"""Invariants of a mirror, read from disk: its exported tree, its index, its watermark.

Used by the sync state machine (tests/test_sync_machine.py) and usable by any test that
wants to compare an incremental mirror with a fresh export of the same workspace.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
from pathlib import Path

from notion_syncd.sync.planner import parse_time
from notion_syncd.sync.state import INDEX_DIR, STATE_DIR, STATE_FILE

Tree = dict[str, bytes]
MAX_DIFF_LINES = 40


def exported_tree(repo: Path) -> Tree:
    """Every file of the mirror outside ``.git/`` and ``.notion-syncd/``, by relative path."""
    tree: Tree = {}
    for folder, dirs, files in os.walk(repo):
        rel_folder = Path(folder).relative_to(repo).as_posix()
        if rel_folder == ".":
            dirs[:] = [name for name in dirs if name not in (".git", STATE_DIR)]
        for name in files:
            rel = name if rel_folder == "." else f"{rel_folder}/{name}"
            tree[rel] = (Path(folder) / name).read_bytes()
    return tree


def tree_differences(incremental: Tree, fresh: Tree) -> list[str]:
    """Human-readable differences: paths only on one side, and a short diff per changed file."""
    lines: list[str] = []
    for path in sorted(incremental.keys() - fresh.keys()):
        lines.append(f"only in the incremental mirror: {path}")
    for path in sorted(fresh.keys() - incremental.keys()):
        lines.append(f"only in the fresh export: {path}")
    for path in sorted(incremental.keys() & fresh.keys()):
        if incremental[path] != fresh[path]:
            lines.append(f"differs: {path}")
            lines.extend(_short_diff(incremental[path], fresh[path]))
    return lines


def _short_diff(old: bytes, new: bytes) -> list[str]:
    try:
        old_lines = old.decode().splitlines()
        new_lines = new.decode().splitlines()
    except UnicodeDecodeError:
        return [f"  (binary, {len(old)} vs {len(new)} bytes)"]
    diff = difflib.unified_diff(old_lines, new_lines, "incremental", "fresh", n=1, lineterm="")
    body = ["  " + line for line in diff]
    if len(body) > MAX_DIFF_LINES:
        body = [*body[:MAX_DIFF_LINES], f"  … {len(body) - MAX_DIFF_LINES} more lines"]
    return body


def _index_entries(repo: Path) -> dict[str, dict[str, object]]:
    entries: dict[str, dict[str, object]] = {}
    for path in sorted((repo / INDEX_DIR).glob("*/*.json")):
        entries[path.stem] = json.loads(path.read_bytes())
    return entries


def _path_of(object_id: str, entries: dict[str, dict[str, object]]) -> str | None:
    parts: list[str] = []
    current: str | None = object_id
    for _ in range(200):
        if current is None:
            return "/".join(reversed(parts))
        entry = entries.get(current)
        if entry is None:
            return None
        if entry.get("alias_of"):
            current = str(entry["alias_of"])
            continue
        parts.append(str(entry["name"]))
        parent = entry.get("parent")
        current = str(parent) if parent else None
    return None


def index_problems(repo: Path) -> list[str]:
    """Orphan index entries (no record at their path) and records without an index entry."""
    entries = _index_entries(repo)
    problems: list[str] = []
    expected: dict[str, str] = {}
    for object_id, entry in sorted(entries.items()):
        if entry.get("alias_of"):
            if str(entry["alias_of"]) not in entries:
                problems.append(f"alias {object_id} points at missing {entry['alias_of']}")
            continue
        stem = _path_of(object_id, entries)
        if stem is None:
            problems.append(f"index entry {object_id} has no path (a parent entry is missing)")
            continue
        expected[f"{stem}.json"] = object_id
    records = {
        rel: _record_id(data) for rel, data in exported_tree(repo).items() if _is_record(rel)
    }
    for rel, object_id in sorted(expected.items()):
        if rel not in records:
            problems.append(f"orphan index entry {object_id}: no {rel}")
        elif records[rel] != object_id:
            problems.append(f"index entry {object_id} at {rel}, which holds {records[rel]}")
    for rel, object_id in sorted(records.items()):
        if rel not in expected:
            problems.append(f"record {rel} ({object_id}) has no index entry at its path")
    return problems


def _is_record(rel: str) -> bool:
    return rel.endswith(".json") and not rel.startswith(("_files/", "_assets/"))


def _record_id(data: bytes) -> str:
    record = json.loads(data)
    holder = record.get("page") or record.get("data_source") or {}
    return str(holder.get("id"))


def committed_watermark(repo: Path) -> str | None:
    """The watermark in ``state.json`` as committed at HEAD (None before the first commit)."""
    shown = subprocess.run(
        ["git", "-C", str(repo), "show", f"HEAD:{STATE_FILE}"], capture_output=True, text=True
    )
    if shown.returncode != 0:
        return None
    value = json.loads(shown.stdout).get("watermark")
    return str(value) if value else None


def watermark_order(value: str | None) -> float:
    """Sort key of a watermark (no watermark sorts first)."""
    return parse_time(value).timestamp() if value else float("-inf")

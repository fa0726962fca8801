"""A mirrored subtree's export, normalized so that an original and its restored copy compare.

Restore makes new objects, so some values cannot be equal; these are the documented
exceptions, and nothing else is normalized:

- ``id`` keys (pages, blocks, users, schema properties, select options): new objects,
  new ids. A reference to an object of the subtree (parent, relation, mention, link) is
  replaced by that object's place in the subtree on both sides, so a restored page that
  still pointed at the original would show; any other id becomes ``<other id>``.
- ``created_time``, ``last_edited_time``, ``created_by``, ``last_edited_by``: the time
  and the integration of the restore.
- ``url``, ``public_url``: they carry the id.
- The 8-character id suffix of file and folder names (and of relative links).
- A data source's ``database_parent`` and a database's ``data_sources`` name: the same
  ids as above, normalized like them.
- A text run longer than Notion's 2,000-character limit comes back split at the limit
  into runs with the same annotations and link; adjacent such runs are merged on both
  sides before comparing (they render identically).
- Row order of a database (CSV lines, the rows table of its Markdown page): rows are
  listed by creation time, and a restore creates them all in one run, in the same
  minute; rows are compared as a set of lines.

Hosted files are compared by content: the export names a file by its SHA-256, so an
equal name is an equal content, and :func:`file_references` lets a test check every
named file exists in the mirror with that hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
COMPACT = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
SUFFIX = re.compile(r" [0-9a-f]{8}(?=[./]|$|\)|%)|%20[0-9a-f]{8}(?=[./)])")
DROPPED = {"id", "created_time", "last_edited_time", "created_by", "last_edited_by"}
DROPPED |= {"url", "public_url"}
FRONT_MATTER_DROPPED = ("id", "url", "created_time", "last_edited_time")
FILES = re.compile(r"_files/([0-9a-f]{64})\.\w+")


def _objects(folder: Path, root: Path) -> dict[str, str]:
    """Id (dashed and compact) -> place in the subtree, for every object the subtree holds."""
    places: dict[str, str] = {}
    for path in folder.rglob("*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        place = "<" + SUFFIX.sub("", str(path.relative_to(root).with_suffix(""))) + ">"
        for key in ("page", "database", "data_source"):
            if isinstance(record.get(key), dict):
                places[str(record[key]["id"])] = place
    places.update({dashed.replace("-", ""): place for dashed, place in list(places.items())})
    return places


def _ids(text: str, places: dict[str, str]) -> str:
    text = UUID.sub(lambda found: places.get(found.group(), "<other id>"), text)
    return COMPACT.sub(lambda found: places.get(found.group(), "<other id>"), text)


def _merged(runs: list[Any]) -> list[Any]:
    """Adjacent text runs with the same annotations and link, joined."""
    merged: list[Any] = []
    for run in runs:
        previous = merged[-1] if merged else None
        if (
            isinstance(run, dict)
            and isinstance(previous, dict)
            and run.get("type") == previous.get("type") == "text"
            and run.get("annotations") == previous.get("annotations")
            and run.get("href") == previous.get("href")
            and run["text"].get("link") == previous["text"].get("link")
        ):
            content = previous["text"]["content"] + run["text"]["content"]
            plain = previous.get("plain_text", "") + run.get("plain_text", "")
            merged[-1] = {
                **previous,
                "plain_text": plain,
                "text": {**previous["text"], "content": content},
            }
        else:
            merged.append(run)
    return merged


def _json(value: Any, places: dict[str, str]) -> Any:
    if isinstance(value, dict):
        if isinstance(value.get("rich_text"), list):
            value = {**value, "rich_text": _merged(value["rich_text"])}
        return {k: _json(v, places) for k, v in value.items() if k not in DROPPED}
    if isinstance(value, list):
        return [_json(item, places) for item in value]
    if isinstance(value, str):
        return _ids(value, places)
    return value


def _markdown(text: str, places: dict[str, str]) -> str:
    lines = [
        line
        for line in text.splitlines()
        if not any(line.startswith(f"{key}: ") for key in FRONT_MATTER_DROPPED)
    ]
    lines = SUFFIX.sub("", _ids("\n".join(lines), places)).splitlines()
    rows = [index for index, line in enumerate(lines) if line.startswith("| [")]
    for index, line in zip(rows, sorted(lines[index] for index in rows), strict=True):
        lines[index] = line
    return "\n".join(lines)


def _csv(text: str, places: dict[str, str]) -> str:
    header, *rows = _ids(text, places).splitlines()
    return "\n".join([header, *sorted(rows)])


def export_of(root: Path, page_file: Path) -> dict[str, Any]:
    """The normalized export of the page stored at ``page_file`` and of its subtree.

    Keys are paths relative to the page's folder's parent, without id suffixes; values
    are parsed-and-normalized JSON, or normalized Markdown and CSV text.
    """
    folder = page_file.with_suffix("")
    base = page_file.parent
    places = _objects(folder, base) if folder.is_dir() else {}
    places.update(_objects_of_file(page_file.with_suffix(".json"), base))
    files = [page_file.with_suffix(s) for s in (".md", ".json")]
    files += sorted(path for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else []
    export: dict[str, Any] = {}
    for path in files:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        key = SUFFIX.sub("", str(path.relative_to(base)))
        if path.suffix == ".json":
            export[key] = _json(json.loads(text), places)
        elif path.suffix == ".csv":
            export[key] = _csv(text, places)
        else:
            export[key] = _markdown(text, places)
    return export


def _objects_of_file(path: Path, base: Path) -> dict[str, str]:
    record = json.loads(path.read_text(encoding="utf-8"))
    place = "<" + SUFFIX.sub("", str(path.relative_to(base).with_suffix(""))) + ">"
    dashed = str(record["page"]["id"])
    return {dashed: place, dashed.replace("-", ""): place}


def file_references(export: dict[str, Any]) -> set[str]:
    """The SHA-256 names of the hosted files an export refers to."""
    return set(FILES.findall(json.dumps(export, sort_keys=True)))


def check_files(root: Path, names: set[str]) -> None:
    """Every named file is in the mirror's ``_files/`` with the content its name says."""
    for name in names:
        (path,) = (root / "_files").glob(f"{name}.*")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == name, path


def first_difference(left: Any, right: Any, where: str = "") -> str:
    """Where two normalized values first differ, with both sides shortened (for messages)."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            if left.get(key) != right.get(key):
                return first_difference(left.get(key), right.get(key), f"{where}/{key}")
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (one, other) in enumerate(zip(left, right, strict=True)):
            if one != other:
                return first_difference(one, other, f"{where}/{index}")
    return f"{where}: {str(left)[:300]!r} != {str(right)[:300]!r}"

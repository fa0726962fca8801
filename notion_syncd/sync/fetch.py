"""Fetch one object's full record from Notion: block tree, complete properties, files.

Runs in worker threads; everything here goes through the shared, rate-limited client.
A block whose children cannot be read (an ``unsupported`` block, a synced block whose
original is not shared) keeps a ``children_error`` instead of aborting the page.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from notion_syncd.errors import (
    FileDownloadError,
    NotionHTTPError,
    SyncInterrupted,
)
from notion_syncd.notion.client import ExpiredFileURL
from notion_syncd.terms import BLOCK_TYPES

MAX_BLOCK_DEPTH = 60
FILES_DIR = "_files"
TRUNCATED_LIST_TYPES = ("title", "rich_text", "people", "relation")
REFERENCE_LIMIT = 25


class Client(Protocol):
    def page(self, page_id: str) -> dict[str, Any]: ...
    def block(self, block_id: str) -> dict[str, Any]: ...
    def block_children(self, block_id: str) -> Iterator[dict[str, Any]]: ...
    def property_items(self, page_id: str, property_id: str) -> dict[str, Any]: ...
    def database(self, database_id: str) -> dict[str, Any]: ...
    def download(self, url: str, *, max_bytes: int) -> bytes: ...


@dataclass
class FetchReport:
    """What happened while fetching one record (merged into the sync ledger)."""

    unsupported_blocks: Counter[str] = field(default_factory=Counter)
    children_errors: list[str] = field(default_factory=list)
    properties_completed: int = 0
    files_downloaded: int = 0
    files_reused: int = 0
    files_failed: list[str] = field(default_factory=list)


@dataclass
class FetchedRecord:
    """A record ready to write, plus the downloaded files it refers to."""

    record: dict[str, Any]
    files: dict[str, bytes]
    report: FetchReport
    links_before: frozenset[str] = frozenset()
    """What the mirrored version of this object linked to (for the backlinks index)."""
    files_pending: bool = False
    """Its hosted files are not downloaded yet (``worker.with_files`` does it, on the file lane)."""


def without_request_id(obj: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in obj.items() if key != "request_id"}


def _check_stop(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise SyncInterrupted("stop requested")


def fetch_block_tree(
    client: Client,
    block_id: str,
    report: FetchReport,
    *,
    stop: threading.Event | None = None,
    depth: int = 0,
) -> list[dict[str, Any]]:
    """Every block below ``block_id``, children nested in a ``children`` list."""
    blocks = []
    for raw in client.block_children(block_id):
        block = without_request_id(raw)
        block_type = block.get("type", "")
        if block_type == "unsupported":
            detail = block.get("unsupported") or {}
            report.unsupported_blocks[str(detail.get("block_type") or "unsupported")] += 1
        elif block_type not in BLOCK_TYPES:
            report.unsupported_blocks[str(block_type)] += 1
        if block.get("has_children") and block_type not in ("child_page", "child_database"):
            _check_stop(stop)
            if depth >= MAX_BLOCK_DEPTH:
                block["children_error"] = f"nested deeper than {MAX_BLOCK_DEPTH} levels"
                report.children_errors.append(f"{block['id']}: too deep")
            else:
                try:
                    block["children"] = fetch_block_tree(
                        client, block["id"], report, stop=stop, depth=depth + 1
                    )
                except NotionHTTPError as exc:
                    if exc.status not in (400, 403, 404):
                        raise
                    block["children_error"] = (
                        f"{exc.status} {exc.code or ''}: {exc.message}".strip()
                    )
                    report.children_errors.append(f"{block['id']}: {exc.status} {exc.code}")
        blocks.append(block)
    return blocks


def complete_properties(client: Client, page: dict[str, Any], report: FetchReport) -> None:
    """Replace values the page object truncates at 25 references with complete ones.

    Lists (title, rich_text, people, relation) are re-read through the property-item
    endpoint; when a relation was truncated, rollups (which may be computed over the
    truncated list) take the endpoint's value instead (``complete_rollup``).
    """
    properties = [value for value in (page.get("properties") or {}).values() if value]
    relation_truncated = False
    for value in properties:
        kind = value.get("type")
        if kind not in TRUNCATED_LIST_TYPES or "id" not in value:
            continue
        items = value.get(kind)
        truncated = value.get("has_more") is True or (
            isinstance(items, list) and len(items) >= REFERENCE_LIMIT
        )
        if not truncated:
            continue
        relation_truncated |= kind == "relation"
        response = client.property_items(page["id"], value["id"])
        results = response.get("results")
        if not isinstance(results, list):
            continue
        value[kind] = [item.get(kind) for item in results if isinstance(item, dict)]
        if "has_more" in value:
            value["has_more"] = False
        report.properties_completed += 1
    if not relation_truncated:
        return
    for value in properties:
        if value.get("type") != "rollup" or "id" not in value:
            continue
        response = client.property_items(page["id"], value["id"])
        summary = (response.get("property_item") or {}).get("rollup")
        complete = complete_rollup(summary, response.get("results"))
        if complete is not None:
            value["rollup"] = complete
            report.properties_completed += 1


def complete_rollup(summary: object, results: object) -> dict[str, Any] | None:
    """A rollup's value from its property-item list, or None to keep the page object's.

    The final ``property_item.rollup`` holds the aggregate; ``show_original`` has none
    (its ``array`` is empty): its values are the list's ``results``, one property item per
    value, which become the array's elements (property values without ``id``).
    """
    if not isinstance(summary, dict) or summary.get("type") in (None, "incomplete"):
        return None
    if summary.get("function") != "show_original":
        return summary
    items = results if isinstance(results, list) else []
    values = [
        {key: item[key] for key in item if key not in ("object", "id")}
        for item in items
        if isinstance(item, dict) and item.get("type") not in (None, "relation")
    ]
    if not values and not summary.get("array"):
        return None
    return {**summary, "type": "array", "array": values or summary.get("array")}


def strip_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,8})$")


def local_file_path(data: bytes, source_url: str) -> str:
    """``_files/<sha256>.<ext>``: content-addressed, shared by every page that uses it."""
    digest = hashlib.sha256(data).hexdigest()
    match = _EXTENSION.search(urlsplit(source_url).path)
    suffix = f".{match.group(1).lower()}" if match else ""
    return f"{FILES_DIR}/{digest}{suffix}"


HOSTED_KINDS = ("file", "custom_emoji")
"""Objects whose ``url`` Notion hosts: files, and custom emoji (an icon or a mention)."""


def hosted_files(node: object) -> Iterator[dict[str, Any]]:
    """Every Notion-hosted file object inside a record: ``{"type": "file", "file": {...}}``,
    and custom emoji ``{"type": "custom_emoji", "custom_emoji": {..., "url": ...}}``."""
    for holder, _owner in _hosted_files_with_owner(node, None):
        yield holder


def file_info(holder: dict[str, Any]) -> dict[str, Any]:
    """The part of a hosted file object that holds its ``url`` (and ``source_url``)."""
    inner = holder.get(str(holder.get("type")))
    return inner if isinstance(inner, dict) else {}


def missing_files(record: dict[str, Any]) -> list[tuple[str, str]]:
    """``(source URL, reason)`` of every hosted file a record holds no local copy of."""
    missing = []
    for holder in hosted_files(record):
        if "download_error" in holder:
            source = file_info(holder).get("source_url") or file_info(holder).get("url")
            missing.append((str(source), str(holder["download_error"])))
    return sorted(missing)


def _hosted_files_with_owner(
    node: object, owner: str | None
) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Hosted file objects with the id of the block (or page) whose fetch minted their URL."""
    if isinstance(node, dict):
        if node.get("object") in ("block", "page") and isinstance(node.get("id"), str):
            owner = node["id"]
        kind = node.get("type")
        inner = node.get(kind) if kind in HOSTED_KINDS else None
        if isinstance(inner, dict) and (kind == "file" or inner.get("url")):
            yield node, owner
        for value in node.values():
            yield from _hosted_files_with_owner(value, owner)
    elif isinstance(node, list):
        for item in node:
            yield from _hosted_files_with_owner(item, owner)


def _fresh_url(client: Client, owner: str | None, source: str, is_page: bool) -> str | None:
    """Re-fetch the object that holds a file to get a newly signed URL (they expire in ~1 h)."""
    if owner is None:
        return None
    try:
        fresh = client.page(owner) if is_page else client.block(owner)
    except NotionHTTPError:
        return None
    for holder in hosted_files(fresh):
        url = file_info(holder).get("url")
        if isinstance(url, str) and strip_query(url) == source:
            return url
    return None


def known_files(previous_record: dict[str, Any] | None) -> dict[str, str]:
    """source URL → local path, from the record this page had before (to skip re-downloads)."""
    if not previous_record:
        return {}
    mapping = {}
    for holder in hosted_files(previous_record):
        source, local = file_info(holder).get("source_url"), file_info(holder).get("url")
        if isinstance(source, str) and isinstance(local, str) and local.startswith(FILES_DIR):
            mapping[source] = local
    return mapping


def download_files(
    client: Client,
    record: dict[str, Any],
    report: FetchReport,
    *,
    max_bytes: int,
    enabled: bool,
    previous: dict[str, str],
    file_exists: Callable[[str], bool],
) -> dict[str, bytes]:
    """Download every hosted file of ``record`` and point the record at the local copies."""
    files: dict[str, bytes] = {}
    page_id = (record.get("page") or {}).get("id")
    owner_id = page_id or (record.get("data_source") or {}).get("id") or "?"
    for holder, owner in _hosted_files_with_owner(record, None):
        kind = str(holder["type"])
        url = file_info(holder).get("url")
        if not isinstance(url, str) or url.startswith(FILES_DIR):
            continue
        source = strip_query(url)
        # A file keeps only its two URLs (the signed one expires); a custom emoji its id, name.
        kept = {} if kind == "file" else {k: v for k, v in holder[kind].items() if k != "url"}
        known = previous.get(source)
        if known is not None and file_exists(known):
            holder[kind] = {**kept, "source_url": source, "url": known}
            report.files_reused += 1
            continue
        if not enabled:
            holder[kind] = {**kept, "source_url": source, "url": source}
            holder["download_error"] = "file downloads are disabled (export.download_files)"
            continue
        try:
            try:
                data = client.download(url, max_bytes=max_bytes)
            except ExpiredFileURL:
                fresh = _fresh_url(client, owner, source, is_page=owner == page_id)
                if fresh is None:
                    raise
                data = client.download(fresh, max_bytes=max_bytes)
        except FileDownloadError as exc:
            holder[kind] = {**kept, "source_url": source, "url": source}
            holder["download_error"] = exc.message
            report.files_failed.append(f"{owner_id}: {source}: {exc.message}")
            continue
        local = local_file_path(data, source)
        files[local] = data
        holder[kind] = {**kept, "source_url": source, "url": local}
        report.files_downloaded += 1
    return files

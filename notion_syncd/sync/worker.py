"""What a fetch worker does: turn a work item into a record ready to write.

Runs in the pool's threads: only the shared, rate-limited client, a read-only "does
this file exist" check and the fetch journal (``fetchjournal``: its own files in the git
dir, one entry per object) are used here; the mirror is written by the sync's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from notion_syncd import jsoncodec
from notion_syncd.errors import SyncInterrupted
from notion_syncd.notion.client import NotionClient
from notion_syncd.sync.comments import CommentFetcher
from notion_syncd.sync.fetch import (
    FetchedRecord,
    FetchReport,
    complete_properties,
    download_files,
    fetch_block_tree,
    hosted_files,
    without_request_id,
)
from notion_syncd.sync.fetchjournal import FetchJournal


@dataclass(frozen=True)
class WorkItem:
    """An object to fetch: as listed (``listed``) or by id only (a missing parent)."""

    id: str
    kind: str
    listed: dict[str, Any] | None
    known_files: dict[str, str]
    links_before: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FileRules:
    """How a worker treats Notion-hosted files (``export.*`` settings)."""

    max_bytes: int
    enabled: bool
    exists: Callable[[str], bool]


def fetch_record(
    client: NotionClient,
    item: WorkItem,
    files: FileRules,
    stop: threading.Event | None,
    comments: CommentFetcher | None = None,
    journal: FetchJournal | None = None,
    *,
    reuse: bool = True,
    downloads: bool = True,
) -> FetchedRecord:
    """The full record of one object: page + block tree (+ comments), or data source +
    database; from ``journal`` when an interrupted sync fetched this version already (and
    ``reuse``: not when derived content that Notion alone can tell may have changed).
    With ``downloads=False`` a record holding hosted files comes back with
    ``files_pending``: :func:`with_files` downloads them (on a lane of their own, so API
    workers never wait for a file)."""
    if stop is not None and stop.is_set():
        raise SyncInterrupted("stop requested")
    report = FetchReport()
    listed = item.listed
    if listed is None:
        by_id = client.data_source if item.kind == "data_source" else client.page
        listed = by_id(item.id)
    if journal is not None and reuse:
        kept = journal.load(
            item.id, listed.get("last_edited_time"), item.links_before, files.exists
        )
        if kept is not None:  # files still pending go to the file lane, or are fetched now
            return with_files(client, item, kept, files, journal) if downloads else kept
    if item.kind == "data_source":
        record = data_source_record(client, listed)
    else:
        page = without_request_id(listed)
        complete_properties(client, page, report)
        blocks = fetch_block_tree(client, page["id"], report, stop=stop)
        record = {"page": page, "blocks": blocks}
        if comments is not None:
            comments.add_to(record)
    fetched = FetchedRecord(record, {}, report, item.links_before, files_pending=True)
    if not downloads and next(hosted_files(record), None) is not None:
        if journal is not None:
            journal.save(item.id, fetched)
        return fetched
    return with_files(client, item, fetched, files, journal)


def with_files(
    client: NotionClient,
    item: WorkItem,
    fetched: FetchedRecord,
    files: FileRules,
    journal: FetchJournal | None = None,
) -> FetchedRecord:
    """``fetched`` with its hosted files downloaded and the record pointing at the copies,
    kept in ``journal`` once complete."""
    if not fetched.files_pending:
        return fetched
    record = fetched.record
    downloaded = download_files(
        client,
        record,
        fetched.report,
        max_bytes=files.max_bytes,
        enabled=files.enabled,
        previous=item.known_files,
        file_exists=files.exists,
    )
    # Render from exactly what is stored (sorted keys), so a later offline
    # re-render of the JSON gives the same bytes.
    normalised = jsoncodec.with_sorted_keys(record)
    complete = FetchedRecord(normalised, downloaded, fetched.report, fetched.links_before)
    if journal is not None:
        journal.save(item.id, complete)
    return complete


def data_source_record(client: NotionClient, data_source: dict[str, Any]) -> dict[str, Any]:
    parent = data_source.get("parent") or {}
    database_id = parent.get("database_id")
    database: dict[str, Any] = {}
    if database_id:
        database = without_request_id(client.database(database_id))
    # The schema's order as the API gives it: the stored JSON's sorted keys would lose it.
    order = list(data_source.get("properties") or {})
    return {
        "database": database,
        "data_source": without_request_id(data_source),
        "property_order": order,
    }

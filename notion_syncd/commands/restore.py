"""``notion-syncd restore PAGE``: bring a page (or a subtree) back into Notion as a new page.

The version comes from the mirror's history (:mod:`notion_syncd.mirrorhistory`):
``--commit REV``, else the newest version at or before ``--at DATE``, else the newest
version the mirror holds (also when the page was deleted since). Nothing existing is
overwritten: the page is created anew under ``--to PARENT``, by default under its
original parent when that still exists (one GET). ``--dry-run`` prints the plan and
sends no write request. A re-run of the same command continues an interrupted restore
from its journal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from notion_syncd import errors
from notion_syncd.config import Settings
from notion_syncd.mirrorhistory import MirrorHistory, page_id_of, parse_when, versions_of
from notion_syncd.notion.client import NotionClient
from notion_syncd.restore.announce import record_restored
from notion_syncd.restore.journal import Journal, restore_id
from notion_syncd.restore.plan import SOURCE_PREFIX, Plan, plan_restore
from notion_syncd.restore.replace import replace_parent, trash_current
from notion_syncd.restore.runner import PART_SIZE, SINGLE_PART_LIMIT, RestoreRunner
from notion_syncd.sync.runner import notion_client
from notion_syncd.terms import compact_id, dashed_id, display_title

JSON = dict[str, Any]
FILES_DIR = "_files"


@dataclass(frozen=True)
class RestoreRequest:
    """What the user asked for."""

    page: str
    at: str | None = None
    commit: str | None = None
    to: str | None = None
    recursive: bool = False
    dry_run: bool = False
    replace: bool = False


def _version_commit(mirror: MirrorHistory, page_id: str, request: RestoreRequest) -> Any:
    if request.commit:
        try:
            return mirror.repo.revparse_single(request.commit).peel(1)  # 1 = GIT_OBJECT_COMMIT
        except (KeyError, ValueError) as error:
            raise errors.UsageError(f"--commit {request.commit}: no such commit") from error
    at = parse_when(request.at) if request.at else None
    for version in versions_of(mirror, page_id):
        if version.removed or (at is not None and version.time > at):
            continue
        return mirror.repo[version.commit]
    when = f" at {at.isoformat()}" if at else ""
    raise errors.UsageError(f"the mirror holds no version of page {page_id}{when}")


def _record(mirror: MirrorHistory, commit: Any, object_id: str) -> tuple[str, JSON] | None:
    """(path stem, stored record) of a page or database at ``commit``."""
    state = mirror.state(commit, object_id)
    if state is None:
        return None
    raw = mirror.read(commit.tree, f"{state.stem}.json")
    if raw is None:
        return None
    value = json.loads(raw)
    return (state.stem, value) if isinstance(value, dict) else None


def _children(blocks: list[JSON]) -> list[str]:
    """Ids of the sub-pages and databases a page's blocks hold."""
    found: list[str] = []
    for block in blocks:
        if block.get("type") in ("child_page", "child_database"):
            found.append(dashed_id(str(block["id"])))
        found.extend(_children(block.get("children") or []))
    return found


def _rows(mirror: MirrorHistory, commit: Any, stem: str, source_id: str) -> list[tuple[str, JSON]]:
    """The rows of a data source at ``commit``: (id, record), oldest first."""
    try:
        folder = commit.tree[stem]
    except KeyError:
        return []
    rows = []
    for entry in folder:
        if entry.type_str != "blob" or not entry.name.endswith(".json"):
            continue
        record = json.loads(bytes(entry.data))
        page = record.get("page") if isinstance(record, dict) else None
        if isinstance(page, dict) and (page.get("parent") or {}).get("data_source_id") == source_id:
            rows.append((str(page.get("created_time", "")), dashed_id(str(page["id"])), record))
    return [(row_id, record) for _, row_id, record in sorted(rows, key=lambda row: row[:2])]


def load_records(mirror: MirrorHistory, commit: Any, root: str, recursive: bool) -> dict[str, JSON]:
    """The stored records to restore at ``commit``: the page and, recursively, its subtree.

    A database's record is its data source record (``{"database", "data_source"}``) with
    ``"rows"``: the ids of its rows, whose page records are loaded too.
    """
    records: dict[str, JSON] = {}
    pending = [root]
    while pending:
        object_id = pending.pop()
        found = _record(mirror, commit, object_id)
        if found is None or object_id in records:
            if object_id == root:
                raise errors.UsageError(f"commit {str(commit.id)[:12]} has no page {root}")
            continue
        stem, record = found
        if "data_source" in record:
            if object_id == root:
                raise errors.UsageError(f"{root} is a database: restore the page that holds it")
            source_id = str(record["data_source"]["id"])
            rows = _rows(mirror, commit, stem, source_id)
            records[object_id] = {**record, "rows": [row_id for row_id, _ in rows]}
            for row_id, row in rows:
                records[row_id] = row
                pending.extend(_children(row.get("blocks") or []))
            continue
        if "page" not in record:
            continue
        records[object_id] = record
        if recursive:
            pending.extend(_children(record.get("blocks") or []))
    return records


def _parent_to_use(client: NotionClient, record: JSON, to: str | None) -> JSON:
    """The new page's parent: ``--to``, else the original parent if it still exists."""
    if to is not None:
        parent_id = _id_of(to)
        page = client.page(parent_id)
        if page.get("in_trash") or page.get("archived"):
            raise errors.UsageError(f"--to {to}: that page is in the trash")
        return {"type": "page_id", "page_id": parent_id}
    original = (record.get("page") or {}).get("parent") or {}
    kind = original.get("type")
    try:
        if kind == "page_id":
            page = client.page(str(original["page_id"]))
            if not (page.get("in_trash") or page.get("archived")):
                return {"type": "page_id", "page_id": str(original["page_id"])}
        elif kind == "data_source_id":
            client.data_source(str(original["data_source_id"]))
            return {"type": "data_source_id", "data_source_id": str(original["data_source_id"])}
    except errors.NotionNotFound:
        pass
    raise errors.UsageError(
        "the page's original parent no longer exists (or is not a page or data source): "
        "name the page to restore under with --to PARENT",
    )


def _sub_pages_left_out(records: dict[str, JSON], page_id: str) -> list[str]:
    """Sub-pages and databases of the restored version that a plain restore links to."""
    return _children(records[page_id].get("blocks") or [])


def _mirror_files(tree: Any) -> dict[str, int]:
    """Sizes of the files the mirror holds at a commit (``_files/<sha256>.<ext>``)."""
    try:
        folder = tree[FILES_DIR]
    except KeyError:
        return {}
    return {f"{FILES_DIR}/{entry.name}": entry.size for entry in folder if entry.type_str == "blob"}


def _upload_limit(client: NotionClient) -> int:
    """The bot's per-file upload cap (``workspace_limits``); 20 MiB when Notion does not say.

    Files up to 20 MiB are sent in one request, larger ones in parts (``restore.runner``).
    """
    bot = client.me().get("bot") or {}
    limit = (bot.get("workspace_limits") or {}).get("max_file_upload_size_in_bytes")
    return int(limit) if isinstance(limit, int) else SINGLE_PART_LIMIT


def _id_of(text: str) -> str:
    last = text.strip().split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    raw = last.replace("-", "").lower()[-32:]
    if len(raw) != 32 or any(char not in "0123456789abcdef" for char in raw):
        raise errors.UsageError(f"--to {text}: not a Notion page id or URL")
    return dashed_id(raw)


def _restored_objects(records: dict[str, JSON], ids: dict[str, str]) -> dict[str, str]:
    """New id -> original id of every page, database and data source the restore created."""
    objects = {ids[key]: key for key in records if key in ids}
    for record in records.values():
        source = str((record.get("data_source") or {}).get("id", ""))
        if SOURCE_PREFIX + source in ids:
            objects[ids[SOURCE_PREFIX + source]] = source
    return objects


def describe_plan(plan: Plan, records: dict[str, JSON], commit: str) -> str:
    """The dry-run listing: pages, blocks, files, degradations, requests."""
    lines = [f"restore from commit {commit[:12]} under {json.dumps(plan.parent, sort_keys=True)}"]
    lines.append(f"pages to create: {len(plan.pages)}")
    for page in plan.pages:
        lines.append(f"  {display_title(page.title)} ({page.key}): {page.blocks} blocks")
    total = sum(size for _, size in plan.uploads)
    lines.append(f"files to upload: {len(plan.uploads)} ({total} bytes)")
    for path, size in plan.uploads:
        parts = -(-size // PART_SIZE)
        how = f" (multi-part: {parts} parts)" if size > SINGLE_PART_LIMIT else ""
        lines.append(f"  {path}: {size} bytes{how}")
    lines.append(f"degraded: {len(plan.degradations)}")
    for item in plan.degradations:
        lines.append(f"  {item.block}: {item.what}")
    appends = sum(1 for step in plan.steps if step.action == "append")
    lines.append(
        f"write requests: {len(plan.steps)} ({len(plan.pages)} page creations, {appends} appends)"
        " plus reads to learn the ids of nested blocks"
    )
    return "\n".join(lines) + "\n"


def restore(
    settings: Settings,
    request: RestoreRequest,
    *,
    out: TextIO,
    client: NotionClient | None = None,
    progress: Callable[[int, int], None] | None = None,
    confirm: Callable[[str], bool] | None = None,
) -> int:
    """Run ``notion-syncd restore``; returns the exit status.

    ``--replace`` asks ``confirm`` (None: refused) before it writes anything.
    """
    if request.at and request.commit:
        raise errors.UsageError("give --at DATE or --commit REV, not both")
    if request.replace and request.to:
        raise errors.UsageError("--replace restores the page in its place: not with --to")
    mirror = MirrorHistory(settings)
    page_id = page_id_of(mirror, request.page)
    commit = _version_commit(mirror, page_id, request)
    records = load_records(mirror, commit, page_id, request.recursive)
    own = client is None
    client = client or notion_client(settings, None, None)
    try:
        if request.replace:
            if not request.recursive and _sub_pages_left_out(records, page_id):
                raise errors.UsageError(
                    "--replace: this version has sub-pages or databases, and trashing the "
                    "current page trashes its sub-pages too: add --recursive"
                )
            parent = replace_parent(client, page_id)
        else:
            parent = _parent_to_use(client, records[page_id], request.to)
        files = _mirror_files(commit.tree)
        plan = plan_restore(
            page_id,
            records,
            parent=parent,
            recursive=request.recursive,
            files=files,
            max_upload=_upload_limit(client),
        )
        if request.dry_run:
            out.write(describe_plan(plan, records, str(commit.id)))
            if request.replace:
                out.write(f"then: move the current page {page_id} to Notion's trash (--replace)\n")
            return 0
        question = (
            f"Restore page {page_id} as of commit {str(commit.id)[:12]} and move the current "
            "page (and its sub-pages) to Notion's trash?"
        )
        if request.replace and not (confirm is not None and confirm(question)):
            raise errors.UsageError(
                "--replace not confirmed: nothing was written",
                hint="answer y on a terminal, or add --yes",
            )
        asked = {
            "page": page_id,
            "commit": str(commit.id),
            "parent": parent,
            "recursive": request.recursive,
        }
        journal = Journal.open(Path(mirror.repo.path), asked)
        if journal.started:
            out.write(f"continuing the restore journaled in {journal.path}\n")
        runner = RestoreRunner(
            client,
            plan,
            journal,
            progress=progress,
            read_file=lambda path: bytes(commit.tree[path].data),
        )
        finished_before = journal.done >= len(plan.steps)
        ids = runner.run()
        if not finished_before:  # the next sync's commit says these were restored
            record_restored(
                Path(mirror.repo.path),
                restore_id(asked),
                str(commit.id),
                _restored_objects(records, ids),
            )
        if request.replace:  # last: only once the restored page is complete (and noted)
            trash_current(client, page_id, ids[page_id])
    finally:
        if own:
            client.close()
    new_id = ids[page_id]
    out.write(
        f"restored {len(plan.pages)} page(s) from commit {str(commit.id)[:12]}: "
        f"https://www.notion.so/{compact_id(new_id)}\n"
    )
    if request.replace:
        out.write(f"replaced: the current page {page_id} is in Notion's trash\n")
    for item in plan.degradations:
        out.write(f"  degraded {item.block}: {item.what}\n")
    return 0

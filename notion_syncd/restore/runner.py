"""Carry out a restore plan through the Notion client, one journaled request at a time.

Requests go through the client's shared rate limiter and retries (``Retry-After``
honoured). Each step is recorded as pending before it is sent and as done after its
answer (:mod:`~notion_syncd.restore.journal`); a pending step found on a re-run is
reconciled by listing its target's children, so a step is never applied twice.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterable
from typing import Any

from notion_syncd import errors
from notion_syncd.notion.client import NotionClient
from notion_syncd.restore.convert import UPLOAD_PREFIX
from notion_syncd.restore.journal import Journal
from notion_syncd.restore.plan import SOURCE_PREFIX, Plan, Sent, Step
from notion_syncd.terms import plain_text

JSON = dict[str, Any]
REFERENCE_KEYS = ("id", "page_id", "database_id", "data_source_id")
SINGLE_PART_LIMIT = 20 * 1024 * 1024
"""The largest file sent in one request; larger ones go in parts."""
PART_SIZE = 10 * 1024 * 1024
"""Parts of a multi-part upload: Notion takes 5 to 20 MiB (the last may be smaller)."""
CAPABILITY_HINT = (
    "give the integration the 'Insert content' capability "
    "(notion.so/my-integrations → Capabilities)"
)


def _needs(sent: Sent, needed: frozenset[str]) -> bool:
    return any(child.key in needed or _needs(child, needed) for child in sent.children)


def _counts(step: Step) -> dict[str, int]:
    counts: dict[str, int] = {}

    def walk(items: Iterable[Sent]) -> None:
        for item in items:
            if item.children:
                counts[item.key] = counts.get(item.key, 0) + len(item.children)
                walk(item.children)

    walk(step.sent)
    if step.action.startswith("create"):
        counts[step.page] = counts.get(step.page, 0) + len(step.sent)
        if step.target and not step.target.startswith(SOURCE_PREFIX):
            counts[step.target] = counts.get(step.target, 0) + 1
    elif step.target:
        counts[step.target] = counts.get(step.target, 0) + len(step.sent)
    return counts


class RestoreRunner:
    """Runs a plan's steps in order; resumes from the journal."""

    def __init__(
        self,
        client: NotionClient,
        plan: Plan,
        journal: Journal,
        *,
        progress: Callable[[int, int], None] | None = None,
        read_file: Callable[[str], bytes] | None = None,
    ) -> None:
        self.client = client
        self.read_file = read_file
        self.plan = plan
        self.journal = journal
        self.needed = plan.needed()
        self.objects = frozenset(page.key for page in plan.pages) | {
            SOURCE_PREFIX + source for source in plan.sources.values()
        }
        self.progress = progress

    def run(self) -> dict[str, str]:
        """Send every step not yet done; returns new ids by original id."""
        total = len(self.plan.steps)
        for index in range(self.journal.done, total):
            step = self.plan.steps[index]
            resumable = self.journal.pending and step.action != "upload"
            landed = self._reconcile(index, step) if resumable else None
            if landed is None:
                before = self._before(step)
                self.journal.begin(index, step.label, before)
                landed = self._send(step)
            ids = self._map(step.sent, landed[1])
            if step.action == "create_page":
                ids[step.page] = landed[0]
            elif step.action == "upload":
                ids[UPLOAD_PREFIX + step.page] = landed[0]
            elif step.action == "create_database":
                database_id, source_id = landed[0], landed[1][0]
                ids[step.page] = database_id
                ids[SOURCE_PREFIX + self._source_of(step.page)] = source_id
            self.journal.complete(index, ids, _counts(step))
            if self.progress is not None:
                self.progress(index + 1, total)
        return dict(self.journal.ids)

    # ------------------------------------------------------------------ requests

    def _target_id(self, step: Step) -> str:
        return self.journal.ids[step.target]

    def _parent(self, step: Step) -> JSON:
        if not step.target:
            return dict(self.plan.parent)
        if step.target.startswith(SOURCE_PREFIX):
            return {"type": "data_source_id", "data_source_id": self._target_id(step)}
        return {"type": "page_id", "page_id": self._target_id(step)}

    def _write(self, method: str, path: str, body: JSON) -> JSON:
        try:
            return self.client.request(method, path, json=body)
        except errors.NotionForbidden as error:
            raise errors.RestoreError(
                "the integration may not create content: Notion refused the write "
                f"({error.message}); restore needs the 'Insert content' capability",
                hint=CAPABILITY_HINT,
            ) from error

    def _send(self, step: Step) -> tuple[str, list[str]]:
        """Send one step: (new page or upload id, or ""; new first-level block ids)."""
        if step.action == "upload":
            return self._upload(step.page, str(step.body.get("filename") or "")), []
        body = self._attached(step.body)
        if step.action == "create_database":
            database = self._write("POST", "/v1/databases", {"parent": self._parent(step), **body})
            sources = [str(item["id"]) for item in database.get("data_sources") or []]
            return str(database["id"]), sources[:1]
        if step.action == "create_page":
            page = self._write("POST", "/v1/pages", {"parent": self._parent(step), **body})
            page_id = str(page["id"])
            return page_id, self._first_level(page_id, step)
        answer = self._write("PATCH", f"/v1/blocks/{self._target_id(step)}/children", body)
        return "", [str(block["id"]) for block in answer.get("results", [])]

    def _upload(self, path: str, filename: str) -> str:
        """Upload one file of the mirror; returns the file upload's id.

        Up to 20 MiB in one request (``single_part``); above, in 10 MiB parts
        (``multi_part``: create, send each part, complete). An upload interrupted midway
        is started again on a re-run; the abandoned one expires after an hour.
        """
        if self.read_file is None:
            raise errors.RestoreError(f"no way to read {path} from the mirror")
        data = self.read_file(path)
        name = filename or path.rsplit("/", 1)[-1]
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        file_type = {"filename": name, "content_type": content_type}
        if len(data) <= SINGLE_PART_LIMIT:
            started = self._write("POST", "/v1/file_uploads", {"mode": "single_part", **file_type})
            upload_id = str(started["id"])
            self.client.request(
                "POST",
                f"/v1/file_uploads/{upload_id}/send",
                files={"file": (name, data, content_type)},
            )
            return upload_id
        parts = [data[start : start + PART_SIZE] for start in range(0, len(data), PART_SIZE)]
        started = self._write(
            "POST",
            "/v1/file_uploads",
            {"mode": "multi_part", "number_of_parts": len(parts), **file_type},
        )
        upload_id = str(started["id"])
        for number, part in enumerate(parts, start=1):
            self.client.request(
                "POST",
                f"/v1/file_uploads/{upload_id}/send",
                files={"file": (name, part, content_type)},
                data={"part_number": str(number)},
            )
        self.client.request("POST", f"/v1/file_uploads/{upload_id}/complete", json={})
        return upload_id

    def _attached(self, value: Any) -> Any:
        """``value`` with planned uploads replaced by their ids, and references remapped.

        A reference (relation value, page mention, link to page, relation target) to a
        page, database or data source this restore already created points at the new
        object; references to anything else keep the original id.
        """
        if isinstance(value, list):
            return [self._attached(item) for item in value]
        if not isinstance(value, dict):
            return value
        if value.get("type") == "file_upload":
            key = str(value["file_upload"]["id"])
            return {**value, "file_upload": {"id": self.journal.ids[key]}}
        result = {key: self._attached(item) for key, item in value.items()}
        for key in REFERENCE_KEYS:
            original = result.get(key)
            if isinstance(original, str):
                lookup = SOURCE_PREFIX + original if key == "data_source_id" else original
                if lookup in self.objects and lookup in self.journal.ids:
                    result[key] = self.journal.ids[lookup]
        return result

    def _first_level(self, page_id: str, step: Step) -> list[str]:
        """Ids of the blocks a page was created with, when a later step needs them."""
        if not any(item.key in self.needed or _needs(item, self.needed) for item in step.sent):
            return []
        return [str(block["id"]) for block in self.client.block_children(page_id)]

    def _map(self, sent: tuple[Sent, ...], new_ids: list[str]) -> dict[str, str]:
        """New ids of what a step created, listing children where a later step needs them."""
        ids: dict[str, str] = {}
        for item, new_id in zip(sent, new_ids, strict=False):
            ids[item.key] = new_id
            if item.children and _needs(item, self.needed):
                children = [str(block["id"]) for block in self.client.block_children(new_id)]
                ids.update(self._map(item.children, children))
        return ids

    # ------------------------------------------------------------------ resuming

    def _source_of(self, database_key: str) -> str:
        return self.plan.sources[database_key]

    def _container(self, step: Step) -> str | None:
        """The id whose children a step adds to (None: a new row, not listable)."""
        if step.target.startswith(SOURCE_PREFIX):
            return None
        if step.target:
            return self._target_id(step)
        if self.plan.parent.get("type") == "page_id":
            return str(self.plan.parent["page_id"])
        return None

    def _landed_row(self, step: Step) -> tuple[str, list[str]] | None:
        """A row created under a recreated data source before the kill, found by title.

        Every row of a data source this restore created is this restore's: one with the
        row's title that the journal does not know is the one whose answer was lost.
        """
        properties = step.body.get("properties") or {}
        for name, value in properties.items():
            if "title" in value:
                title = plain_text(
                    [{"plain_text": run["text"]["content"]} for run in value["title"]]
                )
                condition = {"property": name, "title": {"equals": title}}
                break
        else:
            return None
        known = set(self.journal.ids.values())
        for row in self.client.query_data_source(self._target_id(step), filter=condition):
            if str(row["id"]) not in known:
                return str(row["id"]), self._first_level(str(row["id"]), step)
        return None

    def _before(self, step: Step) -> int | None:
        if step.action == "upload":
            return None
        if step.target:
            return self.journal.counts.get(step.target, 0)
        container = self._container(step)
        if container is None:
            return None
        return sum(1 for _ in self.client.block_children(container))

    def _reconcile(self, index: int, step: Step) -> tuple[str, list[str]] | None:
        """Whether the pending step landed before the kill: its ids, or None to send it."""
        pending = self.journal.pending or {}
        before = pending.get("before")
        container = self._container(step)
        if pending.get("step") != index or pending.get("label") != step.label:
            raise errors.RestoreError(
                "the restore journal does not match this plan (was the mirror rewritten?)",
                hint=f"remove {self.journal.path} to start over",
            )
        if step.action == "create_page" and step.target.startswith(SOURCE_PREFIX):
            return self._landed_row(step)
        if before is None or container is None:
            return None
        children = list(self.client.block_children(container))
        added = len(children) - int(before)
        expected = 1 if step.action.startswith("create") else len(step.sent)
        if added == 0:
            return None
        if step.action == "create_database" and added >= 1:
            last = children[-1]
            if last.get("type") == "child_database":
                database = self.client.database(str(last["id"]))
                sources = [str(item["id"]) for item in database.get("data_sources") or []]
                return str(last["id"]), sources[:1]
            return None
        if step.action == "create_page" and added >= 1:
            last = children[-1]
            wanted = rich_title(step.body)
            title = str((last.get("child_page") or {}).get("title", ""))
            if last.get("type") == "child_page" and (title == wanted or not wanted):
                return str(last["id"]), self._first_level(str(last["id"]), step)
            return None
        if added == expected:
            return "", [str(block["id"]) for block in children[int(before) :]]
        raise errors.RestoreError(
            f"the restored content under {container} changed while the restore was stopped "
            f"({added} blocks where {expected} or 0 were expected)",
            hint=f"check the page in Notion; remove {self.journal.path} to start over",
        )


def rich_title(body: JSON) -> str:
    """The plain title a create step sends (for messages)."""
    title = (body.get("properties") or {}).get("title") or {}
    return plain_text([{"plain_text": run["text"]["content"]} for run in title.get("title", [])])

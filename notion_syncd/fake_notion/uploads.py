"""The File Upload API: ``POST /v1/file_uploads``, ``…/{id}/send``, ``…/{id}/complete``.

An upload starts ``pending``. Single part (``mode`` omitted or ``single_part``): sending
its bytes (multipart form field ``file``) makes it ``uploaded`` and hosts the file in the
workspace; over 20 MiB is refused. Multi-part (``mode: multi_part``, for files over
20 MiB): the create names ``number_of_parts`` (1 to 1,000) and a ``filename`` with an
extension; each send carries a ``part_number`` form field (``"1"`` to the total, in any
order); every part is 5 to 20 MiB except the last (at most 20 MiB); ``complete`` joins
the parts once all are sent. ``number_of_parts: {total, sent}`` shows progress.

A create or append request attaches an uploaded file with ``{"type": "file_upload",
"file_upload": {"id": …}}`` in a file block, an icon or a cover; the object then shows
as a hosted ``file`` like any other. A file over the bot's
``workspace_limits.max_file_upload_size_in_bytes`` (``Uploads.workspace_limit``, 5 MiB
as on a free plan unless a test raises it) is refused.

Call with ``workspace.lock`` held.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from notion_syncd.fake_notion.clock import minute_timestamp
from notion_syncd.fake_notion.responses import ApiError, validation_error
from notion_syncd.fake_notion.workspace import Workspace

JSON = dict[str, Any]
MIB = 1024 * 1024
SINGLE_PART_LIMIT = 20 * MIB
PART_MINIMUM = 5 * MIB
MAX_PARTS = 1000
WORKSPACE_UPLOAD_LIMIT = 5_242_880


@dataclass
class Upload:
    """One file upload and, once sent, the hosted file object it became."""

    id: str
    filename: str
    content_type: str
    created: Any
    status: str = "pending"
    size: int | None = None
    file_object: JSON | None = None
    parts_total: int = 0  # multi-part: how many parts the create announced (0: single part)
    parts: dict[int, bytes] = field(default_factory=dict)


class Uploads:
    """The uploads of one fake API."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.by_id: dict[str, Upload] = {}
        self.workspace_limit = WORKSPACE_UPLOAD_LIMIT
        """The bot's ``max_file_upload_size_in_bytes`` (a paid plan allows up to 5 GiB)."""

    def body(self, upload: Upload, base_url: str) -> JSON:
        """The ``file_upload`` object."""
        parts = (
            {"number_of_parts": {"total": upload.parts_total, "sent": len(upload.parts)}}
            if upload.parts_total
            else {}
        )
        return parts | {
            "object": "file_upload",
            "id": upload.id,
            "created_time": minute_timestamp(upload.created),
            "created_by": {"id": self.ws.bot_id, "type": "bot"},
            "last_edited_time": minute_timestamp(upload.created),
            "expiry_time": minute_timestamp(upload.created + timedelta(hours=1)),
            "upload_url": f"{base_url}/v1/file_uploads/{upload.id}/send",
            "in_trash": False,
            "status": upload.status,
            "filename": upload.filename,
            "content_type": upload.content_type,
            "content_length": upload.size,
        }

    def create(self, body: JSON, base_url: str) -> JSON:
        """``POST /v1/file_uploads``."""
        mode = body.get("mode", "single_part")
        if mode not in ("single_part", "multi_part"):
            raise validation_error(f"The fake supports single_part and multi_part, not {mode}.")
        upload = Upload(
            self.ws.new_id(),
            str(body.get("filename") or "file"),
            str(body.get("content_type") or "application/octet-stream"),
            self.ws.now(),
        )
        if mode == "multi_part":
            parts = body.get("number_of_parts")
            if not isinstance(parts, int) or isinstance(parts, bool) or not 1 <= parts <= MAX_PARTS:
                raise validation_error(
                    "body failed validation: body.number_of_parts should be an integer "
                    f"from 1 to {MAX_PARTS} when mode is multi_part."
                )
            if "." not in str(body.get("filename") or ""):
                raise validation_error(
                    "body failed validation: body.filename with an extension is required "
                    "when mode is multi_part."
                )
            upload.parts_total = parts
        self.by_id[upload.id] = upload
        return self.body(upload, base_url)

    def _pending(self, upload_id: str) -> Upload:
        upload = self.by_id.get(upload_id)
        if upload is None:
            raise ApiError(404, "object_not_found", f"Could not find file_upload: {upload_id}.")
        if upload.status != "pending":
            raise validation_error(f"File upload {upload_id} is {upload.status}, not pending.")
        return upload

    def _host(self, upload: Upload, data: bytes) -> None:
        if len(data) > self.workspace_limit:
            raise validation_error(
                f"The file is {len(data)} bytes; the limit for this workspace is "
                f"{self.workspace_limit}."
            )
        upload.status, upload.size = "uploaded", len(data)
        upload.file_object = self.ws.add_file(data, upload.filename, upload.content_type)

    def send(self, upload_id: str, raw: bytes, content_type: str, base_url: str) -> JSON:
        """``POST /v1/file_uploads/{id}/send`` with a multipart ``file`` field."""
        upload = self._pending(upload_id)
        fields = _form_fields(raw, content_type)
        if "file" not in fields:
            raise validation_error("body failed validation: body.file should be defined.")
        data = fields["file"]
        if not upload.parts_total:
            if len(data) > SINGLE_PART_LIMIT:
                raise validation_error(
                    f"The file is {len(data)} bytes; single_part uploads are limited to "
                    f"{SINGLE_PART_LIMIT} bytes: use multi_part."
                )
            self._host(upload, data)
            return self.body(upload, base_url)
        number = _part_number(fields.get("part_number"), upload.parts_total)
        smallest = 0 if number == upload.parts_total else PART_MINIMUM
        if not smallest <= len(data) <= SINGLE_PART_LIMIT:
            raise validation_error(
                f"Part {number} is {len(data)} bytes; parts must be {PART_MINIMUM} to "
                f"{SINGLE_PART_LIMIT} bytes, except the last (at most {SINGLE_PART_LIMIT})."
            )
        upload.parts[number] = data
        return self.body(upload, base_url)

    def complete(self, upload_id: str, base_url: str) -> JSON:
        """``POST /v1/file_uploads/{id}/complete``: join the parts of a multi-part upload."""
        upload = self._pending(upload_id)
        if not upload.parts_total:
            raise validation_error(f"File upload {upload_id} is not a multi_part upload.")
        missing = [n for n in range(1, upload.parts_total + 1) if n not in upload.parts]
        if missing:
            raise validation_error(
                f"File upload {upload_id} is missing parts {missing[:10]} of {upload.parts_total}."
            )
        self._host(upload, b"".join(upload.parts[n] for n in sorted(upload.parts)))
        upload.parts = {}
        return self.body(upload, base_url)

    def attach(self, value: Any) -> Any:
        """``value`` with every ``file_upload`` reference replaced by its hosted file."""
        if isinstance(value, list):
            return [self.attach(item) for item in value]
        if not isinstance(value, dict):
            return value
        if value.get("type") == "file_upload":
            upload_id = str((value.get("file_upload") or {}).get("id", ""))
            upload = self.by_id.get(upload_id)
            if upload is None or upload.file_object is None:
                raise validation_error(f"File upload {upload_id} was not uploaded.")
            rest = {k: v for k, v in value.items() if k not in ("type", "file_upload")}
            return {**{k: self.attach(v) for k, v in rest.items()}, **upload.file_object}
        return {key: self.attach(item) for key, item in value.items()}


BOUNDARY = re.compile(r'boundary="?([^";]+)"?')
FIELD_NAME = re.compile(rb'name="([^"]*)"')


def _form_fields(raw: bytes, content_type: str) -> dict[str, bytes]:
    """The fields of a ``multipart/form-data`` body, by name (RFC 7578, split by hand:
    the stdlib's e-mail parser takes seconds over a 20 MiB part)."""
    found = BOUNDARY.search(content_type)
    if not content_type.startswith("multipart/form-data") or found is None:
        return {}
    fields: dict[str, bytes] = {}
    for chunk in raw.split(b"--" + found.group(1).encode())[1:]:
        if chunk.startswith(b"--"):
            break
        headers, separator, value = chunk.partition(b"\r\n\r\n")
        name = FIELD_NAME.search(headers)
        if separator and name is not None:
            fields[name.group(1).decode()] = value.removesuffix(b"\r\n")
    return fields


def _part_number(value: bytes | None, total: int) -> int:
    text = value.decode("ascii", "replace").strip() if value is not None else ""
    if not text.isdigit() or not 1 <= int(text) <= total:
        raise validation_error(
            f"body failed validation: body.part_number should be a number from 1 to {total} "
            "for a multi_part upload."
        )
    return int(text)

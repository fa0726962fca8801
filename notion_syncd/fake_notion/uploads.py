"""The File Upload API, single part: ``POST /v1/file_uploads`` then ``…/{id}/send``.

An upload starts ``pending``; sending its bytes (multipart form field ``file``) makes it
``uploaded`` and hosts the file in the workspace. A create or append request attaches it
with ``{"type": "file_upload", "file_upload": {"id": …}}`` in a file block, an icon or a
cover; the object then shows as a hosted ``file`` like any other. Files over the bot's
``workspace_limits.max_file_upload_size_in_bytes`` (or 20 MiB, the single-part limit)
are refused. Multi-part uploads are not emulated.

Call with ``workspace.lock`` held.
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from notion_syncd.fake_notion.clock import minute_timestamp
from notion_syncd.fake_notion.responses import ApiError, validation_error
from notion_syncd.fake_notion.workspace import Workspace

JSON = dict[str, Any]
SINGLE_PART_LIMIT = 20 * 1024 * 1024
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


class Uploads:
    """The uploads of one fake API."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.by_id: dict[str, Upload] = {}

    def body(self, upload: Upload, base_url: str) -> JSON:
        """The ``file_upload`` object."""
        return {
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
        if mode != "single_part":
            raise validation_error(f"The fake supports single_part uploads only, not {mode}.")
        upload = Upload(
            self.ws.new_id(),
            str(body.get("filename") or "file"),
            str(body.get("content_type") or "application/octet-stream"),
            self.ws.now(),
        )
        self.by_id[upload.id] = upload
        return self.body(upload, base_url)

    def send(self, upload_id: str, raw: bytes, content_type: str, base_url: str) -> JSON:
        """``POST /v1/file_uploads/{id}/send`` with a multipart ``file`` field."""
        upload = self.by_id.get(upload_id)
        if upload is None:
            raise ApiError(404, "object_not_found", f"Could not find file_upload: {upload_id}.")
        if upload.status != "pending":
            raise validation_error(f"File upload {upload_id} is {upload.status}, not pending.")
        data = _file_field(raw, content_type)
        limit = min(SINGLE_PART_LIMIT, WORKSPACE_UPLOAD_LIMIT)
        if len(data) > limit:
            raise validation_error(
                f"The file is {len(data)} bytes; the limit for this workspace is {limit}."
            )
        upload.status, upload.size = "uploaded", len(data)
        upload.file_object = self.ws.add_file(data, upload.filename, upload.content_type)
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


def _file_field(raw: bytes, content_type: str) -> bytes:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    if message.is_multipart():
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                payload = part.get_payload(decode=True)
                return payload if isinstance(payload, bytes) else b""
    raise validation_error("body failed validation: body.file should be defined.")

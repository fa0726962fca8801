"""Signed, expiring download URLs for hosted files, in the style of S3 pre-signed URLs.

Stored file objects carry a placeholder URL (``fake-file://<id>/<name>``); ``sign_urls`` swaps
it for ``<base>/_files/<id>/<name>?X-Amz-…`` plus ``expiry_time`` on every fetch, and
``FileSigner.check`` answers the download: expired → 403 ``AccessDenied``.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from notion_syncd.fake_notion.clock import Clock, expiry_timestamp
from notion_syncd.fake_notion.workspace import HOSTED_FILE_SCHEME

JSON = dict[str, Any]
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


class FileSigner:
    """Mints and checks signed URLs against the workspace clock."""

    def __init__(self, secret: bytes, clock: Clock, lifetime_seconds: float = 3600.0) -> None:
        self.secret = secret
        self.clock = clock
        self.lifetime_seconds = lifetime_seconds

    def _signature(self, file_id: str, amz_date: str, expires: int) -> str:
        message = f"{file_id}\n{amz_date}\n{expires}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def sign(self, base_url: str, file_id: str, name: str) -> tuple[str, str]:
        """A fresh ``(url, expiry_time)`` for one hosted file."""
        signed_at = self.clock().astimezone(UTC).replace(microsecond=0)
        amz_date = signed_at.strftime(_AMZ_DATE)
        expires = max(1, int(self.lifetime_seconds))
        query = (
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD"
            f"&X-Amz-Date={amz_date}&X-Amz-Expires={expires}"
            f"&X-Amz-Signature={self._signature(file_id, amz_date, expires)}"
            "&X-Amz-SignedHeaders=host&x-id=GetObject"
        )
        url = f"{base_url}/_files/{file_id}/{quote(name)}?{query}"
        return url, expiry_timestamp(signed_at + timedelta(seconds=expires))

    def check(self, file_id: str, query: dict[str, list[str]]) -> tuple[str, str] | None:
        """None when the URL is valid now, else an S3 ``(code, message)``."""
        try:
            amz_date = query["X-Amz-Date"][0]
            expires = int(query["X-Amz-Expires"][0])
            signature = query["X-Amz-Signature"][0]
            signed_at = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC)
        except (KeyError, IndexError, ValueError):
            return (
                "AccessDenied",
                "Query-string authentication requires the Signature, "
                "Expires and AWSAccessKeyId parameters",
            )
        if not hmac.compare_digest(signature, self._signature(file_id, amz_date, expires)):
            return (
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        if self.clock().astimezone(UTC) > signed_at + timedelta(seconds=expires):
            return ("AccessDenied", "Request has expired")
        return None


def s3_error_body(code: str, message: str, request_id: str) -> bytes:
    """An S3-style XML error document."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{request_id[:16].upper()}</RequestId>"
        f"<HostId>{request_id}</HostId></Error>"
    ).encode()


def sign_urls(value: Any, signer: FileSigner, base_url: str) -> Any:
    """Replace every hosted-file placeholder in a response body by a fresh signed URL."""
    if isinstance(value, list):
        return [sign_urls(item, signer, base_url) for item in value]
    if not isinstance(value, dict):
        return value
    url = value.get("url")
    if isinstance(url, str) and url.startswith(HOSTED_FILE_SCHEME) and "expiry_time" in value:
        file_id, _, name = url[len(HOSTED_FILE_SCHEME) :].partition("/")
        signed_url, expiry_time = signer.sign(base_url, file_id, name)
        return {**value, "url": signed_url, "expiry_time": expiry_time}
    if isinstance(url, str) and url.startswith(HOSTED_FILE_SCHEME):  # public: a custom emoji
        file_id, _, name = url[len(HOSTED_FILE_SCHEME) :].partition("/")
        return {**value, "url": f"{base_url}/_files/{file_id}/{quote(name)}"}
    return {key: sign_urls(item, signer, base_url) for key, item in value.items()}

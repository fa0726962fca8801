"""Deciding what to do with one webhook request, with no I/O.

Notion signs each event with ``X-Notion-Signature: sha256=<hex>``, the HMAC-SHA256 of
the raw request body keyed with the subscription's verification token; the signature is
compared in constant time. The first request of a subscription carries no signature: its
body is ``{"verification_token": "..."}`` and the operator pastes that token back into
Notion. :func:`classify` turns (headers, body, token) into one :class:`Verdict`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Literal

#: Bodies larger than this are refused (413); Notion's events are a few kilobytes.
MAX_BODY = 256 * 1024
SIGNATURE_HEADER = "x-notion-signature"
_PREFIX = "sha256="

Outcome = Literal["event", "handshake", "bad_signature", "bad_json", "too_large"]
STATUS: dict[Outcome, int] = {
    "event": 200,
    "handshake": 200,
    "bad_signature": 401,
    "bad_json": 400,
    "too_large": 413,
}


@dataclass(frozen=True)
class Event:
    """What the journal keeps of an event: never content, which Notion does not send."""

    id: str
    type: str
    entity_id: str
    entity_type: str
    timestamp: str
    authors: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "entity": {"id": self.entity_id, "type": self.entity_type},
            "timestamp": self.timestamp,
            "authors": list(self.authors),
        }


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    event: Event | None = None
    verification_token: str | None = None

    @property
    def status(self) -> int:
        return STATUS[self.outcome]


def sign(body: bytes, token: str) -> str:
    """The ``X-Notion-Signature`` value Notion sends for ``body``."""
    return _PREFIX + hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(body: bytes, token: str | None, header: str | None) -> bool:
    """True when ``header`` is the signature of ``body`` under ``token`` (constant time)."""
    if not token or not header:
        return False
    return hmac.compare_digest(sign(body, token).encode(), header.strip().encode())


def parse_event(data: object) -> Event | None:
    """The journal's view of a Notion event object, or None if it is not one."""
    if not isinstance(data, dict):
        return None
    entity = data.get("entity")
    fields = (data.get("id"), data.get("type"), data.get("timestamp"))
    if not isinstance(entity, dict) or not all(isinstance(f, str) and f for f in fields):
        return None
    entity_id, entity_type = entity.get("id"), entity.get("type")
    if not isinstance(entity_id, str) or not entity_id or not isinstance(entity_type, str):
        return None
    authors = data.get("authors")
    author_ids = tuple(
        _author_id(a) for a in (authors if isinstance(authors, list) else []) if _author_id(a)
    )
    return Event(
        id=str(fields[0]),
        type=str(fields[1]),
        entity_id=entity_id,
        entity_type=entity_type,
        timestamp=str(fields[2]),
        authors=author_ids,
    )


def _author_id(author: Any) -> str:
    """Notion's ``{"id": …}`` object, or the plain id the journal stores (``Event.to_json``)."""
    if isinstance(author, dict):
        author = author.get("id")
    return author if isinstance(author, str) else ""


def classify(body: bytes, signature: str | None, token: str | None) -> Verdict:
    """What to answer to one POST, from its raw body, signature header and known token."""
    if len(body) > MAX_BODY:
        return Verdict("too_large")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return Verdict("bad_json")
    if signature is None and isinstance(data, dict) and set(data) == {"verification_token"}:
        offered = data["verification_token"]
        if isinstance(offered, str) and offered.strip():
            return Verdict("handshake", verification_token=offered.strip())
        return Verdict("bad_json")
    if not signature_ok(body, token, signature):
        return Verdict("bad_signature")
    event = parse_event(data)
    if event is None:
        return Verdict("bad_json")
    return Verdict("event", event=event)

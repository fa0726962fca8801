"""The pure webhook decisions: signature, size, JSON, handshake."""

from __future__ import annotations

import hashlib
import hmac
import json

from notion_syncd.webhooks.verify import MAX_BODY, classify, sign, signature_ok

TOKEN = "secret_verification_token_123"
EVENT = {
    "id": "ev-1",
    "timestamp": "2026-11-30T06:00:00.000Z",
    "type": "page.content_updated",
    "entity": {"id": "page-1", "type": "page"},
    "authors": [{"id": "user-1", "type": "person"}],
    "attempt_number": 1,
}


def _body(data: object = EVENT) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def test_sign_is_notion_scheme() -> None:
    """The signature is sha256= plus the hex HMAC-SHA256 of the raw body keyed by the token."""
    body = _body()
    expected = hmac.new(TOKEN.encode(), body, hashlib.sha256).hexdigest()
    assert sign(body, TOKEN) == f"sha256={expected}"


def test_classify_good_signature_is_event() -> None:
    """A correctly signed event is accepted with its id, type, entity and authors."""
    body = _body()
    verdict = classify(body, sign(body, TOKEN), TOKEN)
    assert verdict.status == 200 and verdict.event is not None
    assert (verdict.event.id, verdict.event.type, verdict.event.entity_id) == (
        "ev-1",
        "page.content_updated",
        "page-1",
    )
    assert verdict.event.authors == ("user-1",)


def test_classify_wrong_signature_is_401() -> None:
    """A signature made with another token, or over another body, is refused."""
    body = _body()
    assert classify(body, sign(body, "other"), TOKEN).status == 401
    assert classify(body, sign(body + b" ", TOKEN), TOKEN).status == 401
    assert classify(body, "sha256=zz", TOKEN).status == 401


def test_classify_missing_signature_is_401() -> None:
    """An event without a signature, or before any token is known, is refused."""
    body = _body()
    assert classify(body, None, TOKEN).status == 401
    assert classify(body, sign(body, TOKEN), None).status == 401


def test_classify_oversize_is_413() -> None:
    """A body over MAX_BODY is refused before it is parsed."""
    body = b'{"a":"' + b"x" * MAX_BODY + b'"}'
    assert classify(body, sign(body, TOKEN), TOKEN).status == 413


def test_classify_bad_json_is_400() -> None:
    """A body that is not JSON, or signed JSON that is not an event, is a 400."""
    assert classify(b"not json", None, TOKEN).status == 400
    body = _body({"hello": 1})
    assert classify(body, sign(body, TOKEN), TOKEN).status == 400


def test_classify_handshake_carries_token() -> None:
    """An unsigned {"verification_token": ...} is the handshake, with the offered token."""
    verdict = classify(_body({"verification_token": "tok"}), None, None)
    assert verdict.outcome == "handshake" and verdict.verification_token == "tok"


def test_signature_ok_ignores_surrounding_space() -> None:
    """Whitespace around the header value does not break verification."""
    body = _body()
    assert signature_ok(body, TOKEN, f" {sign(body, TOKEN)} ")

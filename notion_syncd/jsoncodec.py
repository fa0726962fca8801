"""JSON in and out of the hot path, fast (orjson), with the standard library's exact bytes.

A first export spends most of its CPU on JSON: every API answer is parsed, every record
is sorted and written as indented JSON (``json.dumps`` with ``indent`` runs in pure
Python), and stored records are read back to render views. orjson does the same work in
C, several times faster (issue 10: 13 % of an export's CPU went to ``json.dumps``).

The stored bytes must not change: a mirror written before must equal one written now,
byte for byte. orjson's indented, key-sorted output equals ``json.dumps(value,
ensure_ascii=False, indent=2, sort_keys=True) + "\\n"`` for JSON's own values, with two
known differences, both handled by falling back to the standard library:

- a float below 1e-4 in magnitude: Python writes ``1e-05``, orjson ``0.00001``
  (found by comparing both on 200,000 random floats; nothing else differed);
- what orjson refuses: integers beyond 64 bits, non-string keys.

NaN and infinities, which no JSON from the Notion API can hold, would be written as
``null``. Parsing falls back to ``json.loads`` for what orjson refuses (NaN, lone
surrogates) and for any run of 19 or more digits: orjson reads an integer beyond 64
bits as a float, silently, and the stored bytes would change from ``1000…0`` to ``1e+20``.
So it returns exactly the values the standard library does.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_INDENTED = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE

_SMALL_FLOAT = re.compile(rb'(?:^|": |\n +)-?(?:0\.0000|[0-9](?:\.[0-9]+)?e-[0-9][,\n])')
"""A float orjson writes unlike Python (|x| < 1e-4), as a value in its indented output.

Only a value can follow the start, ``": `` or a line's indentation, and a string never
holds a raw line break, so a match cannot lie inside a string."""

_NUMBER_SHAPE = bytes(
    48 if 48 <= byte <= 57 else byte if byte in b".e-,\n" else 32 for byte in range(256)
)
"""A translation table: digits become ``0``; what shapes a number or ends it stays."""
_DIGITS_AS_ZEROS = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
"""A translation table: every digit becomes ``0``, every other byte a space."""
_LONG_NUMBER = b"0" * 19
"""Digits enough for an integer orjson would read as a float (beyond 64 bits). Looked
for in the translated bytes: a regular expression took 1.5 ms on a 60 KB record, six
times as long as orjson took to parse it."""


def dumps_indented(value: Any) -> bytes:
    """``json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\\n"``, as UTF-8."""
    try:
        encoded = orjson.dumps(value, option=_INDENTED)
    except orjson.JSONEncodeError:
        encoded = b""
    if not encoded or (_may_hold_small_float(encoded) and _SMALL_FLOAT.search(encoded)):
        encoded = (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    return encoded


def _may_hold_small_float(encoded: bytes) -> bool:
    """A quick look for what ``_SMALL_FLOAT`` matches (the expression alone took 2.3 ms
    on a 60 KB record, forty times orjson's encoding): any digit read as ``0``."""
    shape = encoded.translate(_NUMBER_SHAPE)
    return b"0.0000" in shape or b"0e-0," in shape or b"0e-0\n" in shape


def loads(data: bytes | str) -> Any:
    """``json.loads(data)``: the same values, and ``ValueError`` for what it refuses."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if _LONG_NUMBER not in raw.translate(_DIGITS_AS_ZEROS):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


def with_sorted_keys(value: Any) -> Any:
    """A copy of a JSON value whose objects list their keys in sorted order."""
    try:
        return orjson.loads(orjson.dumps(value, option=orjson.OPT_SORT_KEYS))
    except (orjson.JSONEncodeError, orjson.JSONDecodeError):
        return json.loads(json.dumps(value, ensure_ascii=False, sort_keys=True))


def dumps_compact(value: Any) -> bytes:
    """Compact JSON with sorted keys, for the sync's own files (not stored in the mirror)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

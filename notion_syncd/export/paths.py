"""Titles → file and folder names that are readable, stable, unique and always safe.

A name is ``<title> <id8>`` where ``id8`` is the last 8 hex digits of the Notion id:
the suffix keeps siblings unique even when titles are equal or differ only by case or
Unicode normalisation, and it is stable, so a rename changes one name and git sees a
rename. The title part is NFC-normalised and cleaned so that the whole name is one
valid path component on Linux, macOS and Windows, and inside git:

- no ``/``, ``\\``, NUL, C0/C1 control characters, nor the characters Windows forbids;
- never ``.``, ``..``, ``.git`` (any case, with trailing dots or spaces) or ``git~1``;
- no leading or trailing dots and spaces; Windows device names (``CON``, ``COM1`` …) suffixed;
- at most :data:`MAX_NAME_BYTES` UTF-8 bytes including the suffix and the longest extension;
- never empty (``Untitled``).
"""

from __future__ import annotations

import re
import unicodedata

from notion_syncd.terms import UNTITLED, compact_id

MAX_NAME_BYTES = 200
"""Budget for the stem; leaves room for ``.json``/``.html`` and filesystem limits of 255."""

_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]')
_SPACES = re.compile(r"\s+")
_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"COM{i}" for i in "123456789¹²³"]
    + [f"LPT{i}" for i in "123456789¹²³"]
)
_IGNORABLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u206a-\u206f\ufeff]")


def clean_title(title: str) -> str:
    """The readable part of a name: one safe component, possibly empty."""
    text = unicodedata.normalize("NFC", title)
    text = _IGNORABLE.sub("", text)
    text = _FORBIDDEN.sub(" ", text)
    text = _SPACES.sub(" ", text).strip(" .")
    if text.upper().split(".")[0].strip() in _DEVICE_NAMES:
        text = f"{text}_"
    lowered = text.lower()
    if lowered in {".git", "git~1"} or lowered.startswith(".git"):
        text = f"_{text}"
    return text


def _truncate_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    cut = encoded[:max_bytes].decode("utf-8", errors="ignore")
    # Do not end on a combining mark separated from its base or on a space/dot.
    while cut and unicodedata.combining(cut[-1]):
        cut = cut[:-1]
    return cut.rstrip(" .")


def safe_name(title: str, notion_id: str, *, long_suffix: bool = False) -> str:
    """The file/folder stem for an object: ``<clean title> <id8>`` (see module docstring).

    ``long_suffix`` uses all 32 hex digits, for the rare sibling whose last 8 digits collide.
    """
    raw_id = compact_id(notion_id)
    suffix = raw_id if long_suffix else raw_id[-8:]
    budget = MAX_NAME_BYTES - len(suffix) - 1
    readable = _truncate_utf8(clean_title(title), budget) or UNTITLED
    return f"{readable} {suffix}"


def join(*parts: str) -> str:
    """Repo-relative ``/``-separated path from safe components."""
    return "/".join(part for part in parts if part)

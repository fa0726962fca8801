"""Notion ids: dashed lowercase UUIDs in responses, dashed or not in requests."""

from __future__ import annotations

import random
import re
import uuid

from notion_syncd.terms import compact_id, dashed_id

_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
_DASHED = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
# The `uuid` npm validate() rule Notion appears to use: version 1-8, variant 8/9/a/b,
# plus the nil and max UUIDs.
_VALID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
NIL_UUID = "00000000-0000-0000-0000-000000000000"
MAX_UUID = "ffffffff-ffff-ffff-ffff-ffffffffffff"


def dashed(text: str) -> str | None:
    """The dashed lowercase form of an id given with or without dashes, else None."""
    if _DASHED.match(text) or _HEX32.match(text):
        return dashed_id(text)
    return None


def is_valid_uuid(text: str) -> bool:
    """Whether Notion's path validation would accept ``text`` as an id."""
    normalized = dashed(text)
    return normalized is not None and (
        bool(_VALID.match(normalized)) or normalized in (NIL_UUID, MAX_UUID)
    )


def undashed(object_id: str) -> str:
    """32 hex digits, as Notion URLs embed ids."""
    return compact_id(object_id)


class IdFactory:
    """Deterministic ids from a seed, so generated workspaces are reproducible."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def new_uuid(self) -> str:
        """A fresh dashed UUID (version 4 layout)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

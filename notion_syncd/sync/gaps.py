"""Gaps: what the mirror is known to miss, kept until a later sync fills them.

A gap is an object whose hosted files could not be downloaded (the signed URL expired
twice, the download failed) or an object that could not be fetched at all. Gaps are
committed as ``.notion-syncd/gaps.json`` with the sync that found them, so nothing is lost
silently: every sync retries every recorded gap by id, even when nothing else changed in
Notion, and drops a gap once its object is written whole (or Notion no longer has it).
``sync`` exits 1 while a gap remains, and ``status`` lists them.

``carry_gaps`` is pure: the previous gaps and what this sync did in, the gaps out.
"""

from __future__ import annotations

import json
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass

from notion_syncd.errors import GitStoreError
from notion_syncd.gitstore import Mirror
from notion_syncd.sync.state import STATE_DIR, dump_json

GAPS_FILE = f"{STATE_DIR}/gaps.json"
REPAIR_HINT = f"delete {GAPS_FILE} and commit; the next sync retries what it can"


@dataclass(frozen=True)
class Gap:
    """One object the mirror does not hold completely."""

    id: str
    kind: str  # "page" | "data_source"
    reason: str
    missing_files: tuple[str, ...] = ()
    """Source URLs (without their signed query) of the files that are not in ``_files/``."""

    def describe(self) -> str:
        if self.missing_files:
            count = len(self.missing_files)
            return f"{self.id}: {count} file{'' if count == 1 else 's'} missing ({self.reason})"
        return f"{self.id}: not mirrored ({self.reason})"


def carry_gaps(
    previous: Mapping[str, Gap],
    *,
    written: Container[str],
    resolved: Container[str],
    new: Iterable[Gap],
) -> dict[str, Gap]:
    """The gaps after a sync: the previous ones it did not fill, plus the new ones.

    ``written``: objects written whole or not (a written object's gap is replaced by what
    its new record misses, in ``new``); ``resolved``: objects Notion no longer has.
    """
    gaps = {
        gap_id: gap
        for gap_id, gap in previous.items()
        if gap_id not in written and gap_id not in resolved
    }
    for gap in new:
        earlier = gaps.get(gap.id)
        if earlier is not None and gap.missing_files and earlier.missing_files:
            files = tuple(sorted(set(earlier.missing_files) | set(gap.missing_files)))
            gap = Gap(gap.id, gap.kind, gap.reason, files)
        gaps[gap.id] = gap
    return dict(sorted(gaps.items()))


def gaps_json(gaps: Mapping[str, Gap]) -> bytes:
    """The committed form: deterministic, sorted by id."""
    return dump_json(
        {
            "gaps": [
                {
                    "id": gap.id,
                    "kind": gap.kind,
                    "reason": gap.reason,
                    "missing_files": list(gap.missing_files),
                }
                for gap in sorted(gaps.values(), key=lambda item: item.id)
            ]
        }
    )


def parse_gaps(raw: bytes) -> dict[str, Gap]:
    """Gaps from ``gaps.json``; ``ValueError`` names what is wrong."""
    data = json.loads(raw)
    if not isinstance(data, dict) or not isinstance(data.get("gaps"), list):
        raise ValueError('expected {"gaps": [...]}')
    gaps = {}
    for item in data["gaps"]:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise ValueError(f"a gap without an id: {item!r}")
        files = item.get("missing_files") or []
        gap = Gap(
            item["id"],
            str(item.get("kind") or "page"),
            str(item.get("reason") or ""),
            tuple(str(url) for url in files),
        )
        gaps[gap.id] = gap
    return gaps


def read_gaps(mirror: Mirror) -> dict[str, Gap]:
    """The gaps recorded by the last commit ({} when there are none)."""
    raw = mirror.read(GAPS_FILE)
    if raw is None:
        return {}
    try:
        return parse_gaps(raw)
    except ValueError as exc:
        raise GitStoreError(
            f"{mirror.path / GAPS_FILE} is damaged: {exc}", hint=REPAIR_HINT
        ) from None


def write_gaps(mirror: Mirror, gaps: Mapping[str, Gap]) -> None:
    """Stage the gaps file (removed when there is no gap)."""
    if gaps:
        mirror.write(GAPS_FILE, gaps_json(gaps))
    else:
        mirror.delete(GAPS_FILE)

"""Which mirrored objects a sweep removes: pure, from the facts the sweep collected.

- Nothing is removed when the listing of the workspace did not end normally.
- An indexed object missing from the listing is removed only when a direct request
  confirmed it gone (trashed, or no longer shared); anything else keeps it.
- Descendants of a removed object go with it (by the index's parent chain), each with
  its own confirmed reason or its ancestor's, so no index entry is left under a removed
  parent; database alias entries of removed data sources go too.
- More than ``threshold`` of the mirrored objects is refused, unless allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

TRASHED = "trashed in Notion"
UNSHARED = "no longer shared or deleted in Notion"
OVERRIDE = "notion-syncd sync --sweep --allow-mass-delete"


@dataclass(frozen=True)
class Mirrored:
    """An indexed object as the sweep sees it: its parent, and the object it stands for."""

    id: str
    parent: str | None = None
    alias_of: str | None = None
    """Set on a database entry: the data source whose path it shares (not an object)."""


@dataclass(frozen=True)
class Removal:
    """An indexed object confirmed gone from Notion, and why."""

    id: str
    reason: str


@dataclass(frozen=True)
class RemovalPlan:
    """What to remove, or why nothing is removed (``refused`` is a message for a person)."""

    removals: tuple[Removal, ...] = ()
    aliases: tuple[str, ...] = ()
    """Database alias entries that go with their data source."""
    refused: str | None = None
    total: int = 0


def unlisted(mirrored: Iterable[Mirrored], listed: set[str]) -> list[str]:
    """Mirrored objects (not aliases) the listing did not show: to be confirmed one by one."""
    return sorted(m.id for m in mirrored if m.alias_of is None and m.id not in listed)


def plan_removals(
    mirrored: Iterable[Mirrored],
    *,
    listing_complete: bool,
    confirmed: Mapping[str, str | None],
    threshold: float,
    allow_mass_delete: bool,
) -> RemovalPlan:
    """Decide the removals of a sweep (see the module docstring).

    ``confirmed`` maps each unlisted object to why it is gone, or None when it is still
    there or a request could not tell.
    """
    entries = list(mirrored)
    objects = [m for m in entries if m.alias_of is None]
    total = len(objects)
    if not listing_complete:
        return RemovalPlan(refused="the listing of the workspace ended early", total=total)
    known = {m.id for m in objects}
    gone = {oid: why for oid, why in confirmed.items() if why is not None and oid in known}
    if not gone:
        return RemovalPlan(total=total)
    children: dict[str, list[str]] = {}
    for m in objects:
        if m.parent is not None:
            children.setdefault(m.parent, []).append(m.id)
    removed: dict[str, str] = {}
    stack = sorted(gone.items())
    while stack:
        object_id, reason = stack.pop()
        if object_id in removed:
            continue
        removed[object_id] = reason
        for child in children.get(object_id, []):
            stack.append((child, gone.get(child, reason)))
    removals = tuple(Removal(oid, why) for oid, why in sorted(removed.items()))
    if not allow_mass_delete and len(removals) > threshold * total:
        return RemovalPlan(refused=refusal_message(removals, total, threshold), total=total)
    aliases = tuple(
        sorted(m.id for m in entries if m.alias_of is not None and m.alias_of in removed)
    )
    return RemovalPlan(removals, aliases, total=total)


def refusal_message(removals: tuple[Removal, ...], total: int, threshold: float) -> str:
    by_reason: dict[str, int] = {}
    for removal in removals:
        by_reason[removal.reason] = by_reason.get(removal.reason, 0) + 1
    why = ", ".join(f"{count} {reason}" for reason, count in sorted(by_reason.items()))
    share = len(removals) / total if total else 1.0
    return (
        f"sweep refused to delete {len(removals)} of {total} mirrored objects "
        f"({share:.0%}, more than sync.mass_delete_threshold = {threshold:.0%}): {why}; "
        "nothing was deleted"
    )

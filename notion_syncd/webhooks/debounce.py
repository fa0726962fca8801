"""When an early sync runs for the events received: a pure, clock-free decision.

Each event is offered with the time it arrived. A repeated event id is a duplicate
(Notion retries, and replays). An entity is *due* once it has been quiet for
``window`` seconds, or once its first pending event is ``max_wait`` old (so a page
edited without pause still syncs). When one entity is due, every pending entity is
taken: the sync that follows (the poll's incremental path) covers them all at once.
Deletions and moves ask for a sweep, which is what finds removed and moved pages.
The pages, databases and data sources named by the events are the batch's *targets*:
the sync fetches them by id before its listing, which search may not have caught up
with (``sync/targets.py``).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from notion_syncd.sync.targets import Target, target_of

#: Event ids remembered for de-duplication.
SEEN_LIMIT = 10_000
#: Types the receiver knows; others still make an early sync, and are logged once.
KNOWN_PREFIXES = ("page.", "database.", "data_source.", "comment.")
_SWEEP_WORDS = ("deleted", "moved", "undeleted")


def needs_sweep(event_type: str) -> bool:
    """A deletion, restoration or move is found by the sweep, not the incremental listing."""
    return any(event_type.endswith("." + word) for word in _SWEEP_WORDS)


def is_known(event_type: str) -> bool:
    return event_type.startswith(KNOWN_PREFIXES)


@dataclass(frozen=True)
class Batch:
    entities: frozenset[str]
    sweep: bool
    events: int
    targets: frozenset[Target] = frozenset()


@dataclass
class _Pending:
    first: float
    last: float
    events: int = 0
    sweep: bool = False
    target: Target | None = None


@dataclass
class Debouncer:
    window: float
    max_wait: float
    _pending: dict[str, _Pending] = field(default_factory=dict)
    _seen: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def offer(
        self, event_id: str, entity: str, event_type: str, now: float, entity_type: str = ""
    ) -> bool:
        """Record an event; False (and nothing recorded) when its id was seen already."""
        if event_id in self._seen:
            return False
        self._seen[event_id] = None
        if len(self._seen) > SEEN_LIMIT:
            self._seen.popitem(last=False)
        pending = self._pending.setdefault(entity, _Pending(first=now, last=now))
        pending.last = max(pending.last, now)
        pending.events += 1
        pending.sweep = pending.sweep or needs_sweep(event_type)
        pending.target = pending.target or target_of(entity_type, entity)
        return True

    @property
    def depth(self) -> int:
        """Entities waiting for a sync."""
        return len(self._pending)

    def next_due(self) -> float | None:
        """The earliest time an entity becomes due, or None when nothing is pending."""
        if not self._pending:
            return None
        return min(
            min(p.last + self.window, p.first + self.max_wait) for p in self._pending.values()
        )

    def take_due(self, now: float) -> Batch | None:
        """Every pending entity, if one of them is due at ``now``; else None."""
        due = self.next_due()
        if due is None or now < due:
            return None
        batch = Batch(
            entities=frozenset(self._pending),
            sweep=any(p.sweep for p in self._pending.values()),
            events=sum(p.events for p in self._pending.values()),
            targets=frozenset(p.target for p in self._pending.values() if p.target is not None),
        )
        self._pending.clear()
        return batch

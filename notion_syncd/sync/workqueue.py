"""The work of one sync in flight: the fetch window, parents to fetch, children waiting.

Objects are listed newest first, so a child can come before its parent. A child whose
parent is not mirrored yet waits here (at most ``max_waiting`` of them) while the parent
is fetched by the same pool; it is released when the parent is written, fails with it
when the parent fails, and is written the slow way (its parent resolved inline) when
the parent never comes. ``WorkQueue`` holds no I/O of its own: the pool runs the
caller's ``fetch`` and the caller writes what comes back, in this thread.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import Generic, TypeVar

from notion_syncd.sync.idset import IdSet

MAX_WAITING = 200
"""Objects held in memory while their parent is fetched; past this, parents are fetched inline."""

MAX_SECOND_STAGE = 64
"""Fetches waiting for their second stage (downloads) before the window stops refilling."""

Item = TypeVar("Item")
Held = TypeVar("Held")
Result = TypeVar("Result")


class WorkQueue(Generic[Item, Held]):
    """Which objects were seen, which parents to fetch, which children wait for whom."""

    def __init__(self, *, max_waiting: int = MAX_WAITING) -> None:
        self.max_waiting = max_waiting
        self._seen = IdSet()
        """Every object offered or queued in this sync (``idset``: 24 bytes each)."""
        self._unreachable: set[str] = set()
        self._parents: deque[Item] = deque()
        self._waiting: dict[str, list[Held]] = {}
        self._waiting_count = 0

    def admit(self, object_id: str) -> bool:
        """True the first time an object is offered (listings repeat objects)."""
        if object_id in self._seen:
            return False
        self._seen.add(object_id)
        return True

    def seen(self, object_id: str) -> bool:
        return object_id in self._seen

    def mark_unreachable(self, object_id: str) -> None:
        """Notion will not give this object (not shared): nobody waits for it again."""
        self._seen.add(object_id)
        self._unreachable.add(object_id)

    def unreachable(self, object_id: str) -> bool:
        return object_id in self._unreachable

    def hold(self, parent_id: str, child: Held, fetch_parent: Callable[[], Item]) -> bool:
        """Hold ``child`` until ``parent_id`` is written; False when it cannot wait.

        The parent is queued for fetching (``fetch_parent()`` builds its work item) the
        first time anything waits for it, unless it was seen already. A child cannot wait
        for an unreachable parent, nor when ``max_waiting`` children wait already.
        """
        if parent_id in self._unreachable or self._waiting_count >= self.max_waiting:
            return False
        if parent_id not in self._seen:
            self._seen.add(parent_id)
            self._parents.append(fetch_parent())
        self._waiting.setdefault(parent_id, []).append(child)
        self._waiting_count += 1
        return True

    def release(self, parent_id: str) -> list[Held]:
        """The children that waited for ``parent_id`` (written now, or failed with it)."""
        children = self._waiting.pop(parent_id, [])
        self._waiting_count -= len(children)
        return children

    def leftovers(self) -> Iterator[Held]:
        """Children whose parent never came, by parent id (the stream has ended)."""
        for parent_id in sorted(self._waiting):
            yield from self.release(parent_id)

    @property
    def waiting(self) -> int:
        return self._waiting_count

    def fetch_by_id(self, item: Item) -> None:
        """Queue an object found elsewhere than in a listing (a child search has not shown)."""
        self._parents.append(item)

    @property
    def queued(self) -> int:
        return len(self._parents)

    def next_parent(self) -> Item | None:
        return self._parents.popleft() if self._parents else None

    def run(
        self,
        pool: Executor,
        fetch: Callable[[Item], Result],
        next_listed: Callable[[], Item | None],
        window: int | Callable[[], int],
        *,
        then: Callable[[Item, Result], Future[Result] | None] | None = None,
    ) -> Iterator[tuple[Item, Future[Result]]]:
        """Keep up to ``window`` fetches in flight; yield each as soon as it is done.

        ``window`` may be a callable, asked again before every refill (the adaptive
        in-flight target of ``notion.concurrency``). Parents queued by ``hold`` go first,
        then what ``next_listed`` offers. Completion order keeps every worker busy (one
        slow page does not hold back the rest); nothing written depends on that order.
        The window is refilled after every completion, before the caller writes it, so
        parents found while writing join the same pool and no worker waits for a write.

        ``then`` is a second stage on a lane of its own (file downloads): given a fetch
        that succeeded, it returns the future of the finished result, or None when there
        is nothing more to do. Fetches in their second stage leave the window (they are
        not API requests); while ``MAX_SECOND_STAGE`` of them wait, nothing new starts.
        """

        def next_item() -> Item | None:
            parent = self.next_parent()
            return parent if parent is not None else next_listed()

        def size() -> int:
            return max(1, window() if callable(window) else window)

        pending: dict[Future[Result], Item] = {}
        following: dict[Future[Result], Item] = {}

        def refill() -> None:
            while (
                len(pending) < size()
                and len(following) < MAX_SECOND_STAGE
                and (item := next_item()) is not None
            ):
                pending[pool.submit(fetch, item)] = item

        def second_stage(item: Item, future: Future[Result]) -> Future[Result] | None:
            if then is None or future.cancelled() or future.exception() is not None:
                return None
            return then(item, future.result())

        try:
            while True:
                refill()
                if not pending and not following:
                    return
                done, _running = wait([*pending, *following], return_when=FIRST_COMPLETED)
                for future in done:
                    if future in following:
                        item = following.pop(future)
                    else:
                        item = pending.pop(future)
                        refill()
                        if (finishing := second_stage(item, future)) is not None:
                            following[finishing] = item
                            continue
                    yield item, future
        finally:
            for future in [*pending, *following]:
                future.cancel()

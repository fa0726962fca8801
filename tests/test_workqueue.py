"""The work queue: fetch window, parents to fetch, children waiting for a parent."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

from hypothesis import given
from hypothesis import strategies as st

from notion_syncd.sync.workqueue import WorkQueue

Queue = WorkQueue[str, str]


def test_workqueue_admit_once() -> None:
    """An object listed twice is offered for fetching once."""
    queue: Queue = WorkQueue()
    assert queue.admit("a") and not queue.admit("a") and queue.seen("a")


def test_workqueue_hold_queues_parent_once() -> None:
    """The first child waiting for a parent queues it; the next ones only wait."""
    queue: Queue = WorkQueue()
    assert queue.hold("p", "c1", lambda: "fetch p")
    assert queue.hold("p", "c2", lambda: "again")
    assert queue.next_parent() == "fetch p" and queue.next_parent() is None
    assert queue.release("p") == ["c1", "c2"] and queue.waiting == 0


def test_workqueue_hold_seen_parent_not_fetched_again() -> None:
    """A parent already listed (being fetched) is not queued a second time."""
    queue: Queue = WorkQueue()
    queue.admit("p")
    assert queue.hold("p", "c", lambda: "fetch p")
    assert queue.next_parent() is None


def test_workqueue_hold_refused_when_full_or_unreachable() -> None:
    """Past ``max_waiting``, or for a parent Notion will not give, a child cannot wait."""
    queue: Queue = WorkQueue(max_waiting=1)
    queue.mark_unreachable("gone")
    assert not queue.hold("gone", "c", lambda: "x")
    assert queue.unreachable("gone") and queue.seen("gone")
    assert queue.hold("p", "c1", lambda: "fetch p")
    assert not queue.hold("p", "c2", lambda: "fetch p")
    assert queue.waiting == 1


def test_workqueue_leftovers_by_parent_id() -> None:
    """Children whose parent never came come out ordered by parent id, then emptied."""
    queue: Queue = WorkQueue()
    queue.hold("p2", "b", lambda: "x")
    queue.hold("p1", "a", lambda: "y")
    queue.hold("p2", "c", lambda: "x")
    assert list(queue.leftovers()) == ["a", "b", "c"]
    assert queue.waiting == 0 and list(queue.leftovers()) == []


def test_workqueue_run_parents_first_and_window_respected() -> None:
    """Queued parents are fetched before listed objects; never more than ``window`` at once."""
    queue: Queue = WorkQueue()
    queue.hold("p", "child", lambda: "parent")
    listed = iter(["l1", "l2", "l3", "l4", "l5"])
    lock = threading.Lock()
    running = [0, 0]  # now, most

    def fetch(item: str) -> str:
        with lock:
            running[0] += 1
            running[1] = max(running)
        with lock:
            running[0] -= 1
        return item.upper()

    with ThreadPoolExecutor(max_workers=4) as pool:
        order = [
            (item, future.result())
            for item, future in queue.run(pool, fetch, lambda: next(listed, None), 2)
        ]
    assert sorted(order) == [
        ("l1", "L1"),
        ("l2", "L2"),
        ("l3", "L3"),
        ("l4", "L4"),
        ("l5", "L5"),
        ("parent", "PARENT"),
    ]
    assert running[1] <= 2


def test_workqueue_run_takes_parents_found_while_writing() -> None:
    """A parent queued while results are consumed joins the same run."""
    queue: Queue = WorkQueue()
    listed = iter(["child"])
    fetched = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for item, future in queue.run(pool, str.upper, lambda: next(listed, None), 4):
            fetched.append(future.result())
            if item == "child":
                queue.hold("p", item, lambda: "parent")
    assert fetched == ["CHILD", "PARENT"]


def test_workqueue_run_window_asked_again_as_it_grows() -> None:
    """A callable window is asked before every refill: a larger target runs more at once."""
    queue: Queue = WorkQueue()
    listed = iter(["first", "a", "b", "c"])
    together = threading.Barrier(3, timeout=10)  # breaks unless a, b and c run at once
    sizes = {"now": 1}

    def fetch(item: str) -> str:
        if item != "first":
            together.wait()
        return item

    with ThreadPoolExecutor(max_workers=4) as pool:
        fetched = []
        window = lambda: sizes["now"]  # noqa: E731
        for _item, future in queue.run(pool, fetch, lambda: next(listed, None), window):
            fetched.append(future.result())
            sizes["now"] = 3
    assert fetched[0] == "first" and sorted(fetched[1:]) == ["a", "b", "c"]


def test_workqueue_run_second_stage_leaves_the_window() -> None:
    """A fetch in its second stage (a download) frees its slot: the next fetch starts."""
    queue: Queue = WorkQueue()
    listed = iter(["a", "b"])
    b_fetched = threading.Event()

    def fetch(item: str) -> str:
        if item == "b":
            b_fetched.set()
        return item

    def download(fetched: str) -> str:
        return f"{fetched}+files" if b_fetched.wait(timeout=10) else "window held"

    with ThreadPoolExecutor(max_workers=2) as pool, ThreadPoolExecutor(1) as lane:

        def then(item: str, fetched: str) -> Future[str] | None:
            return lane.submit(download, fetched) if item == "a" else None

        results = {
            item: future.result()
            for item, future in queue.run(pool, fetch, lambda: next(listed, None), 1, then=then)
        }
    assert results == {"a": "a+files", "b": "b"}


operations = st.lists(
    st.tuples(
        st.sampled_from(["admit", "hold", "release", "unreachable", "parent"]),
        st.sampled_from(["a", "b", "c", "d"]),
        st.integers(0, 99),
    ),
    max_size=60,
)


@given(operations, st.integers(1, 5))
def test_workqueue_invariants(ops: list[tuple[str, str, int]], max_waiting: int) -> None:
    """Whatever happens: waiting ≤ max, every held child comes out once, parents queued once."""
    queue: Queue = WorkQueue(max_waiting=max_waiting)
    held: list[str] = []
    released: list[str] = []
    queued: list[str] = []
    for op, object_id, n in ops:
        if op == "admit":
            queue.admit(object_id)
        elif op == "hold":
            child = f"{object_id}:{n}:{len(held)}"
            if queue.hold(object_id, child, lambda oid=object_id: oid):
                held.append(child)
        elif op == "release":
            released += queue.release(object_id)
        elif op == "unreachable":
            queue.mark_unreachable(object_id)
        elif (parent := queue.next_parent()) is not None:
            queued.append(parent)
        assert 0 <= queue.waiting <= max_waiting
        assert queue.waiting == len(held) - len(released)
    while (parent := queue.next_parent()) is not None:
        queued.append(parent)
    released += list(queue.leftovers())
    assert sorted(released) == sorted(held)
    assert len(queued) == len(set(queued))

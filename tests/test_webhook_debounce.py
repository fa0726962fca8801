"""The debounce decision: duplicates, quiet windows, bursts, sweeps."""

from __future__ import annotations

from notion_syncd.webhooks.debounce import Debouncer, is_known, needs_sweep

UPDATED = "page.content_updated"


def test_debounce_duplicate_id_is_refused() -> None:
    """A repeated event id is not counted again."""
    debouncer = Debouncer(window=3, max_wait=30)
    assert debouncer.offer("e1", "p1", UPDATED, 0.0)
    assert not debouncer.offer("e1", "p1", UPDATED, 1.0)
    batch = debouncer.take_due(3.0)
    assert batch is not None and batch.events == 1


def test_debounce_waits_for_quiet_window() -> None:
    """An entity is due only after window seconds without events."""
    debouncer = Debouncer(window=3, max_wait=30)
    debouncer.offer("e1", "p1", UPDATED, 0.0)
    debouncer.offer("e2", "p1", UPDATED, 2.0)
    assert debouncer.take_due(4.9) is None
    assert debouncer.next_due() == 5.0
    batch = debouncer.take_due(5.0)
    assert batch is not None and batch.entities == {"p1"} and not batch.sweep
    assert debouncer.depth == 0 and debouncer.next_due() is None


def test_debounce_burst_gives_few_batches() -> None:
    """500 events for 50 pages over 10 s make at most a handful of batches."""
    debouncer = Debouncer(window=3, max_wait=30)
    batches = []
    for n in range(500):
        now = n * 0.02
        debouncer.offer(f"e{n}", f"p{n % 50}", UPDATED, now)
        if (batch := debouncer.take_due(now)) is not None:
            batches.append(batch)
    final = debouncer.take_due(20.0)
    assert final is not None
    batches.append(final)
    assert len(batches) <= 3
    assert sum(batch.events for batch in batches) == 500
    assert set().union(*(batch.entities for batch in batches)) == {f"p{n}" for n in range(50)}


def test_debounce_max_wait_bounds_a_busy_page() -> None:
    """A page edited every second (never quiet) still becomes due after max_wait."""
    debouncer = Debouncer(window=3, max_wait=10)
    for n in range(10):
        debouncer.offer(f"e{n}", "p1", UPDATED, float(n))
        assert debouncer.take_due(float(n)) is None
    debouncer.offer("e10", "p1", UPDATED, 10.0)
    batch = debouncer.take_due(10.0)
    assert batch is not None and batch.events == 11


def test_debounce_deletion_asks_for_sweep() -> None:
    """page.deleted and page.moved ask for a sweep; unknown types are still pending."""
    assert needs_sweep("page.deleted") and needs_sweep("page.moved")
    assert not needs_sweep("page.properties_updated")
    assert is_known("comment.created") and not is_known("workspace.renamed")
    debouncer = Debouncer(window=1, max_wait=5)
    debouncer.offer("e1", "p1", UPDATED, 0.0)
    debouncer.offer("e2", "p2", "page.deleted", 0.0)
    batch = debouncer.take_due(1.0)
    assert batch is not None and batch.sweep and batch.entities == {"p1", "p2"}

"""Tests for notion_syncd.notion.ratelimit: the shared token bucket and its Retry-After pause."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from virtualtime import VirtualTime

from notion_syncd.errors import SyncInterrupted
from notion_syncd.notion.ratelimit import MAX_WAIT_CHUNK, RateLimiter, wait_interruptibly


def run_workers(time: VirtualTime, workers: int, work: Callable[[int], None]) -> None:
    """Run ``work(index)`` on ``workers`` threads under ``time`` and re-raise any failure."""
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            work(index)
        except BaseException as error:  # reported in the main thread
            failures.append(error)
        finally:
            time.done()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures


def assert_within_budget(grants: list[float], rate: float, burst: int) -> None:
    """No window [0, t] saw more than ``rate * t + burst`` grants."""
    for count, granted_at in enumerate(sorted(grants), start=1):
        assert count <= rate * granted_at + burst + 1e-6, (count, granted_at)


def test_rate_limiter_single_thread_burst_then_rate() -> None:
    """A fresh bucket grants ``burst`` at once, then one token every 1/rate seconds."""
    time = VirtualTime()
    limiter = RateLimiter(2.0, 3, clock=time.clock, sleep=time.sleep)
    grants = []
    for _ in range(7):
        limiter.acquire()
        grants.append(time.now)
    assert grants == pytest.approx([0, 0, 0, 0.5, 1.0, 1.5, 2.0])


def test_rate_limiter_threads_never_exceed_budget() -> None:
    """Eight threads taking 200 tokens never start more than rate*t + burst."""
    rate, burst, workers = 3.0, 3, 8
    time = VirtualTime(workers)
    limiter = RateLimiter(rate, burst, clock=time.clock, sleep=time.sleep)
    grants: list[float] = []
    lock = threading.Lock()

    def work(_index: int) -> None:
        for _ in range(25):
            limiter.acquire()
            with lock:
                grants.append(time.clock())

    run_workers(time, workers, work)
    assert len(grants) == 200
    assert_within_budget(grants, rate, burst)
    # ... and uses the budget: 200 tokens take about (200 - burst) / rate seconds.
    assert max(grants) == pytest.approx((200 - burst) / rate, abs=0.5)


def test_rate_limiter_pause_until_blocks_every_thread() -> None:
    """A pause set by one worker holds every worker until the deadline."""
    time = VirtualTime(4)
    limiter = RateLimiter(10.0, 2, clock=time.clock, sleep=time.sleep)
    grants: list[tuple[int, float]] = []
    lock = threading.Lock()
    paused: dict[str, float] = {}

    def work(index: int) -> None:
        for _ in range(10):
            limiter.acquire()
            with lock:
                grants.append((index, time.clock()))
                # The fourth grant of all pauses: no worker has all its ten yet, however
                # the threads were scheduled (worker 0's fourth could come after the
                # others were done, on a loaded machine).
                if len(grants) == 4 and not paused:
                    paused["from"] = time.clock()
                    paused["extension"] = limiter.pause_until(time.clock() + 30.0)

    run_workers(time, 4, work)
    start = paused["from"]
    assert paused["extension"] == pytest.approx(30.0)
    during = [g for g in grants if start < g[1] < start + 30.0]
    assert during == []
    after = sorted(g for g in grants if g[1] >= start + 30.0)
    assert {index for index, _ in after} == {0, 1, 2, 3}
    # After the pause one probe starts alone; the rest follow at the rate.
    assert_within_budget([t - (start + 30.0) for _, t in after], 10.0, 1)
    assert limiter.paused_seconds == pytest.approx(30.0)


def test_rate_limiter_pause_waits_in_chunks_with_hook() -> None:
    """A long pause sleeps in chunks of at most a second and beats the hook after each."""
    time = VirtualTime()
    beats: list[float] = []
    limiter = RateLimiter(
        3.0, 3, clock=time.clock, sleep=time.sleep, on_wait=lambda: beats.append(time.now)
    )
    limiter.pause_until(12.5)
    waited = limiter.acquire()
    assert waited == pytest.approx(12.5)
    assert max(time.sleeps) <= MAX_WAIT_CHUNK
    assert len(beats) == 13


def test_rate_limiter_pause_until_overlapping_counts_once() -> None:
    """Overlapping pauses count the throttled time once, and a shorter one extends nothing."""
    time = VirtualTime()
    limiter = RateLimiter(3.0, 3, clock=time.clock, sleep=time.sleep)
    assert limiter.pause_until(10.0) == pytest.approx(10.0)
    assert limiter.pause_until(5.0) == 0.0
    assert limiter.pause_until(15.0) == pytest.approx(5.0)
    assert limiter.paused_seconds == pytest.approx(15.0)
    assert limiter.pause_remaining() == pytest.approx(15.0)


def test_rate_limiter_stop_interrupts_wait() -> None:
    """A stop event set during a pause raises SyncInterrupted at the next chunk."""
    time = VirtualTime()
    stop = threading.Event()
    limiter = RateLimiter(
        3.0, 3, clock=time.clock, sleep=time.sleep, on_wait=lambda: time.now >= 3 and stop.set()
    )
    limiter.pause_until(60.0)
    with pytest.raises(SyncInterrupted):
        limiter.acquire(stop)
    assert time.now == pytest.approx(3.0)


def test_rate_limiter_rejects_bad_settings() -> None:
    """Rate must be positive and burst at least one."""
    with pytest.raises(ValueError):
        RateLimiter(0, 3)
    with pytest.raises(ValueError):
        RateLimiter(3, 0)


def test_wait_interruptibly_sleeps_in_chunks() -> None:
    """A 2.5 s wait is three sleeps (1, 1, 0.5), each followed by the hook."""
    time = VirtualTime()
    beats: list[float] = []
    wait_interruptibly(2.5, sleep=time.sleep, on_wait=lambda: beats.append(time.now))
    assert time.sleeps == pytest.approx([1.0, 1.0, 0.5])
    assert beats == pytest.approx([1.0, 2.0, 2.5])


def test_wait_interruptibly_honours_stop() -> None:
    """A set stop event raises before sleeping."""
    stop = threading.Event()
    stop.set()
    with pytest.raises(SyncInterrupted):
        wait_interruptibly(5.0, sleep=lambda _s: None, stop=stop)


class _Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_halves_pace_once_per_episode() -> None:
    """The 429s of one episode (answers back before the pause ends) lower the pace once;
    the first, isolated one by a tenth, the next ones (the server still refuses) by half."""
    clock = _Clock()
    limiter = RateLimiter(10.0, 3, clock=clock, sleep=lambda _s: None)
    limiter.pause_until(clock.now + 1)
    clock.now = 0.2
    limiter.pause_until(clock.now + 1)  # in flight when the first came back
    assert limiter.rate == pytest.approx(9.0)
    clock.now = 1.5  # after the pause: the server still refuses
    limiter.pause_until(clock.now + 1)
    assert limiter.rate == pytest.approx(4.5)
    for step in range(10):
        clock.now = 3.0 + step * 2
        limiter.pause_until(clock.now + 1)
    assert limiter.rate == pytest.approx(1.0)  # the floor: a tenth of the configured rate


def test_rate_limiter_recovers_slowly_to_configured_pace() -> None:
    """Without rate-limit answers the pace rises 10 % every 30 s, never above the configured."""
    clock = _Clock()
    limiter = RateLimiter(10.0, 3, clock=clock, sleep=lambda _s: None)
    limiter.pause_until(1.0)
    clock.now = 2.0
    limiter.pause_until(3.0)  # again at once: a server that allows less
    assert limiter.rate == pytest.approx(4.5)
    clock.now = 32.5  # 29.5 s after the pause ended: not yet
    limiter.acquire()
    assert limiter.rate == pytest.approx(4.5)
    clock.now = 33.0
    limiter.acquire()
    assert limiter.rate == pytest.approx(4.95)
    clock.now = 62.0  # 29 s after the last step: not yet
    limiter.acquire()
    assert limiter.rate == pytest.approx(4.95)
    for step in range(1, 20):
        clock.now = 33.0 + step * 30
        limiter.acquire()
    assert limiter.rate == pytest.approx(10.0)


def test_rate_limiter_isolated_429_at_full_pace_costs_a_tenth() -> None:
    """One 429 at the configured pace, none for a while before: a tenth off, not half;
    an isolated one while the pace is lowered (probing upwards) still halves it."""
    clock = _Clock()
    limiter = RateLimiter(30.0, 3, clock=clock, sleep=lambda _s: None)
    limiter.pause_until(1.0)
    assert limiter.rate == pytest.approx(27.0)
    clock.now = 100.0  # recovered (29.7, then 30), then a 429 long after the last one
    limiter.acquire()
    clock.now = 140.0
    limiter.acquire()
    assert limiter.rate == pytest.approx(30.0)
    limiter.pause_until(141.0)
    assert limiter.rate == pytest.approx(27.0)
    clock.now = 200.0  # isolated, but below the configured pace: the server's limit
    limiter.pause_until(201.0)
    assert limiter.rate == pytest.approx(13.5)

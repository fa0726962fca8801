"""IdMap and IdSet answer as dict and set do, across the merges of their recent ids."""

from __future__ import annotations

import random
import sys
import threading
import uuid

import pytest

from notion_syncd.sync import idset
from notion_syncd.sync.idset import IdMap, IdSet


@pytest.fixture(autouse=True)
def small_merges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(idset, "RECENT", 7)  # a merge every seven new ids


def ids(count: int, seed: int) -> list[str]:
    generator = random.Random(seed)
    return [str(uuid.UUID(int=generator.getrandbits(128))) for _ in range(count)]


def test_idmap_answers_as_a_dict() -> None:
    generator = random.Random(3)
    pool = [*ids(60, seed=1), "not-a-uuid", "also odd"]
    model: dict[str, str] = {}
    mapped = IdMap()
    for step in range(600):
        object_id = generator.choice(pool)
        value = f"2026-12-01T0{step % 7}:00:00.000Z"
        model[object_id] = value
        mapped[object_id] = value
        probe = generator.choice(pool)
        assert mapped.get(probe) == model.get(probe)
        assert (probe in mapped) == (probe in model)
        assert len(mapped) == len(model)
    assert sorted(mapped) == sorted(model)
    assert dict(mapped.items()) == model


def test_idmap_takes_ids_with_or_without_dashes_and_gives_them_dashed() -> None:
    mapped = IdMap()
    dashed = ids(1, seed=2)[0]
    mapped[dashed.replace("-", "").upper()] = "x"
    assert mapped.get(dashed) == "x"
    assert list(mapped) == [dashed]
    assert 5 not in mapped  # type: ignore[operator]


def test_idset_answers_as_a_set() -> None:
    pool = ids(50, seed=4)
    model = set(pool[:30])
    kept = IdSet(pool[:30])
    kept.update(pool[10:20])  # repeats are no new members
    assert len(kept) == 30
    assert all((object_id in kept) == (object_id in model) for object_id in pool)
    assert sorted(kept) == sorted(model)


def test_idset_answers_as_a_set_across_merges() -> None:
    generator = random.Random(8)
    pool = [*ids(80, seed=9), "not-a-uuid", "also odd"]
    model: set[str] = set()
    kept = IdSet()
    for _ in range(400):
        object_id = generator.choice(pool)
        model.add(object_id)
        kept.add(object_id)
        probe = generator.choice(pool)
        assert (probe in kept) == (probe in model)
        assert len(kept) == len(model)
    assert sorted(kept) == sorted(model)
    assert 5 not in kept  # type: ignore[operator]


def test_idset_take_removes_the_first_ids_in_sorted_order() -> None:
    pool = ids(40, seed=10)
    kept = IdSet([*pool, "not-a-uuid", "also odd"])  # some wait in the recent set
    taken = kept.take(15)
    assert taken == sorted(pool)[:15]
    assert len(kept) == 27 and not any(object_id in kept for object_id in taken)
    kept.add(taken[0])  # taken ids can come back
    rest = kept.take(100)
    assert rest[:26] == sorted([*sorted(pool)[15:], taken[0]])
    assert rest[26:] == ["also odd", "not-a-uuid"]
    assert len(kept) == 0 and kept.take(5) == []
    kept.update(pool[:3])
    kept.clear()
    assert len(kept) == 0 and list(kept) == []


def test_idset_in_order_gives_every_id_sorted_and_keeps_them() -> None:
    pool = ids(40, seed=11)
    kept = IdSet([*pool, "not-a-uuid", "also odd"])  # 40 % 7: five wait in the recent set
    assert list(kept.in_order()) == [*sorted(pool), "also odd", "not-a-uuid"]
    assert len(kept) == 42 and all(object_id in kept for object_id in pool)
    kept.add(pool[0].replace("-", "").upper())  # the same id, as Notion may also write it
    assert len(kept) == 42


def test_a_merge_puts_each_new_key_in_its_place() -> None:
    generator = random.Random(11)
    for _ in range(50):
        keys = sorted({generator.randbytes(16) for _ in range(generator.randrange(30))})
        new = sorted({generator.randbytes(16) for _ in range(generator.randrange(1, 10))})
        merged, places = idset._merged(b"".join(keys), new)
        assert merged == b"".join(sorted([*keys, *new]))
        assert places == [sum(key < added for key in keys) for added in new]


def test_equal_values_are_stored_once() -> None:
    mapped = IdMap()
    for object_id in ids(40, seed=5):
        mapped[object_id] = "".join(["2026-12-01T", "00:00:00.000Z"])  # a new string each
    assert len({id(value) for _, value in mapped.items()}) == 1


def test_a_reader_never_misses_an_id_while_another_thread_adds() -> None:
    mapped = IdMap()
    added = ids(3_000, seed=6)
    done = threading.Event()
    misses: list[str] = []
    progress = [0]  # ids are added in order: the first ``progress[0]`` are in

    def read() -> None:
        generator = random.Random(7)
        while not done.is_set():
            count = progress[0]
            for object_id in generator.sample(added[:count], min(count, 20)):
                if mapped.get(object_id) != object_id[:8]:
                    misses.append(object_id)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    reader = threading.Thread(target=read)
    reader.start()
    try:
        for count, object_id in enumerate(added, start=1):
            mapped[object_id] = object_id[:8]
            progress[0] = count
    finally:
        done.set()
        reader.join()
        sys.setswitchinterval(interval)
    assert misses == []

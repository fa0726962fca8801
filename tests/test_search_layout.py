"""The search's shard layout (linear hashing) and its writer: shards that grow and shrink
with the index, and an index written in steps equal to one written at once."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from notion_syncd.export import search, searchwords
from notion_syncd.export.searchlayout import (
    ENTRIES_PER_SHARD,
    HASHES_PER_BUCKETS_FILE,
    LAYOUT_PATH,
    POSTINGS_PER_SHARD,
    SHARD_DIR,
    SHARDS_PER_FOLDER,
    Layout,
    bucket,
    fnv1a,
    parse_layout,
    resize,
)
from notion_syncd.gitstore import open_mirror
from notion_syncd.sync.searchwrite import SearchChange, read_layout, write_search

HASHES = [fnv1a(f"key {n}") for n in range(3000)]


def test_bucket_is_in_range_and_one_more_shard_moves_one_shards_keys() -> None:
    """Going from n to n + 1 shards moves keys only from the shard split into the new one."""
    assert fnv1a("") == 0x811C9DC5 and fnv1a("a") == 0xE40C292C  # FNV-1a's test vectors
    for shards in range(1, 70):
        for value in HASHES:
            before, after = bucket(value, shards), bucket(value, shards + 1)
            assert 0 <= before < shards and 0 <= after <= shards
            if before != after:
                assert after == shards and before == shards - (1 << (shards.bit_length() - 1))


@pytest.mark.parametrize(("old", "new"), [(1, 1), (1, 9), (3, 8), (5, 6), (9, 2), (33, 17)])
def test_resize_names_every_shard_that_changes_and_where_its_keys_were(old: int, new: int) -> None:
    """Every moved key leaves a ``gone``/``written`` shard for a ``written`` one, and a new
    shard's ``sources`` hold every key it gets."""
    change = resize(old, new)
    assert change.written <= set(range(new)) and change.gone <= set(range(new, old))
    assert change.gone == set(range(new, old))
    for value in HASHES:
        before, after = bucket(value, old), bucket(value, new)
        if before != after:
            assert after in change.written and before in change.written | change.gone
        assert before in change.sources(after)
        assert change.sources(after) <= set(range(old))


def test_shards_go_in_folders_of_256_in_python_and_in_the_page_script() -> None:
    """Shard 300 of a kind is in its folder 1; ``search.js`` divides by the same number."""
    assert search.shard_path(300) == "_search/ids/1/300.js"
    assert searchwords.word_shard_path(255) == "_search/words/0/255.js"
    assert search.buckets_path(512) == "_search/buckets/2/512.txt"
    script = (Path(search.__file__).parent / "search.js").read_text(encoding="utf-8")
    assert f"Math.floor(number / {SHARDS_PER_FOLDER})" in script


def test_layout_counts_follow_the_index_and_read_back() -> None:
    """Shard counts are a function of the totals; the file reads back, another format not."""
    assert (Layout().id_shards, Layout().word_shards) == (1, 1)
    layout = Layout(ENTRIES_PER_SHARD * 3 + 1, HASHES_PER_BUCKETS_FILE * 5)
    assert layout.id_shards == 4 and layout.buckets_files == 5
    assert layout.word_shards == HASHES_PER_BUCKETS_FILE * 5 // POSTINGS_PER_SHARD
    assert parse_layout(layout.render()) == layout
    assert parse_layout(layout.render().replace('"format": 3', '"format": 2')) is None
    assert parse_layout("notionShards(nonsense);") is None
    assert parse_layout('notionShards({"format": 3, "entries": -1, "postings": 0});') is None


def _files(repo: Path) -> dict[str, bytes]:
    return {
        path.relative_to(repo).as_posix(): path.read_bytes()
        for path in sorted((repo / SHARD_DIR).rglob("*"))
        if path.is_file()
    }


def _change(
    object_id: str, version: int, rng: random.Random, common: dict[str, float]
) -> SearchChange:
    words = [f"w{rng.randrange(4000)}" for _ in range(rng.randrange(0, 60))]
    words += [word for word, share in common.items() if rng.random() < share]
    entry = search.SearchEntry(object_id, object_id[:8], f"Title v{version}", "")
    return SearchChange(entry, tuple(words))


def _write_in_steps(
    tmp_path: Path, common: dict[str, float], seen: Callable[[Path], None] = lambda _: None
) -> None:
    """1,500 objects added, edited and removed in 30 random batches (the shard counts grow
    for 20, then shrink): the files are those of one write of what is left, and removing
    every object leaves none. ``seen`` looks at the mirror after each batch."""
    rng = random.Random(7)
    ids = [f"{n:08x}-0000-4000-8000-{rng.getrandbits(48):012x}" for n in range(1500)]
    current: dict[str, SearchChange] = {}
    counts: list[tuple[int, int]] = []
    with open_mirror(tmp_path / "steps") as mirror:
        for version in range(30):
            shrinking = version >= 20
            batch = {}
            for object_id in rng.sample(ids, rng.randrange(1, 400)):
                gone = rng.random() < (0.8 if shrinking else 0.1)
                batch[object_id] = (
                    SearchChange(None) if gone else _change(object_id, version, rng, common)
                )
            write_search(mirror, batch)
            seen(tmp_path / "steps")
            for object_id, change in batch.items():
                if change.entry is None:
                    current.pop(object_id, None)
                else:
                    current[object_id] = change
            layout = read_layout(mirror) or Layout()
            counts.append((layout.id_shards, layout.word_shards))
        assert layout.entries == len(current)
        hashes = [searchwords.word_hashes(change.words) for change in current.values()]
        assert layout.postings == sum(map(len, hashes))
        assert counts[19] > counts[-1] and counts[19] > counts[0]  # grew, then shrank
        with open_mirror(tmp_path / "once") as fresh:
            write_search(fresh, current)
        assert _files(tmp_path / "once") == _files(tmp_path / "steps")
        write_search(mirror, {object_id: SearchChange(None) for object_id in current})
        assert _files(tmp_path / "steps") == {}
        assert read_layout(mirror) is None


def test_search_written_in_steps_equals_one_write_and_shrinks_back(tmp_path: Path) -> None:
    _write_in_steps(tmp_path, {})


COLLIDING = ("k7e827z", "ka4bb0z")
"""Two words with the same FNV-1a, so the same parts' name."""


def test_common_words_parts_written_in_steps_equal_one_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With parts of 8 postings past 6, most words become common, gain and lose parts and
    go back to their line, two of them sharing their parts' files: the steps still give
    the files of one write, and no part holds more than its share."""
    assert fnv1a(COLLIDING[0]) == fnv1a(COLLIDING[1])
    monkeypatch.setattr(searchwords, "INLINE_POSTINGS", 6)
    monkeypatch.setattr(searchwords, "PART_POSTINGS", 8)
    most_parts: dict[str, int] = {}

    def seen(repo: Path) -> None:
        layout = parse_layout((repo / LAYOUT_PATH).read_text(encoding="utf-8"))
        assert layout is not None
        for word in COLLIDING:
            number = bucket(searchwords.word_hash(word), layout.word_shards)
            shard = (repo / searchwords.word_shard_path(number)).read_text(encoding="utf-8")
            count = searchwords.parse_word_shard(shard).get(word, set())
            parts = searchwords.part_count(count) if isinstance(count, int) else 0
            in_parts: list[str] = []
            for path in (repo / searchwords.part_path(word, 0)).parent.glob("*.js"):
                part = int(path.stem)
                postings = searchwords.parse_part(path.read_text(encoding="utf-8")).get(word, ())
                assert all(searchwords.posting_part(p, parts) == part for p in postings)
                assert len(postings) <= 4 * 8  # 8 on average, twice that in unsplit parts
                in_parts += postings
            assert len(in_parts) == (count if parts else 0)
            most_parts[word] = max(most_parts.get(word, 0), parts)

    _write_in_steps(tmp_path, {COLLIDING[0]: 0.4, COLLIDING[1]: 0.2, "often": 0.05}, seen)
    assert most_parts[COLLIDING[0]] > 20 and most_parts[COLLIDING[1]] > 10

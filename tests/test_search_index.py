"""The offline search index: entries, shards that read back, few shards per written page,
and shard counts that grow and shrink with the index (linear hashing)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from browser import chromium_browser
from test_render_markdown import block, text
from test_writer import NOW, _page

from notion_syncd.export import search, searchlayout, searchwords
from notion_syncd.export.searchlayout import bucket
from notion_syncd.gitstore import open_mirror
from notion_syncd.sync.fetch import FetchedRecord
from notion_syncd.sync.removals import TRASHED, Removal, RemovalPlan
from notion_syncd.sync.rerender import rebuild_views
from notion_syncd.sync.searchwrite import read_layout
from notion_syncd.sync.writer import MirrorWriter

FORMATS = ("json", "html")


def test_search_excerpt_collects_nested_text_up_to_its_budget() -> None:
    """Text of nested blocks comes in document order, spaces collapsed, cut at the budget."""
    blocks = [
        block(
            "toggle",
            rich_text=[text("Open  me")],
            children=[block("code", rich_text=[text("x\ny")])],
        ),
        block("paragraph", rich_text=[text("z" * (search.EXCERPT_CHARS * 2))]),
    ]
    excerpt = search.excerpt(blocks)
    assert excerpt.startswith("Open me x y zzz")
    assert len(excerpt) == search.EXCERPT_CHARS


def test_search_shard_reads_back_what_it_wrote() -> None:
    """A shard with quotes, newlines and non-ASCII text parses into the same entries."""
    entries = {
        "b": search.SearchEntry("b", 'A "b"/C', "Café ]);", "line\nbreak </script>"),
        "a": search.SearchEntry("a", "A", "", ""),
    }
    shard = search.render_shard(entries)
    assert shard.index('"a"') < shard.index('"b"')
    assert search.parse_shard(shard) == entries
    assert search.key_hash("0" * 32) == search.key_hash("00000000-0000-0000-0000-000000000000")
    buckets = {"b": (0, 0xFFFF), "a": ()}
    read = search.parse_buckets(search.render_buckets(buckets))
    assert {key: tuple(hashes) for key, hashes in read.items()} == buckets
    assert search.parse_buckets("c 1 10000\nd zz\n") == {  # unreadable: no postings
        "c": search.word_hash_array(()),
        "d": search.word_hash_array(()),
    }


def _shards(repo: Path) -> dict[str, dict[str, search.SearchEntry]]:
    return {
        path.relative_to(repo).as_posix(): search.parse_shard(path.read_text(encoding="utf-8"))
        for path in sorted((repo / search.ID_DIR).rglob("*.js"))
    }


def _id_shard_name(mirror_layout: searchlayout.Layout | None, object_id: str) -> str:
    assert mirror_layout is not None
    number = bucket(search.key_hash(object_id), mirror_layout.id_shards)
    return search.shard_path(number)


def _word_shard_name(mirror_layout: searchlayout.Layout | None, word: str) -> str:
    assert mirror_layout is not None
    number = bucket(searchwords.word_hash(word), mirror_layout.word_shards)
    return searchwords.word_shard_path(number)


def test_search_index_one_page_edit_rewrites_one_shard_and_removal_drops_it(
    tmp_path: Path,
) -> None:
    """300 pages fill three shards; an edit rewrites only its shard; a removal drops the entry."""
    ids = [f"00000000-0000-4000-8000-{n:012x}" for n in range(300)]
    with open_mirror(tmp_path) as mirror:
        writer = MirrorWriter(mirror, FORMATS, lambda: NOW, lambda change: None)
        for number, page_id in enumerate(ids):
            writer.write(_page(page_id, f"Page {number}"), None)
        writer.views.flush(final=True)
        before = _shards(tmp_path)
        assert sum(len(entries) for entries in before.values()) == 300
        assert len(before) == 3 and read_layout(mirror) == searchlayout.Layout(300, 300 * 2)
        edited = ids[7]
        writer.write(_page(edited, "Renamed seven"), None)
        writer.views.flush(final=True)
        after = _shards(tmp_path)
        changed = {name for name in after if after[name] != before.get(name)}
        assert changed == {_id_shard_name(read_layout(mirror), edited)}
        assert after[next(iter(changed))][edited].title == "Renamed seven"
        writer.remove(RemovalPlan((Removal(edited, TRASHED),), total=1))
        writer.views.flush(final=True)
        removed = _shards(tmp_path)
        assert edited not in {i for entries in removed.values() for i in entries}
        assert sum(len(entries) for entries in removed.values()) == 299
        rebuild_views(mirror, writer.index, FORMATS)
        assert _shards(tmp_path) == removed
        assert (tmp_path / search.SEARCH_PAGE).is_file()
        assert (tmp_path / search.SEARCH_SCRIPT).is_file()


def _word_shards(repo: Path) -> dict[str, dict[str, set[str]]]:
    return {
        path.relative_to(repo).as_posix(): searchwords.parse_word_shard(
            path.read_text(encoding="utf-8")
        )
        for path in sorted((repo / searchwords.WORD_DIR).rglob("*.js"))
    }


def _with_text(page_id: str, title: str, body: str) -> FetchedRecord:
    record = _page(page_id, title)
    record.record["blocks"] = [block("paragraph", rich_text=[text(body)])]
    return record


def test_searchwords_fold_accents_case_and_punctuation() -> None:
    """Words are accent-free, lower-case runs of letters and digits; long runs are dropped."""
    assert searchwords.words_of("Crème BRÛLÉE, v2_final! naïve—") == [
        "creme",
        "brulee",
        "v2_final",
        "naive",
    ]
    assert searchwords.words_of("x" * 41) == []
    assert 0 <= searchwords.word_hash("日本語") < searchlayout.WORD_BUCKETS
    assert searchwords.word_hashes(["b", "a", "b"]) == tuple(
        sorted({searchwords.word_hash("a"), searchwords.word_hash("b")})
    )


def test_searchwords_shard_reads_back() -> None:
    """A word shard parses back to its index, a word named like a JS property included."""
    index: dict[str, searchwords.WordPostings] = {
        "__proto__": {"aaaaaaaaaaaa"},
        'qu"ote': {"bbbbbbbbbbbb", "cccccccccccc"},
        "the": 5000,  # a common word: its count (and its parts, 2)
    }
    text = searchwords.render_word_shard(5, index)
    assert '["the", 5000, 2],' in text.splitlines()
    assert searchwords.parse_word_shard(text) == index
    part = searchwords.render_part("0be98285", 1, {"k7e827z": {"aaaaaaaaaaaa"}})
    assert part.startswith('notionPart("0be98285", 1, [')
    assert searchwords.parse_part(part) == {"k7e827z": {"aaaaaaaaaaaa"}}
    assert searchwords.part_path("k7e827z", 1) == "_search/parts/0b/0be98285/1.js"


def test_search_words_index_full_text_and_one_edit_touches_few_shards(tmp_path: Path) -> None:
    """A word deep in a page's text is indexed; editing one word rewrites at most 3 files."""
    ids = [f"00000000-0000-4000-8000-{n:012x}" for n in range(30)]
    filler = " ".join(f"filler{n}" for n in range(300))  # far beyond the excerpt
    with open_mirror(tmp_path) as mirror:
        writer = MirrorWriter(mirror, FORMATS, lambda: NOW, lambda change: None)
        for number, page_id in enumerate(ids):
            writer.write(_with_text(page_id, f"Page {number}", f"{filler} word{number}"), None)
        writer.views.flush(final=True)
        words = _word_shards(tmp_path)
        assert len(words) == 3  # 30 × 301 postings
        edited = ids[4]
        key = search.key_of(edited)
        layout = read_layout(mirror)
        holder = _word_shard_name(layout, "word4")
        assert words[holder]["word4"] == {key}
        before = {**_shards(tmp_path), **words}
        writer.write(_with_text(edited, "Page 4", f"{filler} replaced"), None)
        writer.views.flush(final=True)
        after = {**_shards(tmp_path), **_word_shards(tmp_path)}
        changed = {
            name for name in after.keys() | before.keys() if after.get(name) != before.get(name)
        }
        gone, came = (_word_shard_name(layout, w) for w in ("word4", "replaced"))
        assert {gone, came} <= changed  # its id shard too when its excerpt changed
        assert changed <= {gone, came, _id_shard_name(layout, edited)}
        flat = {w: p for shard in _word_shards(tmp_path).values() for w, p in shard.items()}
        assert "word4" not in flat and flat["replaced"] == {key}
        writer.remove(RemovalPlan((Removal(edited, TRASHED),), total=1))
        writer.views.flush(final=True)
        flat = {w: p for shard in _word_shards(tmp_path).values() for w, p in shard.items()}
        assert "replaced" not in flat and key not in flat["filler0"]
        assert len(flat["filler0"]) == 29
        rebuild_views(mirror, writer.index, FORMATS)
        assert {w: p for s in _word_shards(tmp_path).values() for w, p in s.items()} == flat


def test_search_page_finds_words_across_split_shards_in_chromium(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """700 pages (6 id shards, 7 word shards: counts that are not powers of two, so some
    shards are split and others not): for a word in each word shard, search.html lists
    exactly the pages that have it, as the browser hashes its way to the shards; so it
    does for common words, whose postings are in parts (made small here: "filler" is in
    11, "often" in 2); a word whose shard has no file has no hit."""
    monkeypatch.setattr(searchwords, "INLINE_POSTINGS", 40)
    monkeypatch.setattr(searchwords, "PART_POSTINGS", 64)
    rng = random.Random(3)
    vocabulary = [f"wd{n:04d}" for n in range(3000)]
    having: dict[str, set[str]] = {}
    with open_mirror(tmp_path) as mirror:
        writer = MirrorWriter(mirror, FORMATS, lambda: NOW, lambda change: None)
        for number in range(700):
            page_id = f"00000000-0000-4000-8000-{rng.getrandbits(48):012x}"
            words = rng.sample(vocabulary, 36) + (["often"] if number % 10 == 0 else [])
            body = "filler " * 100 + " ".join(words)  # past the excerpt: found by the word index
            writer.write(_with_text(page_id, f"Page {number}", body), None)
            for word in words:
                having.setdefault(word, set()).add(page_id)
        writer.views.flush(final=True)
        writer.views.write_index_html()
        layout = read_layout(mirror)
    assert layout is not None and (layout.id_shards, layout.word_shards) == (6, 7)
    for common, parts in (("filler", 11), ("often", 2)):
        folder = (tmp_path / searchwords.part_path(common, 0)).parent
        assert len(list(folder.glob("*.js"))) == parts
    queries: dict[int, str] = {}
    for word in sorted(having, key=lambda word: (len(having[word]), word)):
        queries.setdefault(bucket(searchwords.word_hash(word), layout.word_shards), word)
    assert len(queries) == 7
    with chromium_browser() as browser:
        page = browser.new_page()
        for word in queries.values():
            page.goto((tmp_path / search.SEARCH_PAGE).as_uri() + f"?q={word}")
            page.wait_for_selector('form#search[data-done="true"]')
            shown = page.eval_on_selector_all(
                "#results li a", "links => links.map(a => a.textContent)"
            )
            titles = {writer.index.title_of(page_id) for page_id in having[word]}
            assert sorted(shown) == sorted(titles), word
        # Common words: their postings come from every part.
        word = min(queries.values(), key=lambda word: len(having[word]))
        for query, count in (("filler", 700), ("often", 70), (f"often {word}", None)):
            page.goto((tmp_path / search.SEARCH_PAGE).as_uri() + f"?q={query}")
            page.wait_for_selector('form#search[data-done="true"]')
            if count is None:
                shown = page.eval_on_selector_all("#results li a", "a => a.map(x => x.textContent)")
                hits = having[word] & having["often"]
                assert sorted(shown) == sorted(writer.index.title_of(i) for i in hits), query
            else:
                assert page.inner_text("#status").startswith(f"{count} pages"), query
        # A word shard with no file (a shard no word hashes to has none): no hit, and the
        # search finishes instead of waiting for the shard.
        number, word = next(iter(queries.items()))
        (tmp_path / searchwords.word_shard_path(number)).unlink()
        page.goto((tmp_path / search.SEARCH_PAGE).as_uri() + f"?q={word}")
        page.wait_for_selector('form#search[data-done="true"]')
        assert page.locator("#results li").count() == 0

"""The offline search index: entries, shards that read back, one shard per written page."""

from __future__ import annotations

from pathlib import Path

from test_render_markdown import block, text
from test_writer import NOW, _page

from notion_syncd.export import search, searchwords
from notion_syncd.gitstore import open_mirror
from notion_syncd.sync.fetch import FetchedRecord
from notion_syncd.sync.removals import TRASHED, Removal, RemovalPlan
from notion_syncd.sync.rerender import rebuild_views
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
    assert search.shard_of("0" * 32) == search.shard_of("00000000-0000-0000-0000-000000000000")


def _shards(repo: Path) -> dict[str, dict[str, search.SearchEntry]]:
    return {
        path.name: search.parse_shard(path.read_text(encoding="utf-8"))
        for path in sorted((repo / search.SHARD_DIR).glob("*.js"))
    }


def test_search_index_one_page_edit_rewrites_one_shard_and_removal_drops_it(
    tmp_path: Path,
) -> None:
    """40 pages fill the shards; an edit rewrites only its shard; a removal drops the entry."""
    ids = [f"00000000-0000-4000-8000-{n:012x}" for n in range(40)]
    with open_mirror(tmp_path) as mirror:
        writer = MirrorWriter(mirror, FORMATS, lambda: NOW, lambda change: None)
        for number, page_id in enumerate(ids):
            writer.write(_page(page_id, f"Page {number}"), None)
        writer.views.flush(final=True)
        before = _shards(tmp_path)
        assert sum(len(entries) for entries in before.values()) == 40
        edited = ids[7]
        writer.write(_page(edited, "Renamed seven"), None)
        writer.views.flush(final=True)
        after = _shards(tmp_path)
        changed = {name for name in after if after[name] != before.get(name)}
        assert changed == {Path(search.shard_path(search.shard_of(edited))).name}
        assert after[next(iter(changed))][edited].title == "Renamed seven"
        writer.remove(RemovalPlan((Removal(edited, TRASHED),), total=1))
        writer.views.flush(final=True)
        removed = _shards(tmp_path)
        assert edited not in {i for entries in removed.values() for i in entries}
        assert sum(len(entries) for entries in removed.values()) == 39
        rebuild_views(mirror, writer.index, FORMATS)
        assert _shards(tmp_path) == removed
        assert (tmp_path / search.SEARCH_PAGE).is_file()
        assert (tmp_path / search.SEARCH_SCRIPT).is_file()


def _word_shards(repo: Path) -> dict[str, dict[str, set[str]]]:
    return {
        path.name: searchwords.parse_word_shard(path.read_text(encoding="utf-8"))
        for path in sorted((repo / searchwords.WORD_DIR).glob("*.js"))
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
    assert searchwords.word_shard_of("creme") == searchwords.word_shard_of("creme")
    assert 0 <= searchwords.word_shard_of("日本語") < search.WORD_SHARDS


def test_searchwords_shard_reads_back_and_bitmap_round_trips() -> None:
    """A word shard parses back to its index; a bitmap gives back its shard numbers."""
    index = {"__proto__": {"00aaaaaaaaaaaa"}, 'qu"ote': {"01bbbbbbbbbbbb", "02cccccccccccc"}}
    assert searchwords.parse_word_shard(searchwords.render_word_shard(5, index)) == index
    assert searchwords.bitmap_shards(searchwords.shard_bitmap({0, 7, 127})) == {0, 7, 127}
    assert searchwords.shard_bitmap(set()) == "" and searchwords.bitmap_shards("zz") == set()


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
        edited = ids[4]
        key = searchwords.posting(edited)
        holder = Path(searchwords.word_shard_path(searchwords.word_shard_of("word4"))).name
        assert words[holder]["word4"] == {key}
        before = {**_shards(tmp_path), **words}
        writer.write(_with_text(edited, "Page 4", f"{filler} replaced"), None)
        writer.views.flush(final=True)
        after = {**_shards(tmp_path), **_word_shards(tmp_path)}
        changed = {
            name for name in after.keys() | before.keys() if after.get(name) != before.get(name)
        }
        gone, came = (
            Path(searchwords.word_shard_path(searchwords.word_shard_of(w))).name
            for w in ("word4", "replaced")
        )
        assert {gone, came} <= changed  # its id shard too when its excerpt or bitmap changed
        assert changed <= {gone, came, Path(search.shard_path(search.shard_of(edited))).name}
        flat = {w: p for shard in _word_shards(tmp_path).values() for w, p in shard.items()}
        assert "word4" not in flat and flat["replaced"] == {key}
        writer.remove(RemovalPlan((Removal(edited, TRASHED),), total=1))
        writer.views.flush(final=True)
        flat = {w: p for shard in _word_shards(tmp_path).values() for w, p in shard.items()}
        assert "replaced" not in flat and key not in flat["filler0"]
        assert len(flat["filler0"]) == 29
        rebuild_views(mirror, writer.index, FORMATS)
        assert {w: p for s in _word_shards(tmp_path).values() for w, p in s.items()} == flat

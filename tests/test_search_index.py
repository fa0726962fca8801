"""The offline search index: entries, shards that read back, one shard per written page."""

from __future__ import annotations

from pathlib import Path

from test_render_markdown import block, text
from test_writer import NOW, _page

from notion_syncd.export import search
from notion_syncd.gitstore import open_mirror
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
        writer.views.flush()
        before = _shards(tmp_path)
        assert sum(len(entries) for entries in before.values()) == 40
        edited = ids[7]
        writer.write(_page(edited, "Renamed seven"), None)
        writer.views.flush()
        after = _shards(tmp_path)
        changed = {name for name in after if after[name] != before.get(name)}
        assert changed == {Path(search.shard_path(search.shard_of(edited))).name}
        assert after[next(iter(changed))][edited].title == "Renamed seven"
        writer.remove(RemovalPlan((Removal(edited, TRASHED),), total=1))
        writer.views.flush()
        removed = _shards(tmp_path)
        assert edited not in {i for entries in removed.values() for i in entries}
        assert sum(len(entries) for entries in removed.values()) == 39
        rebuild_views(mirror, writer.index, FORMATS)
        assert _shards(tmp_path) == removed
        assert (tmp_path / search.SEARCH_PAGE).is_file()
        assert (tmp_path / search.SEARCH_SCRIPT).is_file()

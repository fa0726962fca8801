"""End to end: the fake Notion API over loopback HTTP, real git repositories."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from synchelpers import (
    TestClock,
    changed_files,
    fetch_tree,
    git,
    make_settings,
    serve,
    without_files,
)

from notion_syncd.export import search
from notion_syncd.export.htmlsiblings import NAV_SUFFIX
from notion_syncd.export.searchlayout import LAYOUT_PATH, Layout, bucket, parse_layout, resize
from notion_syncd.export.searchwords import word_hash, word_shard_path, words_of
from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.sync.runner import run_sync

FRONT_MATTER_ID = re.compile(r'^id: "([0-9a-f-]{36})"$', re.MULTILINE)


def _layout(repo: Path) -> Layout:
    """The search layout of the mirror's working tree."""
    layout = parse_layout((repo / LAYOUT_PATH).read_text(encoding="utf-8"))
    assert layout is not None
    return layout


def _workspace(clock: TestClock, **sizes: int) -> tuple[Workspace, list[str]]:
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    page_ids = generate_workspace(workspace, **sizes)
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    return workspace, page_ids


def _records(repo: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    records = {}
    for path in repo.rglob("*.json"):
        if ".git" in path.parts or ".notion-syncd" in path.parts:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        holder = data.get("page") or data.get("data_source")
        records[holder["id"]] = (path, data)
    return records


@pytest.fixture(scope="module")
def big_mirror(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A 300-page workspace (5 deep, 3 databases × 50 rows) mirrored once."""
    clock = TestClock()
    workspace, page_ids = _workspace(clock, pages=300, depth=5, databases=3, rows_per_database=50)
    repo = tmp_path_factory.mktemp("big") / "mirror"
    with serve(workspace) as server:
        settings = make_settings(server, repo)
        report = run_sync(settings, now=clock)
        yield {
            "clock": clock,
            "workspace": workspace,
            "server": server,
            "repo": repo,
            "settings": settings,
            "report": report,
            "page_ids": page_ids,
        }


def test_sync_mirrors_whole_workspace(big_mirror: dict[str, Any]) -> None:
    """Every page and row has a .md with its id and a .json whose blocks equal the server's."""
    repo, workspace = big_mirror["repo"], big_mirror["workspace"]
    records = _records(repo)
    all_pages = [page_id for page_id, page in workspace.pages.items() if not page.in_trash]
    assert len(all_pages) >= 450
    assert set(all_pages) <= set(records)
    for page_id in all_pages:
        path, _data = records[page_id]
        markdown = path.with_suffix(".md").read_text(encoding="utf-8")
        assert FRONT_MATTER_ID.search(markdown).group(1) == page_id
    for page_id in all_pages[:40] + all_pages[-10:]:
        expected = fetch_tree(big_mirror["server"].base_url, page_id)
        assert without_files(records[page_id][1]["blocks"]) == without_files(expected)
    csvs = list(repo.rglob("*.csv"))
    assert len(csvs) == 3
    assert git(repo, "status", "--porcelain") == ""
    assert big_mirror["report"].failed == 0


def test_sync_covers_common_block_types(big_mirror: dict[str, Any]) -> None:
    """The mirrored JSON holds every common block type of the generated workspace."""
    seen: set[str] = set()

    def walk(blocks: list[dict[str, Any]]) -> None:
        for block in blocks:
            seen.add(block["type"])
            walk(block.get("children", []))

    for _path, data in _records(big_mirror["repo"]).values():
        walk(data.get("blocks", []))
    expected = {
        "paragraph",
        "heading_1",
        "heading_2",
        "heading_3",
        "bulleted_list_item",
        "numbered_list_item",
        "to_do",
        "toggle",
        "quote",
        "callout",
        "code",
        "equation",
        "divider",
        "table",
        "table_row",
        "column_list",
        "column",
        "synced_block",
        "link_to_page",
        "bookmark",
        "image",
        "child_page",
        "child_database",
    }
    assert expected <= seen


def test_sync_without_edits_costs_one_request(big_mirror: dict[str, Any]) -> None:
    """A second sync with no edits makes exactly one API request and no commit."""
    server, repo = big_mirror["server"], big_mirror["repo"]
    head = git(repo, "rev-parse", "HEAD")
    server.request_log.clear()
    report = run_sync(big_mirror["settings"], now=big_mirror["clock"])
    assert server.request_log.count() == 1
    assert report.commit is None
    assert git(repo, "rev-parse", "HEAD") == head


def test_sync_after_edits_touches_only_changed_pages(big_mirror: dict[str, Any]) -> None:
    """3 edits, 1 new page and 1 edited row: one commit, only their files, exact requests."""
    clock, workspace, server, repo = (
        big_mirror[key] for key in ("clock", "workspace", "server", "repo")
    )
    pages = big_mirror["page_ids"]
    edited = [pages[10], pages[20], pages[30]]
    clock.advance(minutes=5)
    for page_id in edited:
        workspace.append_blocks(page_id, [rt.paragraph(f"edited {page_id}")])
    parent = pages[40]
    added = workspace.add_page(parent, "A brand new page", [rt.paragraph("new")])
    source_id = next(iter(workspace.data_sources))
    row = workspace.data_sources[source_id].rows[0]
    workspace.set_property(row, "Done", True)
    clock.advance(minutes=5)
    head = git(repo, "rev-parse", "HEAD").strip()
    before = _layout(repo)
    server.request_log.clear()
    report = run_sync(big_mirror["settings"], now=clock)
    assert git(repo, "rev-list", "--count", f"{head}..HEAD").strip() == "1"
    after = _layout(repo)
    assert after.entries == before.entries + 1  # the new page
    touched = {*edited, added, parent, row}
    records = _records(repo)
    allowed = set()
    for object_id in touched | {source_id}:
        path = records[object_id][0].relative_to(repo).as_posix()[: -len(".json")]
        allowed |= {path + suffix for suffix in (".json", ".md", ".html", ".csv")}
    # A sub-page's block in its parent carries the sub-page's last edit (Notion does not
    # move the parent): the parents' JSON follows, without a request.
    rendered = touched | {source_id}
    for page_id in (*edited, parent):
        holder = workspace.owner_page_of(page_id)
        if holder is not None:
            allowed.add(records[holder][0].relative_to(repo).as_posix())
            rendered.add(holder)
    # The added page's parent lists it for its children's sibling links; no sibling changes.
    allowed.add(records[parent][0].relative_to(repo).as_posix()[: -len(".json")] + NAV_SUFFIX)
    # The search index: one id shard (and its buckets file) per object whose views were
    # written, at most, and those a new shard count splits (one page more: a split at most).
    ids = resize(before.id_shards, after.id_shards)
    assert len(ids.written) <= 2
    numbers = ids.written | {bucket(search.key_hash(i), after.id_shards) for i in rendered}
    allowed |= {search.shard_path(n) for n in numbers} | {search.buckets_path(n) for n in numbers}
    allowed.add(LAYOUT_PATH)  # one entry more
    # The word index: only the shards of words that came (the edits' text, the new title),
    # and those a new count splits.
    came = " ".join([*(f"edited {page_id}" for page_id in edited), "A brand new page new"])
    numbers = resize(before.word_shards, after.word_shards).written
    numbers |= {bucket(word_hash(word), after.word_shards) for word in words_of(came)}
    allowed |= {word_shard_path(number) for number in numbers}
    changed = {path for path in changed_files(repo) if not path.startswith(".notion-syncd/")}
    assert changed - {"index.html"} <= allowed
    assert {p for p in changed if p.endswith(".md")} >= {
        records[i][0].relative_to(repo).with_suffix(".md").as_posix() for i in touched
    }
    children_requests = [
        entry.path.split("/")[3]
        for entry in server.request_log.entries()
        if "/children" in entry.path
    ]

    def needed(block_id: str) -> list[str]:
        ids = [block_id]
        for block in fetch_tree(server.base_url, block_id):
            ids += _nested(block)
        return ids

    expected: list[str] = []
    for page_id in touched:
        expected += needed(page_id)
    assert sorted(children_requests) == sorted(expected)
    assert report.failed == 0


def _nested(block: dict[str, Any]) -> list[str]:
    if "children" not in block:
        return []
    ids = [block["id"]]
    for child in block["children"]:
        ids += _nested(child)
    return ids


def test_sync_catches_edits_in_the_watermark_minute(tmp_path: Path) -> None:
    """An edit made in the same minute as the previous sync is not missed."""
    clock = TestClock()
    workspace, pages = _workspace(clock, pages=5, databases=0, rows_per_database=0)
    with serve(workspace) as server:
        settings = make_settings(server, tmp_path / "m")
        run_sync(settings, now=clock)
        clock.advance(minutes=3)
        workspace.append_blocks(pages[0], [rt.paragraph("first edit")])
        clock.advance(seconds=10)
        run_sync(settings, now=clock)
        clock.advance(seconds=20)  # same minute as the first edit: timestamp does not move
        workspace.append_blocks(pages[0], [rt.paragraph("second edit, same minute")])
        clock.advance(minutes=5)
        run_sync(settings, now=clock)
    text = "".join(p.read_text() for p in (tmp_path / "m").rglob("*.md"))
    assert "second edit, same minute" in text


def test_sync_fresh_clone_resumes_incrementally(big_mirror: dict[str, Any], tmp_path: Path) -> None:
    """A fresh clone of the mirror is enough: a new process syncs only what changed."""
    clone = tmp_path / "clone"
    git(big_mirror["repo"], "clone", "-q", str(big_mirror["repo"]), str(clone))
    clock, workspace, server = (big_mirror[key] for key in ("clock", "workspace", "server"))
    clock.advance(minutes=5)
    page_id = big_mirror["page_ids"][5]
    workspace.append_blocks(page_id, [rt.paragraph("edited after the clone")])
    clock.advance(minutes=5)
    settings = make_settings(server, clone)
    server.request_log.clear()
    report = run_sync(settings, now=clock)
    assert report.fetched == 1
    assert server.request_log.count() < 10
    assert "edited after the clone" in "".join(p.read_text() for p in clone.rglob("*.md"))

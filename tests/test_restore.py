"""``notion-syncd restore``: mirror, delete in Notion, restore from the mirror, mirror again."""

from __future__ import annotations

import io
import random
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from killswitch import Killed, KillSwitch
from restoreexport import SUFFIX, check_files, export_of, file_references, first_difference

from notion_syncd import errors
from notion_syncd.commands.history import page_history
from notion_syncd.commands.restore import RestoreRequest, restore
from notion_syncd.config import Settings, load_settings
from notion_syncd.fake_notion import FakeClock, FakeNotion, Workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.notion.client import NotionClient
from notion_syncd.restore.journal import JOURNAL_DIR
from notion_syncd.sync.runner import run_sync

JSON = dict[str, Any]
TOKEN = "secret_restore_test"
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)


def content() -> list[JSON]:
    """Blocks of every kind the API can write, deep and long enough to need several requests."""
    bold = {"type": "text", "text": {"content": "bold " * 900}, "annotations": {"bold": True}}
    deep = rt.paragraph("level 5")
    for level in range(4, 0, -1):
        deep = rt.toggle(f"level {level}", children=[deep])
    return [
        rt.heading(1, "Title"),
        rt.paragraph(bold, "plain"),
        rt.to_do("done", checked=True),
        rt.callout("note", emoji="🧪", children=[rt.bulleted("inside")]),
        rt.code("print(1)\n" * 400, language="python"),
        rt.equation("e^{i\\pi}+1=0"),
        deep,
        rt.table([["a", "b"], ["c", "d"]]),
        rt.columns([rt.paragraph("left")], [rt.quote("right")]),
        *[rt.numbered(f"item {n}") for n in range(230)],
        rt.divider(),
    ]


@dataclass
class World:
    ws: Workspace
    fake: FakeNotion
    clock: FakeClock
    settings: Settings
    home: str
    doc: str

    def client(self, transport: httpx.BaseTransport | None = None) -> NotionClient:
        return NotionClient(
            TOKEN,
            transport=transport or httpx.MockTransport(self.fake.handle),
            requests_per_second=1000,
            burst=1000,
            max_retry_time=5,
        )

    def sync(self, *, sweep: bool = False) -> None:
        self.clock.advance(120)
        with self.client() as client:
            run_sync(self.settings, client=client, sweep=sweep, allow_mass_delete=True)

    def restore(self, request: RestoreRequest, transport: httpx.BaseTransport | None = None) -> str:
        out = io.StringIO()
        with self.client(transport) as client:
            assert restore(self.settings, request, out=out, client=client) == 0
        return out.getvalue()

    def file_of(self, page_id: str) -> Path:
        """The Markdown file of a mirrored page."""
        for path in Path(self.settings.export.repo).rglob("*.md"):
            if f'id: "{page_id}"' in path.read_text():
                return path
        raise LookupError(page_id)

    def markdown_of(self, page_id: str) -> str:
        repo = Path(self.settings.export.repo)
        compact = page_id.replace("-", "")
        for path in repo.rglob("*.md"):
            text = path.read_text()
            if f'id: "{page_id}"' in text or compact in text.split("---", 2)[1]:
                return FRONT_MATTER.sub("", text)
        raise LookupError(page_id)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = FakeClock()
    ws = Workspace(clock, seed=5)
    home = ws.add_page(None, "Home", [rt.paragraph("home")])
    doc = ws.add_page(home, "Doc", content(), icon={"type": "emoji", "emoji": "📘"})
    fake = FakeNotion(ws, token=TOKEN)
    settings = load_settings(
        None,
        overrides={
            "notion": {"token": TOKEN, "base_url": "https://api.notion.com"},
            "export": {"repo": str(tmp_path / "mirror"), "formats": ["markdown", "json", "csv"]},
        },
        environ={},
    )
    yield World(ws, fake, clock, settings, home, doc)


def new_pages(world: World, before: set[str]) -> list[str]:
    return [page for page in world.ws.pages if page not in before]


def test_restore_round_trip_recreates_the_deleted_page(world: World) -> None:
    """A trashed page restored from the mirror mirrors to the same Markdown as the original."""
    world.sync()
    original = world.markdown_of(world.doc)
    world.ws.trash(world.doc)
    world.sync()
    before = set(world.ws.pages)
    report = world.restore(RestoreRequest(world.doc))
    (restored,) = new_pages(world, before)
    assert world.ws.pages[restored].parent == {"type": "page_id", "page_id": world.home}
    assert "restored 1 page(s)" in report
    world.sync()
    assert world.markdown_of(restored) == original
    assert world.ws.pages[restored].icon == {"type": "emoji", "emoji": "📘"}


def test_restore_next_sync_commit_says_what_was_restored_and_from_which_version(
    world: World,
) -> None:
    """The sync after a restore commits the new pages with a Restored-from trailer each."""
    sub = world.ws.add_page(world.doc, "Sub", [rt.paragraph("in sub")])
    world.sync()
    version = page_history(world.settings, world.doc)[0].commit
    world.ws.trash(world.doc)
    world.sync()
    before = set(world.ws.pages)
    world.restore(RestoreRequest(world.doc, recursive=True))
    restored = {world.ws.title_of(page): page for page in new_pages(world, before)}
    records = Path(world.settings.export.repo) / ".git" / JOURNAL_DIR / "restored"
    assert len(list(records.glob("*.json"))) == 1
    world.sync()
    repo = str(world.settings.export.repo)
    trailers = subprocess.run(
        ["git", "-C", repo, "log", "-1", "--format=%(trailers:key=Restored-from,valueonly)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    expected = [
        f"{version} {world.doc} as {restored['Doc']}",
        f"{version} {sub} as {restored['Sub']}",
    ]
    assert " ".join(trailers) == " ".join(sorted(expected))
    message = subprocess.run(
        ["git", "-C", repo, "log", "-1", "--format=%B"], capture_output=True, text=True, check=True
    ).stdout
    listed = re.findall(r"^- (\w+) \(.*\) from commit (\w+)$", message, re.MULTILINE)
    assert listed == [("Doc", version[:12]), ("Sub", version[:12])]
    assert list(records.glob("*.json")) == []
    world.ws.append_blocks(restored["Doc"], [rt.paragraph("edited after the restore")])
    world.sync()
    again = subprocess.run(
        ["git", "-C", repo, "log", "-1", "--format=%B"], capture_output=True, text=True, check=True
    ).stdout
    assert "Restored-from" not in again
    assert "1 updated" in again


def test_restore_recursive_brings_back_the_subtree(world: World) -> None:
    """--recursive recreates the child pages too, in place, with their content."""
    sub = world.ws.add_page(world.doc, "Sub", [rt.paragraph("in sub"), rt.toggle("t")])
    world.sync()
    original_sub = world.markdown_of(sub)
    world.ws.trash(world.doc)
    before = set(world.ws.pages)
    report = world.restore(RestoreRequest(world.doc, recursive=True))
    assert "restored 2 page(s)" in report
    restored = new_pages(world, before)
    (new_sub,) = [page for page in restored if world.ws.title_of(page) == "Sub"]
    (new_doc,) = [page for page in restored if page != new_sub]
    assert world.ws.pages[new_sub].parent == {"type": "page_id", "page_id": new_doc}
    assert world.ws.pages[new_doc].children[-1] == new_sub
    world.sync()
    assert world.markdown_of(new_sub) == original_sub


def test_restore_dry_run_sends_no_write(world: World) -> None:
    """--dry-run prints pages, blocks, degradations and requests, and writes nothing."""
    world.sync()
    world.fake.request_log.clear()
    report = world.restore(RestoreRequest(world.doc, dry_run=True))
    assert "pages to create: 1" in report
    assert "write requests:" in report
    methods = {entry.method for entry in world.fake.request_log}
    assert methods == {"GET"}
    assert world.fake.request_log.count("pages.create") == 0
    assert world.fake.request_log.count("blocks.append") == 0


def test_restore_without_insert_capability_fails_at_once(world: World) -> None:
    """A token without 'Insert content' fails on the first write, naming the capability."""
    world.sync()
    world.fake.capabilities = frozenset({"read_content"})
    with pytest.raises(errors.RestoreError) as caught, world.client() as client:
        restore(world.settings, RestoreRequest(world.doc), out=io.StringIO(), client=client)
    assert "Insert content" in caught.value.message
    assert world.fake.request_log.count("pages.create", status=403) == 1
    assert world.fake.request_log.count("blocks.append") == 0


def test_restore_needs_to_when_the_parent_is_gone(world: World) -> None:
    """When the original parent is deleted, restore asks for --to (and uses it)."""
    world.sync()
    world.ws.trash(world.home)
    other = world.ws.add_page(None, "Elsewhere")
    with pytest.raises(errors.UsageError, match="--to PARENT"), world.client() as client:
        restore(world.settings, RestoreRequest(world.doc), out=io.StringIO(), client=client)
    before = set(world.ws.pages)
    world.restore(RestoreRequest(world.doc, to=other))
    (restored,) = new_pages(world, before)
    assert world.ws.pages[restored].parent == {"type": "page_id", "page_id": other}


class LoseAnswerAfter(httpx.BaseTransport):
    """Forwards ``after`` requests; the next one reaches Notion but its answer is lost."""

    def __init__(self, inner: httpx.BaseTransport, after: int) -> None:
        self.inner = inner
        self.left = after

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.left -= 1
        response = self.inner.handle_request(request)
        if self.left < 0:
            raise Killed(f"killed after {request.method} {request.url.path} landed")
        return response


# The full restore of ``content()`` takes 10 requests: GET parent, list its children,
# create, 2 listings for nested ids, 3 appends, a listing, an append.
KILLS = [(2, False), (3, False), (4, False), (6, False), (8, False), (9, False)]
KILLS += [(3, True), (4, True), (6, True), (9, True)]


@pytest.mark.slow
@pytest.mark.parametrize(("instant", "lose_answer"), KILLS)
def test_restore_killed_and_rerun_completes_without_duplicates(
    world: World, instant: int, lose_answer: bool
) -> None:
    """A restore killed before a request, or after one landed, resumes to the same page."""
    world.sync()
    original = world.markdown_of(world.doc)
    before = set(world.ws.pages)
    inner = httpx.MockTransport(world.fake.handle)
    transport = LoseAnswerAfter(inner, instant) if lose_answer else KillSwitch(inner, instant)
    with pytest.raises(Killed):
        world.restore(RestoreRequest(world.doc), transport)
    journals = list((Path(world.settings.export.repo) / ".git" / JOURNAL_DIR).glob("*.json"))
    assert len(journals) <= 1
    report = world.restore(RestoreRequest(world.doc))
    restored = new_pages(world, before)
    assert len(restored) == 1, report
    world.sync()
    assert world.markdown_of(restored[0]) == original


def test_restore_commit_brings_back_an_older_version(world: World) -> None:
    """--commit picks the version: the page comes back as it was before a later edit."""
    world.sync()
    first = world.markdown_of(world.doc)
    world.ws.append_blocks(world.doc, [rt.paragraph("added later")])
    world.sync()
    versions = page_history(world.settings, world.doc)
    assert len(versions) == 2
    before = set(world.ws.pages)
    world.restore(RestoreRequest(world.doc, commit=versions[1].commit[:10]))
    (restored,) = new_pages(world, before)
    world.sync()
    assert world.markdown_of(restored) == first
    assert "added later" in world.markdown_of(world.doc)


def test_restore_row_comes_back_under_its_data_source(world: World) -> None:
    """A deleted database row is recreated in its data source with its property values."""
    _, source = world.ws.add_database(
        world.home,
        "Tasks",
        {
            "Name": {"type": "title"},
            "Done": {"type": "checkbox"},
            "Size": {"type": "number"},
            "Tag": {"type": "select"},
            "Labels": {"type": "multi_select"},
            "Due": {"type": "date"},
            "Note": {"type": "rich_text"},
        },
    )
    row = world.ws.add_row(
        source,
        {
            "Name": "Ship it",
            "Done": True,
            "Size": 3,
            "Tag": "red",
            "Labels": ["a", "b"],
            "Due": "2026-04-01",
            "Note": "note " * 500,
        },
        [rt.paragraph("row body")],
    )
    world.sync()
    original = world.markdown_of(row)
    world.ws.trash(row)
    before = set(world.ws.pages)
    world.restore(RestoreRequest(row))
    (restored,) = new_pages(world, before)
    new, old = world.ws.pages[restored], world.ws.pages[row]
    assert new.parent["data_source_id"] == source
    for name in ("Done", "Size", "Due"):
        assert new.properties[name] == old.properties[name]
    assert new.properties["Tag"]["select"]["name"] == "red"
    assert [o["name"] for o in new.properties["Labels"]["multi_select"]] == ["a", "b"]
    text = "".join(run["plain_text"] for run in new.properties["Note"]["rich_text"])
    assert text == "note " * 500
    world.sync()
    assert world.markdown_of(restored) == original


def test_restore_uploads_hosted_files_again(world: World) -> None:
    """Hosted images, files and covers are uploaded again from _files/ and mirror identically."""
    image = world.ws.add_file(b"\x89PNG fake image bytes", "shot.png")
    report_pdf = world.ws.add_file(b"%PDF-1.4 " + b"x" * 3000, "report.pdf")
    page = world.ws.add_page(
        world.home,
        "Files",
        [rt.media("image", image, caption="a shot"), rt.media("file", report_pdf, name="r.pdf")],
        cover=world.ws.add_file(b"cover bytes", "cover.jpg"),
    )
    world.sync()
    original = world.markdown_of(page)
    world.ws.trash(page)
    plan = world.restore(RestoreRequest(page, dry_run=True))
    assert "files to upload: 3 (" in plan
    assert "degraded: 0" in plan
    before = set(world.ws.pages)
    world.restore(RestoreRequest(page))
    (restored,) = new_pages(world, before)
    assert world.fake.request_log.count("file_uploads.send") == 3
    world.sync()
    assert world.markdown_of(restored) == original
    assert world.ws.pages[restored].cover is not None


def test_restore_uploads_a_file_over_20_mib_in_parts(world: World) -> None:
    """A hosted file over 20 MiB goes up as a multi-part upload and mirrors identically."""
    world.fake.endpoints.uploads.workspace_limit = 64 * 1024 * 1024
    data = bytes(range(256)) * (21 * 1024 * 1024 // 256 + 1)
    video = world.ws.add_file(data, "talk.mp4")
    page = world.ws.add_page(world.home, "Talk", [rt.media("video", video, caption="talk")])
    world.sync()
    original = world.markdown_of(page)
    world.ws.trash(page)
    plan = world.restore(RestoreRequest(page, dry_run=True))
    assert f"{len(data)} bytes (multi-part: 3 parts)" in plan
    before = set(world.ws.pages)
    world.restore(RestoreRequest(page))
    (restored,) = new_pages(world, before)
    log = world.fake.request_log
    assert (log.count("file_uploads.send"), log.count("file_uploads.complete")) == (3, 1)
    world.sync()
    assert world.markdown_of(restored) == original


def subtree(world: World, pages: int = 30, blocks_per_page: int = 66) -> list[str]:
    """A subtree under Home: ``pages`` pages, about 2,000 blocks, 20 hosted images."""
    rng = random.Random(17)
    ids: list[str] = []
    for index in range(pages):
        parent = world.home if index == 0 else ids[rng.randrange(len(ids))]
        blocks: list[JSON] = []
        while len(blocks) < blocks_per_page:
            kind = rng.randrange(8)
            styled = {
                "type": "text",
                "text": {"content": f"styled {index}-{len(blocks)}"},
                "annotations": {"italic": True, "color": "blue"},
            }
            if kind == 0:
                blocks.append(rt.paragraph(styled, " and plain"))
            elif kind == 1:
                blocks.append(
                    rt.toggle("toggle", children=[rt.bulleted("a", children=[rt.numbered("b")])])
                )
            elif kind == 2:
                blocks.append(rt.code("x = 1\n" * rng.randrange(1, 500), language="python"))
            elif kind == 3:
                blocks.append(rt.table([["h1", "h2"], ["1", "2"], ["3", "4"]]))
            elif kind == 4:
                blocks.append(rt.to_do("task", checked=rng.random() < 0.5))
            elif kind == 5:
                blocks.append(rt.callout("call", emoji="🔔", children=[rt.quote("q")]))
            elif kind == 6:
                blocks.append(rt.columns([rt.paragraph("l")], [rt.equation("a^2")]))
            else:
                blocks.append(
                    rt.heading(
                        2, f"section {len(blocks)}", toggleable=True, children=[rt.paragraph("in")]
                    )
                )
        if index < 20:
            image = world.ws.add_file(f"image {index}".encode() * 50, f"img{index}.png")
            blocks.append(rt.media("image", image, caption=f"image {index}"))
        ids.append(world.ws.add_page(parent, f"Page {index}", blocks))
    return ids


TASKS_SCHEMA: JSON = {
    "Name": {"type": "title"},
    "Done": {"type": "checkbox"},
    "Size": {"type": "number", "number": {"format": "dollar"}},
    "Tag": {"type": "select", "select": {"options": [{"name": "red", "color": "red"}]}},
    "Labels": {"type": "multi_select"},
    "Due": {"type": "date"},
    "Note": {"type": "rich_text"},
    "Double": {"type": "formula", "formula": {"expression": 'prop("Size") * 2'}},
}


def tasks(world: World, parent: str, count: int = 60) -> list[str]:
    """An inline database under ``parent`` with ``count`` rows of every writable kind."""
    _, source = world.ws.add_database(parent, "Tasks", TASKS_SCHEMA, inline=True)
    return [
        world.ws.add_row(
            source,
            {
                "Name": f"row {n}",
                "Done": n % 2 == 0,
                "Size": n,
                "Tag": "red",
                "Labels": ["x", "y"][: n % 3],
                "Due": f"2026-04-{n % 28 + 1:02d}",
                "Note": f"note {n}",
            },
            [rt.paragraph(f"body {n}")],
        )
        for n in range(count)
    ]


@pytest.mark.slow
def test_restore_recursive_subtree_round_trip(world: World) -> None:
    """A deleted subtree (30 pages, ~2,000 blocks, 20 files, 60 rows) exports as before.

    The whole export is compared (JSON, Markdown, CSV), with the exceptions documented
    in ``restoreexport``: ids, times, urls, name suffixes, CSV row order.
    """
    originals = subtree(world)
    tasks(world, originals[3])
    world.sync()
    root = Path(world.settings.export.repo)
    before = export_of(root, world.file_of(originals[0]))
    assert sum(key.endswith(".csv") for key in before) == 1
    assert len(file_references(before)) == 20
    world.ws.trash(originals[0])
    before_pages = set(world.ws.pages)
    report = world.restore(RestoreRequest(originals[0], recursive=True))
    assert "restored 91 page(s)" in report
    assert "degraded" not in report
    (new_root,) = [p for p in new_pages(world, before_pages) if world.ws.title_of(p) == "Page 0"]
    world.sync()
    after = export_of(root, world.file_of(new_root))
    assert sorted(after) == sorted(before)
    for key in before:
        assert after[key] == before[key], (key, first_difference(after[key], before[key]))
    check_files(root, file_references(after))


@pytest.mark.slow
def test_restore_remaps_relations_to_restored_rows(world: World) -> None:
    """Relations to rows restored earlier in the same run point at the restored rows."""
    _, projects = world.ws.add_database(world.doc, "Projects", {"Name": {"type": "title"}})
    targets = [world.ws.add_row(projects, {"Name": f"p{n}"}) for n in range(3)]
    relation = {"type": "relation", "relation": {"data_source_id": projects}}
    outside = world.ws.add_page(world.home, "Outside")
    _, tasks = world.ws.add_database(
        world.doc, "Tasks", {"Name": {"type": "title"}, "Project": relation}
    )
    world.ws.add_row(tasks, {"Name": "t", "Project": targets[1:]})
    world.ws.append_blocks(world.doc, [rt.paragraph(rt.mention_page(targets[0], "p0"))])
    world.ws.append_blocks(world.doc, [rt.paragraph(rt.mention_page(outside, "Outside"))])
    world.sync()
    world.ws.trash(world.doc)
    before_sources = set(world.ws.data_sources)
    world.restore(RestoreRequest(world.doc, recursive=True))
    new_sources = set(world.ws.data_sources) - before_sources
    (new_tasks,) = [s for s in new_sources if world.ws.data_sources[s].name == "Tasks"]
    (new_projects,) = [s for s in new_sources if world.ws.data_sources[s].name == "Projects"]
    schema = world.ws.data_sources[new_tasks].properties["Project"]["relation"]
    assert schema["data_source_id"] == new_projects
    (row,) = world.ws.data_sources[new_tasks].rows
    related = [item["id"] for item in world.ws.pages[row].properties["Project"]["relation"]]
    by_title = {world.ws.title_of(r): r for r in world.ws.data_sources[new_projects].rows}
    assert related == [by_title["p1"], by_title["p2"]]
    (new_doc,) = [p for p in world.ws.pages if world.ws.title_of(p) == "Doc" and p != world.doc]
    mentioned = [
        run["mention"]["page"]["id"]
        for child in world.ws.children_of(new_doc)
        if child in world.ws.blocks and world.ws.blocks[child].type == "paragraph"
        for run in world.ws.blocks[child].payload["rich_text"]
        if run["type"] == "mention"
    ]
    assert mentioned == [by_title["p0"], outside]


@pytest.mark.slow
# Requests: 3 reads, create Doc, 2 listings, 2 appends, create database (9), rows (10-13)
@pytest.mark.parametrize("instant", [8, 9, 10, 11, 12])
def test_restore_killed_while_creating_rows_resumes_without_duplicates(
    world: World, instant: int
) -> None:
    """A row whose answer was lost is found in the recreated data source, not created again."""
    _, source = world.ws.add_database(world.doc, "Tasks", {"Name": {"type": "title"}})
    for n in range(4):
        world.ws.add_row(source, {"Name": "same" if n < 2 else f"row {n}"})
    world.sync()
    world.ws.trash(world.doc)
    before_sources = set(world.ws.data_sources)
    inner = httpx.MockTransport(world.fake.handle)
    with pytest.raises(Killed):
        world.restore(RestoreRequest(world.doc, recursive=True), LoseAnswerAfter(inner, instant))
    world.restore(RestoreRequest(world.doc, recursive=True))
    (new_source,) = set(world.ws.data_sources) - before_sources
    titles = sorted(world.ws.title_of(row) for row in world.ws.data_sources[new_source].rows)
    assert titles == ["row 2", "row 3", "same", "same"]


def test_restore_replace_takes_the_place_of_the_current_page(world: World) -> None:
    """--replace restores an older version beside the page, then trashes the current one."""
    sub = world.ws.add_page(world.doc, "Sub", [rt.paragraph("in sub")])
    world.sync()
    first = world.markdown_of(world.doc)
    world.ws.append_blocks(world.doc, [rt.paragraph("a bad edit")])
    world.sync()
    older = page_history(world.settings, world.doc)[1].commit
    asked: list[str] = []
    replace = RestoreRequest(world.doc, commit=older, recursive=True, replace=True)
    with world.client() as client:
        with pytest.raises(errors.UsageError, match="not confirmed"):
            restore(world.settings, replace, out=io.StringIO(), client=client)
        flat = RestoreRequest(world.doc, commit=older, replace=True)
        with pytest.raises(errors.UsageError, match="add --recursive"):
            restore(world.settings, flat, out=io.StringIO(), client=client, confirm=asked.append)
    assert world.fake.request_log.count("pages.create") == 0
    assert asked == []
    world.fake.capabilities = frozenset({"read_content", "insert_content"})
    before = set(world.ws.pages)
    with pytest.raises(errors.RestoreError, match="'Update content'"), world.client() as client:
        restore(world.settings, replace, out=io.StringIO(), client=client, confirm=lambda q: True)
    assert not world.ws.pages[world.doc].in_trash
    world.fake.capabilities = frozenset({"read_content", "insert_content", "update_content"})
    out = io.StringIO()
    with world.client() as client:
        assert restore(world.settings, replace, out=out, client=client, confirm=lambda q: True) == 0
    assert f"replaced: the current page {world.doc} is in Notion's trash" in out.getvalue()
    restored = {world.ws.title_of(page): page for page in new_pages(world, before)}
    assert sorted(restored) == ["Doc", "Sub"]
    assert world.ws.pages[restored["Doc"]].parent == {"type": "page_id", "page_id": world.home}
    assert world.ws.pages[world.doc].in_trash  # its sub-pages go with it
    world.sync(sweep=True)
    assert SUFFIX.sub("", world.markdown_of(restored["Doc"])) == SUFFIX.sub("", first)
    message = subprocess.run(
        ["git", "-C", str(world.settings.export.repo), "log", "-1", "--format=%B"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"Restored-from: {older} {world.doc} as {restored['Doc']}" in message
    for gone in (world.doc, sub):
        with pytest.raises(LookupError):
            world.markdown_of(gone)


def test_restore_at_picks_the_version_of_that_date(world: World) -> None:
    """--at DATE takes the newest version at or before it; before the first one is an error."""
    world.sync()
    before = set(world.ws.pages)
    report = world.restore(RestoreRequest(world.doc, at="2999-01-01", dry_run=True))
    assert "pages to create: 1" in report
    assert set(world.ws.pages) == before
    with pytest.raises(errors.UsageError, match="holds no version"), world.client() as client:
        restore(
            world.settings,
            RestoreRequest(world.doc, at="2000-01-01"),
            out=io.StringIO(),
            client=client,
        )
    with pytest.raises(errors.UsageError, match="not both"), world.client() as client:
        both = RestoreRequest(world.doc, at="2999-01-01", commit="HEAD")
        restore(world.settings, both, out=io.StringIO(), client=client)

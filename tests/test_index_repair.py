"""``notion-syncd check --repair``: damaged index entries rebuilt from the JSON records.

A real mirror of the fake workspace (pages, nested pages, databases with rows), damaged
with real git commits the way a person or a bad tool could, then checked and repaired
through the command line; the repaired index must be byte-identical to the one the sync
wrote, and the syncs after it must keep the mirror equal to a fresh export.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from mirrortree import exported_tree, tree_differences
from synchelpers import TOKEN, TestClock, git, serve

from notion_syncd.cli import main
from notion_syncd.commands.checkindex import listing_floor
from notion_syncd.config import Settings, load_settings
from notion_syncd.fake_notion import FakeNotionServer, Workspace, generate_workspace
from notion_syncd.gitstore import open_mirror
from notion_syncd.sync.indexrepair import Settling, find_damage
from notion_syncd.sync.runner import run_sync
from notion_syncd.sync.snapshot import WorkingTree
from notion_syncd.sync.state import INDEX_DIR, IndexEntry, index_path

Index = dict[str, bytes]


@dataclass
class Setup:
    """A synced mirror whose newest edit is ``fresh_id``; ``index`` as the sync wrote it."""

    repo: Path
    config: Path
    settings: Settings
    server: FakeNotionServer
    workspace: Workspace
    clock: TestClock
    fresh_id: str
    index: Index


def read_index(repo: Path) -> Index:
    return {
        path.relative_to(repo).as_posix(): path.read_bytes()
        for path in sorted((repo / INDEX_DIR).rglob("*"))
        if path.is_file()
    }


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=u", "-c", "user.email=u@x", "commit", "-qm", message)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=5)
    generate_workspace(workspace, pages=10, depth=3, databases=2, rows_per_database=3)
    clock.tick = timedelta(0)
    clock.advance(hours=1)  # the next sync lists only what changed after this
    fresh_id = sorted(workspace.pages)[0]
    workspace.set_title(fresh_id, "Fresh")
    clock.advance(minutes=10)
    with serve(workspace) as server:
        config = tmp_path / "config.toml"
        config.write_text(
            f'[notion]\ntoken = "{TOKEN}"\nbase_url = "{server.base_url}"\n'
            'max_retry_time = "2s"\nrequests_per_second = 100\nburst = 50\n'
            f'[export]\nrepo = "{tmp_path / "mirror"}"\n'
            'formats = ["markdown", "json", "csv", "html"]\n'
        )
        settings = load_settings(config, environ={})
        run_sync(settings, now=clock)
        repo = tmp_path / "mirror"
        yield Setup(repo, config, settings, server, workspace, clock, fresh_id, read_index(repo))


def check(config: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["check", *extra, "--config", str(config)])
    return code, capsys.readouterr().out


def entry_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if " entries: " in line]


def damage_in_every_way(setup: Setup) -> set[str]:
    """Truncate, garble, falsify, delete a shard, drop an alias, add a stray: the paths."""
    fresh = index_path(setup.fresh_id)
    aliases = [
        rel for rel, data in setup.index.items() if json.loads(data).get("kind") == "database"
    ]
    shard = next(
        rel.rsplit("/", 1)[0]
        for rel in setup.index
        if rel.rsplit("/", 1)[0] != fresh.rsplit("/", 1)[0] and rel not in aliases
    )
    others = [
        rel
        for rel in setup.index
        if rel != fresh and not rel.startswith(shard + "/") and rel not in aliases
    ]
    truncated, garbled, falsified = others[0], others[1], others[-1]
    repo = setup.repo
    data = setup.index[truncated]
    (repo / truncated).write_bytes(data[: len(data) // 2])
    (repo / garbled).write_bytes(b"{not json\n")
    wrong = IndexEntry.from_json(setup.index[falsified])
    wrong = wrong.with_changes(title="Wrong", parent=None, name="Elsewhere")
    (repo / falsified).write_bytes(wrong.to_json())
    shutil.rmtree(repo / shard)
    (repo / aliases[0]).unlink()
    stray = index_path("ffffffff-ffff-4fff-8fff-ffffffffffff")
    (repo / stray).parent.mkdir(parents=True, exist_ok=True)
    (repo / stray).write_bytes(setup.index[falsified])
    commit_all(repo, "damage the index")
    in_shard = {rel for rel in setup.index if rel.startswith(shard + "/")}
    return {truncated, garbled, falsified, aliases[0], stray} | in_shard


def test_index_repair_rebuilds_every_kind_of_damage(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    """Truncated, invalid, wrong, missing and stray index files: ``check`` names them and
    exits 2; ``check --repair`` commits an index byte-identical to the sync's."""
    damaged = damage_in_every_way(setup)
    code, out = check(setup.config, capsys)
    assert code == 2, out
    lines = entry_lines(out)
    assert all(line.startswith("FAIL") for line in lines), out
    named = [line.split(": ", 1)[1].split(" ", 1)[0] for line in lines[:-1]]
    assert named and {Path(path).relative_to(setup.repo).as_posix() for path in named} <= damaged
    assert lines[-1] == (
        f"FAIL  entries: {len(damaged)} index files differ from the JSON records; rebuild "
        f"them from the records with: notion-syncd check --repair --config {setup.config}"
    )

    code, out = check(setup.config, capsys, "--repair")
    assert code == 0, out
    assert entry_lines(out)[0].startswith(
        f"ok    entries: repaired: {len(damaged)} index files rebuilt from the JSON records"
    )
    assert read_index(setup.repo) == setup.index
    assert git(setup.repo, "status", "--porcelain") == ""
    message = git(setup.repo, "log", "-1", "--format=%B")
    assert message.startswith(f"Repair the index: {len(damaged)} files rebuilt from the JSON")
    assert sorted(damaged)[0] in message
    assert git(setup.repo, "log", "-1", "--format=%s", "HEAD~1") == "damage the index\n"

    code, out = check(setup.config, capsys)
    assert code == 0, out
    assert entry_lines(out) == ["ok    entries: every index entry matches its JSON record"]


def test_index_repair_sync_after_repair_equals_fresh_export(
    setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a repair, renames and moves sync as usual: the mirror and its index equal a
    fresh export of the same workspace."""
    damage_in_every_way(setup)
    assert check(setup.config, capsys, "--repair")[0] == 0
    pages = sorted(setup.workspace.pages)
    setup.workspace.set_title(pages[-1], "Renamed after the repair")
    setup.workspace.move(pages[-2], None)
    setup.clock.advance(minutes=10)
    report = run_sync(setup.settings, now=setup.clock)
    assert report.failures == [] and report.change_counts["moved"] >= 1
    fresh = tmp_path / "fresh"
    overrides = {"export": {"repo": str(fresh)}}
    run_sync(load_settings(setup.config, overrides=overrides, environ={}), now=setup.clock)
    assert tree_differences(exported_tree(setup.repo), exported_tree(fresh)) == []
    assert read_index(setup.repo) == read_index(fresh)


def test_index_repair_recent_entry_takes_settled_from_history(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    """A lost entry of an object the next sync lists again takes ``settled`` from its
    last readable committed version: the index is byte-identical, nothing is refetched."""
    fresh = index_path(setup.fresh_id)
    (setup.repo / fresh).write_bytes(b"")
    commit_all(setup.repo, "empty the newest entry")
    assert check(setup.config, capsys, "--repair")[0] == 0
    assert read_index(setup.repo) == setup.index
    assert run_sync(setup.settings, now=setup.clock).fetched == 0


def test_index_repair_recent_entry_without_history_is_fetched_once_more(setup: Setup) -> None:
    """Without an earlier version, an entry the next sync lists again is rebuilt unsettled
    (no record says when it was fetched): that sync fetches it once, and the index is
    whole again; an older entry is rebuilt settled, as a fresh export writes it."""
    fresh, old = index_path(setup.fresh_id), sorted(setup.index)[-1]
    assert old != fresh
    for rel in (fresh, old):
        (setup.repo / rel).unlink()
    commit_all(setup.repo, "lose two entries")
    files = WorkingTree(setup.repo)
    settling = Settling(listing_floor(files, setup.settings))  # no history
    damages = {damage.rel: damage.entry for damage in find_damage(files, settling)}
    assert damages.keys() == {fresh, old}
    assert damages[old] == setup.index[old]
    assert json.loads(damages[fresh] or b"")["settled"] is False
    for rel, data in damages.items():
        (setup.repo / rel).write_bytes(data or b"")
    commit_all(setup.repo, "repaired without history")
    report = run_sync(setup.settings, now=setup.clock)
    assert report.fetched == 1 and report.failures == []
    assert read_index(setup.repo) == setup.index


def test_index_repair_refused_while_a_sync_holds_the_mirror(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--repair`` beside a running sync: the lock is named, exit 1, nothing written."""
    (setup.repo / index_path(setup.fresh_id)).write_bytes(b"")
    commit_all(setup.repo, "empty entry")
    head = git(setup.repo, "rev-parse", "HEAD")
    with open_mirror(setup.repo):
        code, out = check(setup.config, capsys, "--repair")
    assert code == 1
    assert "FAIL  entries: another notion-syncd process is using the mirror" in out
    assert git(setup.repo, "rev-parse", "HEAD") == head


def test_index_repair_uncommitted_damage_is_kept_on_a_side_ref(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    """A damaged entry in the working tree only (what the next sync would read) is found
    and named; the repair restores it, keeps the person's bytes on a side ref, no commit."""
    rel = next(rel for rel in sorted(setup.index) if rel != index_path(setup.fresh_id))
    (setup.repo / rel).write_bytes(b'{"id": ')
    head = git(setup.repo, "rev-parse", "HEAD")
    code, out = check(setup.config, capsys)
    assert code == 2
    assert f"FAIL  entries: {setup.repo / rel} is damaged (" in out
    code, out = check(setup.config, capsys, "--repair")
    assert code == 0, out
    assert "repaired: 1 index file rebuilt from the JSON records (uncommitted edits" in out
    assert git(setup.repo, "rev-parse", "HEAD") == head
    assert git(setup.repo, "status", "--porcelain") == ""
    side = git(setup.repo, "for-each-ref", "--format=%(refname)", "refs/notion-syncd/local/")
    assert git(setup.repo, "show", f"{side.strip()}:{rel}") == '{"id": '


def test_index_repair_refuses_to_guess_past_a_damaged_record(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    """A damaged record (the source of the index) is named with how to restore it, exit
    2, and ``--repair`` changes nothing: its children would be misplaced by a guess."""
    record = next(
        rel
        for rel in sorted(exported_tree(setup.repo))
        if rel.endswith(".json") and (setup.repo / rel[: -len(".json")]).is_dir()
    )
    (setup.repo / record).write_bytes(b'{"page": ')
    (setup.repo / index_path(setup.fresh_id)).unlink()
    commit_all(setup.repo, "damage a record and an entry")
    head = git(setup.repo, "rev-parse", "HEAD")
    for extra in ((), ("--repair",)):
        code, out = check(setup.config, capsys, *extra)
        assert code == 2, out
        assert entry_lines(out) == [
            f"FAIL  entries: the record {record} is damaged ({setup.repo / record}): the index "
            f"cannot be rebuilt without it (restore it from an earlier commit (git log -- "
            f"'{record}', then git checkout COMMIT -- '{record}') and commit it, then check "
            "again)"
        ]
    assert git(setup.repo, "rev-parse", "HEAD") == head
    assert git(setup.repo, "status", "--porcelain") == ""

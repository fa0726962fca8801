"""Real SIGKILLs: ``notion-syncd sync`` and ``push`` processes killed at seeded instants.

A first export, incremental syncs, sweeps and pushes run as processes against the fake
Notion API and a ``git daemon`` on loopback. Syncs are killed at a seeded request
(``sigkill.RequestKiller``), pushes by the remote's hook while the push is under way
(before the remote takes the update, or after). After each kill the repository is whole
and the committed watermark is not past an unmirrored page; after each finished run no
lock is left and the tree equals HEAD; the interrupted first export costs at most 1.2 ×
an uninterrupted one; at the end the mirror equals a fresh export and the remote equals
the local branch.

CI runs 7 kills here (plus 3 in the push test); ``NOTION_SYNCD_SIGKILLS=50`` runs the 50
of issue 11 (several minutes). Checkpoints are by count only (every 10 objects,
``checkpoint_seconds = 0``) so they come at the same requests on every run; what a
kill costs does not depend on them (the fetch journal keeps what no checkpoint holds).
See README "What a kill costs".
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pygit2
import pytest
from gitservers import GitDaemon, install_hook, make_bare_repo
from sigkill import KILLED, RequestKiller, check_after_kill, check_after_run, fsck, run_cli
from synchelpers import TOKEN, TestClock, serve

from notion_syncd.config import load_settings
from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.gitstore import Author, open_mirror
from notion_syncd.sync.runner import run_sync

VOLATILE = {".notion-syncd/last-sync.json", ".notion-syncd/state.json"}


@dataclass(frozen=True)
class Plan:
    """How many kills in each part, and the workspace they run on."""

    first_export: int
    incremental_rounds: int
    per_incremental_round: int
    sweep: int
    push: int
    pages: int
    rows: int

    @property
    def kills(self) -> int:
        incremental = self.incremental_rounds * self.per_incremental_round
        return self.first_export + incremental + self.sweep + self.push


CI_PLAN = Plan(4, incremental_rounds=1, per_incremental_round=1, sweep=1, push=1, pages=40, rows=10)
FULL_PLAN = Plan(
    12, incremental_rounds=3, per_incremental_round=6, sweep=10, push=10, pages=150, rows=20
)


def _plan() -> Plan:
    wanted = os.environ.get("NOTION_SYNCD_SIGKILLS", "")
    return FULL_PLAN if wanted == str(FULL_PLAN.kills) else CI_PLAN


def _tree(repo: Path) -> dict[str, bytes]:
    return {
        path.relative_to(repo).as_posix(): path.read_bytes()
        for path in repo.rglob("*")
        if path.is_file()
        and ".git" not in path.relative_to(repo).parts[:1]
        and path.relative_to(repo).as_posix() not in VOLATILE
    }


def _head(repo: Path) -> str | None:
    ref = pygit2.Repository(str(repo)).references.get("refs/heads/main")
    return None if ref is None else str(ref.target)


class Mirror:
    """One mirror driven by ``notion-syncd`` processes, with a config file of its own."""

    def __init__(self, tmp: Path, name: str, base_url: str, killer: RequestKiller | None) -> None:
        self.repo = tmp / name
        self.config = tmp / f"{name}.toml"
        self.log = tmp / f"{name}.log"
        self.killer = killer
        self.kills = 0
        self.env = {**os.environ, "NOTION_TOKEN": TOKEN, "HOME": str(tmp / "home")}
        self._base = (
            f'[notion]\nbase_url = "{base_url}"\nrequests_per_second = 1000\nburst = 1000\n'
            f'concurrency = 1\n[export]\nrepo = "{self.repo}"\n'
            'formats = ["markdown", "json", "csv"]\n'
            "[sync]\ncheckpoint_pages = 10\ncheckpoint_seconds = 0\n"
        )
        self.config.write_text(self._base)

    def add_remote(self, url: str) -> None:
        self.config.write_text(self._base + f'[[git.remotes]]\nname = "backup"\nurl = "{url}"\n')

    def run(self, *args: str, kill_at: int | None = None) -> bool:
        """One run of ``notion-syncd ARGS``; True when it finished, False when killed."""
        finished = run_cli(
            self.killer, [*args, "--config", str(self.config)], self.env, self.log, kill_at
        )
        if not finished:
            self.kills += 1
        return finished

    def sync_in_process(self) -> None:
        """An uninterrupted sync in this process (no start-up to wait for)."""
        run_sync(load_settings(self.config, overrides={"notion": {"token": TOKEN}}, environ={}))

    def sync_until_done(
        self, workspace: Workspace, rng: random.Random, kills: int, low: int, high: int, *args: str
    ) -> None:
        """Kill ``kills`` sync runs at seeded requests, then run one to the end."""
        for _ in range(kills):
            assert not self.run("sync", *args, kill_at=rng.randint(low, high)), "not killed"
            check_after_kill(self.repo, workspace)
        assert self.run("sync", *args)
        check_after_run(self.repo)


@pytest.mark.slow
def test_sigkills_across_export_incremental_sweep_and_push(tmp_path: Path) -> None:
    """Seeded SIGKILLs: repo whole, watermark honest, ≤ 1.2× requests, mirror = fresh export."""
    plan = _plan()
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    pages = generate_workspace(
        workspace, pages=plan.pages, depth=3, databases=1, rows_per_database=plan.rows
    )
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    rng = random.Random(11)
    with serve(workspace) as server:
        killer = RequestKiller(server.fake)
        reference = Mirror(tmp_path, "reference", server.base_url, killer)
        before = killer.requests
        reference.sync_in_process()
        uninterrupted = killer.requests - before

        mirror = Mirror(tmp_path, "m", server.base_url, killer)
        before = killer.requests
        mirror.sync_until_done(workspace, rng, plan.first_export, 3, 30)
        interrupted = killer.requests - before
        print(f"first export: {uninterrupted} requests, {interrupted} with kills")
        assert mirror.kills == plan.first_export
        assert interrupted <= 1.2 * uninterrupted, (interrupted, uninterrupted)

        for round_number in range(plan.incremental_rounds):
            clock.advance(minutes=5)
            for page in rng.sample(pages, 4):
                workspace.append_blocks(page, [rt.paragraph(f"edit {round_number}")])
            workspace.set_title(rng.choice(pages), f"Renamed {round_number}")
            clock.advance(minutes=5)
            mirror.sync_until_done(workspace, rng, plan.per_incremental_round, 1, 3)

        clock.advance(minutes=5)
        workspace.trash(pages[-1])
        workspace.trash(pages[-2])
        clock.advance(minutes=5)
        mirror.sync_until_done(workspace, rng, plan.sweep, 1, 12, "--sweep")

        _push_kills(mirror, workspace, clock, rng, pages[:-2], plan.push, tmp_path)
        assert mirror.kills == plan.kills

        fresh = Mirror(tmp_path, "fresh", server.base_url, killer)
        fresh.sync_in_process()
    assert _tree(mirror.repo) == _tree(fresh.repo)


def _push_kills(
    mirror: Mirror,
    workspace: Workspace,
    clock: TestClock,
    rng: random.Random,
    pages: list[str],
    kills: int,
    tmp_path: Path,
) -> None:
    """Each round: a new commit, a push killed by the remote's hook, then a push that ends."""
    root = tmp_path / "remotes"
    root.mkdir()
    bare = make_bare_repo(root / "backup.git")
    pidfile = tmp_path / "push.pid"
    with GitDaemon(root) as daemon:
        mirror.add_remote(daemon.url("backup.git"))
        for number in range(kills):
            if number:  # something new to push (the first push has the whole history)
                clock.advance(minutes=5)
                workspace.append_blocks(rng.choice(pages), [rt.paragraph(f"push {number}")])
                clock.advance(minutes=5)
                assert mirror.run("sync")
            hook, code = rng.choice(PUSH_KILLS)
            _killed_push_then_push(mirror, bare, pidfile, hook, code)


PUSH_KILLS = [("pre-receive", 1), ("pre-receive", 0), ("update", 0)]
"""Where the remote's hook kills the push: before refusing, before taking the update."""


def _killed_push_then_push(mirror: Mirror, bare: Path, pidfile: Path, hook: str, code: int) -> None:
    """A push SIGKILLed by the remote's ``hook`` (which then exits ``code``), then a push."""
    install_hook(
        bare,
        hook,
        f'while [ ! -s "{pidfile}" ]; do sleep 0.02; done\n'
        f'kill -9 "$(cat "{pidfile}")"\nrm -f "{pidfile}"\nexit {code}',
    )
    pidfile.unlink(missing_ok=True)
    assert not _push_killed_by_hook(mirror, pidfile), f"{hook} did not kill the push"
    (bare / "hooks" / hook).unlink()
    fsck(bare)
    assert mirror.run("push")
    assert _head(bare) == _head(mirror.repo)
    fsck(bare)
    check_after_run(mirror.repo)


@pytest.mark.slow
def test_sigkills_push_killed_at_the_remote_then_completes(tmp_path: Path) -> None:
    """SIGKILL during a push, at each hook: the next push completes, remote = local branch."""
    mirror = Mirror(tmp_path, "m", "http://127.0.0.1:9", None)
    root = tmp_path / "remotes"
    root.mkdir()
    bare = make_bare_repo(root / "backup.git")
    with GitDaemon(root) as daemon:
        mirror.add_remote(daemon.url("backup.git"))
        for number, (hook, code) in enumerate(PUSH_KILLS):
            with open_mirror(mirror.repo) as local:
                local.write("page.md", f"version {number}\n".encode())
                local.commit(f"version {number}", Author("test", "test@example.invalid"))
            _killed_push_then_push(mirror, bare, tmp_path / "push.pid", hook, code)
    assert mirror.kills == len(PUSH_KILLS)


def _push_killed_by_hook(mirror: Mirror, pidfile: Path) -> bool:
    """``notion-syncd push`` whose pid the hook reads from ``pidfile``; False when killed."""
    with mirror.log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "notion_syncd", "push", "--config", str(mirror.config)],
            env=mirror.env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
        )
        temporary = pidfile.with_suffix(".tmp")
        temporary.write_text(str(process.pid))
        temporary.rename(pidfile)
        code = process.wait(timeout=120)
    if code == KILLED:
        mirror.kills += 1
        return False
    return True

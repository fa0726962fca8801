"""The shipped units under a real systemd 252 booted as PID 1 in namespaces (tests/systemdbox.py).

Skipped where the box cannot boot (not root, no systemd package, no system Python).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from synchelpers import TOKEN, TestClock, serve
from systemdbox import Box, booted, unavailable_reason, wrapper_script

from notion_syncd.fake_notion import FakeNotionServer, Workspace, generate_workspace

ROOT = Path(__file__).resolve().parent.parent
REASON = unavailable_reason()

pytestmark = [pytest.mark.slow, pytest.mark.skipif(REASON is not None, reason=REASON or "")]

#: unit -> (config file name, state directory)
INSTANCES = {
    "notion-syncd.service": ("config", "notion-syncd"),
    "notion-syncd@work.service": ("work", "notion-syncd-work"),
}


def _config(server: FakeNotionServer, state: str) -> str:
    return (
        f'[notion]\nbase_url = "{server.base_url}"\n'
        f'[export]\nrepo = "/var/lib/{state}/mirror"\n'
        '[schedule]\ninterval = "1h"\n'
        '[server]\nlisten = "127.0.0.1:0"\n'
    )


def _stage(directory: Path, server: FakeNotionServer) -> Path:
    """The files laid over the box's root: program, units, configs, credentials."""
    stage = directory / "stage"
    program = stage / "usr/bin/notion-syncd"
    program.parent.mkdir(parents=True)
    program.write_text(wrapper_script(), encoding="utf-8")
    program.chmod(0o755)
    shutil.copytree(ROOT / "systemd", stage / "etc/systemd/system")
    (stage / "etc/notion-syncd").mkdir(parents=True)
    (stage / "etc/credstore").mkdir(mode=0o700)
    for name, state in INSTANCES.values():
        (stage / f"etc/notion-syncd/{name}.toml").write_text(_config(server, state))
        suffix = "" if name == "config" else f".{name}"
        token = stage / f"etc/credstore/notion-token{suffix}"
        token.write_text(TOKEN)
        token.chmod(0o600)
    return stage


@pytest.fixture
def server() -> Iterator[FakeNotionServer]:
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=7)
    generate_workspace(workspace, pages=8, depth=2, databases=1, rows_per_database=3)
    clock.tick = timedelta(0)
    clock.advance(minutes=10)
    with serve(workspace) as running:
        yield running


def _commits(box: Box, state: str) -> int:
    result = box.run(
        "git", "-c", "safe.directory=*", "-C", f"/var/lib/{state}/mirror",
        "rev-list", "--count", "HEAD", check=False,
    )  # fmt: skip
    return int(result.stdout) if result.returncode == 0 else 0


def test_systemd_real_units_sync_side_by_side(tmp_path: Path, server: FakeNotionServer) -> None:
    """Single and template unit run at once, each mirrors into its own DynamicUser state dir."""
    with booted(_stage(tmp_path, server)) as box:
        box.run("systemctl", "start", *INSTANCES)
        for unit, (_, state) in INSTANCES.items():
            box.wait_for(f"{unit} to commit", lambda state=state: _commits(box, state) > 0)
            assert box.show(unit, "ActiveState") == "active"
            assert box.show(unit, "StatusText").startswith("idle; last sync")
            # DynamicUser=: the configured path is a symlink into /var/lib/private.
            assert (box.root / "var/lib" / state).readlink() == Path("private") / state
            pid = box.show(unit, "MainPID")
            stat = box.run("cat", f"/proc/{pid}/stat").stdout
            assert stat.rsplit(")", 1)[1].split()[16] == "10"  # field 19: nice
            assert box.run("ionice", "-p", pid).stdout.strip() == "idle"
        box.run("systemctl", "stop", *INSTANCES)
        for unit in INSTANCES:
            assert box.show(unit, "Result") == "success"


def test_systemd_real_timer_oneshot_syncs(tmp_path: Path, server: FakeNotionServer) -> None:
    """The oneshot the timer starts runs one sync to completion in the daemon's state dir."""
    with booted(_stage(tmp_path, server)) as box:
        box.run("systemctl", "start", "notion-syncd-sync.service")  # returns when it is done
        assert box.show("notion-syncd-sync.service", "Result") == "success"
        assert box.show("notion-syncd-sync.service", "ExecMainStatus") == "0"
        assert _commits(box, "notion-syncd") == 1
        box.run("systemctl", "enable", "--now", "notion-syncd-sync.timer")
        assert box.show("notion-syncd-sync.timer", "ActiveState") == "active"

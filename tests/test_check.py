"""``notion-syncd check`` as an admin runs it: a real mirror, the fake Notion API over
loopback, real bare remotes; each broken dependency gives its own message."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pygit2
import pytest
from gitservers import HttpGitServer, free_port
from synchelpers import TOKEN, TestClock, serve

from notion_syncd.cli import main
from notion_syncd.config import load_settings
from notion_syncd.fake_notion import FakeNotionServer, Workspace, generate_workspace
from notion_syncd.sync.runner import run_sync


@pytest.fixture
def server() -> Iterator[FakeNotionServer]:
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=5)
    generate_workspace(workspace, pages=4, depth=2, databases=0)
    clock.tick = timedelta(0)
    with serve(workspace) as fake:
        yield fake


def write_config(
    tmp_path: Path,
    base_url: str,
    *,
    token: str = TOKEN,
    remote_url: str | None = None,
    repo: Path | None = None,
) -> Path:
    config = tmp_path / "config.toml"
    text = (
        f'[notion]\ntoken = "{token}"\nbase_url = "{base_url}"\nmax_retry_time = "2s"\n'
        "requests_per_second = 100\nburst = 50\n"
        f'[export]\nrepo = "{repo or tmp_path / "mirror"}"\n'
    )
    if remote_url is not None:
        text += '[git]\npush_timeout = "5s"\n'
        text += f'[[git.remotes]]\nname = "backup"\nurl = "{remote_url}"\n'
    config.write_text(text)
    return config


@pytest.fixture
def good_setup(tmp_path: Path, server: FakeNotionServer) -> Path:
    """A synced mirror and a reachable bare remote; returns the config file."""
    remote = tmp_path / "remote.git"
    pygit2.init_repository(str(remote), bare=True)
    config = write_config(tmp_path, server.base_url, remote_url=str(remote))
    run_sync(load_settings(config, environ={}))
    return config


def run_check(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["check", "--config", str(config)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def failures(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("FAIL")]


def test_check_passes_on_good_setup(good_setup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A synced mirror, a valid token and a reachable remote: every line ok, exit 0."""
    code, out, _ = run_check(good_setup, capsys)
    assert code == 0, out
    subjects = [line.split(":")[0].split(maxsplit=1) for line in out.splitlines()]
    assert [verdict for verdict, _ in subjects] == ["ok"] * len(subjects)
    assert [subject for _, subject in subjects] == [
        "config",
        "token",
        "api",
        "mirror",
        "objects",
        "index",
        "entries",
        "remote backup",
    ]
    assert "notion-syncd-fake" in out
    assert TOKEN not in out


def test_check_passes_before_first_sync(
    tmp_path: Path, server: FakeNotionServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """No mirror yet (ExecStartPre= on first boot): ok, and nothing is created."""
    config = write_config(tmp_path, server.base_url)
    code, out, _ = run_check(config, capsys)
    assert code == 0, out
    assert "not created yet" in out
    assert not (tmp_path / "mirror").exists()


def test_check_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An invalid key is named, exit 2, nothing else is tried."""
    config = tmp_path / "config.toml"
    config.write_text('[export]\nrepo = "m"\n[schedule]\ninterval = "soon"\n')
    code, out, err = run_check(config, capsys)
    assert code == 2
    assert out == ""
    assert "schedule.interval" in err


def test_check_missing_token_exits_2(
    tmp_path: Path,
    server: FakeNotionServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No token anywhere is a configuration problem: exit 2 with where to put one."""
    monkeypatch.delenv("NOTION_TOKEN", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    config = write_config(tmp_path, server.base_url, token="")
    code, out, _ = run_check(config, capsys)
    assert code == 2
    assert failures(out) == [
        "FAIL  token: notion.token: no Notion integration token found (set NOTION_TOKEN, "
        "notion.token_file, or a systemd credential named notion-token)"
    ]


def test_check_bad_token(
    tmp_path: Path, server: FakeNotionServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A token Notion refuses (401) is reported as such, exit 1."""
    config = write_config(tmp_path, server.base_url, token="secret_revoked_123")
    code, out, _ = run_check(config, capsys)
    assert code == 1
    [failure] = failures(out)
    assert failure.startswith("FAIL  token: Notion refused the token (HTTP 401)")
    assert "secret_revoked_123" not in out


def test_check_unreachable_api(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing listens at notion.base_url: the API is named unreachable, exit 1."""
    config = write_config(tmp_path, f"http://127.0.0.1:{free_port()}")
    code, out, _ = run_check(config, capsys)
    assert code == 1
    [failure] = failures(out)
    assert failure.startswith("FAIL  api: the Notion API at http://127.0.0.1:")
    assert "is unreachable" in failure


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """``chattr +i``: not even root may create files in ``path`` while it is set."""
    result = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        if os.geteuid() == 0:
            pytest.skip(f"chattr +i is not permitted here: {result.stderr.strip()}")
        path.chmod(0o555)  # an ordinary user: permission bits are enough
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
        path.chmod(0o755)


def test_check_unwritable_mirror(good_setup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A mirror folder no file can be created in is reported, exit 1."""
    mirror = good_setup.parent / "mirror"
    with immutable(mirror):
        code, out, _ = run_check(good_setup, capsys)
    assert code == 1
    [failure] = failures(out)
    assert failure.startswith(f"FAIL  mirror: not writable: cannot create a file in {mirror}")


def test_check_corrupt_object(good_setup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A stored object whose bytes changed on disk is named (like git fsck), exit 1."""
    mirror = good_setup.parent / "mirror"
    repo = pygit2.Repository(str(mirror))
    blob = repo.create_blob(b"a loose object to damage\n")
    loose = mirror / ".git" / "objects" / str(blob)[:2] / str(blob)[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not zlib at all")
    code, out, _ = run_check(good_setup, capsys)
    assert code == 1
    [failure] = failures(out)
    assert failure.startswith(f"FAIL  objects: object {blob} is corrupt")


def test_check_unreachable_remote(
    tmp_path: Path, server: FakeNotionServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A remote nobody answers at is named with the reason, exit 1."""
    url = f"http://127.0.0.1:{free_port()}/mirror.git"
    config = write_config(tmp_path, server.base_url, remote_url=url)
    code, out, _ = run_check(config, capsys)
    assert code == 1
    [failure] = failures(out)
    assert failure.startswith("FAIL  remote backup: cannot reach remote 'backup'")


def test_check_remote_credentials_refused_then_accepted(
    tmp_path: Path,
    server: FakeNotionServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A remote that refuses the token fails with its own message; the right token passes."""
    root = tmp_path / "served"
    pygit2.init_repository(str(root / "mirror.git"), bare=True)
    with HttpGitServer(root, username="x-access-token", token="right-token-4821") as git_server:
        config = write_config(tmp_path, server.base_url, remote_url=git_server.url("mirror.git"))
        config.write_text(config.read_text() + 'token_env = "CHECK_GIT_TOKEN"\n')
        monkeypatch.setenv("CHECK_GIT_TOKEN", "wrong-token-1234")
        code, out, _ = run_check(config, capsys)
        assert code == 1
        [failure] = failures(out)
        assert failure.startswith("FAIL  remote backup: ")
        assert "refused the token" in failure
        assert "wrong-token-1234" not in out
        monkeypatch.setenv("CHECK_GIT_TOKEN", "right-token-4821")
        code, out, _ = run_check(config, capsys)
    assert code == 0, out
    assert "ok    remote backup: reachable with its credentials" in out

"""A bad environment gets one message naming the thing and the fix, and a documented exit code.

The CLI runs as a subprocess (as root, without the capabilities that bypass file modes,
so unreadable and read-only files behave as for any user); a full disk is an ENOSPC
injected at the file-write seam (``os.replace``), in process.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from synchelpers import TOKEN, TestClock, git, make_settings, serve

from notion_syncd.cli import main
from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.fake_notion import richtext as rt
from notion_syncd.sync.runner import run_sync

DROP_DAC = ["--bounding-set=-dac_override,-dac_read_search", "--"]


def _cli(config: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``notion-syncd sync --config FILE`` as a process that file modes apply to."""
    command = [sys.executable, "-m", "notion_syncd", "sync", "--config", str(config)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file modes cannot be enforced")
        command = [setpriv, *DROP_DAC, *command]
    base = {key: value for key, value in os.environ.items() if key != "NOTION_TOKEN"}
    full_env = {**base, "NOTION_TOKEN": TOKEN, **(env or {})}
    full_env = {key: value for key, value in full_env.items() if value}
    return subprocess.run(command, env=full_env, capture_output=True, text=True, timeout=60)


def _config(
    tmp_path: Path, repo: Path, base_url: str = "http://127.0.0.1:9", extra: str = ""
) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[notion]\nbase_url = "{base_url}"\nmax_retry_time = 2\n{extra}[export]\nrepo = "{repo}"\n'
    )
    return config


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("notion-syncd: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def mirrored(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A mirror after one sync, and the base URL of the fake serving its workspace."""
    clock = TestClock()
    workspace = Workspace(clock)
    generate_workspace(workspace, pages=4, depth=2, databases=0, rows_per_database=0)
    clock.advance(minutes=10)
    with serve(workspace) as server:
        run_sync(make_settings(server, tmp_path / "m"), now=clock)
        yield tmp_path / "m", server.base_url


def test_bad_environment_unreadable_token_file(tmp_path: Path) -> None:
    """An unreadable notion.token_file: exit 2, naming the file and the fix."""
    token = tmp_path / "token"
    token.write_text(TOKEN)
    token.chmod(0)
    config = _config(tmp_path, tmp_path / "m", extra=f'token_file = "{token}"\n')
    result = _cli(config, {"NOTION_TOKEN": ""})
    assert result.returncode == 2
    assert _one_line(result) == (
        f"notion-syncd: cannot read notion.token_file {token}: Permission denied "
        "(make it a file readable by the user notion-syncd runs as)"
    )


def test_bad_environment_unreadable_credentials_directory(tmp_path: Path) -> None:
    """An unreadable $CREDENTIALS_DIRECTORY: exit 2, naming the directory and the fix."""
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "notion-token").write_text(TOKEN)
    credentials.chmod(0)
    try:
        config = _config(tmp_path, tmp_path / "m")
        result = _cli(config, {"NOTION_TOKEN": "", "CREDENTIALS_DIRECTORY": str(credentials)})
    finally:
        credentials.chmod(stat.S_IRWXU)
    assert result.returncode == 2
    line = _one_line(result)
    assert f"cannot read the credentials directory {credentials}: Permission denied" in line
    assert "readable by the user notion-syncd runs as" in line


def test_bad_environment_repo_is_a_file(tmp_path: Path) -> None:
    """export.repo naming a file: exit 2, 'is a file, not a folder'."""
    repo = tmp_path / "m"
    repo.write_text("not a folder")
    result = _cli(_config(tmp_path, repo))
    assert result.returncode == 2
    assert _one_line(result) == (
        f"notion-syncd: export.repo {repo} is a file, not a folder "
        "(point export.repo at a folder (it is created if missing))"
    )


@pytest.mark.parametrize("obstacle", ["file", "read-only"])
def test_bad_environment_repo_cannot_be_created(tmp_path: Path, obstacle: str) -> None:
    """A mirror folder whose parent is a file or read-only: exit 2, naming the folder."""
    parent = tmp_path / "parent"
    if obstacle == "file":
        parent.write_text("x")
    else:
        parent.mkdir(mode=0o555)
    repo = parent / "m"
    try:
        result = _cli(_config(tmp_path, repo))
    finally:
        if parent.is_dir():
            parent.chmod(stat.S_IRWXU)
    assert result.returncode == 2
    reason = "Not a directory" if obstacle == "file" else "Permission denied"
    line = _one_line(result)
    assert f"cannot create the mirror folder {repo}: {reason}" in line
    assert "writable by the user notion-syncd runs as" in line


def test_bad_environment_read_only_mirror(tmp_path: Path, mirrored: tuple[Path, str]) -> None:
    """A mirror made read-only: exit 2 and 'read-only'; made writable, the sync completes."""
    repo, base_url = mirrored
    config = _config(tmp_path, repo, base_url)
    repo.chmod(0o555)
    try:
        result = _cli(config)
    finally:
        repo.chmod(0o755)
    assert result.returncode == 2
    assert _one_line(result) == (
        f"notion-syncd: the mirror folder {repo} is read-only "
        "(make it writable by the user notion-syncd runs as, or point export.repo elsewhere)"
    )
    assert _cli(config).returncode == 0


def test_bad_environment_full_disk_keeps_the_mirror_consistent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """ENOSPC while writing: exit 1 naming the disk; the next run completes from HEAD."""
    clock = TestClock()
    workspace = Workspace(clock)
    generate_workspace(workspace, pages=12, depth=2, databases=1, rows_per_database=4)
    clock.advance(minutes=10)
    repo = tmp_path / "m"
    real_replace = os.replace
    writes = {"left": 25}

    def replace_until_full(source: str | Path, target: str | Path) -> None:
        if str(target).startswith(str(repo)) and ".git" not in Path(target).parts:
            writes["left"] -= 1
            if writes["left"] < 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_replace(source, target)

    with serve(workspace) as server:
        config = _config(tmp_path, repo, server.base_url)
        monkeypatch.setenv("NOTION_TOKEN", TOKEN)
        monkeypatch.setattr(os, "replace", replace_until_full)
        assert main(["sync", "--config", str(config)]) == 1
        err = capsys.readouterr().err
        assert "notion-syncd: disk full while trying to write '" in err
        assert "(free disk space; the mirror is reset to its last commit on the next start)" in err
        monkeypatch.setattr(os, "replace", real_replace)
        assert main(["sync", "--config", str(config)]) == 0
    subprocess.run(["git", "-C", str(repo), "fsck", "--full"], check=True, capture_output=True)
    assert git(repo, "status", "--porcelain") == ""
    assert len(list(repo.glob("*.md"))) >= 1


def _commit_damage(repo: Path, rel: str, data: str) -> None:
    (repo / rel).write_text(data)
    git(repo, "-c", "user.name=u", "-c", "user.email=u@x", "commit", "-qam", "damage")


def test_bad_environment_damaged_state_file(tmp_path: Path, mirrored: tuple[Path, str]) -> None:
    """An invalid watermark in state.json: exit 2, naming the file and how to repair it."""
    repo, base_url = mirrored
    _commit_damage(repo, ".notion-syncd/state.json", '{"watermark": "yesterday"}\n')
    result = _cli(_config(tmp_path, repo, base_url))
    assert result.returncode == 2
    line = _one_line(result)
    assert f"{repo / '.notion-syncd/state.json'} is damaged: Invalid isoformat string" in line
    assert "repair it" in line and "git log -- .notion-syncd/state.json" in line


def test_bad_environment_damaged_index_entry(tmp_path: Path, mirrored: tuple[Path, str]) -> None:
    """A damaged index entry: exit 2, naming the entry's file and how to restore it."""
    repo, base_url = mirrored
    entry = sorted((repo / ".notion-syncd/index").glob("*/*.json"))[0]
    _commit_damage(repo, entry.relative_to(repo).as_posix(), '{"id": ')
    result = _cli(_config(tmp_path, repo, base_url), {})
    assert result.returncode == 2
    line = _one_line(result)
    assert f"index entry {entry} is damaged" in line
    assert "rebuild the index from the mirror's JSON records: notion-syncd check --repair" in line


def test_bad_environment_stale_locks_of_a_dead_process(
    tmp_path: Path, mirrored: tuple[Path, str]
) -> None:
    """Lock files left by a killed process are recovered: the next sync exits 0."""
    repo, base_url = mirrored
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import fcntl,time; f=open('{repo}/.git/notion-syncd.lock','a');"
            "fcntl.flock(f, fcntl.LOCK_EX); print(1, flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None and holder.stdout.readline()
    (repo / ".git/index.lock").write_text("")
    (repo / ".git/refs/heads/main.lock").write_text("")
    holder.kill()
    holder.wait()
    holder.stdout.close()
    result = _cli(_config(tmp_path, repo, base_url))
    assert result.returncode == 0, result.stderr
    assert not (repo / ".git/index.lock").exists()
    assert not (repo / ".git/refs/heads/main.lock").exists()


def _mount_tmpfs(path: Path, size: str) -> bool:
    """A small tmpfs at ``path`` (root only); False when it cannot be mounted here."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    path.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    return done.returncode == 0


def test_bad_environment_real_full_disk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A mirror on a full tmpfs: exit 1 naming the disk; with space back, the next run completes."""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "400k"):
        pytest.skip("needs root and mount to make a small tmpfs")
    try:
        clock = TestClock()
        workspace = Workspace(clock)
        generate_workspace(workspace, pages=4, depth=2, databases=0, rows_per_database=0)
        noise = random.Random(3).randbytes(600_000)
        workspace.add_page(None, "Big", [rt.media("file", workspace.add_file(noise, "big.bin"))])
        clock.advance(minutes=10)
        with serve(workspace) as server:
            config = _config(tmp_path, disk / "m", server.base_url)
            os.environ["NOTION_TOKEN"] = TOKEN
            try:
                assert main(["sync", "--config", str(config)]) == 1
                err = capsys.readouterr().err
                assert "notion-syncd: disk full while" in err, err
                assert "(free disk space;" in err
                subprocess.run(["mount", "-o", "remount,size=20m", str(disk)], check=True)
                assert main(["sync", "--config", str(config)]) == 0, capsys.readouterr().err
            finally:
                os.environ.pop("NOTION_TOKEN", None)
        repo = disk / "m"
        subprocess.run(["git", "-C", str(repo), "fsck", "--full"], check=True, capture_output=True)
        assert git(repo, "status", "--porcelain") == ""
    finally:
        subprocess.run(["umount", str(disk)], check=False)

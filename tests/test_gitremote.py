"""Pushing the mirror to real git servers on 127.0.0.1: sshd, smart HTTP, git daemon."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pygit2
import pytest
from gitservers import (
    GitDaemon,
    HttpGitServer,
    SshServer,
    commit_files,
    free_port,
    git,
    install_hook,
    make_bare_repo,
    make_mirror,
    sshd_unavailable,
)
from structlog.testing import capture_logs

from notion_syncd.config import GitSettings, RemoteSettings
from notion_syncd.errors import HostKeyError, PushError, PushRejected, RemoteAuthError
from notion_syncd.gitremote import (
    BACKOFF_MAX_SECONDS,
    GITHUB_KNOWN_HOSTS,
    PushResult,
    RemoteState,
    backoff_delay,
    default_homedir,
    format_remote_state,
    push_all,
    push_remote,
    read_push_state,
    state_path,
)
from notion_syncd.gitremote.hostkeys import (
    KNOWN_HOSTS_MARKER,
    install_known_hosts,
    known_hosts_lists_host,
    ssh_target,
    write_text_atomically,
)
from notion_syncd.metrics import REGISTRY

TOKEN = "ghp_TestTokenThatMustNeverLeak0123456789"
USER = "x-access-token"


# --- fixtures -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated_libgit2_home(tmp_path: Path) -> Iterator[None]:
    """libgit2 reads no real ~/.ssh or ~/.gitconfig during these tests."""
    saved = pygit2.settings.homedir
    home = tmp_path / "libgit2-home"
    home.mkdir()
    pygit2.settings.homedir = str(home)
    yield
    if saved is not None:
        pygit2.settings.homedir = saved


@pytest.fixture
def mirror(tmp_path: Path) -> pygit2.Repository:
    """A bare local repository with two commits on main."""
    return make_mirror(tmp_path / "mirror.git")


@pytest.fixture
def homedir(tmp_path: Path) -> Path:
    """notion-syncd's own homedir for libgit2."""
    return tmp_path / "home"


@pytest.fixture(scope="module")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """One sshd on 127.0.0.1 for the module."""
    reason = sshd_unavailable()
    if reason:
        pytest.skip(reason)
    with SshServer(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@pytest.fixture(scope="module")
def http_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the HTTP server's repositories live."""
    return tmp_path_factory.mktemp("http-repos")


@pytest.fixture(scope="module")
def http_server(http_root: Path) -> Iterator[HttpGitServer]:
    """git http-backend with Basic auth (user x-access-token, password TOKEN)."""
    with HttpGitServer(http_root, username=USER, token=TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def daemon_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where git daemon's repositories live."""
    return tmp_path_factory.mktemp("daemon-repos")


@pytest.fixture(scope="module")
def git_daemon(daemon_root: Path) -> Iterator[GitDaemon]:
    """git daemon with receive-pack enabled."""
    with GitDaemon(daemon_root) as daemon:
        yield daemon


def _head(repo: pygit2.Repository | Path, branch: str = "main") -> str | None:
    if isinstance(repo, Path):
        repo = pygit2.Repository(str(repo))
    ref = repo.references.get(f"refs/heads/{branch}")
    return None if ref is None else str(ref.target)


def _http_remote(http_root: Path, request: pytest.FixtureRequest) -> tuple[Path, str]:
    name = f"{request.node.name}.git"
    return make_bare_repo(http_root / name), name


def _push(
    mirror: pygit2.Repository,
    remote: RemoteSettings,
    homedir: Path,
    environ: dict[str, str] | None = None,
) -> PushResult:
    return push_remote(Path(mirror.path), remote, homedir=homedir, timeout=10, environ=environ)


def _other_key(directory: Path) -> Path:
    key = directory / "other_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return key


# --- SSH --------------------------------------------------------------------------------


def test_push_remote_ssh_pushes_branch(
    ssh_server: SshServer, mirror: pygit2.Repository, homedir: Path, tmp_path: Path
) -> None:
    """A push over SSH with a pinned host key makes the remote branch equal the local one."""
    bare = make_bare_repo(tmp_path / "ssh-remote.git")
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(ssh_server.known_hosts_line())
    remote = RemoteSettings(
        name="box",
        url=ssh_server.url(bare),
        ssh_key_file=ssh_server.client_key,
        known_hosts=known_hosts,
    )
    result = _push(mirror, remote, homedir)
    assert result.ok and result.commit == _head(mirror) == _head(bare)
    clone = tmp_path / "clone"
    git("clone", "-q", bare, clone, cwd=tmp_path)
    log = git("log", "--format=%H %s", cwd=clone)
    assert log.split()[::2] == [str(c.id) for c in mirror.walk(mirror.head.target)]
    assert (clone / "Page 1a2b3c4d.md").read_text() == "Hello\n"
    written = (homedir / ".ssh" / "known_hosts").read_text()
    assert written == KNOWN_HOSTS_MARKER + known_hosts.read_text()


def test_push_remote_ssh_unknown_host_key_refused(
    ssh_server: SshServer, mirror: pygit2.Repository, homedir: Path, tmp_path: Path
) -> None:
    """An empty known_hosts refuses the server and says the key is unknown."""
    bare = make_bare_repo(tmp_path / "ssh-remote.git")
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")
    remote = RemoteSettings(
        name="box",
        url=ssh_server.url(bare),
        ssh_key_file=ssh_server.client_key,
        known_hosts=known_hosts,
    )
    with pytest.raises(HostKeyError, match=r"127\.0\.0\.1.*'box'.*unknown") as caught:
        _push(mirror, remote, homedir)
    assert "known_hosts" in (caught.value.hint or "")
    assert _head(bare) is None


def test_push_remote_ssh_changed_host_key_refused(
    ssh_server: SshServer, mirror: pygit2.Repository, homedir: Path, tmp_path: Path
) -> None:
    """A known_hosts entry with another key refuses the server as a changed key."""
    bare = make_bare_repo(tmp_path / "ssh-remote.git")
    other = _other_key(tmp_path).with_suffix(".pub").read_text().split()[:2]
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{ssh_server.port} {other[0]} {other[1]}\n")
    remote = RemoteSettings(
        name="box",
        url=ssh_server.url(bare),
        ssh_key_file=ssh_server.client_key,
        known_hosts=known_hosts,
    )
    with pytest.raises(HostKeyError, match="does not match"):
        _push(mirror, remote, homedir)
    assert _head(bare) is None


def test_push_remote_ssh_default_known_hosts_are_github(
    ssh_server: SshServer, mirror: pygit2.Repository, homedir: Path, tmp_path: Path
) -> None:
    """Without known_hosts only GitHub's keys are trusted, so a local server is refused."""
    bare = make_bare_repo(tmp_path / "ssh-remote.git")
    remote = RemoteSettings(
        name="box", url=ssh_server.url(bare), ssh_key_file=ssh_server.client_key
    )
    with pytest.raises(HostKeyError, match="built-in GitHub host keys"):
        _push(mirror, remote, homedir)
    written = (homedir / ".ssh" / "known_hosts").read_text()
    assert written == KNOWN_HOSTS_MARKER + GITHUB_KNOWN_HOSTS
    assert _head(bare) is None


def test_push_remote_ssh_wrong_client_key_fails(
    ssh_server: SshServer, mirror: pygit2.Repository, homedir: Path, tmp_path: Path
) -> None:
    """An unknown client key is offered once, then fails with an error naming the remote."""
    bare = make_bare_repo(tmp_path / "ssh-remote.git")
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(ssh_server.known_hosts_line())
    remote = RemoteSettings(
        name="box",
        url=ssh_server.url(bare),
        ssh_key_file=_other_key(tmp_path),
        known_hosts=known_hosts,
    )
    failures_before = ssh_server.log.read_text().count("Failed publickey")
    started = time.monotonic()
    with pytest.raises(RemoteAuthError, match=r"'box' refused the SSH key.*deploy key"):
        _push(mirror, remote, homedir)
    assert time.monotonic() - started < 5
    deadline = time.monotonic() + 2
    while ssh_server.log.read_text().count("Failed publickey") == failures_before:
        assert time.monotonic() < deadline, "sshd logged no failed attempt"
        time.sleep(0.02)
    assert ssh_server.log.read_text().count("Failed publickey") - failures_before == 1


def test_push_remote_ssh_key_from_credentials_directory(
    ssh_server: SshServer, mirror: pygit2.Repository, homedir: Path, tmp_path: Path
) -> None:
    """$CREDENTIALS_DIRECTORY/git-ssh-key (no .pub beside it) is used when no key file is set."""
    bare = make_bare_repo(tmp_path / "ssh-remote.git")
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    shutil.copy(ssh_server.client_key, credentials / "git-ssh-key")
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(ssh_server.known_hosts_line())
    remote = RemoteSettings(name="box", url=ssh_server.url(bare), known_hosts=known_hosts)
    environ = {"CREDENTIALS_DIRECTORY": str(credentials)}
    assert _push(mirror, remote, homedir, environ=environ).ok
    assert _head(bare) == _head(mirror)


def test_push_remote_ssh_without_key_fails(
    ssh_server: SshServer, mirror: pygit2.Repository, homedir: Path, tmp_path: Path
) -> None:
    """An SSH remote with no key configured says how to configure one."""
    bare = make_bare_repo(tmp_path / "ssh-remote.git")
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(ssh_server.known_hosts_line())
    remote = RemoteSettings(name="box", url=ssh_server.url(bare), known_hosts=known_hosts)
    with pytest.raises(RemoteAuthError, match=r"ssh_key_file.*git-ssh-key"):
        _push(mirror, remote, homedir, environ={})


def test_push_remote_keeps_a_known_hosts_it_did_not_write(
    mirror: pygit2.Repository, homedir: Path
) -> None:
    """A homedir holding someone's own known_hosts is refused, and the file is untouched."""
    mine = homedir / ".ssh" / "known_hosts"
    mine.parent.mkdir(parents=True)
    mine.write_text("example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample\n")
    remote = RemoteSettings(name="gh", url=f"ssh://git@127.0.0.1:{free_port()}/x.git")
    with pytest.raises(HostKeyError, match="not written by notion-syncd") as caught:
        _push(mirror, remote, homedir)
    assert "home directory of its own" in (caught.value.hint or "")
    assert mine.read_text() == "example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample\n"


# --- HTTP -------------------------------------------------------------------------------


def test_push_remote_http_token_pushes(
    http_server: HttpGitServer,
    http_root: Path,
    mirror: pygit2.Repository,
    homedir: Path,
    request: pytest.FixtureRequest,
) -> None:
    """A token from token_env pushes over HTTP and is written nowhere in the mirror."""
    bare, name = _http_remote(http_root, request)
    remote = RemoteSettings(name="hub", url=http_server.url(name), token_env="GIT_TOKEN")
    assert _push(mirror, remote, homedir, environ={"GIT_TOKEN": TOKEN}).ok
    assert _head(bare) == _head(mirror)
    config = (Path(mirror.path) / "config").read_text()
    assert TOKEN not in config and "remote" not in config


def test_push_remote_http_token_file(
    http_server: HttpGitServer,
    http_root: Path,
    mirror: pygit2.Repository,
    homedir: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """token_file is read (and stripped) when token_env is not set in the environment."""
    bare, name = _http_remote(http_root, request)
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    remote = RemoteSettings(
        name="hub", url=http_server.url(name), token_env="UNSET_VAR", token_file=token_file
    )
    assert _push(mirror, remote, homedir, environ={}).ok
    assert _head(bare) == _head(mirror)


def test_push_remote_http_wrong_token_fails_after_one_attempt(
    http_server: HttpGitServer,
    http_root: Path,
    mirror: pygit2.Repository,
    homedir: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """A refused token is sent once, and the error names the remote and the token's source."""
    bare, name = _http_remote(http_root, request)
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "git-token").write_text("wrong-token-value")
    remote = RemoteSettings(name="hub", url=http_server.url(name))
    attempts = http_server.auth_attempts
    with pytest.raises(RemoteAuthError) as caught:
        _push(mirror, remote, homedir, environ={"CREDENTIALS_DIRECTORY": str(credentials)})
    assert http_server.auth_attempts - attempts == 1
    assert "'hub' refused the token from" in str(caught.value)
    assert "git-token" in str(caught.value)
    assert "wrong-token-value" not in str(caught.value) + repr(caught.value)
    assert _head(bare) is None


def test_push_remote_http_without_token_fails(
    http_server: HttpGitServer,
    http_root: Path,
    mirror: pygit2.Repository,
    homedir: Path,
    request: pytest.FixtureRequest,
) -> None:
    """A server asking for a password when no token is configured says how to configure one."""
    _, name = _http_remote(http_root, request)
    remote = RemoteSettings(name="hub", url=http_server.url(name), token_env="GIT_TOKEN")
    with pytest.raises(RemoteAuthError, match="token_env or token_file"):
        _push(mirror, remote, homedir, environ={})


def test_push_all_wrong_token_leaks_nowhere(
    http_server: HttpGitServer,
    http_root: Path,
    mirror: pygit2.Repository,
    homedir: Path,
    request: pytest.FixtureRequest,
) -> None:
    """A refused token is in no result, log event, state file or repository config."""
    _, name = _http_remote(http_root, request)
    secret = "ghp_WrongButStillSecret987654321"
    remote = RemoteSettings(name="leak", url=http_server.url(name), token_env="GIT_TOKEN")
    settings = GitSettings(remotes=(remote,), push_timeout=10)
    with capture_logs() as logs:
        [result] = push_all(
            Path(mirror.path),
            settings,
            local_branch="main",
            homedir=homedir,
            environ={"GIT_TOKEN": secret},
        )
    assert not result.ok and result.error and "'leak'" in result.error
    assert [entry["event"] for entry in logs] == ["push.failed"]
    everything = (
        repr(result)
        + repr(logs)
        + state_path(Path(mirror.path)).read_text()
        + (Path(mirror.path) / "config").read_text()
    )
    assert secret not in everything


def test_push_remote_password_in_url_is_scrubbed(mirror: pygit2.Repository, homedir: Path) -> None:
    """A password written into the URL never shows in the error."""
    url = f"http://someone:hunter2secret@127.0.0.1:{free_port()}/x.git"
    remote = RemoteSettings(name="down", url=url)
    with pytest.raises(PushError) as caught:
        _push(mirror, remote, homedir)
    assert "hunter2secret" not in str(caught.value)
    assert "'down'" in str(caught.value)


# --- rejections ----------------------------------------------------------------------------


def test_push_remote_non_fast_forward_not_overwritten(
    http_server: HttpGitServer,
    http_root: Path,
    mirror: pygit2.Repository,
    homedir: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """When someone else pushed, the push is refused, names the remote and the remedy."""
    bare, name = _http_remote(http_root, request)
    remote = RemoteSettings(name="hub", url=http_server.url(name), token_env="T")
    environ = {"T": TOKEN}
    assert _push(mirror, remote, homedir, environ=environ).ok
    other = tmp_path / "other"
    git("clone", "-q", bare, other, cwd=tmp_path)
    (other / "theirs.md").write_text("theirs\n")
    git("add", "theirs.md", cwd=other)
    git("commit", "-q", "-m", "theirs", cwd=other)
    git("push", "-q", "origin", "HEAD:main", cwd=other)
    theirs = _head(bare)
    commit_files(mirror, {"ours.md": "ours\n"}, "ours")
    with pytest.raises(PushRejected) as caught:
        _push(mirror, remote, homedir, environ=environ)
    assert "someone else pushed to 'hub'" in str(caught.value)
    assert "fetch and merge by hand, or set force = true" in str(caught.value)
    assert _head(bare) == theirs
    forced = remote.model_copy(update={"force": True})
    assert _push(mirror, forced, homedir, environ=environ).ok
    assert _head(bare) == _head(mirror)


def test_push_remote_hook_rejection_over_http(
    http_server: HttpGitServer,
    http_root: Path,
    mirror: pygit2.Repository,
    homedir: Path,
    request: pytest.FixtureRequest,
) -> None:
    """A pre-receive hook that exits 1 is reported as a rejection, not a success."""
    bare, name = _http_remote(http_root, request)
    install_hook(bare, "pre-receive", "echo 'protected branch' >&2; exit 1")
    remote = RemoteSettings(name="hub", url=http_server.url(name), token_env="T")
    with pytest.raises(PushRejected, match="'hub' refused the update of refs/heads/main"):
        _push(mirror, remote, homedir, environ={"T": TOKEN})
    assert _head(bare) is None


def test_push_remote_hook_rejection_over_git_daemon(
    git_daemon: GitDaemon, daemon_root: Path, mirror: pygit2.Repository, homedir: Path
) -> None:
    """A pre-receive hook refusal over git:// is reported as a rejection."""
    bare = make_bare_repo(daemon_root / "hooked.git")
    install_hook(bare, "pre-receive", "exit 1")
    remote = RemoteSettings(name="daemon", url=git_daemon.url("hooked.git"))
    with pytest.raises(PushRejected, match="pre-receive hook declined"):
        _push(mirror, remote, homedir)
    assert _head(bare) is None


# --- other transports and failures ---------------------------------------------------------


def test_push_remote_local_path_and_other_branch(
    mirror: pygit2.Repository, homedir: Path, tmp_path: Path
) -> None:
    """A local path and a file:// URL are pushed to, into the remote's configured branch."""
    bare = make_bare_repo(tmp_path / "local.git")
    assert _push(mirror, RemoteSettings(name="disk", url=str(bare), branch="mirror"), homedir).ok
    assert _head(bare, "mirror") == _head(mirror) and _head(bare) is None
    commit_files(mirror, {"more.md": "more\n"}, "third")
    assert _push(mirror, RemoteSettings(name="disk", url=f"file://{bare}"), homedir).ok
    assert _head(bare) == _head(mirror)


def test_push_remote_missing_local_path_fails(
    mirror: pygit2.Repository, homedir: Path, tmp_path: Path
) -> None:
    """A local remote that does not exist gives a clear PushError."""
    remote = RemoteSettings(name="disk", url=str(tmp_path / "nowhere.git"))
    with pytest.raises(PushError, match=r"'disk' points to .*nowhere\.git, which is not a repo"):
        _push(mirror, remote, homedir)


def test_push_remote_hung_server_times_out(mirror: pygit2.Repository, homedir: Path) -> None:
    """A server that accepts and never answers fails the push within the timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/x.git"
        started = time.monotonic()
        with pytest.raises(PushError, match=r"'stuck'.*timed out"):
            push_remote(
                Path(mirror.path),
                RemoteSettings(name="stuck", url=url),
                homedir=homedir,
                timeout=0.5,
            )
        assert time.monotonic() - started < 5
    assert pygit2.settings.server_timeout == 0  # the global setting is restored


# --- push_all ------------------------------------------------------------------------------


def test_push_all_one_remote_down_other_pushed_then_caught_up(
    mirror: pygit2.Repository, tmp_path: Path
) -> None:
    """A remote that is down does not stop the others, and is caught up when it is back."""
    daemon_root = tmp_path / "daemon"
    daemon_root.mkdir()
    down_repo = make_bare_repo(daemon_root / "down.git")
    up_repo = make_bare_repo(tmp_path / "up.git")
    port = free_port()
    settings = GitSettings(
        remotes=(
            RemoteSettings(name="flaky", url=f"git://127.0.0.1:{port}/down.git"),
            RemoteSettings(name="disk", url=str(up_repo)),
        ),
        push_timeout=5,
    )
    repo_path = Path(mirror.path)
    homedir = default_homedir(repo_path)
    first = push_all(repo_path, settings, local_branch="main", homedir=homedir, now=1000.0)
    assert [(r.remote, r.ok, r.skipped) for r in first] == [
        ("flaky", False, False),
        ("disk", True, False),
    ]
    assert first[0].error and "'flaky'" in first[0].error
    assert _head(up_repo) == _head(mirror) and _head(down_repo) is None
    state = read_push_state(repo_path)
    assert state["flaky"].consecutive_failures == 1
    assert state["flaky"].next_attempt_after == 1000.0 + backoff_delay(1)
    assert state["disk"].last_pushed_commit == _head(mirror)

    with GitDaemon(daemon_root, port=port):
        later = 1000.0 + backoff_delay(1)
        second = push_all(repo_path, settings, local_branch="main", homedir=homedir, now=later)
    assert [(r.remote, r.ok, r.skipped) for r in second] == [
        ("flaky", True, False),
        ("disk", True, True),
    ]
    assert _head(down_repo) == _head(mirror)
    state = read_push_state(repo_path)
    assert state["flaky"] == RemoteState(
        last_pushed_commit=_head(mirror),
        last_target=f"git://127.0.0.1:{port}/down.git#main",
        last_attempt=later,
        last_success=later,
    )


def test_push_all_backs_off_after_failures(
    mirror: pygit2.Repository, homedir: Path, tmp_path: Path
) -> None:
    """A failing remote waits out its backoff unless forced, and the wait doubles."""
    settings = GitSettings(
        remotes=(RemoteSettings(name="gone", url=str(tmp_path / "gone.git")),), push_timeout=5
    )
    repo_path = Path(mirror.path)

    def run(now: float, force: bool = False) -> tuple[bool, bool]:
        [result] = push_all(
            repo_path,
            settings,
            local_branch="main",
            homedir=homedir,
            now=now,
            force_attempt=force,
        )
        return result.ok, result.skipped

    assert run(1000.0) == (False, False)
    assert run(1010.0) == (False, True)  # within 30 s: not tried
    assert read_push_state(repo_path)["gone"].consecutive_failures == 1
    assert run(1010.0, force=True) == (False, False)
    state = read_push_state(repo_path)["gone"]
    assert state.consecutive_failures == 2
    assert state.next_attempt_after == 1010.0 + 60.0
    assert state.last_error and "'gone'" in state.last_error
    make_bare_repo(tmp_path / "gone.git")
    assert run(1070.0) == (True, False)
    assert read_push_state(repo_path)["gone"].consecutive_failures == 0


def test_push_all_skips_up_to_date_and_pushes_new_commits(
    mirror: pygit2.Repository, homedir: Path, tmp_path: Path
) -> None:
    """A remote that has the local head is skipped; a new commit or a new URL is pushed."""
    bare = make_bare_repo(tmp_path / "r.git")
    settings = GitSettings(remotes=(RemoteSettings(name="disk", url=str(bare)),))
    repo_path = Path(mirror.path)
    kwargs = {"local_branch": "main", "homedir": homedir}
    assert not push_all(repo_path, settings, **kwargs)[0].skipped  # type: ignore[arg-type]
    again = push_all(repo_path, settings, **kwargs)[0]  # type: ignore[arg-type]
    assert again.ok and again.skipped and again.commit == _head(mirror)
    commit_files(mirror, {"new.md": "new\n"}, "third")
    assert not push_all(repo_path, settings, **kwargs)[0].skipped  # type: ignore[arg-type]
    assert _head(bare) == _head(mirror)
    moved = make_bare_repo(tmp_path / "moved.git")
    settings = GitSettings(remotes=(RemoteSettings(name="disk", url=str(moved)),))
    assert not push_all(repo_path, settings, **kwargs)[0].skipped  # type: ignore[arg-type]
    assert _head(moved) == _head(mirror)


def test_push_all_updates_metrics_and_logs(
    git_daemon: GitDaemon,
    daemon_root: Path,
    mirror: pygit2.Repository,
    homedir: Path,
    tmp_path: Path,
) -> None:
    """Pushes count ok/rejected per remote, set the success time, and log one event each."""
    hooked = make_bare_repo(daemon_root / "metrics-hooked.git")
    install_hook(hooked, "pre-receive", "exit 1")
    settings = GitSettings(
        remotes=(
            RemoteSettings(name="metrics-ok", url=str(make_bare_repo(tmp_path / "ok.git"))),
            RemoteSettings(name="metrics-hook", url=git_daemon.url("metrics-hooked.git")),
        )
    )

    def count(remote: str, result: str) -> float:
        labels = {"remote": remote, "result": result}
        return REGISTRY.get_sample_value("notion_syncd_git_pushes_total", labels) or 0.0

    before = count("metrics-ok", "ok"), count("metrics-hook", "rejected")
    with capture_logs() as logs:
        push_all(Path(mirror.path), settings, local_branch="main", homedir=homedir, now=5000.0)
    assert (count("metrics-ok", "ok"), count("metrics-hook", "rejected")) == (
        before[0] + 1,
        before[1] + 1,
    )
    success = REGISTRY.get_sample_value(
        "notion_syncd_last_push_success_timestamp_seconds", {"remote": "metrics-ok"}
    )
    assert success == 5000.0
    events = {(entry["event"], entry["remote"]) for entry in logs}
    assert events == {("push.finished", "metrics-ok"), ("push.failed", "metrics-hook")}
    failed = next(entry for entry in logs if entry["event"] == "push.failed")
    assert failed["result"] == "rejected" and failed["commit"] == _head(mirror)


def test_push_all_per_remote_state_metrics(
    mirror: pygit2.Repository, homedir: Path, tmp_path: Path
) -> None:
    """A failing remote shows its failures in a row, pending commits and error class;
    a later success clears the error series and the backlog."""
    target = tmp_path / "later.git"
    settings = GitSettings(remotes=(RemoteSettings(name="state-later", url=str(target)),))

    def sample(name: str, **labels: str) -> float | None:
        return REGISTRY.get_sample_value(name, {"remote": "state-later", **labels})

    push_all(Path(mirror.path), settings, local_branch="main", homedir=homedir, now=1000.0)
    assert sample("notion_syncd_push_consecutive_failures") == 1
    assert sample("notion_syncd_push_pending_commits") == 2  # the mirror has two commits
    assert sample("notion_syncd_push_last_error_info", error="PushError") == 1
    make_bare_repo(target)
    push_all(Path(mirror.path), settings, local_branch="main", homedir=homedir, now=1001.0)
    assert sample("notion_syncd_push_last_error_info", error="PushError") == 1  # backing off
    push_all(
        Path(mirror.path),
        settings,
        local_branch="main",
        homedir=homedir,
        now=1002.0,
        force_attempt=True,
    )
    assert sample("notion_syncd_push_consecutive_failures") == 0
    assert sample("notion_syncd_push_pending_commits") == 0
    assert sample("notion_syncd_push_last_error_info", error="PushError") is None


def test_push_all_without_remotes_or_branch(mirror: pygit2.Repository, homedir: Path) -> None:
    """No remotes: nothing happens; no local branch yet: each remote is skipped with a reason."""
    repo_path = Path(mirror.path)
    assert push_all(repo_path, GitSettings(), local_branch="main", homedir=homedir) == []
    settings = GitSettings(remotes=(RemoteSettings(name="disk", url="/nonexistent"),))
    [result] = push_all(repo_path, settings, local_branch="nope", homedir=homedir)
    assert result.skipped and not result.ok and "no branch 'nope'" in (result.error or "")


# --- state and pure helpers --------------------------------------------------------------


def test_read_push_state_tolerates_corrupt_file(mirror: pygit2.Repository) -> None:
    """A corrupt or odd state file reads as empty or as defaults, never as an error."""
    path = state_path(Path(mirror.path))
    path.parent.mkdir()
    path.write_text("{not json")
    assert read_push_state(Path(mirror.path)) == {}
    path.write_text(json.dumps({"remotes": {"a": {"consecutive_failures": "x", "extra": 1}}}))
    assert read_push_state(Path(mirror.path)) == {"a": RemoteState()}


def test_format_remote_state_describes_each_case(mirror: pygit2.Repository) -> None:
    """Status lines say never pushed, pushed when, or failing since when and why."""
    assert format_remote_state("a", RemoteState()) == "remote a: never pushed"
    ok = RemoteState(last_pushed_commit="0123456789abcdef", last_success=0.0)
    assert format_remote_state("a", ok) == "remote a: pushed 0123456789ab at 1970-01-01T00:00:00Z"
    failing = RemoteState(
        last_attempt=60.0, last_error="boom", consecutive_failures=2, next_attempt_after=120.0
    )
    assert format_remote_state("a", failing) == (
        "remote a: failing (2 attempt(s) in a row, last 1970-01-01T00:01:00Z): boom; "
        "next attempt after 1970-01-01T00:02:00Z"
    )
    assert default_homedir(Path(mirror.path)) == Path(mirror.path) / "notion-syncd" / "home"


def test_backoff_delay_doubles_and_caps() -> None:
    """Backoff is 0, 30 s, 60 s, 120 s … and never more than an hour."""
    assert [backoff_delay(n) for n in range(4)] == [0.0, 30.0, 60.0, 120.0]
    assert backoff_delay(500) == BACKOFF_MAX_SECONDS


def test_ssh_target_parses_remote_urls() -> None:
    """SSH URLs in both spellings give host and port; others give None."""
    assert ssh_target("git@github.com:owner/repo.git") == ("github.com", 22)
    assert ssh_target("ssh://root@127.0.0.1:2222/srv/r.git") == ("127.0.0.1", 2222)
    assert ssh_target("ssh://git@[::1]/r.git") == ("::1", 22)
    assert ssh_target("https://github.com/owner/repo.git") is None
    assert ssh_target("/srv/mirror.git") is None
    assert ssh_target("file:///srv/mirror.git") is None


def test_known_hosts_lists_host_plain_and_hashed(tmp_path: Path) -> None:
    """Host lookup understands ports, patterns and ssh-keygen -H hashed entries."""
    assert known_hosts_lists_host(GITHUB_KNOWN_HOSTS, "github.com", 22)
    assert known_hosts_lists_host(GITHUB_KNOWN_HOSTS, "ssh.github.com", 443)
    assert not known_hosts_lists_host(GITHUB_KNOWN_HOSTS, "github.com", 2222)
    assert known_hosts_lists_host("*.example.org ssh-ed25519 AAAA\n", "git.example.org", 22)
    if shutil.which("ssh-keygen") is None:
        return
    hashed = tmp_path / "known_hosts"
    hashed.write_text("[127.0.0.1]:2222 " + GITHUB_KNOWN_HOSTS.splitlines()[0].split(None, 1)[1])
    subprocess.run(["ssh-keygen", "-H", "-f", str(hashed)], check=True, capture_output=True)
    text = hashed.read_text()
    assert text.startswith("|1|")
    assert known_hosts_lists_host(text, "127.0.0.1", 2222)
    assert not known_hosts_lists_host(text, "127.0.0.1", 22)


def test_known_hosts_lists_host_markers_comments_and_negation() -> None:
    """Markers are skipped over; comments, negated and malformed hashed patterns match nothing."""
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    assert known_hosts_lists_host(f"@cert-authority *.corp.example {key}\n", "git.corp.example", 22)
    assert not known_hosts_lists_host(f"# git.corp.example {key}\n\n", "git.corp.example", 22)
    assert not known_hosts_lists_host(f"!git.corp.example {key}\n", "git.corp.example", 22)
    assert not known_hosts_lists_host(f"|1|abc|def {key}\n", "git.corp.example", 22)
    assert not known_hosts_lists_host("@revoked\n", "git.corp.example", 22)
    assert ssh_target("C:repos/mirror.git") is None  # a Windows path, not host "C"


def test_install_known_hosts_keeps_same_text_and_refuses_unreadable(tmp_path: Path) -> None:
    """Unchanged text is not rewritten; a known_hosts that cannot be read is never replaced."""
    path = install_known_hosts(tmp_path / "home", "github.com ssh-ed25519 AAAA\n")
    before = path.stat()
    assert install_known_hosts(tmp_path / "home", "github.com ssh-ed25519 AAAA\n") == path
    assert path.stat().st_ino == before.st_ino and path.stat().st_mtime_ns == before.st_mtime_ns
    foreign = tmp_path / "foreign" / ".ssh" / "known_hosts"
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(HostKeyError, match="was not written by notion-syncd"):
        install_known_hosts(tmp_path / "foreign", "github.com ssh-ed25519 AAAA\n")
    assert foreign.read_bytes() == b"\xff\xfe not utf-8"


def test_write_text_atomically_leaves_no_temporary_file_on_failure(tmp_path: Path) -> None:
    """A write that fails leaves the old file as it was and no temporary file behind."""
    folder = tmp_path / "remotes"
    folder.mkdir()
    target = folder / "state.json"
    write_text_atomically(target, "old\n")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomically(target, "new \ud800\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in folder.iterdir()) == ["state.json"]

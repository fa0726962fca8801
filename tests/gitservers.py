"""Real git servers on 127.0.0.1 for push tests: sshd, smart HTTP, git daemon.

Each server is a context manager that starts on an ephemeral loopback port and
stops (process terminated, sockets closed) on exit:

- :class:`SshServer` runs Debian's ``sshd -D -e -f cfg`` as root with a generated
  ed25519 host key and one generated client key (OPERATIONS §6). Repositories are
  addressed by absolute path: ``ssh://root@127.0.0.1:PORT/abs/path.git``.
- :class:`HttpGitServer` puts ``git http-backend`` (CGI) behind a
  ``ThreadingHTTPServer`` speaking HTTP/1.1 with Basic auth. libgit2 sends push
  bodies with ``Transfer-Encoding: chunked``, so the handler de-chunks them.
- :class:`GitDaemon` runs ``git daemon --enable=receive-pack`` (hooks run, no auth).

Helpers build bare repositories, install hooks and write commits with pygit2.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import pygit2

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)
GIT = shutil.which("git")
HTTP_BACKEND = Path("/usr/lib/git-core/git-http-backend")
SIGNATURE = pygit2.Signature("Test", "test@example.invalid", 1_700_000_000, 0)


def sshd_unavailable() -> str | None:
    """Why an sshd test cannot run here, or None when it can."""
    if SSHD is None:
        return "sshd is not installed (Debian: apt-get install openssh-server; scripts/test does)"
    if os.geteuid() != 0:
        return "sshd in the tests logs in as root, so the tests must run as root"
    if shutil.which("ssh-keygen") is None:
        return "ssh-keygen is not installed"
    return None


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(
    port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 10
) -> None:
    """Block until 127.0.0.1:port accepts connections (or fail with the server's log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            raise RuntimeError(f"server exited with {process.returncode}: {output}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server process and close its pipes."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def git(*args: str | Path, cwd: Path | None = None) -> str:
    """Run the git CLI (isolated from the user's config) and return its stdout."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd or Path.cwd()),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Other",
        "GIT_AUTHOR_EMAIL": "other@example.invalid",
        "GIT_COMMITTER_NAME": "Other",
        "GIT_COMMITTER_EMAIL": "other@example.invalid",
    }
    result = subprocess.run(
        ["git", *map(str, args)], cwd=cwd, env=env, capture_output=True, check=True, timeout=60
    )
    return result.stdout.decode()


def make_bare_repo(path: Path) -> Path:
    """An empty bare repository that accepts pushes over smart HTTP."""
    pygit2.init_repository(str(path), bare=True, initial_head="main")
    git("config", "http.receivepack", "true", cwd=path)
    return path


def install_hook(repo: Path, name: str, script: str) -> None:
    """Write an executable hook (``#!/bin/sh`` + script) into a bare repository."""
    hook = repo / "hooks" / name
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(f"#!/bin/sh\n{script}\n")
    hook.chmod(0o755)


def commit_files(repo: pygit2.Repository, files: dict[str, str], message: str) -> str:
    """Commit ``files`` (name -> text, flat) on top of refs/heads/main; return the commit id."""
    ref = repo.references.get("refs/heads/main")
    parents = [ref.target] if ref is not None else []
    builder = repo.TreeBuilder(repo[ref.target].peel(pygit2.Tree)) if ref else repo.TreeBuilder()
    for name, text in files.items():
        builder.insert(name, repo.create_blob(text.encode()), pygit2.enums.FileMode.BLOB)
    oid = repo.create_commit(
        "refs/heads/main", SIGNATURE, SIGNATURE, message, builder.write(), parents
    )
    return str(oid)


def make_mirror(path: Path) -> pygit2.Repository:
    """A bare local repository with two commits on main, standing in for the mirror."""
    repo = pygit2.init_repository(str(path), bare=True, initial_head="main")
    commit_files(repo, {"README.md": "# Mirror\n"}, "first")
    commit_files(repo, {"Page 1a2b3c4d.md": "Hello\n"}, "second")
    return repo


class SshServer:
    """sshd on 127.0.0.1 with a generated host key; log in as root with :attr:`client_key`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = 0
        self.host_key = directory / "ssh_host_ed25519_key"
        self.client_key = directory / "client_ed25519"
        self.log = directory / "sshd.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self.directory.mkdir(parents=True, exist_ok=True)
        for key in (self.host_key, self.client_key):
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", str(key)],
                check=True,
                capture_output=True,
                timeout=30,
            )
        authorized = self.directory / "authorized_keys"
        authorized.write_text(self.client_key.with_suffix(".pub").read_text())
        self.port = free_port()
        config = self.directory / "sshd_config"
        config.write_text(
            f"Port {self.port}\n"
            "ListenAddress 127.0.0.1\n"
            f"HostKey {self.host_key}\n"
            f"AuthorizedKeysFile {authorized}\n"
            f"PidFile {self.directory / 'sshd.pid'}\n"
            "PermitRootLogin prohibit-password\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "StrictModes no\n"
            "UsePAM no\n"
            "LogLevel VERBOSE\n"
        )
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        assert SSHD is not None
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        try:
            wait_for_port(self.port, self._process, self.log)
        except BaseException:
            stop_process(self._process)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is not None:
            stop_process(self._process)

    def url(self, repo: Path) -> str:
        """The ssh:// URL of a repository given by absolute path."""
        return f"ssh://root@127.0.0.1:{self.port}{repo}"

    def known_hosts_line(self) -> str:
        """This server's entry for a known_hosts file."""
        key_type, key = self.host_key.with_suffix(".pub").read_text().split()[:2]
        return f"[127.0.0.1]:{self.port} {key_type} {key}\n"


class _GitHttpHandler(BaseHTTPRequestHandler):
    """One request: check Basic auth, then hand it to git http-backend (CGI)."""

    protocol_version = "HTTP/1.1"
    server: _GitHttpServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self) -> None:
        body = self._read_body()
        user = self._authorized_user()
        if user is None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "REMOTE_USER": user,
            "REMOTE_ADDR": "127.0.0.1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
        }
        for header in ("Content-Encoding", "Git-Protocol"):
            if header in self.headers:
                env["HTTP_" + header.upper().replace("-", "_")] = self.headers[header]
        result = subprocess.run(
            [str(HTTP_BACKEND)], input=body, env=env, capture_output=True, timeout=60
        )
        head, _, payload = result.stdout.partition(b"\r\n\r\n")
        status = 200
        headers: list[tuple[str, str]] = []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _authorized_user(self) -> str | None:
        header = self.headers.get("Authorization", "")
        with self.server.lock:
            self.server.requests += 1
            if header:
                self.server.auth_attempts += 1
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        if (user, password) != (self.server.username, self.server.token):
            return None
        return user


class _GitHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    root: Path
    username: str
    token: str
    lock: threading.Lock
    requests: int
    auth_attempts: int


class HttpGitServer:
    """Smart HTTP git server on 127.0.0.1 serving every repository under ``root``.

    Every request needs Basic auth with ``username``/``token``; :attr:`auth_attempts`
    counts requests that carried an Authorization header (right or wrong).
    """

    def __init__(self, root: Path, *, username: str, token: str) -> None:
        self._server = _GitHttpServer(("127.0.0.1", 0), _GitHttpHandler)
        self._server.root = root
        self._server.username = username
        self._server.token = token
        self._server.lock = threading.Lock()
        self._server.requests = 0
        self._server.auth_attempts = 0
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    @property
    def auth_attempts(self) -> int:
        return self._server.auth_attempts

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class GitDaemon:
    """``git daemon`` on 127.0.0.1 exporting every repository under ``root`` for push."""

    def __init__(self, root: Path, *, port: int = 0) -> None:
        self.root = root
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def __enter__(self) -> Self:
        self.port = self.port or free_port()
        log_path = self.root / f".git-daemon-{self.port}.log"
        with log_path.open("wb") as log:
            self._process = self._start(log)
        try:
            wait_for_port(self.port, self._process, log_path)
        except BaseException:
            stop_process(self._process)
            raise
        return self

    def _start(self, log: IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                "git",
                "daemon",
                "--listen=127.0.0.1",
                f"--port={self.port}",
                "--reuseaddr",
                "--export-all",
                "--enable=receive-pack",
                f"--base-path={self.root}",
                str(self.root),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": os.devnull,
            },
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is not None:
            stop_process(self._process)

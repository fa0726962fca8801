"""deploy/docker/healthcheck.py, the image's HEALTHCHECK: /livez where server.listen says."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "deploy" / "docker" / "healthcheck.py"


class _Livez(BaseHTTPRequestHandler):
    """Answers /livez with the status the test sets; anything else is 404."""

    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path == "/livez" else 404
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"ok\n" if code == 200 else b"stalled\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


Endpoint = tuple[ThreadingHTTPServer, type[_Livez]]


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    handler = type("Handler", (_Livez,), {"status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, handler
    finally:
        server.shutdown()
        server.server_close()


def _probe(tmp_path: Path, config: str, **env: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.toml"
    path.write_text(config, encoding="utf-8")
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "NOTION_SYNCD_CONFIG": str(path),
        "NOTION_SYNCD_EXPORT__REPO": str(tmp_path / "mirror"),
        **env,
    }
    return subprocess.run(
        [sys.executable, str(PROBE)], env=environ, capture_output=True, text=True, timeout=30
    )


def _port(endpoint: Endpoint) -> int:
    return int(endpoint[0].server_address[1])


def test_docker_healthcheck_follows_server_listen(tmp_path: Path, endpoint: Endpoint) -> None:
    """The port comes from server.listen; a wildcard address is asked on loopback."""
    result = _probe(tmp_path, f'[server]\nlisten = "0.0.0.0:{_port(endpoint)}"\n')
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"healthy: http://127.0.0.1:{_port(endpoint)}/livez: 200 ok\n"


def test_docker_healthcheck_environment_wins(tmp_path: Path, endpoint: Endpoint) -> None:
    """NOTION_SYNCD_SERVER__LISTEN (the image's default) overrides the file, as in the daemon."""
    listen = f"127.0.0.1:{_port(endpoint)}"
    result = _probe(
        tmp_path, '[server]\nlisten = "127.0.0.1:1"\n', NOTION_SYNCD_SERVER__LISTEN=listen
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_healthcheck_unhealthy_on_503(tmp_path: Path, endpoint: Endpoint) -> None:
    """A stalled daemon (/livez 503) is unhealthy."""
    endpoint[1].status = 503
    result = _probe(tmp_path, f'[server]\nlisten = "127.0.0.1:{_port(endpoint)}"\n')
    assert result.returncode == 1
    assert result.stdout.startswith("unhealthy: ") and ": 503" in result.stdout


def test_docker_healthcheck_unhealthy_when_closed(tmp_path: Path, endpoint: Endpoint) -> None:
    """Nothing listening at the configured address is unhealthy."""
    port = _port(endpoint)
    endpoint[0].shutdown()
    endpoint[0].server_close()
    result = _probe(tmp_path, f'[server]\nlisten = "127.0.0.1:{port}"\n')
    assert result.returncode == 1
    assert result.stdout.startswith(f"unhealthy: http://127.0.0.1:{port}/livez: ")


def test_docker_healthcheck_unhealthy_on_invalid_config(tmp_path: Path) -> None:
    """A config the daemon could not load either is unhealthy, with the reason."""
    result = _probe(tmp_path, '[server]\nlisten = "nowhere"\n')
    assert result.returncode == 1
    assert result.stdout.startswith("unhealthy: configuration: ConfigError")


def test_docker_healthcheck_server_disabled_is_healthy(tmp_path: Path) -> None:
    """With server.enabled = false there is nothing to ask: healthy, and it says why."""
    result = _probe(tmp_path, "[server]\nenabled = false\n")
    assert result.returncode == 0
    assert "server.enabled = false" in result.stdout


@pytest.mark.parametrize(
    ("listen", "url"),
    [
        ("0.0.0.0:9184", "http://127.0.0.1:9184/livez"),
        ("127.0.0.1:9300", "http://127.0.0.1:9300/livez"),
        ("[::]:9184", "http://[::1]:9184/livez"),
        ("[::1]:9184", "http://[::1]:9184/livez"),
        ("10.0.0.5:9184", "http://10.0.0.5:9184/livez"),
    ],
)
def test_docker_healthcheck_probe_url(listen: str, url: str) -> None:
    """The listen address becomes the URL the probe asks."""
    namespace: dict[str, object] = {}
    exec(compile(PROBE.read_text(encoding="utf-8"), str(PROBE), "exec"), namespace)
    probe_url = namespace["probe_url"]
    assert callable(probe_url)
    assert probe_url(listen) == url

"""The Dockerfile built with buildah (no daemon) and the image run once: sync, health, stop.

The project's machines reach PyPI and Debian's packages but no container registry, so the
pinned ``python:3.11-slim`` cannot be pulled. The build uses a stand-in with the same
layout where it matters (Debian 12, CPython 3.11, ``python`` and ``pip`` on PATH, no
PEP 668 marker), made with debootstrap and passed as the ``PYTHON_IMAGE`` build argument;
everything else is the shipped Dockerfile, lock and health check. The machine's CA
bundle goes into the stand-in so pip trusts the same certificates as the host.

Takes minutes (debootstrap alone about three), so it runs only when asked:
NOTION_SYNCD_IMAGE_TEST=1 (./scripts/test sets it on CI), as root, with buildah and
debootstrap installed. The stand-in is kept in buildah's storage for the next run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gitservers import free_port

from notion_syncd.fake_notion import FakeClock, FakeNotionServer, Workspace, demo_workspace

ROOT = Path(__file__).resolve().parent.parent
STANDIN = "localhost/notion-syncd-python-standin:3.11"
IMAGE = "localhost/notion-syncd:test"
TOKEN = "secret_image_smoke_0123456789"
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
#: Debian 12 with what python:3.11-slim offers a Dockerfile: python, pip, CA certificates.
PACKAGES = "python3,python3-pip,python-is-python3,ca-certificates"
DEBOOTSTRAP = ("debootstrap", "--variant=minbase", f"--include={PACKAGES}", "bookworm")


def _skip_reason() -> str | None:
    if os.environ.get("NOTION_SYNCD_IMAGE_TEST") != "1":
        return "image build takes minutes: set NOTION_SYNCD_IMAGE_TEST=1 (CI does)"
    if os.geteuid() != 0:
        return "buildah here runs as root"
    missing = [tool for tool in ("buildah", "debootstrap") if shutil.which(tool) is None]
    return f"not installed: {', '.join(missing)}" if missing else None


REASON = _skip_reason()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(REASON is not None, reason=REASON or "")]


def _buildah(*args: str, timeout: float = 900) -> str:
    result = subprocess.run(
        ["buildah", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"buildah {args[0]}: {result.stdout[-3000:]}{result.stderr}"
    return result.stdout


def _make_standin(directory: Path) -> None:
    """python:3.11-slim's stand-in: Debian 12 minbase with python3, pip and python."""
    rootfs = directory / "rootfs"
    subprocess.run(
        [*DEBOOTSTRAP, str(rootfs), "http://deb.debian.org/debian"],
        check=True,
        capture_output=True,
        timeout=900,
    )
    for marker in rootfs.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
        marker.unlink()
    if HOST_CA.exists():
        shutil.copyfile(HOST_CA, rootfs / "etc/ssl/certs/ca-certificates.crt")
        (rootfs / "etc/pip.conf").write_text(f"[global]\ncert = {HOST_CA}\n")
    container = _buildah("from", "scratch").strip()
    try:
        mountpoint = _buildah("mount", container).strip()
        subprocess.run(["cp", "-a", f"{rootfs}/.", mountpoint], check=True)
        _buildah("umount", container)
        path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        _buildah("config", "--env", path, "--cmd", "python3", container)
        _buildah("commit", "--quiet", container, STANDIN)
    finally:
        _buildah("rm", container)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The image built from the checkout; yields its Docker-format config."""
    known = subprocess.run(["buildah", "inspect", "--type", "image", STANDIN], capture_output=True)
    if known.returncode != 0:
        _make_standin(tmp_path_factory.mktemp("standin"))
    _buildah(
        "build", "--format", "docker", "--isolation", "chroot", "--network", "host",
        "--build-arg", f"PYTHON_IMAGE={STANDIN}", "--build-arg", "REVISION=test",
        "--tag", IMAGE, str(ROOT),
    )  # fmt: skip
    try:
        inspected = json.loads(_buildah("inspect", "--type", "image", IMAGE))
        yield inspected["Docker"]["config"]
    finally:
        _buildah("rmi", IMAGE)


def test_image_build_config(image: dict[str, Any]) -> None:
    """Non-root user, the config-following HEALTHCHECK, OCI labels, the daemon as command."""
    assert image["User"] == "10001:10001"
    assert image["Healthcheck"]["Test"] == [
        "CMD",
        "python",
        "/usr/local/lib/notion-syncd/healthcheck.py",
    ]
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    labels = image["Labels"]
    assert labels["org.opencontainers.image.version"] == version
    assert labels["org.opencontainers.image.revision"] == "test"
    assert labels["org.opencontainers.image.base.name"] == STANDIN
    assert image["Entrypoint"] == ["notion-syncd"]


SMOKE = """\
set -eu
notion-syncd --version
id -u
git --version
notion-syncd sync --config /etc/notion-syncd/config.toml 2>/dev/null
notion-syncd run --config /etc/notion-syncd/config.toml >/dev/null 2>&1 &
pid=$!
healthy=no
for i in $(seq 120); do
  if python /usr/local/lib/notion-syncd/healthcheck.py >/dev/null; then healthy=yes; break; fi
  sleep 0.5
done
echo "daemon healthy: $healthy"
NOTION_SYNCD_SERVER__LISTEN=127.0.0.1:1 python /usr/local/lib/notion-syncd/healthcheck.py \\
  || echo "other port: exit $?"
kill -TERM $pid
wait $pid && echo "daemon exit 0"
"""


def test_image_build_smoke_run(image: dict[str, Any], tmp_path: Path) -> None:
    """The image has git, syncs the fake workspace, turns healthy at server.listen, and
    stops with 0."""
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/config.toml").write_text('[schedule]\ninterval = "1h"\n')
    (tmp_path / "smoke.sh").write_text(SMOKE)
    workspace = Workspace(FakeClock(datetime.now(UTC) - timedelta(hours=2)))
    demo_workspace(workspace)
    with FakeNotionServer(workspace, token=TOKEN) as server:
        listen = f"127.0.0.1:{free_port()}"
        container = _buildah("from", IMAGE).strip()
        try:
            output = _buildah(
                "run", "--isolation", "chroot", "--network", "host",
                "-v", f"{tmp_path / 'etc'}:/etc/notion-syncd:ro",
                "-v", f"{tmp_path / 'smoke.sh'}:/smoke.sh:ro",
                "--env", f"NOTION_TOKEN={TOKEN}",
                "--env", f"NOTION_SYNCD_NOTION__BASE_URL={server.base_url}",
                "--env", f"NOTION_SYNCD_SERVER__LISTEN={listen}",
                container, "--", "sh", "/smoke.sh",
                timeout=300,
            )  # fmt: skip
        finally:
            _buildah("rm", container)
    lines = output.splitlines()
    assert lines[0].startswith("notion-syncd ")
    assert lines[1] == "10001"
    assert lines[2].startswith("git version ")  # consolidates the packs (gitpack)
    assert " added, " in lines[3] and "; commit " in lines[3]
    assert "daemon healthy: yes" in lines
    assert "other port: exit 1" in lines
    assert lines[-1] == "daemon exit 0"

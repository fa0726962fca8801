"""The scheduled GitHub Actions workflow in deploy/github-actions, checked and run offline.

The structure is checked as GitHub reads it. Then the workflow is simulated the way a
runner executes it: the mirror repository is a bare repository on disk (bootstrapped as
docs/operations.md says), ``actions/checkout`` with ``fetch-depth: 0`` is a full clone,
and every ``run:`` step runs with bash in the clone, with the step's environment, against
the fake Notion API (its address is the one thing the test adds). Two runs: the second
one after an edit in Notion pushes one incremental commit.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from notion_syncd.fake_notion import (
    FakeClock,
    FakeNotionServer,
    Workspace,
    demo_edits,
    demo_workspace,
)

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "deploy" / "github-actions" / "notion-mirror.yml"
CONFIG = ROOT / "deploy" / "github-actions" / "notion-syncd.toml"
TOKEN = "secret_actions_token_0123456789"
#: The expressions the workflow may use in env: and what the simulation gives them.
EXPRESSIONS = {"secrets.NOTION_TOKEN": TOKEN, "github.token": "ghs_simulated"}


def _workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _steps() -> list[dict[str, Any]]:
    (job,) = _workflow()["jobs"].values()
    steps = job["steps"]
    assert isinstance(steps, list)
    return steps


def test_github_actions_workflow_triggers_and_permissions() -> None:
    """Scheduled and manual runs, write access to contents only, one run at a time."""
    workflow = _workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    (schedule,) = triggers["schedule"]
    assert len(schedule["cron"].split()) == 5
    assert "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "write"}
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_github_actions_steps_are_pinned_and_injection_free() -> None:
    """Actions pinned by commit SHA; no ${{ }} inside a shell script (secrets via env only)."""
    for step in _steps():
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
        if "run" in step:
            assert "${{" not in step["run"], step["name"]
        for value in step.get("env", {}).values():
            assert re.fullmatch(r"\$\{\{ ([\w.]+) \}\}", value)
    (checkout,) = [step for step in _steps() if step.get("uses", "").startswith("actions/checkout")]
    assert checkout["with"]["fetch-depth"] == 0, "the watermark and history need every commit"
    assert checkout["with"]["persist-credentials"] is False


def _zizmor(path: Path) -> subprocess.CompletedProcess[str]:
    zizmor = Path(sys.executable).parent / "zizmor"
    if not zizmor.exists():
        pytest.skip("zizmor is not installed (pip install zizmor)")
    return subprocess.run(
        [str(zizmor), "--offline", "--no-progress", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_github_actions_zizmor_finds_nothing() -> None:
    """zizmor, the GitHub Actions linter, has no finding (offline audits)."""
    result = _zizmor(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


def test_github_actions_zizmor_catches_a_finding(tmp_path: Path) -> None:
    """The lint is meaningful: a checkout that leaves the token in .git/config is reported."""
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "persist-credentials: false" in text
    copy = tmp_path / "notion-mirror.yml"
    copy.write_text(text.replace("          persist-credentials: false\n", ""))
    result = _zizmor(copy)
    assert result.returncode != 0
    assert "artipacked" in result.stdout


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True
    ).stdout


def _environment(server: FakeNotionServer) -> dict[str, str]:
    """A runner's environment: notion-syncd (this checkout) on PATH, the fake API's address."""
    return {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "HOME": os.environ.get("HOME", "/root"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "NOTION_SYNCD_NOTION__BASE_URL": server.base_url,
        "NOTION_SYNCD_NOTION__REQUESTS_PER_SECOND": "50",
    }


def _step_env(step: dict[str, Any]) -> dict[str, str]:
    env = {}
    for name, value in step.get("env", {}).items():
        expression = re.fullmatch(r"\$\{\{ ([\w.]+) \}\}", value)
        assert expression, value
        env[name] = EXPRESSIONS[expression.group(1)]
    return env


def _run_workflow(origin: Path, runner: Path, server: FakeNotionServer) -> list[str]:
    """One run: check out with full history, then each run: step; returns their outputs."""
    workspace = runner / "workspace"
    subprocess.run(["git", "clone", "--quiet", str(origin), str(workspace)], check=True)
    outputs = []
    for step in _steps():
        if "run" not in step:
            continue
        if "pip install" in step["run"]:
            assert re.search(r'pip install .*"notion-syncd==\d+\.\d+\.\d+"', step["run"])
            continue  # the package under test is already installed
        result = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
            cwd=workspace,
            env={**_environment(server), **_step_env(step)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"{step['name']}: {result.stdout}{result.stderr}"
        outputs.append(result.stdout + result.stderr)
    return outputs


@pytest.fixture
def notion() -> Iterator[tuple[FakeNotionServer, Workspace, FakeClock]]:
    clock = FakeClock(datetime.now(UTC) - timedelta(hours=2))
    workspace = Workspace(clock)
    demo_workspace(workspace)
    with FakeNotionServer(workspace, token=TOKEN) as server:
        yield server, workspace, clock


def _bootstrap(tmp_path: Path, server: FakeNotionServer) -> Path:
    """The documented bootstrap: a first sync into an empty folder, the workflow, a push."""
    mirror = tmp_path / "notion-mirror"
    (tmp_path / "first.toml").write_text(f'[export]\nrepo = "{mirror}"\n', encoding="utf-8")
    subprocess.run(
        ["notion-syncd", "sync", "--config", str(tmp_path / "first.toml")],
        env={**_environment(server), "NOTION_TOKEN": TOKEN},
        check=True,
        capture_output=True,
    )
    (mirror / ".github" / "workflows").mkdir(parents=True)
    (mirror / ".github" / "workflows" / "notion-mirror.yml").write_bytes(WORKFLOW.read_bytes())
    (mirror / ".github" / "notion-syncd.toml").write_bytes(CONFIG.read_bytes())
    _git(mirror, "add", ".github")
    _git(mirror, "-c", "user.name=admin", "-c", "user.email=a@example.com", "commit", "-qm", "CI")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(origin)], check=True)
    _git(mirror, "push", "--quiet", str(origin), "main")
    return origin


@pytest.mark.slow
def test_github_actions_workflow_keeps_the_mirror_up_to_date(
    tmp_path: Path, notion: tuple[FakeNotionServer, Workspace, FakeClock]
) -> None:
    """Two scheduled runs: nothing new, then an edit in Notion becomes one pushed commit."""
    server, workspace, clock = notion
    server.request_log.clear()
    origin = _bootstrap(tmp_path, server)
    full_export = server.request_log.count()
    bootstrapped = _git(origin, "rev-parse", "main").strip()

    quiet = _run_workflow(origin, tmp_path / "run1", server)
    assert "0 added" in quiet[0]
    assert _git(origin, "rev-list", "--count", f"{bootstrapped}..main").strip() in {"0", "1"}
    before = _git(origin, "rev-parse", "main").strip()

    clock.advance(minutes=10)
    demo_edits(workspace)
    server.request_log.clear()
    edited = _run_workflow(origin, tmp_path / "run2", server)
    new = _git(origin, "rev-list", f"{before}..main").split()
    assert len(new) == 1, "one incremental commit pushed"
    changed = _git(origin, "show", "--name-only", "--format=", new[0]).split("\n")
    assert any(name.endswith(".md") for name in changed)
    assert ".github/workflows/notion-mirror.yml" not in changed
    tree = _git(origin, "ls-tree", "-r", "--name-only", "main").split("\n")
    assert ".github/workflows/notion-mirror.yml" in tree, "the workflow survives the sync"
    # Incremental: the watermark and index came from the clone, so the pages the edits
    # did not touch are skipped (a full export would fetch them all again).
    summary = next(line for line in "\n".join(edited).splitlines() if " unchanged" in line)
    assert " 0 unchanged" not in summary, summary
    assert server.request_log.count() < full_export, "incremental: fewer requests than an export"
    fsck = subprocess.run(["git", "-C", str(origin), "fsck", "--strict"], capture_output=True)
    assert fsck.returncode == 0

"""Checks of the shipped systemd units with systemd-analyze (no running systemd needed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The daemon units: source file -> the name it is verified under.
UNITS = {
    "notion-syncd.service": "notion-syncd.service",
    "notion-syncd@.service": "notion-syncd@test.service",
}
#: Every service unit (the daemons and the oneshot the timer starts).
SERVICES = {**UNITS, "notion-syncd-sync.service": "notion-syncd-sync.service"}
#: systemd-analyze security --threshold is on a 0-100 scale: 15 means exposure <= 1.5.
EXPOSURE_THRESHOLD = 15
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")

needs_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None,
    reason="systemd-analyze is not installed (the CI script installs Debian's systemd package)",
)


def _entry_point() -> Path:
    """The notion-syncd script of the interpreter running the tests (an existing binary)."""
    script = Path(sys.executable).parent / "notion-syncd"
    if not script.exists():
        pytest.skip(f"{script} is missing: install the package (pip install -e .)")
    return script


def _installable_copy(source: str, target_name: str, directory: Path) -> Path:
    """The unit copied under ``target_name`` with ExecStart= pointing at a real binary."""
    text = (ROOT / "systemd" / source).read_text(encoding="utf-8")
    text = text.replace("ExecStart=/usr/bin/notion-syncd", f"ExecStart={_entry_point()}")
    path = directory / target_name
    path.write_text(text, encoding="utf-8")
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    return subprocess.run(
        [SYSTEMD_ANALYZE, *args], capture_output=True, text=True, timeout=60, check=False
    )


@needs_analyze
@pytest.mark.parametrize("source", sorted(SERVICES))
def test_systemd_unit_verify_prints_nothing(source: str, tmp_path: Path) -> None:
    """systemd-analyze verify has no finding at all (it exits 0 even on warnings)."""
    unit = _installable_copy(source, SERVICES[source], tmp_path)
    result = _run("verify", "--man=no", str(unit))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""


@needs_analyze
@pytest.mark.parametrize("source", sorted(SERVICES))
def test_systemd_unit_security_exposure_at_most_1_5(source: str, tmp_path: Path) -> None:
    """systemd-analyze security rates the unit's exposure 1.5 or better."""
    unit = _installable_copy(source, SERVICES[source], tmp_path)
    result = _run("security", "--offline=true", f"--threshold={EXPOSURE_THRESHOLD}", str(unit))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match is not None
    assert float(match.group(1)) <= EXPOSURE_THRESHOLD / 10


@needs_analyze
def test_systemd_unit_verify_catches_a_typo(tmp_path: Path) -> None:
    """The verify check is meaningful: a misspelt directive produces output."""
    unit = _installable_copy("notion-syncd.service", "notion-syncd.service", tmp_path)
    unit.write_text(unit.read_text().replace("UMask=0077", "UMsk=0077"))
    result = _run("verify", "--man=no", str(unit))
    assert "UMsk" in result.stderr


@pytest.mark.parametrize("source", [*sorted(SERVICES), "notion-syncd-sync.timer"])
def test_systemd_unit_every_directive_commented(source: str) -> None:
    """Every directive line is directly preceded by a comment line saying why."""
    lines = (ROOT / "systemd" / source).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.startswith(("#", ";")):
            assert lines[number - 1].startswith("#"), f"line {number + 1} lacks a comment: {line}"


@pytest.mark.parametrize("source", sorted(UNITS))
def test_systemd_unit_contract_directives(source: str) -> None:
    """The directives the daemon relies on are present with the values it expects."""
    text = (ROOT / "systemd" / source).read_text(encoding="utf-8")
    directives = {line.split("=", 1)[0] for line in text.splitlines() if "=" in line}
    for expected in (
        "Type=notify",
        "NotifyAccess=main",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "RestartSec=15s",
        "RestartPreventExitStatus=78",
        "DynamicUser=yes",
        "UMask=0077",
    ):
        assert f"\n{expected}\n" in text
    assert {"WatchdogSec", "TimeoutStopSec", "StateDirectory", "LoadCredential"} <= directives
    assert " run --config " in text
    if "@" in source:
        assert "StateDirectory=notion-syncd-%i" in text
        assert "%E/notion-syncd/%i.toml" in text


def _directives(source: str) -> dict[str, list[str]]:
    """Each directive of a shipped unit with its values, in order."""
    found: dict[str, list[str]] = {}
    for line in (ROOT / "systemd" / source).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", ";")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_systemd_unit_state_directories_do_not_nest() -> None:
    """The single and the template unit can run on one host (nesting fails with exit 238)."""
    single = _directives("notion-syncd.service")["StateDirectory"][0]
    template = _directives("notion-syncd@.service")["StateDirectory"][0]
    instance = template.replace("%i", "work")
    assert single == "notion-syncd"
    assert not instance.startswith(f"{single}/")
    assert not single.startswith(f"{instance}/")
    assert _directives("notion-syncd@.service")["Environment"][0] == f"HOME=%S/{template}"


@pytest.mark.parametrize("source", sorted(SERVICES))
def test_systemd_unit_runs_as_background_work(source: str) -> None:
    """Every service yields CPU and disk to interactive work."""
    directives = _directives(source)
    assert directives["Nice"] == ["10"]
    assert directives["IOSchedulingClass"] == ["idle"]


def test_systemd_unit_timer_starts_the_oneshot_sync() -> None:
    """The timer alternative: a oneshot `sync` sharing the daemon's user and state."""
    service = _directives("notion-syncd-sync.service")
    daemon = _directives("notion-syncd.service")
    assert service["Type"] == ["oneshot"]
    assert service["ExecStart"] == [
        "/usr/bin/notion-syncd sync --config %E/notion-syncd/config.toml"
    ]
    assert service["User"] == ["notion-syncd"]
    assert service["StateDirectory"] == daemon["StateDirectory"]
    assert service["LoadCredential"] == daemon["LoadCredential"]
    assert "WatchdogSec" not in service
    assert "Restart" not in service
    timer = _directives("notion-syncd-sync.timer")
    assert timer["OnUnitInactiveSec"] == ["5min"]
    assert timer["WantedBy"] == ["timers.target"]
    assert "Unit" not in timer  # the timer starts the service of its own name


@needs_analyze
def test_systemd_unit_timer_verify_prints_nothing(tmp_path: Path) -> None:
    """The timer verifies cleanly beside the service it starts."""
    _installable_copy("notion-syncd-sync.service", "notion-syncd-sync.service", tmp_path)
    timer = tmp_path / "notion-syncd-sync.timer"
    timer.write_text((ROOT / "systemd" / "notion-syncd-sync.timer").read_text(encoding="utf-8"))
    result = _run("verify", "--man=no", str(timer))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")

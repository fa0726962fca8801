"""requirements.lock (the image's dependencies) covers pyproject's dependencies, with hashes."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
#: Where the image runs: CPython 3.11 on Linux (the Dockerfile's base).
IMAGE_ENVIRONMENT = {
    **default_environment(),
    "python_version": "3.11",
    "python_full_version": "3.11.14",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "extra": "",
}


def _locked() -> dict[str, tuple[Version, list[str]]]:
    """Each locked package: its version and its hashes."""
    text = LOCK.read_text(encoding="utf-8")
    entries: dict[str, tuple[Version, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", block)
        if match:
            hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", block)
            entries[canonicalize_name(match.group(1))] = (Version(match.group(2)), hashes)
    return entries


def _declared() -> list[Requirement]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [Requirement(line) for line in pyproject["project"]["dependencies"]]


def test_lock_pins_every_declared_dependency_within_its_range() -> None:
    """Each dependency of pyproject.toml is locked at a version its specifier allows."""
    locked = _locked()
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is missing from requirements.lock: run ./scripts/lock"
        assert requirement.specifier.contains(locked[name][0], prereleases=True), (
            f"{name}=={locked[name][0]} is outside {requirement.specifier}: run ./scripts/lock"
        )


def test_lock_has_hashes_for_every_package() -> None:
    """pip --require-hashes accepts the file: every package carries at least one sha256."""
    locked = _locked()
    assert len(locked) >= len(_declared())
    for name, (_, hashes) in locked.items():
        assert hashes, f"{name} has no hash"
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", LOCK.read_text(encoding="utf-8"), re.M)
    assert len(pins) == len(locked), "every pin is parsed"


def test_lock_is_closed_under_dependencies() -> None:
    """Every requirement (on Linux, Python 3.11) of a locked package is locked too."""
    locked = _locked()
    for name in locked:
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker and not requirement.marker.evaluate(IMAGE_ENVIRONMENT):
                continue
            assert canonicalize_name(requirement.name) in locked, f"{name} needs {line}"

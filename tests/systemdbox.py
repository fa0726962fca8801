"""A real systemd booted as PID 1 in private namespaces, for running the shipped units.

The box is ``unshare --pid --mount --uts --ipc --cgroup`` around an overlay of the host's
root file system (writes go to a tmpfs and vanish with the box), with fresh ``/run`` and
``/tmp``; systemd starts ``basic.target`` only. The network namespace is the host's, so
a fake Notion API on the host's loopback is reachable from the units. Needs root, the
``systemd`` package and a system Python of the test interpreter's version (the units'
sandbox hides /root and /home, where a pyenv or a venv interpreter may live).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SYSTEMD = Path("/lib/systemd/systemd")
SYSTEM_PYTHON = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")

#: New namespaces for everything but the network; mounts stay inside the box.
UNSHARE = ("unshare", "--pid", "--fork", "--mount", "--uts", "--ipc", "--cgroup")
UNSHARE += ("--propagation", "private")

_BOOT = r"""
set -eu
stage=$1
box=$(mktemp -d /tmp/systemdbox.XXXXXX)
mount -t tmpfs tmpfs "$box"
mkdir "$box/upper" "$box/work" "$box/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$box/upper,workdir=$box/work" "$box/root"
cp -a "$stage/." "$box/root/"
mount -t proc proc "$box/root/proc"
mount --rbind /sys "$box/root/sys"
mount --rbind /dev "$box/root/dev"
mount -t tmpfs tmpfs "$box/root/run"
mount -t tmpfs tmpfs "$box/root/tmp"
cd "$box/root"
mkdir -p .oldroot
pivot_root . .oldroot
umount -l /.oldroot
# systemd skips making / shared inside a container; credentials need the propagation.
mount --make-rshared /
exec env container=systemdbox /lib/systemd/systemd --system --log-target=journal \
    --unit=basic.target </dev/null
"""


def unavailable_reason() -> str | None:
    """Why no box can be booted here, or None when it can."""
    if os.geteuid() != 0:
        return "booting systemd in namespaces needs root"
    if not SYSTEMD.exists() or shutil.which("unshare") is None or shutil.which("nsenter") is None:
        return "systemd or util-linux (unshare, nsenter) is not installed"
    if not SYSTEM_PYTHON.exists():
        return f"{SYSTEM_PYTHON} is missing (the units cannot see a Python under /root)"
    for path in _python_path():
        if path.startswith(("/root", "/home", "/tmp")):
            return f"{path} is hidden from the units by ProtectHome=/PrivateTmp="
        for directory in [Path(path), *Path(path).parents]:
            if not directory.stat().st_mode & 0o001:
                return f"{directory} is not searchable by the units' dynamic user"
    return None


def _python_path() -> list[str]:
    """Where the units' Python finds notion_syncd and its dependencies."""
    checkout = str(Path(__file__).resolve().parents[1])
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([checkout, paths["purelib"], paths["platlib"]]))


def wrapper_script() -> str:
    """/usr/bin/notion-syncd inside the box: this checkout run by the system Python."""
    return (
        "#!/bin/sh\n"
        f'PYTHONPATH={":".join(_python_path())} exec {SYSTEM_PYTHON} -m notion_syncd "$@"\n'
    )


class Box:
    """A booted systemd; ``run`` executes a command inside all of its namespaces."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    @property
    def root(self) -> Path:
        """The box's root file system, seen from the host."""
        return Path(f"/proc/{self.pid}/root")

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["nsenter", "-t", str(self.pid), "-a", *command],
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
        )

    def state(self) -> str:
        """What systemctl is-system-running says (empty while systemd starts its bus)."""
        return self.run("systemctl", "is-system-running", check=False).stdout.strip()

    def show(self, unit: str, prop: str) -> str:
        return self.run("systemctl", "show", "-p", prop, "--value", unit).stdout.strip()

    def wait_for(self, what: str, condition: object, timeout: float = 60.0) -> None:
        """Poll ``condition()`` until true; fail with the journal after ``timeout`` seconds."""
        assert callable(condition)
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                journal = self.run("journalctl", "--no-pager", "-n", "40", check=False).stdout
                raise AssertionError(f"timed out waiting for {what}\n{journal}")
            time.sleep(0.5)


@contextmanager
def booted(stage: Path) -> Iterator[Box]:
    """Boot a box whose root is the host's overlaid with the files under ``stage``."""
    script = stage.parent / "boot.sh"
    script.write_text(_BOOT, encoding="utf-8")
    log = (stage.parent / "boot.log").open("w", encoding="utf-8")
    unshare = subprocess.Popen(
        [*UNSHARE, "bash", str(script), str(stage)],
        stdout=log,
        stderr=log,
    )
    pid = 0
    try:
        pid = _systemd_pid(unshare)
        box = Box(pid)
        # "degraded": some unit of the host's basic.target failed; ours are checked one by one.
        box.wait_for("the box to boot", lambda: box.state() in {"running", "degraded"})
        yield box
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)  # PID 1 of the box: the whole box goes with it
        unshare.wait(timeout=30)
        log.close()


def _systemd_pid(unshare: subprocess.Popen[bytes]) -> int:
    """The PID (in the host's namespace) of the box's systemd, once it runs."""
    deadline = time.monotonic() + 30
    children = Path(f"/proc/{unshare.pid}/task/{unshare.pid}/children")
    while time.monotonic() < deadline:
        if unshare.poll() is not None:
            raise AssertionError(f"the box did not boot (exit {unshare.returncode}), see boot.log")
        for child in children.read_text().split():
            if Path(f"/proc/{child}/exe").resolve() == SYSTEMD.resolve():
                return int(child)
        time.sleep(0.1)
    raise AssertionError("systemd did not start in the box within 30 s")

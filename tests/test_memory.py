"""Process-wide memory bounds set at start-up."""

from __future__ import annotations

import subprocess
import sys


def test_memory_limit_malloc_arenas_applies_on_glibc() -> None:
    """On glibc the arena bound is applied, unless MALLOC_ARENA_MAX is set explicitly."""
    code = "from notion_syncd.memory import limit_malloc_arenas; print(limit_malloc_arenas())"
    env_free = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)},
    )
    explicit = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path), "MALLOC_ARENA_MAX": "4"},
    )
    assert env_free.stdout.strip() == "True"
    assert explicit.stdout.strip() == "False"

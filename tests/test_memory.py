"""Process-wide memory bounds set at start-up."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _python(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter with a minimal environment; its output."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path), **env},
    ).stdout


def test_memory_limit_malloc_arenas_applies_on_glibc() -> None:
    """On glibc the arena bound is applied, unless MALLOC_ARENA_MAX is set explicitly."""
    code = "from notion_syncd.memory import limit_malloc_arenas; print(limit_malloc_arenas())"
    env_free = _python(code)
    explicit = _python(code, MALLOC_ARENA_MAX="4")
    assert env_free.strip() == "True"
    assert explicit.strip() == "False"


TRIM_PROBE = """
import sys

import pytest
from pathlib import Path
from notion_syncd.memory import release_free_memory

def rss_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

blocks = [bytes(1000) for _ in range(40_000)]  # ~40 MB from malloc (over pymalloc 512 B)
last = blocks[-1]  # a live block at the top: glibc cannot shrink the heap by itself
del blocks
before = rss_kb()
released = release_free_memory()
print(released, before - rss_kb())
"""


@pytest.mark.skipif(sys.platform != "linux", reason="malloc_trim is glibc's")
def test_memory_release_free_memory_returns_freed_heap_pages() -> None:
    """Freed small blocks below a live one go back to the system after the call."""
    out = _python(TRIM_PROBE).split()
    assert out[0] == "True"
    assert int(out[1]) > 20_000  # kB given back

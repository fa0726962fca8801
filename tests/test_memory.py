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


MMAP_PROBE = """
from pathlib import Path
from notion_syncd.memory import fix_mmap_threshold

def heap_kb():
    heap = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if "-" in line.split(" ")[0] and " " in line:
            heap = line.rstrip().endswith("[heap]")
        elif heap and line.startswith("Rss:"):
            return int(line.split()[1])
    return 0

print(fix_mmap_threshold())
block = bytearray(4 << 20)  # freed: without the fix, glibc raises its threshold to 4 MiB
del block
before = heap_kb()
buffers = [bytearray(1 << 20) for _ in range(8)]  # as the index's 1 MiB read buffers
for buffer in buffers:
    buffer[::4096] = b"x" * len(buffer[::4096])  # touched, as a read buffer is
print(heap_kb() - before)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="mallopt is glibc's")
def test_memory_large_blocks_stay_out_of_the_heap() -> None:
    """With the threshold fixed, 1 MiB buffers are mapped on their own (unmapped when
    freed); once glibc raised its threshold they come from the heap (the probe sees both)."""
    fixed = _python(MMAP_PROBE).split()
    assert fixed[0] == "True" and int(fixed[1]) < 2_000  # kB
    raised = _python(MMAP_PROBE.replace("print(fix_mmap_threshold())", "print(False)")).split()
    assert int(raised[1]) > 6_000
    explicit = _python(MMAP_PROBE, MALLOC_MMAP_THRESHOLD_="262144").split()
    assert explicit[0] == "False"


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

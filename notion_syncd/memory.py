"""Process-wide memory bounds, set once at start-up before any thread exists.

glibc gives each thread that allocates its own malloc arena (up to 8 per core), and an
arena's freed memory is rarely returned to the system. With 8 fetch workers, the
mirror writer and the client's threads, RSS grew with the export although live Python
data stayed under 27 MB (issue 10: ``MALLOC_ARENA_MAX=2`` alone took the peak of a
10,000-page export from 257 to 181 MB). Two arenas keep the workers from contending on
one lock while bounding what they can hold. ``mallopt`` applies it from inside the
process, so the systemd unit, the container and a shell get the same bound; an
explicit ``MALLOC_ARENA_MAX`` in the environment wins.

Freed memory inside glibc's heaps also stays with the process: glibc gives back only
the top of its main heap, and one live block there keeps everything below it. With
in-use memory flat at ~17 MB, RSS of a 10,000-page export still rose about 2 MB per
1,000 objects. ``release_free_memory`` (``malloc_trim(0)``) after each commit hands the
free pages back: measured on a 2,000-page export (all formats, a commit every 200
objects), each call released 4–8 MB, RSS at the commits went from 74–80 to 71–74 MB
(slope after 1,000 objects 4.4 → 1.1 MB per 1,000) for 0.6–2.5 ms a call.
At 10,000 pages the slope measured after the commits is 0.66 MB per 1,000 objects.
Tried and not kept: a second trim just before each commit's git work (10,000 pages:
peak 109.0 against 110.2 MB, slope 0.68 against 0.66; the commits' spikes reach 100 MB
either way).

Large blocks are mapped on their own (``fix_mmap_threshold``): glibc serves a block of
at least ``M_MMAP_THRESHOLD`` (128 KiB) with a mapping of its own, unmapped when freed,
but raises that threshold to the size of each such block freed, up to 32 MiB. After the
first 1 MiB read buffer of a commit's index work was freed, every later one came from
the heap, where the small blocks allocated between them kept the heap from shrinking
until the commit's trim: a first export's commits lifted the heap by 11 MB at 20,000
pages and 14 MB at 50,000 (the peak of both exports, ``bench_scale.py`` with
``/proc/self/smaps``). A fixed threshold keeps glibc from raising it: at 20,000 pages
the heap at the peak stayed at 18 MB instead of 30, the peak went from 104.6 to 100.6
MB, in the same time. (At 2,000 pages, whose index is small, it made no difference.)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys
from collections.abc import Callable
from typing import cast

MALLOC_ARENAS = 2
MMAP_THRESHOLD = 128 * 1024
"""glibc's own starting value, kept fixed."""
_M_ARENA_MAX = -8  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Bound glibc's malloc arenas; False where that is not glibc or already set."""
    return _mallopt("MALLOC_ARENA_MAX", _M_ARENA_MAX, arenas)


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Keep glibc from raising its mmap threshold; False where that is not glibc or
    ``MALLOC_MMAP_THRESHOLD_`` is set already (an explicit setting wins)."""
    return _mallopt("MALLOC_MMAP_THRESHOLD_", _M_MMAP_THRESHOLD, threshold)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library, looked up once (``find_library`` runs ``ldconfig``); None if none."""
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name is not None else None


def _mallopt(variable: str, parameter: int, value: int) -> bool:
    """glibc's ``mallopt(parameter, value)`` unless ``variable`` sets it in the environment."""
    if os.environ.get(variable):
        return False
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:  # musl and others: no such settings
        return False
    return bool(mallopt(parameter, value))


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where there is none (musl, macOS)."""
    if sys.platform != "linux":
        return None
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return cast("Callable[[int], int]", trim)


def release_free_memory() -> bool:
    """Give the memory malloc holds free back to the system; False where not glibc.

    glibc returns freed memory only from the top of its main heap, so a heap whose top
    stays in use keeps every freed page below it; ``malloc_trim(0)`` also releases the
    free pages inside the heap and the arenas (``madvise``). Called once per commit;
    it walks the free lists, so not per object.
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True

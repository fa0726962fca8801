"""Process-wide memory bounds, set once at start-up before any thread exists.

glibc gives each thread that allocates its own malloc arena (up to 8 per core), and an
arena's freed memory is rarely returned to the system. With 8 fetch workers, the
mirror writer and the client's threads, RSS grew with the export although live Python
data stayed under 27 MB (issue 10: ``MALLOC_ARENA_MAX=2`` alone took the peak of a
10,000-page export from 257 to 181 MB). Two arenas keep the workers from contending on
one lock while bounding what they can hold. ``mallopt`` applies it from inside the
process, so the systemd unit, the container and a shell get the same bound; an
explicit ``MALLOC_ARENA_MAX`` in the environment wins.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Bound glibc's malloc arenas; False where that is not glibc or already set."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None)
    if mallopt is None:  # musl and others: no arenas to bound
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))

"""Watch the config file and ask for a reload when its content changes.

The file's *directory* is watched (editors save by writing a temporary file and
renaming it over the original, which a watch on the file itself would lose; Kubernetes
swaps a ``..data`` symlink). Events are debounced: the callback runs once the
directory has been quiet for ``debounce`` seconds. Reading the file ourselves
produces only open/close-without-write events, which are ignored, so a reload cannot
trigger another one. The daemon compares the file's content with what it loaded last
and reloads only on a real change.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import structlog
from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

log = structlog.get_logger(__name__)

_CHANGES = (FileModifiedEvent, FileCreatedEvent, FileMovedEvent, FileClosedEvent)


class _Handler(FileSystemEventHandler):
    def __init__(self, names: set[str], changed: Callable[[], None]) -> None:
        self._names = names
        self._changed = changed

    def on_any_event(self, event: FileSystemEvent) -> None:
        if not isinstance(event, _CHANGES):
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        for path in paths:
            name = os.path.basename(os.fsdecode(path)) if path else ""
            if name in self._names or name.startswith(".."):
                self._changed()
                return


class ConfigWatcher:
    """Calls ``on_change()`` (from its own thread) after the config file changed."""

    def __init__(self, path: Path, on_change: Callable[[], None], debounce: float = 0.5) -> None:
        self.path = path
        self._on_change = on_change
        self._debounce = debounce
        self._lock = threading.Lock()
        self._last_event: float | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._observer = Observer()
        self._observer.daemon = True
        self._thread = threading.Thread(target=self._run, name="config-watch", daemon=True)

    def start(self) -> None:
        handler = _Handler({self.path.name}, self._event)
        self._observer.schedule(handler, str(self.path.parent), recursive=False)
        self._observer.start()
        self._thread.start()

    def _event(self) -> None:
        with self._lock:
            self._last_event = time.monotonic()
        self._wake.set()

    def _run(self) -> None:
        handled: float | None = None
        while not self._stop.is_set():
            self._wake.wait()
            last: float | None = None
            while not self._stop.is_set():
                with self._lock:
                    last = self._last_event
                    self._wake.clear()
                quiet = time.monotonic() - last if last is not None else self._debounce
                if quiet >= self._debounce:
                    break
                self._stop.wait(self._debounce - quiet)
            if self._stop.is_set():
                return
            if last is None or last == handled:
                continue  # woken by events already covered by the last callback
            handled = last
            try:
                self._on_change()
            except Exception:  # the watcher must survive a failing callback
                log.exception("config.watch_failed")

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._observer.stop()
        if self._observer.is_alive():
            self._observer.join(timeout=5)
        if self._thread.is_alive():
            self._thread.join(timeout=5)

"""A one-thread apscheduler executor whose worker is a daemon thread.

apscheduler's own ``ThreadPoolExecutor`` uses :mod:`concurrent.futures`, whose
workers are joined at interpreter exit: a sync stuck in a stalled HTTP read would
then keep the process alive past systemd's ``TimeoutStopSec=``. Our worker is a
daemon thread, so shutdown waits for it only as long as the daemon chooses (the
sync checks the stop event between pages; an abandoned sync is redone at the next
start, exactly like after SIGKILL).

One worker per executor also means jobs on it never overlap: the sync executor
runs the poll and the sweep one after the other, never two syncs at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from apscheduler.executors.pool import BasePoolExecutor

_Work = tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]


class DaemonWorker:
    """The part of a ``concurrent.futures`` pool apscheduler uses, on one daemon thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._shut_down = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._shut_down:
                raise RuntimeError(f"worker {self.name} is shut down")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            self._queue.put((future, fn, args))
        return future

    def _run(self) -> None:
        while (work := self._queue.get()) is not None:
            future, fn, args = work
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args)
            except BaseException as exc:  # handed to the future, like concurrent.futures
                future.set_exception(exc)
            else:
                future.set_result(result)

    def shutdown(self, wait: bool = True) -> None:
        """Refuse new jobs; the worker ends after the jobs already queued.

        Job functions check the daemon's stop event first, so queued jobs return at once.
        """
        with self._lock:
            self._shut_down = True
            thread = self._thread
        self._queue.put(None)
        if wait and thread is not None:
            thread.join()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker to finish; True if it has (or never started)."""
        with self._lock:
            thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()


class DaemonThreadExecutor(BasePoolExecutor):  # type: ignore[misc]  # apscheduler 3 is untyped
    """apscheduler executor running jobs one at a time on a :class:`DaemonWorker`."""

    def __init__(self, name: str) -> None:
        self.worker = DaemonWorker(name)
        super().__init__(self.worker)

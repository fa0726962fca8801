"""The systemd notify protocol (sd_notify(3)), without dependencies.

Modelled on systemd's MIT-0 ``man/notify-selfcontained-example.py``: one new
``AF_UNIX``/``SOCK_DGRAM`` socket per message, ``@`` names an abstract socket, the
payload is UTF-8. Not the ``sdnotify`` package: it encodes latin-1 and silently drops
any datagram with other characters, so a page title with an emoji in ``STATUS=``
would kill the watchdog ping sent in the same datagram.

Without ``$NOTIFY_SOCKET`` (not started by systemd) every call does nothing. No call
ever raises: systemd recommends ignoring failures to notify.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Mapping

import structlog

log = structlog.get_logger(__name__)

#: Longest STATUS= text we send; ``systemctl status`` shows one line anyway.
MAX_STATUS_CHARS = 400
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def one_line(text: str, limit: int = MAX_STATUS_CHARS) -> str:
    """``text`` with newlines and control characters collapsed to single spaces."""
    flat = " ".join(_CONTROL.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _socket_address(value: str | None) -> str | bytes | None:
    if not value:
        return None
    if value.startswith("@"):
        return b"\0" + value[1:].encode("utf-8")
    if value.startswith("/"):
        return value
    return None  # vsock and other families: not supported, stay silent


def watchdog_interval(
    environ: Mapping[str, str] | None = None, pid: int | None = None
) -> float | None:
    """Seconds of ``WatchdogSec=`` if the watchdog applies to this process, else None.

    ``$WATCHDOG_PID``, when set, must be our PID (sd_watchdog_enabled(3)).
    """
    env = os.environ if environ is None else environ
    own_pid = os.getpid() if pid is None else pid
    watchdog_pid = env.get("WATCHDOG_PID", "").strip()
    if watchdog_pid and watchdog_pid != str(own_pid):
        return None
    try:
        usec = int(env.get("WATCHDOG_USEC", "").strip())
    except ValueError:
        return None
    return usec / 1_000_000 if usec > 0 else None


class Notifier:
    """Sends notifications to ``$NOTIFY_SOCKET``; a no-op when it is not set."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._address = _socket_address(env.get("NOTIFY_SOCKET"))

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def send(self, *fields: str) -> bool:
        """Send ``KEY=VALUE`` fields in one datagram; True if it was delivered."""
        if self._address is None or not fields:
            return False
        message = "\n".join(fields).encode("utf-8", errors="replace")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self._address)
                sock.sendall(message)
        except (OSError, ValueError) as exc:  # ValueError: a NUL inside a path
            log.debug("notify.failed", error=getattr(exc, "strerror", None) or type(exc).__name__)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """Startup (or a reload) finished."""
        return self.send("READY=1", *self._status_field(status))

    def status(self, text: str) -> bool:
        """One line of human-readable progress for ``systemctl status``."""
        return self.send(*self._status_field(text))

    def watchdog(self) -> bool:
        """Keep-alive ping for ``WatchdogSec=``."""
        return self.send("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> bool:
        """Shutdown began."""
        return self.send("STOPPING=1", *self._status_field(status))

    def reloading(self, status: str | None = None) -> bool:
        """A reload began; must be followed by :meth:`ready`."""
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.send("RELOADING=1", f"MONOTONIC_USEC={usec}", *self._status_field(status))

    @staticmethod
    def _status_field(text: str | None) -> tuple[str, ...]:
        return () if text is None else (f"STATUS={one_line(text)}",)

"""Logging: structlog to stdout, with secrets redacted from every line.

Lines are JSON when stdout is not a terminal and human-readable on a terminal.
Event names are ``noun.verb`` (``sync.finished``); timestamps are ISO 8601 UTC.

Redaction runs on every event, from structlog and from stdlib loggers alike:

1. keys that name a secret (``authorization``, ``token``, ``*_token``, ``*_secret``,
   ``password``, ``headers``, ``cookie``) have their whole value replaced;
2. every string value, nested ones and rendered exceptions included, is scrubbed of
   Notion token patterns (``ntn_…``, ``secret_…``) and of every value passed to
   :func:`register_secret` (the configured Notion token, git tokens);
3. the rendered line is scrubbed once more, which catches values that only become
   strings in the renderer (``repr`` of an object holding a token).

Tracebacks never show local variables (structlog's default would: a token held in a
local would land in the log on the first exception).
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TextIO

import structlog
from structlog.dev import ConsoleRenderer, plain_traceback
from structlog.processors import (
    ExceptionRenderer,
    JSONRenderer,
    StackInfoRenderer,
    TimeStamper,
    format_exc_info,
)
from structlog.tracebacks import ExceptionDictTransformer
from structlog.types import EventDict, Processor, WrappedLogger

__all__ = [
    "REDACTED",
    "configure_logging",
    "register_secret",
    "reset_logging",
    "scrub",
]

REDACTED = "[REDACTED]"
LogFormat = Literal["auto", "json", "console"]

#: Loggers of libraries we use; they log at WARNING and above only.
QUIET_LIBRARIES = ("httpx", "httpcore", "apscheduler", "watchdog", "urllib3", "asyncio")
#: Registered secrets shorter than this are ignored: scrubbing them would mangle logs.
MIN_SECRET_LENGTH = 4

_SECRET_KEY = re.compile(
    r"^(authorization|proxy[-_]authorization|password|passwd|passphrase|headers|cookie"
    r"|set[-_]cookie|token|secret|.*[-_]token|.*[-_]secret|.*[-_]password)$",
    re.IGNORECASE,
)
_TOKEN_PATTERN = re.compile(r"(?<![A-Za-z0-9_])(?:ntn|secret)_[A-Za-z0-9]+")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
_LEVELS |= {"error": logging.ERROR, "critical": logging.CRITICAL}

_secrets_lock = threading.Lock()
_secrets: tuple[str, ...] = ()
_handler: logging.Handler | None = None


def register_secret(value: str | None) -> None:
    """Scrub ``value`` from every later log line (and from lines of other threads)."""
    global _secrets
    if value is None or len(value.strip()) < MIN_SECRET_LENGTH:
        return
    with _secrets_lock:
        if value not in _secrets:
            # Longest first, so a secret containing another is replaced whole.
            _secrets = tuple(sorted({*_secrets, value, value.strip()}, key=len, reverse=True))


def clear_secrets() -> None:
    """Forget every registered secret (for tests)."""
    global _secrets
    with _secrets_lock:
        _secrets = ()


def scrub(text: str) -> str:
    """``text`` with registered secrets and Notion token patterns replaced."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _TOKEN_PATTERN.sub(REDACTED, text)


def _redact_value(key: object, value: Any) -> Any:
    if isinstance(key, str) and _SECRET_KEY.match(key) and value is not None:
        return REDACTED
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {k: _redact_value(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(None, item) for item in value]
    if isinstance(value, BaseException):
        return scrub(f"{type(value).__name__}: {value}")
    return value


def redact_secrets(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: key-based redaction and value scrubbing, recursively."""
    for key in list(event_dict):
        if key in ("exc_info", "_record", "_from_structlog"):
            continue
        event_dict[key] = _redact_value(key, event_dict[key])
    return event_dict


_FIRST_KEYS = ("timestamp", "level", "event", "logger")


def _order_keys(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    """Timestamp, level, event and logger first in JSON lines, then the rest as logged."""
    first = {key: event_dict[key] for key in _FIRST_KEYS if key in event_dict}
    return first | {key: value for key, value in event_dict.items() if key not in first}


def _scrub_rendered(_logger: WrappedLogger, _name: str, rendered: Any) -> Any:
    """Last processor: scrub the rendered line itself."""
    return scrub(rendered) if isinstance(rendered, str) else rendered


def _wants_json(fmt: LogFormat | str, stream: TextIO) -> bool:
    if fmt == "json":
        return True
    if fmt == "console":
        return False
    isatty = getattr(stream, "isatty", None)
    return not (callable(isatty) and isatty())


def _shared_processors() -> list[Processor]:
    """Run on every event before redaction, from structlog and from stdlib loggers."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.stdlib.ExtraAdder(),
        TimeStamper(fmt="iso", utc=True),
        StackInfoRenderer(),
    ]


def _render_processors(json_lines: bool, stream: TextIO) -> list[Processor]:
    """Exception rendering (without locals), redaction, rendering, final scrub."""
    if json_lines:
        exceptions: Processor = ExceptionRenderer(ExceptionDictTransformer(show_locals=False))
        renderers: list[Processor] = [
            _order_keys,
            JSONRenderer(sort_keys=False, ensure_ascii=False),
        ]
    else:
        # format_exc_info renders a plain traceback (no locals) into the "exception" key,
        # so redaction sees it; the console renderer then prints that string.
        exceptions = format_exc_info
        isatty = getattr(stream, "isatty", None)
        renderers = [
            ConsoleRenderer(
                colors=bool(callable(isatty) and isatty()),
                exception_formatter=plain_traceback,
            )
        ]
    return [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        exceptions,
        redact_secrets,
        *renderers,
        _scrub_rendered,
    ]


def configure_logging(
    level: str = "info",
    fmt: LogFormat | str = "auto",
    stream: TextIO | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Send structlog and stdlib logging to ``stream`` (default: stdout), redacted.

    ``level`` is ``debug``/``info``/``warning``/``error``; ``fmt`` is ``auto`` (JSON
    unless ``stream`` is a terminal), ``json`` or ``console``. ``secrets`` are
    registered with :func:`register_secret`. Safe to call again (it replaces the
    previous setup), e.g. after a config reload changed the level.
    """
    global _handler
    output = sys.stdout if stream is None else stream
    for secret in secrets:
        register_secret(secret)
    numeric_level = _LEVELS.get(str(level).lower())
    if numeric_level is None:
        raise ValueError(f"unknown log level {level!r}")
    json_lines = _wants_json(fmt, output)

    shared = _shared_processors()
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=_render_processors(json_lines, output),
    )
    handler = logging.StreamHandler(output)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    root.setLevel(numeric_level)
    # Add the new handler before removing the old one: a record logged in between must
    # never fall through to logging.lastResort, which would print it unredacted.
    root.addHandler(handler)
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
    _handler = handler
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, numeric_level))

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: a later configure_logging() (reload, tests) must reach every logger.
        cache_logger_on_first_use=False,
    )


def reset_logging() -> None:
    """Undo :func:`configure_logging` and forget registered secrets (for tests)."""
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
        _handler = None
    clear_secrets()
    structlog.reset_defaults()

"""Prometheus metrics, one registry for the whole process.

A one-shot command that never serves them asks for :mod:`notion_syncd.nullmetrics` before
the first import of this module: then every metric here records nothing.

Names follow Prometheus conventions (``notion_syncd_`` prefix, base units, ``_total``
for counters). Label values are fixed small sets: never page titles or ids.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime
from importlib.metadata import version
from typing import TYPE_CHECKING

import pygit2

from notion_syncd import __version__, nullmetrics

if TYPE_CHECKING or nullmetrics.recording():
    from prometheus_client import (
        CollectorRegistry,
        Counter,
        Gauge,
        Histogram,
        ProcessCollector,
        disable_created_metrics,
    )
else:  # a one-shot command exposes no metrics: no prometheus_client (RSS, 1.2 MB)
    from notion_syncd.nullmetrics import NullMetric as CollectorRegistry
    from notion_syncd.nullmetrics import NullMetric as Counter
    from notion_syncd.nullmetrics import NullMetric as Gauge
    from notion_syncd.nullmetrics import NullMetric as Histogram
    from notion_syncd.nullmetrics import NullMetric as ProcessCollector
    from notion_syncd.nullmetrics import disable_created_metrics

# ``*_created`` series say when a counter was created: noise for an operator (and a
# third of the series), so they are off for the whole process.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in prometheus_client
REGISTRY = CollectorRegistry(auto_describe=True)
# process_resident_memory_bytes, process_open_fds, CPU seconds, start time (Linux /proc).
ProcessCollector(registry=REGISTRY)

SYNC_RUNS = Counter(
    "notion_syncd_sync_runs_total", "Syncs run, by result.", ["result"], registry=REGISTRY
)
SYNC_DURATION = Histogram(
    "notion_syncd_sync_duration_seconds",
    "Wall time of one sync.",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200),
    registry=REGISTRY,
)
LAST_SYNC_SUCCESS = Gauge(
    "notion_syncd_last_sync_success_timestamp_seconds",
    "Unix time of the last successful sync.",
    registry=REGISTRY,
)
LAST_SYNC_ATTEMPT = Gauge(
    "notion_syncd_last_sync_attempt_timestamp_seconds",
    "Unix time of the last sync attempt.",
    registry=REGISTRY,
)
PAGES = Gauge("notion_syncd_pages", "Pages currently mirrored.", registry=REGISTRY)
FAILED_OBJECTS = Gauge(
    "notion_syncd_failed_objects",
    "Objects the last successful sync could not export (held, retried by the next sync).",
    registry=REGISTRY,
)
LAST_SWEEP_SUCCESS = Gauge(
    "notion_syncd_last_sweep_success_timestamp_seconds",
    "Unix time of the last successful sweep (a sync that also looked for deletions).",
    registry=REGISTRY,
)
WATERMARK = Gauge(
    "notion_syncd_watermark_timestamp_seconds",
    "The watermark: every Notion edit up to this Unix time is in the mirror.",
    registry=REGISTRY,
)
LAST_COMPLETE_SYNC_START = Gauge(
    "notion_syncd_last_complete_sync_start_timestamp_seconds",
    "Unix time the last successful sync started: Notion as of then is in the mirror.",
    registry=REGISTRY,
)
MIRROR_LAG = Gauge(
    "notion_syncd_mirror_lag_seconds",
    "How far behind Notion the mirror may be: now minus the start of the last successful "
    "sync (NaN before the first one).",
    registry=REGISTRY,
)
SYNC_FAILURES_IN_A_ROW = Gauge(
    "notion_syncd_sync_consecutive_failures",
    "Syncs that failed since the last successful one.",
    registry=REGISTRY,
)
SYNC_PERMANENT_FAILURES_IN_A_ROW = Gauge(
    "notion_syncd_sync_consecutive_permanent_failures",
    "Syncs in a row that failed in a way that does not heal while the daemon runs.",
    registry=REGISTRY,
)
SYNC_PERMANENT_FAILURE_LIMIT = Gauge(
    "notion_syncd_sync_permanent_failure_limit",
    "Permanent failures in a row after which the daemon exits for a restart.",
    registry=REGISTRY,
)
LAST_SYNC_FAILURE = Gauge(
    "notion_syncd_last_sync_failure_info",
    "1 for the error class and kind of the last failed sync; absent after a success.",
    ["reason", "kind"],
    registry=REGISTRY,
)


_LAST_COMPLETE_SYNC: list[float] = []
_LAG_LOCK = threading.Lock()


def _mirror_lag() -> float:
    with _LAG_LOCK:
        return time.time() - _LAST_COMPLETE_SYNC[-1] if _LAST_COMPLETE_SYNC else math.nan


MIRROR_LAG.set_function(_mirror_lag)


def record_complete_sync(started: float, *, watermark: str | None) -> None:
    """A sync that started at ``started`` (Unix time) succeeded with this watermark."""
    with _LAG_LOCK:
        _LAST_COMPLETE_SYNC[:] = [started]
    LAST_COMPLETE_SYNC_START.set(started)
    if watermark:
        with contextlib.suppress(ValueError):  # not a time: leave the gauge as it was
            WATERMARK.set(datetime.fromisoformat(watermark).timestamp())


_PUSH_ERRORS: dict[str, str] = {}
_PUSH_ERRORS_LOCK = threading.Lock()


def record_push_error(remote: str, error_class: str | None) -> None:
    """Keep one ``notion_syncd_push_last_error_info`` series per failing remote."""
    with _PUSH_ERRORS_LOCK:
        previous = _PUSH_ERRORS.pop(remote, None)
        if previous is not None:
            PUSH_LAST_ERROR.remove(remote, previous)
        if error_class is not None:
            _PUSH_ERRORS[remote] = error_class
            PUSH_LAST_ERROR.labels(remote=remote, error=error_class).set(1)


class PagesGauge:
    """Keeps ``PAGES`` current for whoever runs syncs (the daemon keeps one for its life).

    Counting lists the mirror's index folder (0.04 s for 55,000 entries, growing with
    the mirror), so it is done once: after that, a sync that began at the commit the
    gauge last saw adds the entries it added and removed (``Index.net_added``). A sync
    that began elsewhere (something else committed in between: a ``restore``, a
    ``check --repair``) counts again.
    """

    def __init__(self) -> None:
        self._at: str | None = None
        """HEAD after the last sync the gauge followed (None: nothing counted yet)."""

    def update(
        self, count: Callable[[], int], *, net_added: int, began_at: str | None, head: str | None
    ) -> None:
        """After a sync that began at ``began_at`` and left ``head``."""
        if self._at is not None and self._at == began_at:
            PAGES.inc(net_added)
        else:
            PAGES.set(count())
        self._at = head or ""


PAGE_CHANGES = Counter(
    "notion_syncd_page_changes_total",
    "Pages changed in the mirror, by kind of change.",
    ["change"],
    registry=REGISTRY,
)
NOTION_REQUESTS = Counter(
    "notion_syncd_notion_requests_total",
    "Requests sent to the Notion API, by endpoint group and HTTP status.",
    ["endpoint", "code"],
    registry=REGISTRY,
)
NOTION_REQUEST_DURATION = Histogram(
    "notion_syncd_notion_request_duration_seconds",
    "Latency of Notion API requests.",
    ["endpoint"],
    registry=REGISTRY,
)
NOTION_RATE_LIMITED = Counter(
    "notion_syncd_notion_rate_limited_total",
    "Answers that asked us to slow down (429 or 529).",
    ["reason"],
    registry=REGISTRY,
)
NOTION_PACE = Gauge(
    "notion_syncd_notion_pace_requests_per_second",
    "The request pace in force: the configured budget, lower while Notion answers 429.",
    registry=REGISTRY,
)
NOTION_THROTTLE_WAIT = Counter(
    "notion_syncd_notion_throttle_wait_seconds_total",
    "Seconds spent waiting for Retry-After.",
    registry=REGISTRY,
)
GIT_COMMITS = Counter(
    "notion_syncd_git_commits_total", "Commits written.", ["result"], registry=REGISTRY
)
GIT_PUSHES = Counter(
    "notion_syncd_git_pushes_total",
    "Pushes to remotes, by remote name and result.",
    ["remote", "result"],
    registry=REGISTRY,
)
LAST_PUSH_SUCCESS = Gauge(
    "notion_syncd_last_push_success_timestamp_seconds",
    "Unix time of the last successful push, by remote.",
    ["remote"],
    registry=REGISTRY,
)
PUSH_FAILURES_IN_A_ROW = Gauge(
    "notion_syncd_push_consecutive_failures",
    "Pushes to a remote that failed in a row (0 after a success), by remote name.",
    ["remote"],
    registry=REGISTRY,
)
PUSH_PENDING_COMMITS = Gauge(
    "notion_syncd_push_pending_commits",
    "Commits of the mirror's branch the remote does not have yet (as far as this host "
    "pushed), by remote name.",
    ["remote"],
    registry=REGISTRY,
)
PUSH_LAST_ERROR = Gauge(
    "notion_syncd_push_last_error_info",
    "1 for the error class of a remote's last failed push; absent after a success.",
    ["remote", "error"],
    registry=REGISTRY,
)
CONFIG_RELOAD_SUCCESSFUL = Gauge(
    "notion_syncd_config_last_reload_successful",
    "1 if the last configuration reload succeeded (or none happened), 0 if the file was "
    "invalid and the previous configuration stays in force.",
    registry=REGISTRY,
)
CONFIG_RELOAD_SUCCESS = Gauge(
    "notion_syncd_config_last_reload_success_timestamp_seconds",
    "Unix time the configuration in force was loaded (at start or by the last good reload).",
    registry=REGISTRY,
)
BUILD_INFO = Gauge(
    "notion_syncd_build_info",
    "Build information; always 1.",
    ["version", "pygit2_version", "libgit2_version"],
    registry=REGISTRY,
)
BUILD_INFO.labels(__version__, version("pygit2"), pygit2.LIBGIT2_VERSION).set(1)

for _result in ("success", "failure"):
    SYNC_RUNS.labels(_result)
for _change in ("added", "modified", "moved", "deleted"):
    PAGE_CHANGES.labels(_change)
for _result in ("ok", "error"):
    GIT_COMMITS.labels(_result)
for _status in ("429", "529"):
    NOTION_RATE_LIMITED.labels(_status)
CONFIG_RELOAD_SUCCESSFUL.set(1)

# -- webhooks ---------------------------------------------------------------------------

#: Event types counted under their own label; any other type counts as "other".
WEBHOOK_EVENT_TYPES = frozenset(
    {
        "page.created",
        "page.content_updated",
        "page.properties_updated",
        "page.moved",
        "page.deleted",
        "page.undeleted",
        "page.locked",
        "page.unlocked",
        "comment.created",
        "comment.updated",
        "comment.deleted",
        "database.created",
        "database.content_updated",
        "database.schema_updated",
        "database.moved",
        "database.deleted",
        "database.undeleted",
        "data_source.created",
        "data_source.content_updated",
        "data_source.schema_updated",
        "data_source.moved",
        "data_source.deleted",
        "data_source.undeleted",
    }
)
WEBHOOK_EVENTS = Counter(
    "notion_syncd_webhook_events_total",
    "Webhook requests by event type (none before verification) and outcome: accepted, "
    "duplicate, handshake, bad_signature, bad_json, too_large, busy (503: too many at once).",
    ["type", "outcome"],
    registry=REGISTRY,
)
WEBHOOK_QUEUE_DEPTH = Gauge(
    "notion_syncd_webhook_queue_depth",
    "Entities with webhook events waiting for a sync.",
    registry=REGISTRY,
)
WEBHOOK_LAST_EVENT = Gauge(
    "notion_syncd_webhook_last_event_timestamp_seconds",
    "When the last verified webhook event was received (0: never).",
    registry=REGISTRY,
)
WEBHOOK_VERIFIED = Gauge(
    "notion_syncd_webhook_token_known",
    "1 when a verification token is known (configured or received at the handshake).",
    registry=REGISTRY,
)
WEBHOOK_EVENT_TO_SYNC = Histogram(
    "notion_syncd_webhook_event_to_sync_seconds",
    "From a webhook event's receipt to the end of the sync that covered it.",
    buckets=(0.5, 1, 2, 3, 5, 10, 30, 60, 300, 3600),
    registry=REGISTRY,
)


def webhook_type_label(event_type: str | None) -> str:
    """A bounded label value for an event type."""
    if event_type is None:
        return "none"
    return event_type if event_type in WEBHOOK_EVENT_TYPES else "other"

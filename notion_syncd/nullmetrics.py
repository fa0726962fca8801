"""Metrics that record nothing, for a process that never exposes them.

A one-shot ``notion-syncd sync`` exits without serving ``/metrics``, so the Prometheus
metrics it would update are never read; importing ``prometheus_client`` alone costs
1.2 MB RSS (measured on ``import notion_syncd.commands.sync``: 56.8 → 55.6 MB without it).
``cli`` calls :func:`record_nothing` before anything imports :mod:`notion_syncd.metrics`,
which then builds every metric from :class:`NullMetric`. The daemon (``run``) never calls
it, and neither does anything already holding the real metrics: the choice is made once,
when :mod:`notion_syncd.metrics` is first imported.
"""

from __future__ import annotations

from collections.abc import Callable

_recording = [True]


def record_nothing() -> None:
    """Metrics imported from now on are :class:`NullMetric` (a one-shot command)."""
    _recording[0] = False


def recording() -> bool:
    """Whether :mod:`notion_syncd.metrics` should hold real Prometheus metrics."""
    return _recording[0]


class NullMetric:
    """Takes a Prometheus metric's arguments and calls, keeps nothing."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        del args, kwargs

    def labels(self, *values: object, **named: object) -> NullMetric:
        del values, named
        return self

    def inc(self, amount: float = 1) -> None:
        del amount

    def set(self, value: float) -> None:
        del value

    def observe(self, value: float) -> None:
        del value

    def set_function(self, function: Callable[[], float]) -> None:
        del function

    def remove(self, *values: object) -> None:
        del values

    def clear(self) -> None:
        pass


def disable_created_metrics() -> None:
    """Nothing to disable: null metrics have no ``*_created`` series."""

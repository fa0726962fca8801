"""What starting a sync loads: packages a sync may never use wait until it does (RSS)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from notion_syncd.export.htmlcode import highlight_html
from notion_syncd.export.htmlmath import equation_html


def _loaded_after(imports: str, packages: tuple[str, ...]) -> set[str]:
    """Which of ``packages`` a fresh interpreter holds after running ``imports``."""
    code = f"import sys\n{imports}\nprint(' '.join(m for m in {packages!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(result.stdout.split())


DEFERRED = ("pygments", "latex2mathml", "xml.etree.ElementTree")


@pytest.mark.parametrize("module", ["notion_syncd.cli", "notion_syncd.commands.sync"])
def test_lazy_imports_sync_start_loads_no_renderer_extras(module: str) -> None:
    """Starting a sync loads neither Pygments nor latex2mathml: only rendering one needs them."""
    assert _loaded_after(f"import {module}", DEFERRED) == set()


def test_lazy_imports_renderers_load_their_extras_when_used() -> None:
    """A code block and an equation still load what they need, and render with it."""
    imports = (
        "from notion_syncd.export.htmlcode import highlight_html\n"
        "from notion_syncd.export.htmlmath import equation_html\n"
        "highlight_html('x = 1', 'python')\n"
        "equation_html('a^2', block=False)"
    )
    assert _loaded_after(imports, DEFERRED) == set(DEFERRED)
    assert '<span class="n">x</span>' in highlight_html("x = 1", "python")
    assert equation_html("a^2", block=False).startswith('<math display="inline">')


def test_lazy_imports_sync_command_loads_no_prometheus(tmp_path: Path) -> None:
    """``notion-syncd sync`` imports the whole sync path but not prometheus_client."""
    command = ["-m", "notion_syncd", "sync", "--config", str(tmp_path / "missing.toml")]
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *command],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr  # the config is missing, after the imports
    imported = {line.rpartition("|")[2].strip() for line in result.stderr.splitlines()}
    assert {"notion_syncd.commands.sync", "notion_syncd.metrics"} <= imported
    assert "prometheus_client" not in imported


def test_lazy_imports_null_metrics_take_every_call_the_package_makes() -> None:
    """With metrics off, every metric and helper of ``metrics`` still runs, recording nothing."""
    code = """
import sys
from notion_syncd import nullmetrics
nullmetrics.record_nothing()
from notion_syncd import metrics
metrics.SYNC_RUNS.labels("success").inc()
metrics.SYNC_DURATION.observe(1.5)
metrics.NOTION_THROTTLE_WAIT.inc(2.0)
metrics.LAST_SYNC_FAILURE.clear()
metrics.LAST_SYNC_FAILURE.labels(reason="r", kind="k").set(1)
metrics.record_push_error("origin", "PushError")
metrics.record_push_error("origin", None)
metrics.record_complete_sync(1.0, watermark="2026-01-01T00:00:00.000Z")
metrics.PagesGauge().update(lambda: 3, net_added=0, began_at=None, head="a")
print("prometheus_client" in sys.modules, type(metrics.REGISTRY).__name__)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["False", "NullMetric"]

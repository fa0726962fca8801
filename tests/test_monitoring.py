"""The metrics the daemon exports, and the alert rules and Grafana dashboard in docs/.

The exported series come from the process's registry after a real sync (with a sweep)
against the fake Notion API over loopback and a push round to two real remotes, one of
them missing: what the daemon's ``/metrics`` serves after the same jobs. ``promtool``
(Debian's ``prometheus`` package; ``scripts/test`` installs it) checks the exposition
and the rules; every metric the rules and the dashboard name must be exported.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pygit2
import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from synchelpers import TOKEN, TestClock, serve

from notion_syncd.config import load_settings
from notion_syncd.fake_notion import Workspace, generate_workspace
from notion_syncd.heartbeat import Heartbeat
from notion_syncd.metrics import REGISTRY
from notion_syncd.service.jobs import SyncJobs
from notion_syncd.service.notify import Notifier
from notion_syncd.service.state import SyncStatus

ROOT = Path(__file__).resolve().parent.parent
ALERTS = ROOT / "docs" / "prometheus-alerts.yml"
DASHBOARD = ROOT / "docs" / "grafana-dashboard.json"
PROMTOOL = shutil.which("promtool")
NO_PROMTOOL = "promtool is not installed (Debian: apt-get install prometheus; scripts/test does)"
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (not functions, labels or keywords)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*", text):
        if text[match.end() :].lstrip().startswith("(") or match.group() in _KEYWORDS:
            continue
        names.add(match.group())
    return names


@pytest.fixture(scope="module")
def exposition(tmp_path_factory: pytest.TempPathFactory) -> str:
    """/metrics text after a sync with a sweep, a push round (one remote missing) and a
    sync that failed (token revoked)."""
    tmp = tmp_path_factory.mktemp("monitoring")
    clock = TestClock()
    workspace = Workspace(clock)
    clock.tick = timedelta(seconds=5)
    generate_workspace(workspace, pages=4, depth=2, databases=1, rows_per_database=2)
    clock.tick = timedelta(0)
    pygit2.init_repository(str(tmp / "remote.git"), bare=True)
    with serve(workspace) as server:
        config = tmp / "config.toml"
        config.write_text(
            f'[notion]\ntoken = "{TOKEN}"\nbase_url = "{server.base_url}"\n'
            "requests_per_second = 100\nburst = 50\n"
            f'[export]\nrepo = "{tmp / "mirror"}"\n'
            f'[[git.remotes]]\nname = "mon-ok"\nurl = "{tmp / "remote.git"}"\n'
            f'[[git.remotes]]\nname = "mon-gone"\nurl = "{tmp / "missing.git"}"\n'
        )
        settings = load_settings(config, environ={})
        jobs = SyncJobs(
            settings=lambda: settings,
            status=SyncStatus(),
            heartbeat=Heartbeat(),
            stop=threading.Event(),
            notifier=Notifier({}),
            homedir=tmp / "home",
        )
        jobs.sync(sweep=True)
        jobs.push()
        server.fake.token = "revoked"
        jobs.sync()  # fails: the failure series are there too
    return generate_latest(REGISTRY).decode()


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def value(text: str, name: str, **labels: str) -> float:
    [(_, number)] = [
        (found, number)
        for found, number in samples(text)[name]
        if all(found.get(key) == wanted for key, wanted in labels.items())
    ]
    return number


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_metric_names_finds_metrics_only() -> None:
    """The PromQL scanner keeps metric names, drops functions, labels, ranges, keywords."""
    expr = (
        'sum by (code) (rate(a_total{instance=~"$instance", x="y z"}[$__rate_interval]))'
        " / on (job) b > 2 * 86400 and time() - c_seconds offset 5m"
    )
    assert metric_names(expr) == {"a_total", "b", "c_seconds"}


def test_metrics_exposition_passes_promtool(exposition: str) -> None:
    """`promtool check metrics` finds nothing to complain about in what /metrics serves."""
    if PROMTOOL is None:
        pytest.skip(NO_PROMTOOL)
    result = subprocess.run(
        [PROMTOOL, "check", "metrics"], input=exposition, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout + result.stderr == ""


def test_metrics_operator_series_after_sync_and_push(exposition: str) -> None:
    """Process, failed objects, sweep, lag, reload and per-remote push series are there."""
    assert value(exposition, "process_resident_memory_bytes") > 0
    assert value(exposition, "process_open_fds") > 0
    assert value(exposition, "notion_syncd_failed_objects") == 0
    assert value(exposition, "notion_syncd_last_sweep_success_timestamp_seconds") > 0
    assert 0 <= value(exposition, "notion_syncd_mirror_lag_seconds") < 600
    assert value(exposition, "notion_syncd_watermark_timestamp_seconds") > 1.7e9
    assert value(exposition, "notion_syncd_config_last_reload_successful") == 1
    assert value(exposition, "notion_syncd_sync_consecutive_permanent_failures") == 1
    reason = {"reason": "NotionUnauthorized", "kind": "permanent"}
    assert value(exposition, "notion_syncd_last_sync_failure_info", **reason) == 1
    assert value(exposition, "notion_syncd_push_pending_commits", remote="mon-ok") == 0
    assert value(exposition, "notion_syncd_push_pending_commits", remote="mon-gone") == 1
    assert value(exposition, "notion_syncd_push_consecutive_failures", remote="mon-gone") == 1
    assert value(exposition, "notion_syncd_push_last_error_info", remote="mon-gone") == 1
    errors = samples(exposition)["notion_syncd_push_last_error_info"]
    ours = [labels for labels, _ in errors if labels["remote"].startswith("mon-")]
    assert ours == [{"remote": "mon-gone", "error": "PushError"}]
    assert not any(name.endswith("_created") for name in samples(exposition))


def test_alert_rules_pass_promtool() -> None:
    """`promtool check rules` accepts docs/prometheus-alerts.yml."""
    if PROMTOOL is None:
        pytest.skip(NO_PROMTOOL)
    result = subprocess.run(
        [PROMTOOL, "check", "rules", str(ALERTS)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_structure() -> None:
    """Every rule has a unique name, an expression, a severity and a summary."""
    rules = alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names)) >= 8
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"]
        assert metric_names(rule["expr"]), rule["alert"]


def test_alert_rules_name_only_exported_metrics(exposition: str) -> None:
    """No alert waits on a metric the daemon does not export."""
    exported = set(samples(exposition))
    for rule in alert_rules():
        assert metric_names(rule["expr"]) <= exported, rule["alert"]


def test_dashboard_is_importable_grafana_json() -> None:
    """The dashboard asks for a Prometheus data source on import; panels are well formed."""
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert [item["name"] for item in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
        assert panel["type"] in {"stat", "timeseries", "table"}
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"])
        assert panel["targets"], panel["title"]


def test_dashboard_queries_name_only_exported_metrics(exposition: str) -> None:
    """Every panel query selects metrics the daemon exports, and the operator's ones are shown."""
    exported = set(samples(exposition))
    shown: set[str] = set()
    for expr in dashboard_exprs():
        assert metric_names(expr) <= exported, expr
        shown |= metric_names(expr)
    assert {
        "notion_syncd_failed_objects",
        "notion_syncd_last_sweep_success_timestamp_seconds",
        "notion_syncd_mirror_lag_seconds",
        "notion_syncd_config_last_reload_successful",
        "notion_syncd_push_pending_commits",
        "notion_syncd_push_last_error_info",
        "process_resident_memory_bytes",
    } <= shown


def test_dashboard_queries_parse_with_promtool(tmp_path: Path) -> None:
    """Each panel query is valid PromQL (checked as a recording rule by promtool)."""
    if PROMTOOL is None:
        pytest.skip(NO_PROMTOOL)
    rules = [
        {
            "record": f"dashboard:query_{number}",
            "expr": expr.replace("$__rate_interval", "5m").replace("$instance", ".*"),
        }
        for number, expr in enumerate(dashboard_exprs())
    ]
    rules_file = tmp_path / "dashboard-rules.yml"
    rules_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        [PROMTOOL, "check", "rules", str(rules_file)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr

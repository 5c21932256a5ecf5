"""The Prometheus alerting rules shipped in deploy/ are valid (``promtool check rules``
when Debian's ``prometheus`` package is installed, as in CI) and name only metrics
the portal exposes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yaml"

EXPOSED = {
    "bizportal_connection_up",
    "bizportal_connection_latency_seconds",
    "bizportal_connection_error_ratio",
    "bizportal_connection_last_success_timestamp_seconds",
    "bizportal_connection_incident_open",
    "bizportal_connection_queue_depth",
    "bizportal_connection_dead_letters",
    "bizportal_outbox_pending_messages",
    "bizportal_outbox_oldest_pending_seconds",
    "bizportal_tasks_waiting",
}


def test_promtool_accepts_the_rules() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (apt-get install prometheus); see the YAML test")
    result = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_parse_and_use_only_exposed_metrics() -> None:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    alerts = {rule["alert"]: rule for group in groups for rule in group["rules"]}
    assert {"ConnectionDown", "OutboxBacklog"} <= set(alerts)
    for name, rule in alerts.items():
        assert rule["expr"] and rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"], name
        for metric in re.findall(r"\bbizportal_[a-z_]+", rule["expr"]):
            assert metric in EXPOSED, f"{name} uses {metric}, which /metrics does not expose"


def test_every_connection_gauge_named_here_is_exposed() -> None:
    from bizportal.monitoring import metrics

    source = Path(metrics.__file__).read_text()
    for metric in EXPOSED:
        if metric.startswith("bizportal_connection_"):
            assert f'"{metric}"' in source, metric

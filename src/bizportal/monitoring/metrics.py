"""Prometheus gauges for every connection, read from the probes at scrape time.

Every web process reports the same figures (they come from the database), so the
alert rules in ``deploy/prometheus/alerts.yaml`` may use ``max by (connection)``.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .status import statuses

LABELS = ["connection", "kind", "agency"]


class ConnectionCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "bizportal_connection_up", "1 if the connection answered its last probe", labels=LABELS
        )
        latency = GaugeMetricFamily(
            "bizportal_connection_latency_seconds",
            "Probe latency over the last hour, by quantile (0.5, 0.95)",
            labels=[*LABELS, "quantile"],
        )
        errors = GaugeMetricFamily(
            "bizportal_connection_error_ratio",
            "Share of the last hour's probes that failed",
            labels=LABELS,
        )
        last_success = GaugeMetricFamily(
            "bizportal_connection_last_success_timestamp_seconds",
            "When the connection last answered a probe (Unix time)",
            labels=LABELS,
        )
        incident = GaugeMetricFamily(
            "bizportal_connection_incident_open",
            "1 while the connection has an open incident (down past CONNECTION_DOWN_AFTER)",
            labels=LABELS,
        )
        queued = GaugeMetricFamily(
            "bizportal_connection_queue_depth", "Work queued for the connection", labels=LABELS
        )
        dead = GaugeMetricFamily(
            "bizportal_connection_dead_letters",
            "Work given up on for the connection, waiting for an administrator",
            labels=LABELS,
        )
        for status in statuses():
            connection = status.connection
            labels = [connection.key, connection.kind, connection.agency]
            if status.state != "unknown":
                up.add_metric(labels, 1.0 if status.state == "up" else 0.0)
                incident.add_metric(labels, 0.0 if status.incident is None else 1.0)
            for quantile, value in (
                ("0.5", status.latency_p50_ms),
                ("0.95", status.latency_p95_ms),
            ):
                if value is not None:
                    latency.add_metric([*labels, quantile], value / 1000)
            if status.error_ratio is not None:
                errors.add_metric(labels, status.error_ratio)
            if status.last_success is not None:
                last_success.add_metric(labels, status.last_success.timestamp())
            if status.backlog is not None:
                queued.add_metric(labels, status.backlog.queued)
                dead.add_metric(labels, status.backlog.dead)
        yield from (up, latency, errors, last_success, incident, queued, dead)

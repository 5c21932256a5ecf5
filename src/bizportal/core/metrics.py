"""Prometheus metrics beyond the request counters of django-prometheus.

Request rates and latencies come from django-prometheus's middleware. What an operator
also needs to page on is work piling up behind the web tier: outbox messages not yet
delivered and tasks waiting for a worker. Those are read from the database (or Redis) at
scrape time, so every web process reports the same figures and no process has to keep
them in memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import prometheus_client
from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from .models import OutboxMessage


class BacklogCollector(Collector):
    """Gauges for queued work: pending outbox messages and tasks waiting for a worker."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
        summary = pending.aggregate(oldest=Min("created_at"))
        yield GaugeMetricFamily(
            "bizportal_outbox_pending_messages",
            "Outbox messages not yet delivered to their subscriber",
            value=pending.count(),
        )
        oldest = summary["oldest"]
        age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily(
            "bizportal_outbox_oldest_pending_seconds",
            "Age of the oldest undelivered outbox message",
            value=age,
        )
        waiting = waiting_tasks()
        if waiting is not None:
            yield GaugeMetricFamily(
                "bizportal_tasks_waiting", "Tasks queued and not yet picked up", value=waiting
            )


def waiting_tasks() -> int | None:
    """Tasks queued for a worker, from whichever backend runs them (None: unknown)."""
    backend = settings.TASKS["default"]["BACKEND"]
    if backend == "django_tasks_db.DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        return DBTaskResult.objects.ready().count()
    if backend == "django_tasks_rq.RQBackend":
        import django_rq

        return int(django_rq.get_queue("default").count)
    return None


_backlog = CollectorRegistry()
_backlog.register(BacklogCollector())
_registered: set[type[Collector]] = {BacklogCollector}


def register(collector: Collector) -> None:
    """Add a collector read at scrape time (apps above core register theirs in
    ``ready()``, so the core needs to know none of them); one of each class, so a
    second ``ready()`` does not duplicate the series."""
    if type(collector) in _registered:
        return
    _registered.add(type(collector))
    _backlog.register(collector)


def exposition() -> bytes:
    """The metrics page: this process's (or all gunicorn processes') samples plus backlog."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.REGISTRY
    return prometheus_client.generate_latest(registry) + prometheus_client.generate_latest(_backlog)

"""Operational endpoints: liveness, readiness and metrics."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from . import metrics as metrics_module
from .health import database_ok


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness plus a database round trip, for load balancers and the demo script."""
    database = "ok" if database_ok() else "error"
    status = 200 if database == "ok" else 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "degraded", "database": database}, status=status
    )


def _migrations_applied() -> bool:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def _task_queue_answers() -> bool:
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_rq.RQBackend":
        return True  # the database queue answers when the database does
    import django_rq

    try:
        return bool(django_rq.get_connection("default").ping())
    except Exception:  # Redis down is a readiness failure, not an error page
        return False


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: take traffic only with the database reachable and fully migrated.

    A new replica started during a rolling deploy answers 503 here until the migrate job
    has run, so the load balancer keeps sending requests to the old replicas.
    """
    checks = {"database": "ok" if database_ok() else "error"}
    if checks["database"] == "ok":
        checks["migrations"] = "ok" if _migrations_applied() else "pending"
    checks["task_queue"] = "ok" if _task_queue_answers() else "error"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", **checks}, status=200 if ready else 503
    )


def _may_read_metrics(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition; the scraper proves itself with METRICS_TOKEN (404 otherwise,
    so the endpoint does not advertise itself)."""
    if not _may_read_metrics(request):
        return HttpResponse(status=404)
    return HttpResponse(metrics_module.exposition(), content_type=CONTENT_TYPE_LATEST)

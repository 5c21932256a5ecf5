"""Each connection's health as the page and the metrics show it, read from the probes.

Up or down is the last probe (so a stopped system shows down at the next probe, within
``CONNECTION_PROBE_INTERVAL``); latency percentiles and the error rate are over the
last hour's probes, at most :data:`WINDOW_ROWS` of them, so the cost is bounded however
short the interval is set.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.utils import timezone

from .connections import Backlog, Connection, connections
from .models import ConnectionCheck, ConnectionIncident

WINDOW = dt.timedelta(hours=1)
WINDOW_ROWS = 2000


@dataclass(frozen=True)
class Status:
    connection: Connection
    state: str  # "up", "down" or "unknown" (never probed)
    checked_at: dt.datetime | None
    last_error: str
    last_success: dt.datetime | None
    latency_p50_ms: int | None
    latency_p95_ms: int | None
    error_ratio: float | None
    probes: int
    backlog: Backlog | None
    incident: ConnectionIncident | None


def percentile(values: list[int], fraction: float) -> int | None:
    """The nearest-rank percentile of ``values`` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def status_of(connection: Connection, *, now: dt.datetime | None = None) -> Status:
    checks = ConnectionCheck.objects.filter(key=connection.key)
    if now is None:
        now = timezone.now()
    else:  # as it was at ``now``
        checks = checks.filter(at__lte=now)
    recent = list(
        checks.filter(at__gt=now - WINDOW).values_list("ok", "latency_ms", "at", "error")[
            :WINDOW_ROWS
        ]
    )
    last = recent[0] if recent else checks.values_list("ok", "latency_ms", "at", "error").first()
    last_success = checks.filter(ok=True).values_list("at", flat=True).first()
    latencies = [latency for _ok, latency, _at, _error in recent]
    failed = sum(1 for ok, *_rest in recent if not ok)
    return Status(
        connection=connection,
        state="unknown" if last is None else ("up" if last[0] else "down"),
        checked_at=last[2] if last else None,
        last_error="" if last is None or last[0] else last[3],
        last_success=last_success,
        latency_p50_ms=percentile(latencies, 0.5),
        latency_p95_ms=percentile(latencies, 0.95),
        error_ratio=failed / len(recent) if recent else None,
        probes=len(recent),
        backlog=connection.backlog() if connection.backlog else None,
        incident=ConnectionIncident.objects.filter(key=connection.key, closed_at=None).first(),
    )


def statuses(*, agency: str | None = None, now: dt.datetime | None = None) -> list[Status]:
    """Every connection's status; only ``agency``'s own when given (its IT officers
    see their systems, not other agencies' nor the platform's providers)."""
    return [
        status_of(connection, now=now)
        for connection in connections()
        if agency is None or connection.agency == agency
    ]

"""Keep the aggregate tables current, recomputing only the days that changed.

Why days: a change to one application (a decision, a withdrawal) moves a count from one
row to another of its submission day and adds a row to its decision day. Recomputing
those whole days from the source rows is simple and always right, whatever happened in
between, and costs what a day's activity costs: a few thousand rows at national scale.

The refresh remembers (:class:`RefreshMark`) the moment it last read; next time it
reads rows changed since a little before then (``OVERLAP``), so a transaction that
committed late is still seen. Run from the sweeper every minute and as
``manage.py refresh_reports`` (``--full`` rebuilds every day, e.g. after a restore).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from bizportal.applications.models import BEFORE_AGENCY, FINAL_STATUSES, Application
from bizportal.payments.models import Invoice
from bizportal.service_levels import calendar
from bizportal.service_levels.models import StepClock

from . import provinces
from .models import ApplicationFact, DecisionFact, PaymentFact, RefreshMark, StepFact

log = logging.getLogger(__name__)

#: How far before the last refresh to look again for rows whose transaction committed
#: after it ran.
OVERLAP = dt.timedelta(minutes=10)
MARK = "facts"
BATCH = 5000


def refresh(*, full: bool = False, now: dt.datetime | None = None) -> int:
    """Recompute the days that changed since the last refresh (every day when ``full``
    or never refreshed); return how many days were recomputed.

    One transaction holding the mark's row lock: two sweepers at once take turns
    instead of both deleting and inserting the same day (which would count it twice).
    """
    now = now or timezone.now()
    _working_days.cache_clear()  # the holiday calendar may have changed since
    with transaction.atomic():
        mark, created = RefreshMark.objects.select_for_update().get_or_create(
            name=MARK, defaults={"changed_since": now, "refreshed_at": now}
        )
        since = None if full or created else mark.changed_since - OVERLAP
        days = _changed_days(since)
        for chunk in _chunks(sorted(days), 31):
            _recompute(chunk)
        mark.changed_since, mark.refreshed_at, mark.days = now, timezone.now(), len(days)
        mark.save()
    if days:
        log.info("reports: recomputed %s days", len(days))
    return len(days)


def _changed_days(since: dt.datetime | None) -> set[dt.date]:
    """Every local day a changed application was submitted or decided on, a step of it
    completed, or an invoice was paid."""
    applications = Application.objects.filter(submitted_at__isnull=False)
    invoices = Invoice.objects.filter(paid_at__isnull=False)
    if since is not None:
        applications = applications.filter(updated_at__gte=since)
        invoices = invoices.filter(paid_at__gte=since)
    days: set[dt.date] = set()
    changed: list[int] = []
    for pk, submitted, decided in applications.values_list(
        "pk", "submitted_at", "decided_at"
    ).iterator(chunk_size=BATCH):
        days.add(_local(submitted))
        if decided is not None:
            days.add(_local(decided))
        changed.append(pk)
    steps = StepClock.objects.filter(completed_at__isnull=False)
    if since is not None:
        for chunk in _chunks(changed, BATCH):
            days |= {
                _local(at)
                for at in steps.filter(clock__application_id__in=chunk).values_list(
                    "completed_at", flat=True
                )
            }
    else:
        days |= {_local(at) for at in steps.values_list("completed_at", flat=True).iterator()}
    days |= {
        _local(at) for at in invoices.values_list("paid_at", flat=True).iterator(chunk_size=BATCH)
    }
    return days


def _recompute(days: list[dt.date]) -> None:
    for model in (ApplicationFact, DecisionFact, StepFact, PaymentFact):
        model.objects.filter(day__in=days).delete()
    for start, end in _spans(days):
        _bulk(ApplicationFact, _application_facts(start, end))
        _bulk(DecisionFact, _decision_facts(start, end))
        _bulk(StepFact, _step_facts(start, end))
        _bulk(PaymentFact, _payment_facts(start, end))


def _day(field: str) -> TruncDate:
    """The local date of ``field``, computed by the database (grouping there, not here,
    is what keeps a day's recount to one indexed range scan)."""
    return TruncDate(field, tzinfo=timezone.get_current_timezone())


def _application_facts(start: dt.datetime, end: dt.datetime) -> Iterator[ApplicationFact]:
    rows = (
        Application.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
        .exclude(status__in=BEFORE_AGENCY)
        .annotate(day=_day("submitted_at"))
        .order_by()
        .values_list(
            "day", "agency_id", "service_id", "kind", "channel", "province", "status", "filed_by_id"
        )
        .annotate(n=Count("id"))
    )
    counts: Counter[tuple[Any, ...]] = Counter()
    for *dimensions, n in rows.iterator(chunk_size=BATCH):
        counts[tuple(dimensions)] += n
    for (day, agency, service, kind, channel, province, status, filed_by), n in _merged(
        counts
    ).items():
        yield ApplicationFact(
            day=day,
            agency_id=agency,
            service_id=service,
            kind=kind,
            channel=channel,
            province=province,
            status=status,
            filed_by_id=filed_by,
            applications=n,
        )


def _merged(counts: Counter[tuple[Any, ...]]) -> Counter[tuple[Any, ...]]:
    """One spelling per province ("จ.เชียงใหม่" and "Chiang Mai" are เชียงใหม่), so the
    map and the table count a province once; unknown names stay as written."""
    merged: Counter[tuple[Any, ...]] = Counter()
    for key, n in counts.items():
        province = provinces.by_name(key[5]) if key[5] else None
        merged[(*key[:5], province.name_th if province else key[5], *key[6:])] += n
    return merged


def _decision_facts(start: dt.datetime, end: dt.datetime) -> Iterator[DecisionFact]:
    rows = (
        Application.objects.filter(
            decided_at__gte=start,
            decided_at__lt=end,
            status__in=FINAL_STATUSES,
            submitted_at__isnull=False,
        )
        .annotate(day=_day("decided_at"), since=_day("submitted_at"))
        .order_by()
        .values_list("day", "since", "agency_id", "service_id", "status", "sla_clock__due_on")
        .annotate(n=Count("id"))
    )
    counts: Counter[tuple[Any, ...]] = Counter()
    for day, since, agency, service, status, due_on, n in rows.iterator(chunk_size=BATCH):
        on_time = None if due_on is None else day <= due_on
        counts[(day, agency, service, status, _working_days(since, day), on_time)] += n
    for (day, agency, service, outcome, days, on_time), n in counts.items():
        yield DecisionFact(
            day=day,
            agency_id=agency,
            service_id=service,
            outcome=outcome,
            working_days=days,
            on_time=on_time,
            decisions=n,
        )


def _step_facts(start: dt.datetime, end: dt.datetime) -> Iterator[StepFact]:
    rows = (
        StepClock.objects.filter(completed_at__gte=start, completed_at__lt=end)
        .annotate(day=_day("completed_at"), since=_day("started_at"))
        .order_by()
        .values_list(
            "day",
            "since",
            "due_on",
            "clock__agency_id",
            "clock__application__service_id",
            "step",
            "step_name",
        )
        .annotate(n=Count("id"))
    )
    counts: Counter[tuple[Any, ...]] = Counter()
    for day, since, due_on, agency, service, step, name, n in rows.iterator(chunk_size=BATCH):
        counts[(day, agency, service, step, name, _working_days(since, day), day <= due_on)] += n
    for (day, agency, service, step, name, days, on_time), n in counts.items():
        yield StepFact(
            day=day,
            agency_id=agency,
            service_id=service,
            step=step,
            step_name=name,
            working_days=days,
            on_time=on_time,
            steps=n,
        )


def _payment_facts(start: dt.datetime, end: dt.datetime) -> Iterator[PaymentFact]:
    rows = (
        Invoice.objects.filter(paid_at__gte=start, paid_at__lt=end, status=Invoice.Status.PAID)
        .annotate(day=_day("paid_at"))
        .order_by()
        .values_list("day", "application__agency_id", "application__service_id", "provider")
        .annotate(n=Count("id"), amount=Sum("amount"))
    )
    for day, agency, service, provider, n, amount in rows.iterator(chunk_size=BATCH):
        yield PaymentFact(
            day=day,
            agency_id=agency,
            service_id=service,
            provider=provider,
            payments=n,
            amount=amount,
        )


@functools.lru_cache(maxsize=65536)
def _working_days(start: dt.date, end: dt.date) -> int:
    try:
        return min(calendar.working_days_between(start, end), 32767)
    except calendar.CalendarError:
        return 32767


def _bulk(model: Any, rows: Iterable[Any]) -> None:
    for chunk in _chunks(list(rows), BATCH):
        model.objects.bulk_create(chunk)


def _local(moment: dt.datetime | None) -> dt.date:
    assert moment is not None, "the queries read only rows with the moment set"
    return timezone.localtime(moment).date()


def _spans(days: list[dt.date]) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Runs of consecutive days as ``[start, end)`` local moments: one range query each."""
    first = previous = days[0]
    for day in [*days[1:], None]:
        if day is not None and day - previous == dt.timedelta(days=1):
            previous = day
            continue
        yield _midnight(first), _midnight(previous + dt.timedelta(days=1))
        if day is not None:
            first = previous = day


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def totals() -> dict[str, int]:
    """Row counts of the aggregates, for the operator's health page and tests."""
    return {
        "applications": ApplicationFact.objects.aggregate(n=Sum("applications"))["n"] or 0,
        "decisions": DecisionFact.objects.aggregate(n=Sum("decisions"))["n"] or 0,
        "payments": PaymentFact.objects.aggregate(n=Count("id"))["n"] or 0,
    }

"""Keep the report tables current by moving counts, not by recounting.

Applications: a change to one (a decision, a withdrawal) is read from
``Application.updated_at``; its row in :class:`ApplicationFact` says how the reports
counted it last time. The difference between the two, one count out of the old cells
and one into the new, is added to the monthly roll-ups. So a morning's thousand
decisions on applications submitted all through the year cost a few thousand row
updates, not a recount of every month they touch.

Steps and payments happen *now*: the days they changed are recomputed from their source
rows (a day is a few thousand rows at national scale) and the difference between the
old and the new day is added to their monthly roll-ups.

The refresh remembers (:class:`RefreshMark`) the moment it last read; next time it
reads rows changed since a little before then (``OVERLAP``), so a transaction that
committed late is still seen, and reading a row twice moves nothing. Should a roll-up
ever disagree with the rows it sums (a count would fall below zero, e.g. after a
partial restore), the refresh rebuilds everything rather than publish a wrong figure.
Run by ``manage.py refresh_reports`` every minute (``--full`` rebuilds, e.g. after a
restore or a change to the holiday calendar).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from bizportal.applications.models import BEFORE_AGENCY, FINAL_STATUSES, Application, Status
from bizportal.payments.models import Invoice
from bizportal.service_levels import calendar
from bizportal.service_levels.models import StepClock

from . import provinces
from .models import (
    ApplicationFact,
    ApplicationMonth,
    ApplicationProvinceMonth,
    DecisionMonth,
    PaymentFact,
    PaymentMonth,
    ProvinceMonth,
    RefreshMark,
    StepFact,
    StepMonth,
)

log = logging.getLogger(__name__)

#: How far before the last refresh to look again for rows whose transaction committed
#: after it ran.
OVERLAP = dt.timedelta(minutes=10)
MARK = "facts"
BATCH = 2000


@dataclass(frozen=True)
class Rollup:
    """A monthly table: the fields that make a cell and the sums it holds."""

    model: type[models.Model]
    keys: tuple[str, ...]
    sums: tuple[str, ...]

    def key_of(self, row: Any) -> tuple[Any, ...]:
        return tuple(getattr(row, name) for name in self.keys)


APPLICATIONS = Rollup(
    ApplicationMonth,
    ("month", "agency_id", "service_id", "kind", "channel", "status"),
    ("applications",),
)
PROVINCE_VOLUMES = Rollup(
    ApplicationProvinceMonth,
    ("month", "province", "agency_id", "service_id", "kind", "channel", "status"),
    ("applications",),
)
PROVINCES = Rollup(
    ProvinceMonth, ("month", "agency_id", "service_id", "province", "issued"), ("applications",)
)
DECISIONS = Rollup(
    DecisionMonth,
    ("month", "agency_id", "service_id", "working_days", "on_time"),
    ("decisions",),
)
STEPS = Rollup(
    StepMonth,
    ("month", "agency_id", "service_id", "step", "step_name", "working_days", "on_time"),
    ("steps",),
)
PAYMENTS = Rollup(
    PaymentMonth, ("month", "agency_id", "service_id", "provider"), ("payments", "amount")
)
ROLLUPS = (APPLICATIONS, PROVINCE_VOLUMES, PROVINCES, DECISIONS, STEPS, PAYMENTS)


class Inconsistent(Exception):
    """A roll-up would count below zero: it no longer sums the rows it stands for."""


class Deltas:
    """What to add to each cell of each roll-up, gathered before one write per table."""

    def __init__(self) -> None:
        self.cells: dict[Rollup, dict[tuple[Any, ...], list[Any]]] = defaultdict(dict)

    def add(self, rollup: Rollup, key: tuple[Any, ...], values: Iterable[Any], sign: int) -> None:
        cell = self.cells[rollup].setdefault(key, [0] * len(rollup.sums))
        for i, value in enumerate(values):
            cell[i] += sign * value

    def apply(self, *, empty: bool = False) -> None:
        for rollup, cells in self.cells.items():
            changed = {key: change for key, change in cells.items() if any(change)}
            _apply(rollup, changed, empty=empty)
        self.cells.clear()


def refresh(*, full: bool = False, now: dt.datetime | None = None) -> int:
    """Take in what changed since the last refresh (everything when ``full`` or never
    refreshed); return how many applications and days were taken in.

    One transaction holding the mark's row lock: two refreshes at once take turns
    instead of both moving the same counts.
    """
    now = now or timezone.now()
    _working_days.cache_clear()  # the holiday calendar may have changed since
    with transaction.atomic():
        mark, created = RefreshMark.objects.select_for_update().get_or_create(
            name=MARK, defaults={"changed_since": now, "refreshed_at": now}
        )
        since = None if full or created else mark.changed_since - OVERLAP
        try:
            with transaction.atomic():
                taken = _take_in(since)
        except Inconsistent as error:
            log.error("reports: %s; rebuilding every report table", error)
            taken = _take_in(None)
        mark.changed_since, mark.refreshed_at, mark.days = now, timezone.now(), taken
        mark.save()
    if taken:
        log.info("reports: took in %s changes", taken)
    return taken


def _take_in(since: dt.datetime | None) -> int:
    if since is None:
        tables: list[Any] = [ApplicationFact, StepFact, PaymentFact, *(r.model for r in ROLLUPS)]
        for model in tables:
            model.objects.all().delete()
    deltas = Deltas()
    taken, changed = _take_in_applications(since, deltas)
    taken += _take_in_days(StepFact, _step_days(since, changed), _step_facts, STEPS, deltas)
    taken += _take_in_days(PaymentFact, _payment_days(since), _payment_facts, PAYMENTS, deltas)
    deltas.apply(empty=since is None)
    return taken


# --- applications ----------------------------------------------------------------------


def _take_in_applications(since: dt.datetime | None, deltas: Deltas) -> tuple[int, list[int]]:
    """Bring each changed application's fact row up to date, moving its counts; return
    how many were taken in and, unless all were, which."""
    changed = Application.objects.filter(submitted_at__isnull=False)
    if since is None:
        taken = 0
        for batch in _batched(_facts(changed), BATCH):
            _count(batch, deltas, +1)
            ApplicationFact.objects.bulk_create(batch)
            taken += len(batch)
        return taken, []  # every day of steps is recomputed anyway
    ids = list(changed.filter(updated_at__gte=since).values_list("pk", flat=True))
    for chunk in _chunks(ids, BATCH):
        old = {
            f.application_id: f for f in ApplicationFact.objects.filter(application_id__in=chunk)
        }
        new = {f.application_id: f for f in _facts(Application.objects.filter(pk__in=chunk))}
        # Read again (the overlap) or touched without a change that counts: left alone.
        moved = {
            pk for pk in old.keys() | new.keys() if _counted(old.get(pk)) != _counted(new.get(pk))
        }
        _count((old[pk] for pk in moved if pk in old), deltas, -1)
        _count((new[pk] for pk in moved if pk in new), deltas, +1)
        ApplicationFact.objects.filter(
            application_id__in=[pk for pk in moved if pk in old]
        ).delete()
        ApplicationFact.objects.bulk_create([new[pk] for pk in moved if pk in new])
    return len(ids), ids


COUNTED = (
    "day",
    "agency_id",
    "service_id",
    "kind",
    "channel",
    "province",
    "status",
    "filed_by_id",
    "decided_on",
    "working_days",
    "on_time",
)


def _counted(fact: ApplicationFact | None) -> tuple[Any, ...] | None:
    """What the reports count of an application (None: it is not counted)."""
    return None if fact is None else tuple(getattr(fact, name) for name in COUNTED)


def _facts(applications: QuerySet[Application]) -> Iterator[ApplicationFact]:
    """Each submitted application as the reports count it."""
    rows = (
        applications.filter(submitted_at__isnull=False)
        .exclude(status__in=BEFORE_AGENCY)
        .annotate(day=_day("submitted_at"), decided=_day("decided_at"))
        .order_by()
        .values_list(
            "pk",
            "day",
            "agency_id",
            "service_id",
            "kind",
            "channel",
            "province",
            "status",
            "filed_by_id",
            "decided",
            "sla_clock__due_on",
        )
    )
    for (
        pk,
        day,
        agency,
        service,
        kind,
        channel,
        province,
        status,
        filed_by,
        decided,
        due_on,
    ) in rows.iterator(chunk_size=BATCH):
        final = status in FINAL_STATUSES
        decided_on = (decided or day) if final else None
        yield ApplicationFact(
            application_id=pk,
            day=day,
            agency_id=agency,
            service_id=service,
            kind=kind,
            channel=channel,
            province=_province(province),
            status=status,
            filed_by_id=filed_by,
            decided_on=decided_on,
            working_days=_working_days(day, decided_on) if decided_on else None,
            on_time=None if decided_on is None or due_on is None else decided_on <= due_on,
        )


def _count(facts: Iterable[ApplicationFact], deltas: Deltas, sign: int) -> None:
    for fact in facts:
        month = fact.day.replace(day=1)
        common = (fact.agency_id, fact.service_id)
        cell = (fact.kind, fact.channel, fact.status)
        deltas.add(APPLICATIONS, (month, *common, *cell), (1,), sign)
        deltas.add(PROVINCE_VOLUMES, (month, fact.province, *common, *cell), (1,), sign)
        deltas.add(
            PROVINCES, (month, *common, fact.province, fact.status == Status.ISSUED), (1,), sign
        )
        if fact.decided_on is not None:
            key = (fact.decided_on.replace(day=1), *common, fact.working_days, fact.on_time)
            deltas.add(DECISIONS, key, (1,), sign)


@functools.lru_cache(maxsize=1024)
def _province(name: str) -> str:
    """One spelling per province ("จ.เชียงใหม่" and "Chiang Mai" are เชียงใหม่), so the
    map and the table count a province once; unknown names stay as written."""
    province = provinces.by_name(name) if name else None
    return province.name_th if province else name


# --- steps and payments, by day ----------------------------------------------------------


def _take_in_days(
    model: type[StepFact] | type[PaymentFact],
    days: set[dt.date],
    build: Any,
    rollup: Rollup,
    deltas: Deltas,
) -> int:
    """Recompute ``days`` of ``model`` and add the difference to the monthly roll-up."""
    for chunk in _chunks(sorted(days), 31):
        old: list[Any] = list(model.objects.filter(day__in=chunk))
        model.objects.filter(day__in=chunk).delete()
        new: list[Any] = [row for start, end in _spans(chunk) for row in build(start, end)]
        for batch in _chunks(new, BATCH):
            model.objects.bulk_create(batch)
        for sign, rows in ((-1, old), (+1, new)):
            for row in rows:
                key = (row.day.replace(day=1), *(getattr(row, k) for k in rollup.keys[1:]))
                deltas.add(rollup, key, (getattr(row, name) for name in rollup.sums), sign)
    return len(days)


def _step_days(since: dt.datetime | None, changed: list[int]) -> set[dt.date]:
    steps = StepClock.objects.filter(completed_at__isnull=False)
    if since is None:
        return {_local(at) for at in steps.values_list("completed_at", flat=True).iterator()}
    days: set[dt.date] = set()
    for chunk in _chunks(changed, BATCH):
        days |= {
            _local(at)
            for at in steps.filter(clock__application_id__in=chunk).values_list(
                "completed_at", flat=True
            )
        }
    return days


def _payment_days(since: dt.datetime | None) -> set[dt.date]:
    invoices = Invoice.objects.filter(paid_at__isnull=False)
    if since is not None:
        invoices = invoices.filter(paid_at__gte=since)
    return {
        _local(at) for at in invoices.values_list("paid_at", flat=True).iterator(chunk_size=BATCH)
    }


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
    counts: dict[tuple[Any, ...], int] = defaultdict(int)
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


# --- writing the roll-ups ----------------------------------------------------------------


def _apply(rollup: Rollup, cells: dict[tuple[Any, ...], list[Any]], *, empty: bool) -> None:
    """Add ``cells`` to the roll-up's rows (``empty``: it has none, a rebuild): update
    the cells that exist, create the new ones, delete the ones that fall to zero."""
    if not cells:
        return
    model: Any = rollup.model
    existing: dict[tuple[Any, ...], Any] = {}
    if not empty:
        # The changed cells by their whole key: an index probe each, however large
        # the table.
        for keys in _chunks(list(cells), 100):
            wanted = Q()
            for key in keys:
                wanted |= Q(**dict(zip(rollup.keys, key, strict=True)))
            for row in model.objects.filter(wanted):
                existing[rollup.key_of(row)] = row
    created, updated, emptied = [], [], []
    for key, change in cells.items():
        row = existing.get(key)
        if row is None:
            row = model(**dict(zip(rollup.keys, key, strict=True)))
            for name in rollup.sums:
                setattr(row, name, 0)
        for name, value in zip(rollup.sums, change, strict=True):
            setattr(row, name, getattr(row, name) + value)
        count = getattr(row, rollup.sums[0])
        if count < 0:
            raise Inconsistent(f"{model.__name__} {key} would count {count}")
        if count == 0:
            if row.pk is not None:
                emptied.append(row.pk)
        elif row.pk is None:
            created.append(row)
        else:
            updated.append(row)
    for ids in _chunks(emptied, BATCH):
        model.objects.filter(pk__in=ids).delete()
    model.objects.bulk_update(updated, rollup.sums, batch_size=500)
    model.objects.bulk_create(created, batch_size=BATCH)


# --- small helpers -----------------------------------------------------------------------


def _day(field: str) -> TruncDate:
    """The local date of ``field``, computed by the database."""
    return TruncDate(field, tzinfo=timezone.get_current_timezone())


@functools.lru_cache(maxsize=65536)
def _working_days(start: dt.date, end: dt.date) -> int:
    try:
        return min(calendar.working_days_between(start, end), 32767)
    except calendar.CalendarError:
        return 32767


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


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def totals() -> dict[str, Any]:
    """Sums of the roll-ups, for the operator's health page and tests."""
    return {
        "applications": ApplicationMonth.objects.aggregate(n=Sum("applications"))["n"] or 0,
        "decisions": DecisionMonth.objects.aggregate(n=Sum("decisions"))["n"] or 0,
        "payments": PaymentMonth.objects.aggregate(n=Sum("payments"))["n"] or 0,
        "collected": PaymentMonth.objects.aggregate(n=Sum("amount"))["n"] or Decimal("0.00"),
    }

"""Every change to the service-level clocks and the special days happens here.

The clock of an application is *derived*: :func:`refresh_clock` rebuilds it from the
application's status history (when it reached the agency, when it waited for the
applicant, when it ended), never from the event that triggered the refresh. That is
what makes the event subscriber safe: an event delivered twice, late, or after a later
one rebuilds the same clock from the same history, and the audit trail only records a
change of the clock (started, paused, resumed, stopped, due date moved).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bizportal.applications.models import BEFORE_AGENCY, FINAL_STATUSES, Application, Status
from bizportal.core import audit, events
from bizportal.workflow import services as workflow
from bizportal.workflow.steps import AGENCY_PERFORMERS, ola_days, step_types

from . import calendar
from .events import AT_RISK, BREACHED
from .models import Clock, SpecialDay, State, StepClock, local_date

#: The applicant's turn: the agency's clock does not run.
PAUSED = frozenset({Status.CORRECTION, Status.AWAITING_PAYMENT})
FINAL = frozenset(FINAL_STATUSES)
ALERT_BATCH = 200


class ServiceLevelError(ValueError):
    """A change refused; ``str()`` is Thai / English."""


def at_risk_days() -> int:
    return int(settings.SERVICE_LEVEL_AT_RISK_DAYS)


def state_on(
    today: dt.date, *, due_on: dt.date, stopped_at: dt.datetime | None, paused: bool = False
) -> str:
    """The clock's state as of ``today``: met / breached once stopped; breached after
    the due day, at risk within ``SERVICE_LEVEL_AT_RISK_DAYS`` working days of it."""
    if stopped_at is not None:
        return State.MET if local_date(stopped_at) <= due_on else State.BREACHED
    if today > due_on:
        return State.BREACHED
    if calendar.days_left(today, due_on) <= at_risk_days() and not paused:
        return State.AT_RISK
    return State.ON_TRACK


@dataclass(frozen=True)
class _Visit:
    step: str
    name: str
    type: str
    started_at: dt.datetime
    completed_at: dt.datetime | None


def _agency_step(step_type: str) -> bool:
    return step_type in step_types and step_types[step_type].performer in AGENCY_PERFORMERS


def default_ola_days(application: Application, sla_days: int) -> int:
    """A step that declares no ``biz:olaDays`` gets the citizen manual's longest stage
    (no single stage may take longer than the manual gives any), or the whole SLA when
    the manual lists no stages."""
    stage_days = [
        int(step.get("days") or 0) for step in application.service.steps or [] if step.get("days")
    ]
    return max(stage_days, default=0) or sla_days


@transaction.atomic
def refresh_clock(application: Application | int) -> Clock | None:
    """Rebuild the clock of an application from its history; None before it reached
    the agency. Idempotent: the same history gives the same clock."""
    pk = application if isinstance(application, int) else application.pk
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("service", "agency", "process__version")
        .defer("process__version__source")
        .get(pk=pk)
    )
    rows = list(app.history.order_by("at", "id"))
    start = next((row.at for row in rows if row.to_status not in BEFORE_AGENCY), None)
    if start is None:
        if app.status in BEFORE_AGENCY or app.submitted_at is None:
            return None
        start = app.submitted_at
    clock = Clock.objects.select_for_update().filter(application=app).first()
    before = _snapshot(clock)

    paused_since: dt.datetime | None = None
    paused_days = 0
    stopped_at: dt.datetime | None = None
    last_at = start
    visits: list[_Visit] = []
    for row in rows:
        if row.at < start:
            continue
        if row.step_type and _agency_step(row.step_type):
            visits.append(_Visit(row.step, row.step_name, row.step_type, last_at, row.at))
        last_at = row.at
        if row.to_status in PAUSED and paused_since is None:
            paused_since = row.at
        elif row.to_status not in PAUSED and paused_since is not None:
            paused_days += _pause_days(paused_since, row.at)
            paused_since = None
        if row.to_status in FINAL and stopped_at is None:
            stopped_at = row.at
    # The application row is the truth of the present (rows made without history,
    # such as imported applications, still get a sensible clock).
    if app.status in PAUSED and paused_since is None:
        paused_since = app.updated_at
    if app.status not in PAUSED and paused_since is not None:
        paused_days += _pause_days(paused_since, app.updated_at)
        paused_since = None
    final = app.status in FINAL
    stopped_at = (stopped_at or app.decided_at or app.updated_at) if final else None

    sla_days = clock.sla_days if clock is not None else app.service.processing_days
    due_on = calendar.add_working_days(local_date(start), sla_days + paused_days)
    state = state_on(
        timezone.localdate(),
        due_on=due_on,
        stopped_at=stopped_at,
        paused=paused_since is not None,
    )
    if clock is None:
        clock = Clock(application=app, agency_id=app.agency_id, sla_days=sla_days)
    clock.started_at = start
    clock.paused_since = paused_since
    clock.paused_days = paused_days
    clock.due_on = due_on
    clock.stopped_at = stopped_at
    clock.state = state
    clock.recount = False
    clock.save()
    _refresh_steps(app, clock, visits, last_at, sla_days)
    _audit_change(app, before, _snapshot(clock))
    return clock


def _pause_days(since: dt.datetime, until: dt.datetime) -> int:
    return calendar.working_days_between(local_date(since), local_date(until))


def _refresh_steps(
    app: Application, clock: Clock, visits: list[_Visit], last_at: dt.datetime, sla_days: int
) -> None:
    """Upsert one step clock per visit of an agency step (done, or waiting now)."""
    process = workflow.parsed(app.process.version) if app.process is not None else None
    if app.process is not None and app.status not in FINAL:
        for ready in workflow.ready_steps(app.process):
            if _agency_step(ready.spec.type):
                visits.append(
                    _Visit(ready.spec.id, ready.spec.name, ready.spec.type, last_at, None)
                )
    fallback = default_ola_days(app, sla_days)
    existing = {(s.step, s.started_at): s for s in clock.steps.all()}
    keep: set[int] = set()
    for visit in visits:
        spec = process.step(visit.step) if process is not None else None
        ola = (ola_days(spec) if spec is not None else None) or fallback
        due_on = calendar.add_working_days(local_date(visit.started_at), ola)
        row = existing.get((visit.step, visit.started_at))
        if row is None:
            row = StepClock.objects.create(
                clock=clock,
                step=visit.step,
                step_name=visit.name[:300],
                step_type=visit.type,
                started_at=visit.started_at,
                ola_days=ola,
                due_on=due_on,
                completed_at=visit.completed_at,
            )
        elif (row.ola_days, row.due_on, row.completed_at) != (ola, due_on, visit.completed_at):
            row.ola_days, row.due_on, row.completed_at = ola, due_on, visit.completed_at
            row.save(update_fields=["ola_days", "due_on", "completed_at"])
        keep.add(row.pk)
    clock.steps.exclude(pk__in=keep).delete()


def _snapshot(clock: Clock | None) -> dict[str, Any]:
    if clock is None:
        return {}
    return {
        "due_on": clock.due_on,
        "paused": clock.paused_since is not None,
        "stopped": clock.stopped_at is not None,
    }


def _audit_change(app: Application, before: dict[str, Any], after: dict[str, Any]) -> None:
    """One audit row per change of the clock that people would notice."""
    if before == after:
        return
    if not before:
        action = "service_levels.clock_started"
    elif after["stopped"] and not before["stopped"]:
        action = "service_levels.clock_stopped"
    elif after["paused"] and not before["paused"]:
        action = "service_levels.clock_paused"
    elif before["paused"] and not after["paused"]:
        action = "service_levels.clock_resumed"
    else:
        action = "service_levels.due_date_changed"
    audit.record(
        action,
        app,
        actor_label="Biz Portal",
        reference=app.reference or "",
        due_on=str(after["due_on"]),
        previous_due_on=str(before.get("due_on", "")),
        paused=after["paused"],
    )


# --- alerts ---------------------------------------------------------------------------


def send_alerts(*, today: dt.date | None = None) -> int:
    """Alert once per application: supervisors when it passed its due date, officers
    when it is within ``SERVICE_LEVEL_AT_RISK_DAYS`` working days of it. A paused or
    stopped clock is not alerted; a repeated sweep sends nothing twice."""
    today = today or timezone.localdate()
    sent = 0
    while batch := _alert(today, breached=True):
        sent += batch
    while batch := _alert(today, breached=False):
        sent += batch
    return sent


def _alert(today: dt.date, *, breached: bool) -> int:
    running = Clock.objects.filter(stopped_at__isnull=True, paused_since__isnull=True)
    if breached:
        due = running.filter(due_on__lt=today, breach_alerted_at__isnull=True)
    else:
        horizon = calendar.add_working_days(today, at_risk_days())
        due = running.filter(
            due_on__gte=today,
            due_on__lte=horizon,
            at_risk_alerted_at__isnull=True,
            breach_alerted_at__isnull=True,
        )
    now = timezone.now()
    with transaction.atomic():
        clocks = list(
            due.select_for_update(skip_locked=True, of=("self",))
            .select_related("application__service", "agency")
            .order_by("due_on", "pk")[:ALERT_BATCH]
        )
        if not clocks:
            return 0
        for clock in clocks:
            if breached:
                clock.breach_alerted_at, clock.state = now, State.BREACHED
            else:
                clock.at_risk_alerted_at, clock.state = now, State.AT_RISK
        Clock.objects.bulk_update(
            clocks, ["breach_alerted_at", "at_risk_alerted_at", "state", "updated_at"]
        )
        items = [
            (
                clock.application,
                {
                    "reference": clock.application.reference or "",
                    "due_on": str(clock.due_on),
                    "days_left": calendar.days_left(today, clock.due_on),
                    "agency": clock.agency.code,
                    "service": clock.application.service.slug,
                },
            )
            for clock in clocks
        ]
        events.publish_many(BREACHED if breached else AT_RISK, items, actor_label="Biz Portal")
        audit.record_many(
            "service_levels.breached" if breached else "service_levels.at_risk",
            [(application, dict(payload)) for application, payload in items],
            actor_label="Biz Portal",
        )
    return len(clocks)


def recount_stale(*, limit: int = 500) -> int:
    """Rebuild the clocks a special-day change marked (their due dates may move)."""
    ids = list(Clock.objects.filter(recount=True).values_list("application_id", flat=True)[:limit])
    for application_id in ids:
        refresh_clock(application_id)
    return len(ids)


def backfill(*, limit: int = 200) -> int:
    """Start the clocks of applications that reached their agency before this app was
    installed (or whose events were lost): the history has what the clock needs."""
    ids = list(
        Application.objects.exclude(status__in=BEFORE_AGENCY)
        .filter(sla_clock__isnull=True, submitted_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for application_id in ids:
        refresh_clock(application_id)
    return len(ids)


# --- special days ---------------------------------------------------------------------


@transaction.atomic
def save_special_day(day: SpecialDay, *, actor: Any, previous_date: dt.date | None = None) -> None:
    """Add or change a special day; the open clocks it may move are counted again."""
    if not day.name_th.strip() or not day.name_en.strip():
        raise ServiceLevelError(_("Please name the day in Thai and English"))
    created = day.pk is None
    day.save()
    audit.record(
        "service_levels.special_day_added" if created else "service_levels.special_day_changed",
        day,
        actor=actor,
        date=str(day.date),
        kind=day.kind,
        name_th=day.name_th,
        name_en=day.name_en,
        previous_date=str(previous_date or ""),
    )
    _mark_for_recount(min(filter(None, (day.date, previous_date))))
    transaction.on_commit(calendar.forget)


@transaction.atomic
def delete_special_day(day: SpecialDay, *, actor: Any) -> None:
    audit.record(
        "service_levels.special_day_deleted",
        day,
        actor=actor,
        date=str(day.date),
        kind=day.kind,
        name_th=day.name_th,
        name_en=day.name_en,
    )
    date = day.date
    day.delete()
    _mark_for_recount(date)
    transaction.on_commit(calendar.forget)


def _mark_for_recount(date: dt.date) -> int:
    """Open clocks whose count may include ``date``: started before it, due on or after
    it (or paused, whose due date is still to move)."""
    start = dt.datetime.combine(date, dt.time.max, tzinfo=timezone.get_current_timezone())
    calendar.forget()
    return Clock.objects.filter(
        Q(due_on__gte=date) | Q(paused_since__isnull=False),
        stopped_at__isnull=True,
        started_at__lte=start,
    ).update(recount=True)

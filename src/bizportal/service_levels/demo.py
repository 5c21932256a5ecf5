"""Demo clocks: every demo application that reached its agency gets its clock, and two
open ones of the agency with the most open work are aged (their history moved back in
time) so the demo worklist shows one application at risk and one overdue."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F
from django.utils import timezone

from bizportal.applications.models import Application, StatusChange
from bizportal.core import demo

from . import calendar, services
from .models import Clock, State


@demo.loader("service-levels", order=97)
def load_demo() -> list[demo.DemoLogin]:
    while services.backfill():
        pass
    if Clock.objects.filter(state=State.BREACHED).exists():  # aged already
        return []
    running = Clock.objects.filter(stopped_at__isnull=True, paused_since__isnull=True)
    busiest = (
        running.values("agency").annotate(n=Count("pk")).filter(n__gte=2).order_by("-n").first()
    )
    if busiest is None:
        return []
    clocks = list(running.filter(agency=busiest["agency"]).order_by("application_id")[:2])
    today = timezone.localdate()
    # Overdue by three working days; at risk: due tomorrow (a working day).
    targets = (_back(today, 3), calendar.add_working_days(today, 1))
    for clock, due in zip(clocks, targets, strict=True):
        _age(clock, due)
    services.send_alerts()
    return []


def _back(today: dt.date, days: int) -> dt.date:
    day = today
    while calendar.working_days_between(day, today) < days:
        day -= dt.timedelta(days=1)
    return day


def _age(clock: Clock, due: dt.date) -> None:
    """Move the application's history back so that its clock falls due on ``due``."""
    start = timezone.localtime(clock.started_at).date()
    days = clock.sla_days + clock.paused_days
    new_start = start
    while calendar.add_working_days(new_start, days) > due:
        new_start -= dt.timedelta(days=1)
    shift = dt.timedelta(days=(start - new_start).days)
    Application.objects.filter(pk=clock.application_id).update(
        submitted_at=F("submitted_at") - shift, created_at=F("created_at") - shift
    )
    StatusChange.objects.filter(application_id=clock.application_id).update(at=F("at") - shift)
    services.refresh_clock(clock.application_id)

"""The sweeper's alerts: officers when an application is at risk, supervisors when it
is past its due date; each once, never for a paused or finished application."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from freezegun import freeze_time

from bizportal.applications import services
from bizportal.core import outbox, sweeps
from bizportal.core.models import AuditEvent, DomainEvent
from bizportal.identity.models import StaffRole
from bizportal.service_levels import calendar
from bizportal.service_levels import services as sla
from bizportal.service_levels.models import Clock, State
from tests import journeys
from tests.factories import OfficerFactory, ServiceFactory

pytestmark = pytest.mark.django_db

D = dt.date
BANGKOK = dt.timezone(dt.timedelta(hours=7))


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=BANGKOK)


def test_at_risk_and_breach_are_alerted_once_to_the_right_people(settings) -> None:
    settings.SERVICE_LEVEL_AT_RISK_DAYS = 2
    service = ServiceFactory()
    service.agency.email = "saraban@agency.go.th"
    service.agency.save()
    OfficerFactory(agency=service.agency, email="officer@agency.go.th")
    supervisor = OfficerFactory(
        agency=service.agency,
        roles=[StaffRole.AGENCY_SUPERVISOR],
        email="head@agency.go.th",
    )
    with freeze_time(at(D(2026, 4, 1))):
        late = journeys.submitted(service)  # 15 working days after 1 April: 28 April
        paused = journeys.submitted(service)
        services.decide(paused, officer=supervisor, action="correct", note="แก้ไข")
    today = D(2026, 4, 29)
    # ``soon`` arrives on the day that makes it due 2 working days after today.
    arrival = next(
        day
        for day in (today - dt.timedelta(days=n) for n in range(40))
        if calendar.add_working_days(day, 15) == calendar.add_working_days(today, 2)
    )
    with freeze_time(at(arrival)):
        soon = journeys.submitted(service)
    for application in (late, soon, paused):
        sla.refresh_clock(application)
    assert Clock.objects.get(application=late).due_on == D(2026, 4, 28)
    assert Clock.objects.get(application=soon).due_on == D(2026, 5, 5)
    mail.outbox.clear()
    with freeze_time(at(today)):
        assert sla.send_alerts(today=today) == 2
        assert sla.send_alerts(today=today) == 0  # a second sweep sends nothing
        outbox.deliver_pending(limit=1000)
    assert Clock.objects.get(application=late).state == State.BREACHED
    assert Clock.objects.get(application=soon).state == State.AT_RISK
    assert Clock.objects.get(application=paused).breach_alerted_at is None
    names = sorted(
        DomainEvent.objects.filter(name__startswith="service_levels.").values_list(
            "name", "subject_id"
        )
    )
    assert names == [
        ("service_levels.at_risk", str(soon.public_id)),
        ("service_levels.breached", str(late.public_id)),
    ]
    # One message per recipient (the delivery log keeps each), the agency mailbox copied.
    late_subject = f"[Biz Portal] {late.reference}: เกินกำหนดเวลา / past its due date"
    soon_subject = f"[Biz Portal] {soon.reference}: ใกล้ครบกำหนด / due soon"
    sent = sorted((m.subject, to) for m in mail.outbox if "due" in m.subject for to in m.to)
    assert sent == sorted(
        [
            (late_subject, "head@agency.go.th"),
            (late_subject, "saraban@agency.go.th"),
            (soon_subject, "officer@agency.go.th"),
            (soon_subject, "saraban@agency.go.th"),
        ]
    )
    breach_mail = next(m for m in mail.outbox if m.subject.endswith("past its due date"))
    assert "28 เมษายน 2569" in breach_mail.body and "28 April 2026" in breach_mail.body
    assert AuditEvent.objects.filter(action="service_levels.breached").count() == 1

    # Due on 5 May (1 and 4 May are holidays): on the 6th it is overdue, told once.
    with freeze_time(at(D(2026, 5, 6))):
        assert sla.send_alerts(today=D(2026, 5, 6)) == 1
        assert sla.send_alerts(today=D(2026, 5, 6)) == 0


def test_the_sweeper_runs_the_alerts() -> None:
    names = [sweeper.name for sweeper in sweeps.sweepers()]
    assert "service_levels.alerts" in names and "service_levels.recount" in names

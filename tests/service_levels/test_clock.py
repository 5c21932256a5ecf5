"""The clock of an application: started when it reaches the agency, paused while the
applicant corrects or pays, stopped when it ends; rebuilt from the history, so events
delivered twice or out of order change nothing; the per-step OLA targets."""

from __future__ import annotations

import datetime as dt

import pytest
from freezegun import freeze_time

from bizportal.applications import services
from bizportal.applications.models import Application, Status
from bizportal.core import outbox
from bizportal.core.models import AuditEvent, OutboxMessage
from bizportal.service_levels import calendar, selectors
from bizportal.service_levels import services as sla
from bizportal.service_levels.models import Clock, State
from tests import journeys
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

D = dt.date
BANGKOK = dt.timezone(dt.timedelta(hours=7))


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BANGKOK)


def clock_of(application: Application) -> Clock:
    return Clock.objects.get(application=application)


def deliver() -> None:
    """What the outbox relay does after commit."""
    outbox.deliver_pending(limit=1000)


def clock_audits(application: Application) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            object_id=str(application.public_id), action__startswith="service_levels."
        )
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_pause_on_correction_and_payment_and_stop_on_issue() -> None:
    service = ServiceFactory()  # the food-shop manual: 15 working days
    assert service.processing_days == 15
    with freeze_time(at(D(2026, 4, 9))):  # Thursday, before Chakri-free Songkran week
        application = journeys.submitted(service)
        deliver()
    clock = clock_of(application)
    assert clock.sla_days == 15 and clock.paused_since is None
    # 10, 16, 17, 20-24, 27-30 April (12); 1 May (Labour Day) and 4 May (Coronation
    # Day) off; 5-7 May: the 15th working day.
    assert clock.due_on == D(2026, 5, 7) == calendar.add_working_days(D(2026, 4, 9), 15)

    officer = journeys.officer_of(application)
    with freeze_time(at(D(2026, 4, 10))):
        services.decide(application, officer=officer, action="correct", note="แนบแผนผัง")
        deliver()
    clock = clock_of(application)
    assert clock.paused_since == at(D(2026, 4, 10))
    # Frozen at the day it paused: one of the 15 days used.
    assert selectors.standing(clock, D(2026, 4, 30)).days_left == 14
    assert selectors.standing(clock, D(2026, 4, 30)).paused

    with freeze_time(at(D(2026, 4, 20))):
        application.refresh_from_db()
        services.submit(application, actor=application.applicant, accept_terms=True)
        deliver()
    clock = clock_of(application)
    # Paused 16, 17, 20 April: three working days later.
    assert (clock.paused_since, clock.paused_days) == (None, 3)
    assert clock.due_on == calendar.add_working_days(D(2026, 4, 9), 18) == D(2026, 5, 12)

    with freeze_time(at(D(2026, 4, 21))):
        application = journeys.approve_everything(Application.objects.get(pk=application.pk))
        deliver()
    assert application.status == Status.AWAITING_PAYMENT
    assert clock_of(application).paused_since == at(D(2026, 4, 21))
    with freeze_time(at(D(2026, 4, 23))):
        application = journeys.run_system_steps(journeys.pay(application))
        deliver()
    assert application.status == Status.ISSUED
    clock = clock_of(application)
    # Two more (22, 23 April); 13 May is the Royal Ploughing Ceremony.
    assert clock.paused_days == 5 and clock.due_on == D(2026, 5, 15)
    assert clock.stopped_at == at(D(2026, 4, 23)) and clock.state == State.MET
    assert clock_audits(application) == [
        "service_levels.clock_started",
        "service_levels.clock_paused",
        "service_levels.clock_resumed",
        "service_levels.clock_paused",
        # Paid and issued before the events were delivered: one change, seen as a stop.
        "service_levels.clock_stopped",
    ]
    # The review step had its own target: the manual's longest stage (10 days).
    review = [s for s in selectors.step_clocks(application) if s.step_type == "officer-review"]
    assert [(s.ola_days, s.met()) for s in review] == [(10, True), (10, True)]


def test_repeated_and_out_of_order_events_change_nothing() -> None:
    with freeze_time(at(D(2026, 12, 29))):
        application = journeys.submitted(ServiceFactory())
    with freeze_time(at(D(2027, 1, 5))):
        services.decide(
            application, officer=journeys.officer_of(application), action="correct", note="x"
        )
    messages = list(OutboxMessage.objects.filter(subscriber__startswith="service_levels."))
    assert messages
    # Deliver the newest first, then every one again: the clock is the history's.
    with freeze_time(at(D(2027, 1, 6))):
        for message in sorted(messages, key=lambda m: m.created_at, reverse=True):
            outbox.deliver_one(message.id)
        OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
            status=OutboxMessage.Status.PENDING
        )
        deliver()
        first = clock_of(application)
        sla.refresh_clock(application)
    again = clock_of(application)
    assert (first.due_on, first.paused_since, first.paused_days) == (
        again.due_on,
        again.paused_since,
        again.paused_days,
    )
    # Year end: 30 Dec (1), 31 Dec and 1 Jan off, 4-8 Jan (6), 11-15 (11), 18-21 (15).
    assert again.due_on == calendar.add_working_days(D(2026, 12, 29), 15) == D(2027, 1, 21)
    assert again.paused_since == at(D(2027, 1, 5))
    # Every event came after both changes: one audit row, for a clock started paused.
    assert clock_audits(application) == ["service_levels.clock_started"]
    started = AuditEvent.objects.get(action="service_levels.clock_started")
    assert started.data["paused"] is True


def test_a_draft_has_no_clock() -> None:
    application = journeys.fill(journeys.start(ServiceFactory()))
    assert sla.refresh_clock(application) is None
    assert not Clock.objects.exists()


def test_a_special_day_moves_open_due_dates(admin_client) -> None:
    with freeze_time(at(D(2027, 1, 4))):
        application = journeys.submitted(ServiceFactory())
        deliver()
    before = clock_of(application).due_on
    response = admin_client.post(
        "/admin/service_levels/specialday/add/",
        {
            "date": "2027-01-06",
            "kind": "holiday",
            "name_th": "วันหยุดราชการเพิ่มเป็นกรณีพิเศษ",
            "name_en": "Additional special holiday",
            "announcement": "มติคณะรัฐมนตรี",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert clock_of(application).recount
    assert sla.recount_stale() == 1
    after = clock_of(application)
    assert after.due_on == calendar.add_working_days(before, 1) and not after.recount
    assert AuditEvent.objects.filter(action="service_levels.special_day_added").count() == 1

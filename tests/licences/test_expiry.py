"""Expiry as a scheduled transition (issue 14): reminders before the last day, once per
threshold and term; the register marks the licence expired after it; a late renewal
brings it back. The sweeper runs both, so a missed day catches up."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bizportal.core import sweeps
from bizportal.core.audit import verify_chain
from bizportal.core.models import AuditEvent, DomainEvent
from bizportal.licences import services
from bizportal.licences.models import ExpiryReminder, Licence
from tests.factories import OfficerFactory
from tests.licences.conftest import draft, renew

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(licence: Licence) -> Any:
    return OfficerFactory(agency=licence.agency)


def ends_in(licence: Licence, days: int) -> Licence:
    """Move the licence's last day to ``days`` from today (negative: in the past)."""
    Licence.objects.filter(pk=licence.pk).update(
        valid_until=timezone.localdate() + dt.timedelta(days=days)
    )
    licence.refresh_from_db()
    return licence


def reminders(licence: Licence) -> list[int]:
    return sorted(licence.reminders.values_list("days_before", flat=True))


def test_each_threshold_reminds_once_per_term(licence: Licence, settings: Any) -> None:
    settings.LICENCE_EXPIRY_REMINDER_DAYS = (7, 30, 90)
    ends_in(licence, 120)
    assert services.send_expiry_reminders() == 0  # not yet within any threshold
    ends_in(licence, 60)
    assert services.send_expiry_reminders() == 1
    assert services.send_expiry_reminders() == 0  # the sweep runs every minute
    assert reminders(licence) == [90]
    ends_in(licence, 30)
    assert services.send_expiry_reminders() == 1
    ends_in(licence, 3)
    assert services.send_expiry_reminders() == 1
    assert reminders(licence) == [7, 30, 90]
    announced = DomainEvent.objects.filter(name="licences.expiry_approaching")
    assert sorted(event.payload["days_left"] for event in announced) == [3, 30, 60]


def test_a_licence_issued_close_to_its_end_gets_only_the_nearest_reminder(
    licence: Licence, settings: Any
) -> None:
    settings.LICENCE_EXPIRY_REMINDER_DAYS = (7, 30, 90)
    ends_in(licence, 5)
    assert services.send_expiry_reminders() == 1
    assert reminders(licence) == [7]


def test_no_reminders_for_licences_that_do_not_stand(licence: Licence, settings: Any) -> None:
    settings.LICENCE_EXPIRY_REMINDER_DAYS = (30,)
    ends_in(licence, 10)
    Licence.objects.filter(pk=licence.pk).update(status=Licence.Status.SUSPENDED)
    assert services.send_expiry_reminders() == 0
    Licence.objects.filter(pk=licence.pk).update(valid_until=None, status=Licence.Status.VALID)
    assert services.send_expiry_reminders() == 0  # never expires


def test_after_the_last_day_the_register_says_expired(licence: Licence) -> None:
    ends_in(licence, 0)
    assert services.expire_lapsed_licences() == 0  # the last day itself is still valid
    ends_in(licence, -1)
    assert services.verdict(licence) == "expired"  # by date, before the sweep
    assert services.expire_lapsed_licences() == 1
    assert services.expire_lapsed_licences() == 0
    licence.refresh_from_db()
    assert licence.status == Licence.Status.EXPIRED
    assert services.verdict(licence) == "expired"
    assert AuditEvent.objects.filter(action="licence.expired").count() == 1
    assert DomainEvent.objects.filter(name="licences.licence_expired").count() == 1


def test_expired_licences_cannot_be_suspended_or_amended(licence: Licence, officer: Any) -> None:
    ends_in(licence, -1)
    services.expire_lapsed_licences()
    licence.refresh_from_db()
    with pytest.raises(services.LicenceError):
        services.suspend_licence(licence, reason="x", actor=officer)
    with pytest.raises(services.LicenceError, match="หมดอายุแล้ว"):
        services.check_change(licence, "amend")


def test_a_late_renewal_makes_an_expired_licence_valid_again(licence: Licence) -> None:
    ends_in(licence, -10)
    services.expire_lapsed_licences()
    licence.refresh_from_db()
    renewed = renew(licence)
    assert renewed.status == Licence.Status.VALID
    assert renewed.valid_until is not None and renewed.valid_until > timezone.localdate()
    assert services.verdict(renewed) == "valid"


def test_the_sweeper_runs_both_and_the_holder_is_emailed(
    licence: Licence, settings: Any, mailoutbox: Any
) -> None:
    settings.LICENCE_EXPIRY_REMINDER_DAYS = (30,)
    other = ends_in(licence, 20)
    report = sweeps.sweep()
    assert report.due["licences.expiry_reminders"] == 1
    assert ExpiryReminder.objects.filter(licence=other, days_before=30).exists()
    ends_in(other, -1)
    report = sweeps.sweep()
    assert report.due["licences.expiries"] == 1
    sweeps.sweep()  # nothing twice
    subjects = [message.subject for message in mailoutbox]
    assert subjects == [
        f"[Biz Portal] {other.number}: จะหมดอายุใน 20 วัน / expires in 20 days",
        f"[Biz Portal] {other.number}: หมดอายุแล้ว / has expired",
    ]
    assert f"/account/#licence-{other.public_id}" in mailoutbox[0].body


def test_batch_work_takes_the_same_queries_for_one_licence_or_many(
    licence: Licence, settings: Any, django_assert_num_queries: Any
) -> None:
    """Reminders and expiries write with bulk inserts: a national day's batch costs
    what one licence costs, and the audit chain still verifies."""
    settings.LICENCE_EXPIRY_REMINDER_DAYS = (30,)
    more = [services.issue_licence(draft(licence.service, licence.account)) for _ in range(3)]
    for each in [licence, *more]:
        ends_in(each, 10)
    Licence.objects.exclude(pk=licence.pk).update(valid_until=None)
    with CaptureQueriesContext(connection) as one:
        services.send_expiry_reminders()
    Licence.objects.update(valid_until=timezone.localdate() + dt.timedelta(days=9))
    with django_assert_num_queries(len(one)):
        assert services.send_expiry_reminders() == 4
    Licence.objects.update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    with CaptureQueriesContext(connection) as expiring:
        assert services.expire_lapsed_licences() == 4
    assert len(expiring) < 20
    assert verify_chain()[1] is None

"""One number for life: amendments and renewals as new versions, cancelling, and the
rules on which change a licence's state allows."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone, translation

from bizportal.applications.models import Application, Status
from bizportal.catalog.models import Service
from bizportal.core.models import AuditEvent, DomainEvent
from bizportal.core.thai import english_date, thai_date
from bizportal.identity.models import User
from bizportal.licences import services
from bizportal.licences.models import Licence, LicenceVersion, VersionKind
from bizportal.licences.services import (
    ChangeKind,
    LicenceError,
    cancel_licence,
    check_change,
    days_past_expiry,
    issue_licence,
    issue_version,
    renewal_window,
    revoke_licence,
    valid_until_for,
    verdict,
)
from tests import journeys

from .conftest import BUSINESS_NAME, amend, draft, renew, version


def expiring_on(licence: Licence, last_day: dt.date | None) -> Licence:
    """The same licence with another last valid day (as if issued earlier)."""
    Licence.objects.filter(pk=licence.pk).update(valid_until=last_day)
    licence.refresh_from_db()
    return licence


# --- amending --------------------------------------------------------------------


def test_an_amendment_is_version_2_under_the_same_number(licence: Licence) -> None:
    number, valid_from, valid_until = licence.number, licence.valid_from, licence.valid_until

    amended = amend(licence, business_name="ร้านข้าวมันไก่ป้าแดง สาขาอารีย์")

    assert amended.pk == licence.pk
    assert amended.number == number
    assert amended.version == 2
    assert amended.business_name == "ร้านข้าวมันไก่ป้าแดง สาขาอารีย์"
    # An amendment changes what the licence says, not how long it is valid.
    assert (amended.valid_from, amended.valid_until) == (valid_from, valid_until)
    first, second = version(amended, 1), version(amended, 2)
    assert second.kind == VersionKind.AMEND
    assert second.superseded_at is None
    assert first.superseded_at == second.issued_at
    assert first.business_name == BUSINESS_NAME  # the old document keeps what it said
    assert first.pdf.name != second.pdf.name
    assert first.pdf_sha256 != second.pdf_sha256
    assert Licence.objects.count() == 1


def test_the_old_version_verifies_superseded_and_the_current_one_valid(amended: Licence) -> None:
    assert verdict(amended, version=1) == "superseded"
    assert verdict(amended, version=2) == "valid"
    assert verdict(amended) == "valid"


def test_revoked_and_expired_are_judged_in_order(amended: Licence, applicant: User) -> None:
    last_day = amended.valid_until
    assert last_day is not None
    after = last_day + dt.timedelta(days=1)

    # An old paper stays superseded even once the licence has expired ...
    assert verdict(amended, version=1, today=after) == "superseded"
    assert verdict(amended, version=2, today=after) == "expired"
    # ... and revoking ends every version.
    revoke_licence(amended, "ฝ่าฝืนเงื่อนไข / Conditions breached", actor=applicant)
    amended.refresh_from_db()
    assert verdict(amended, version=1) == "revoked"
    assert verdict(amended, version=2) == "revoked"


def test_a_new_version_is_audited_and_announced_as_what_it_is(licence: Licence) -> None:
    amend(licence)
    renew(expiring_on(licence, timezone.localdate() + dt.timedelta(days=10)))

    assert AuditEvent.objects.filter(action="licence.amended", data__version=2).count() == 1
    assert AuditEvent.objects.filter(action="licence.renewed", data__version=3).count() == 1
    kinds = DomainEvent.objects.filter(name="licences.version_issued").order_by("occurred_at")
    assert [(e.payload["version"], e.payload["kind"]) for e in kinds] == [
        (1, "new"),
        (2, "amend"),
        (3, "renew"),
    ]


def test_issuing_a_version_is_idempotent_on_the_application_reference(licence: Licence) -> None:
    once = draft(licence.service, licence.account, business_name="ชื่อใหม่")

    first = issue_version(licence, once, VersionKind.AMEND)
    again = issue_version(first, once, VersionKind.AMEND)

    assert again.version == first.version == 2
    assert LicenceVersion.objects.filter(licence=licence).count() == 2
    assert AuditEvent.objects.filter(action="licence.amended").count() == 1
    assert DomainEvent.objects.filter(name="licences.version_issued").count() == 2  # v1, v2
    # The reference version 1 came from does not make a version either.
    issue_version(
        again,
        draft(
            licence.service,
            licence.account,
            application_reference=version(licence, 1).application_reference,
        ),
        VersionKind.AMEND,
    )
    assert Licence.objects.get(pk=licence.pk).version == 2


def test_a_failed_new_version_leaves_the_current_one_in_force(licence: Licence) -> None:
    with (
        mock.patch.object(services, "build_payload", side_effect=RuntimeError("bad data")),
        pytest.raises(RuntimeError, match="bad data"),
    ):
        amend(licence, business_name="ชื่อใหม่")

    licence.refresh_from_db()
    assert licence.version == 1
    assert licence.business_name == BUSINESS_NAME
    assert version(licence, 1).superseded_at is None
    assert not licence.versions.filter(number=2).exists()
    assert verdict(licence, version=1) == "valid"


def test_a_new_version_whose_signature_fails_is_registered_and_signed_on_retry(
    licence: Licence,
) -> None:
    """The decision stands once registered; the document follows when the key store is
    back (the task is retried; the sweeper re-enqueues it)."""
    with mock.patch.object(
        services.licence_pdf, "sign_licence_pdf", side_effect=RuntimeError("HSM offline")
    ):
        amend(licence, business_name="ชื่อใหม่")
    licence.refresh_from_db()
    assert licence.version == 2 and version(licence, 2).being_issued
    services.sign_version(version(licence, 2).pk)
    assert not version(licence, 2).being_issued
    assert verdict(licence, version=1) == "superseded"


def test_an_amendment_application_issues_version_2(service: Service, applicant: User) -> None:
    licence = journeys.issued_licence(service, applicant)
    answers = {**licence.details, "business_name": "ร้านข้าวแกงป้าศรี สาขา 2"}

    application = journeys.decided(
        journeys.submitted(kind="amend", licence=licence, answers=answers)
    )

    assert application.status == Status.ISSUED
    licence.refresh_from_db()
    assert licence.version == 2
    assert licence.business_name == "ร้านข้าวแกงป้าศรี สาขา 2"
    second = version(licence, 2)
    assert (second.kind, second.application_reference) == ("amend", application.reference)
    assert application.issued_version == 2
    assert verdict(licence, version=1) == "superseded"
    assert verdict(licence) == "valid"


# --- renewing --------------------------------------------------------------------


def test_a_renewal_continues_from_the_day_after_the_old_expiry(licence: Licence) -> None:
    old_last_day = timezone.localdate() + dt.timedelta(days=20)
    expiring_on(licence, old_last_day)

    renewed = renew(licence)

    new_first_day = old_last_day + dt.timedelta(days=1)
    assert renewed.version == 2
    assert renewed.valid_from == new_first_day
    assert renewed.valid_until == valid_until_for(new_first_day, 1)
    second = version(renewed, 2)
    assert (second.kind, second.valid_from, second.valid_until) == (
        "renew",
        renewed.valid_from,
        renewed.valid_until,
    )
    assert version(renewed, 1).superseded_at == second.issued_at


def test_a_late_renewal_still_continues_the_old_validity(licence: Licence) -> None:
    """No gap is forgiven and none is added: the licence runs on from its old expiry."""
    old_last_day = timezone.localdate() - dt.timedelta(days=10)
    expiring_on(licence, old_last_day)
    assert verdict(licence) == "expired"
    assert days_past_expiry(licence) == 10

    renewed = renew(licence)

    assert renewed.valid_from == old_last_day + dt.timedelta(days=1)
    assert verdict(renewed) == "valid"


def test_a_renewal_application_issues_version_2(service: Service, applicant: User) -> None:
    licence = journeys.issued_licence(service, applicant)
    number = licence.number
    old_last_day = timezone.localdate() + dt.timedelta(days=30)  # inside the 90-day window
    expiring_on(licence, old_last_day)

    application = journeys.decided(journeys.submitted(kind="renew", licence=licence))

    assert application.status == Status.ISSUED
    licence.refresh_from_db()
    assert (licence.number, licence.version) == (number, 2)
    assert licence.valid_from == old_last_day + dt.timedelta(days=1)
    assert version(licence, 2).application_reference == application.reference
    assert verdict(licence, version=1) == "superseded"


# --- cancelling ------------------------------------------------------------------


def test_cancelling_ends_every_version_and_says_when(amended: Licence, applicant: User) -> None:
    cancelled = cancel_licence(amended, reason="เลิกกิจการ / Business closed", actor=applicant)

    assert cancelled.status == Licence.Status.CANCELLED
    assert cancelled.cancelled_at is not None
    assert cancelled.cancellation_reason == "เลิกกิจการ / Business closed"
    assert verdict(cancelled) == "cancelled"
    assert verdict(cancelled, version=1) == "cancelled"
    assert AuditEvent.objects.get(action="licence.cancelled").actor == applicant
    assert DomainEvent.objects.filter(name="licences.licence_cancelled").count() == 1


def test_cancelling_needs_a_reason(licence: Licence) -> None:
    with pytest.raises(LicenceError, match="กรุณาระบุเหตุผลที่ยกเลิก"):
        cancel_licence(licence, reason="  ")

    licence.refresh_from_db()
    assert licence.status == Licence.Status.VALID


def test_a_second_cancel_is_refused_with_the_date_of_the_first(licence: Licence) -> None:
    cancel_licence(licence, reason="เลิกกิจการ / Business closed")
    licence.refresh_from_db()
    assert licence.cancelled_at is not None
    on = licence.cancelled_at

    with pytest.raises(LicenceError) as refused:
        cancel_licence(licence, reason="again")

    assert f"ใบอนุญาต {licence.number} ถูกยกเลิกแล้วเมื่อ {thai_date(on)}" in str(refused.value)
    with translation.override("en"), pytest.raises(LicenceError) as refused_en:
        cancel_licence(licence, reason="again")
    message = str(refused_en.value)
    assert f"Licence {licence.number} was already cancelled on {english_date(on)}" in message
    assert AuditEvent.objects.filter(action="licence.cancelled").count() == 1


def test_a_cancellation_application_cancels_the_licence(service: Service, applicant: User) -> None:
    licence = journeys.issued_licence(service, applicant)

    application = journeys.decided(journeys.submitted(kind="cancel", licence=licence))

    licence.refresh_from_db()
    assert licence.status == Licence.Status.CANCELLED
    assert verdict(licence) == "cancelled"
    assert licence.version == 1  # a cancellation issues no new document
    assert application.status == Status.COMPLETED
    assert (
        AuditEvent.objects.get(action="licence.cancelled").data["application"]
        == Application.objects.get(pk=application.pk).reference
    )


@pytest.mark.parametrize("change", [amend, renew])
def test_no_new_version_for_an_ended_licence(licence: Licence, applicant: User, change) -> None:
    revoke_licence(licence, "ฝ่าฝืนเงื่อนไข / Conditions breached", actor=applicant)

    with pytest.raises(LicenceError, match="ถูกเพิกถอนแล้ว"):
        change(licence)

    assert not licence.versions.filter(number=2).exists()


# --- which change the state allows ------------------------------------------------

ISSUED = dt.date(2026, 12, 1)
LAST_DAY = dt.date(2027, 11, 30)


@pytest.fixture
def dated(licence: Licence) -> Licence:
    """A licence valid from 1 December 2026 to 30 November 2027."""
    Licence.objects.filter(pk=licence.pk).update(valid_from=ISSUED, valid_until=LAST_DAY)
    licence.refresh_from_db()
    return licence


def test_amending_is_allowed_to_the_last_valid_day_and_not_after(dated: Licence) -> None:
    check_change(dated, "amend", today=LAST_DAY)

    with pytest.raises(LicenceError) as refused:
        check_change(dated, "amend", today=LAST_DAY + dt.timedelta(days=1))
    assert "30 พฤศจิกายน 2570" in str(refused.value)
    assert "กรุณาต่ออายุก่อนขอแก้ไข" in str(refused.value)

    with translation.override("en"), pytest.raises(LicenceError) as refused_en:
        check_change(dated, "amend", today=LAST_DAY + dt.timedelta(days=1))
    message = str(refused_en.value)
    assert "30 November 2027" in message
    assert "renew it before amending it" in message


@pytest.mark.parametrize("kind", ["amend", "renew", "cancel"])
def test_nothing_changes_a_revoked_licence(
    dated: Licence, applicant: User, kind: ChangeKind
) -> None:
    revoke_licence(dated, "ฝ่าฝืนเงื่อนไข / Conditions breached", actor=applicant)
    dated.refresh_from_db()

    with pytest.raises(LicenceError) as refused:
        check_change(dated, kind, today=LAST_DAY - dt.timedelta(days=10))
    assert dated.revoked_at is not None
    assert f"ใบอนุญาต {dated.number} ถูกเพิกถอนแล้วเมื่อ" in str(refused.value)
    assert thai_date(dated.revoked_at) in str(refused.value)

    with translation.override("en"), pytest.raises(LicenceError) as refused_en:
        check_change(dated, kind, today=LAST_DAY - dt.timedelta(days=10))
    message = str(refused_en.value)
    assert f"Licence {dated.number} has been revoked" in message
    assert english_date(dated.revoked_at) in message


@pytest.mark.parametrize("kind", ["amend", "renew"])
def test_nothing_changes_a_cancelled_licence(dated: Licence, kind: ChangeKind) -> None:
    cancel_licence(dated, reason="เลิกกิจการ / Business closed")
    dated.refresh_from_db()

    with pytest.raises(LicenceError, match="ถูกยกเลิกแล้วเมื่อ"):
        check_change(dated, kind, today=LAST_DAY - dt.timedelta(days=10))


def test_the_renewal_window_runs_from_before_expiry_to_the_late_days(dated: Licence) -> None:
    assert renewal_window(dated, opens_days_before=90, late_days=30) == (
        dt.date(2027, 9, 1),
        dt.date(2027, 12, 30),
    )
    check_change(
        dated, "renew", renew_opens_days_before=90, renew_late_days=30, today=dt.date(2027, 9, 1)
    )
    check_change(
        dated, "renew", renew_opens_days_before=90, renew_late_days=30, today=dt.date(2027, 12, 30)
    )


def test_renewing_before_the_window_opens_names_the_opening_day(dated: Licence) -> None:
    with pytest.raises(LicenceError) as refused:
        check_change(
            dated,
            "renew",
            renew_opens_days_before=90,
            renew_late_days=30,
            today=dt.date(2027, 8, 31),
        )
    assert "ได้ตั้งแต่ 1 กันยายน 2570 (ก่อนหมดอายุ 90 วัน)" in str(refused.value)

    with translation.override("en"), pytest.raises(LicenceError) as refused_en:
        check_change(
            dated,
            "renew",
            renew_opens_days_before=90,
            renew_late_days=30,
            today=dt.date(2027, 8, 31),
        )
    message = str(refused_en.value)
    assert f"Licence {dated.number} can be renewed from 1 September 2027" in message
    assert "90 days before it expires" in message


def test_renewing_after_the_late_window_names_the_last_day(dated: Licence) -> None:
    with pytest.raises(LicenceError) as refused:
        check_change(
            dated,
            "renew",
            renew_opens_days_before=90,
            renew_late_days=30,
            today=dt.date(2027, 12, 31),
        )
    assert "ถึง 30 ธันวาคม 2570" in str(refused.value)

    with translation.override("en"), pytest.raises(LicenceError) as refused_en:
        check_change(
            dated,
            "renew",
            renew_opens_days_before=90,
            renew_late_days=30,
            today=dt.date(2027, 12, 31),
        )
    message = str(refused_en.value)
    assert f"The renewal period of licence {dated.number} ended on 30 December 2027" in message
    assert "please apply for a new licence" in message


def test_without_late_days_renewal_closes_on_the_last_valid_day(dated: Licence) -> None:
    check_change(dated, "renew", renew_late_days=0, today=LAST_DAY)

    with pytest.raises(LicenceError, match="ถึง 30 พฤศจิกายน 2570"):
        check_change(dated, "renew", renew_late_days=0, today=LAST_DAY + dt.timedelta(days=1))


def test_a_licence_without_expiry_needs_no_renewal(service: Service, applicant: User) -> None:
    licence = issue_licence(draft(service, applicant, validity_years=0))

    assert renewal_window(licence, opens_days_before=90, late_days=30) is None
    with pytest.raises(LicenceError, match=f"ใบอนุญาต {licence.number} ไม่มีวันหมดอายุ"):
        check_change(licence, "renew")
    check_change(licence, "amend", today=dt.date(2099, 1, 1))  # never too late to amend

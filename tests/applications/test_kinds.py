"""Amend, renew and cancel a licence: each kind runs on its own form, fee and process,
and a change the licence's state does not allow is refused with nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from bizportal.applications import services
from bizportal.applications.models import Application, Kind, Status
from bizportal.licences.models import Licence
from bizportal.licences.services import revoke_licence, verdict
from bizportal.payments.services import invoice_for
from tests.factories import ApplicantFactory, OfficerFactory
from tests.journeys import decided, fill, issued_licence, start, submitted

pytestmark = pytest.mark.django_db


def expiring_in(licence: Licence, days: int) -> Licence:
    """Move the licence's expiry (test set-up: time passes)."""
    Licence.objects.filter(pk=licence.pk).update(
        valid_until=timezone.localdate() + dt.timedelta(days=days)
    )
    licence.refresh_from_db()
    return licence


def nothing_started(licence: Licence) -> bool:
    return not Application.objects.filter(licence=licence).exclude(kind=Kind.NEW).exists()


# --- amend ---------------------------------------------------------------------------


def test_an_amendment_is_prefilled_from_the_licence_and_issues_version_2() -> None:
    licence = issued_licence()
    application = start(kind=Kind.AMEND, licence=licence)
    assert application.status == Status.DRAFT
    assert application.data["business_name"] == licence.business_name
    assert (application.holder_id, application.holder_name_th) == (
        licence.holder_id,
        licence.holder_name,
    )
    application = fill(application, {**application.data, "business_name": "ร้านข้าวแกงป้าศรี สาขา 2"})
    application = services.submit(application, actor=application.applicant, accept_terms=True)
    application = decided(application)
    assert application.status == Status.ISSUED
    licence.refresh_from_db()
    assert (licence.version, licence.business_name) == (2, "ร้านข้าวแกงป้าศรี สาขา 2")
    assert verdict(licence) == "valid"
    assert verdict(licence, version=1) == "superseded"
    assert application.issued_version == 2


def test_an_amendment_pays_the_amendment_fee_not_the_licence_fee() -> None:
    licence = issued_licence()
    application = submitted(kind=Kind.AMEND, licence=licence)
    from tests.journeys import approve_everything

    application = approve_everything(application)
    invoice = invoice_for(application)
    assert invoice is not None
    assert invoice.amount == Decimal("100.00")
    assert invoice.lines[0]["item"].startswith("ค่าธรรมเนียมแก้ไขรายการ")


def test_a_revoked_licence_cannot_be_amended_and_nothing_is_written() -> None:
    licence = issued_licence()
    officer = OfficerFactory(agency=licence.agency)
    revoke_licence(licence, "ฝ่าฝืนเงื่อนไข", actor=officer)
    with pytest.raises(Exception, match="ถูกเพิกถอนแล้ว"):
        start(kind=Kind.AMEND, licence=licence)
    assert nothing_started(licence)


def test_an_expired_licence_must_be_renewed_before_it_is_amended() -> None:
    licence = expiring_in(issued_licence(), -1)
    with pytest.raises(Exception, match="กรุณาต่ออายุก่อนขอแก้ไข"):
        start(kind=Kind.AMEND, licence=licence)
    assert nothing_started(licence)


def test_another_persons_licence_cannot_be_changed() -> None:
    licence = issued_licence()
    stranger = ApplicantFactory()
    # Neither for the holder (the stranger may not act for them) ...
    with pytest.raises(services.ApplicationError, match="ท่านไม่มีสิทธิ์ยื่นคำขอบริการนี้แทนผู้นี้"):
        start(licence.service, stranger, kind=Kind.AMEND, licence=licence)
    # ... nor for themselves (the licence is not theirs).
    with pytest.raises(services.ApplicationError, match="ไม่พบใบอนุญาตนี้ในบัญชีของท่าน"):
        start(licence.service, stranger, kind=Kind.AMEND, licence=licence, party=stranger.party)
    assert nothing_started(licence)


def test_only_one_change_of_a_licence_is_open_at_a_time() -> None:
    licence = issued_licence()
    submitted(kind=Kind.AMEND, licence=licence)
    with pytest.raises(services.ApplicationError, match="มีคำขอที่ยังดำเนินการอยู่สำหรับใบอนุญาตนี้"):
        start(kind=Kind.CANCEL, licence=licence)


# --- renew ---------------------------------------------------------------------------


def test_renewal_inside_the_window_extends_validity_from_the_old_expiry() -> None:
    licence = expiring_in(issued_licence(), 30)
    old_expiry = licence.valid_until
    application = decided(submitted(kind=Kind.RENEW, licence=licence))
    assert application.status == Status.ISSUED
    licence.refresh_from_db()
    assert licence.version == 2
    assert licence.valid_from == old_expiry + dt.timedelta(days=1)
    assert licence.valid_until == old_expiry.replace(year=old_expiry.year + 1)
    assert invoice_for(application).amount == Decimal("1000.00")  # 120 m², on time


def test_a_late_renewal_pays_the_surcharge_rule() -> None:
    licence = expiring_in(issued_licence(), -5)
    from tests.journeys import approve_everything

    application = approve_everything(submitted(kind=Kind.RENEW, licence=licence))
    invoice = invoice_for(application)
    assert invoice.amount == Decimal("1200.00")  # 1,000 + 20 % surcharge (fee_food_shop_renewal)
    assert len(invoice.lines) == 2


@pytest.mark.parametrize(
    ("days_to_expiry", "message"),
    [(120, "ได้ตั้งแต่"), (-45, "พ้นกำหนดต่ออายุใบอนุญาต")],
    ids=["too early", "too late"],
)
def test_renewal_outside_the_window_is_refused_with_the_dates(
    days_to_expiry: int, message: str
) -> None:
    licence = expiring_in(issued_licence(), days_to_expiry)
    with pytest.raises(Exception, match=message):
        start(kind=Kind.RENEW, licence=licence)
    assert nothing_started(licence)


def test_a_renewal_started_in_time_cannot_be_submitted_after_the_window_closed() -> None:
    licence = expiring_in(issued_licence(), -29)  # the last day but one of the late window
    application = fill(start(kind=Kind.RENEW, licence=licence))
    expiring_in(licence, -31)  # two days pass
    with pytest.raises(Exception, match="พ้นกำหนดต่ออายุใบอนุญาต"):
        services.submit(application, actor=application.applicant, accept_terms=True)
    application.refresh_from_db()
    assert (application.status, application.reference) == (Status.DRAFT, None)


def test_a_change_of_a_licence_revoked_meanwhile_cannot_be_submitted() -> None:
    licence = issued_licence()
    application = fill(start(kind=Kind.AMEND, licence=licence))
    revoke_licence(licence, "ฝ่าฝืนเงื่อนไข", actor=OfficerFactory(agency=licence.agency))
    with pytest.raises(Exception, match="ถูกเพิกถอนแล้ว"):
        services.submit(application, actor=application.applicant, accept_terms=True)
    application.refresh_from_db()
    assert application.status == Status.DRAFT


# --- cancel --------------------------------------------------------------------------


def test_cancelling_asks_why_runs_the_cancellation_process_and_the_licence_says_so() -> None:
    licence = issued_licence()
    application = start(kind=Kind.CANCEL, licence=licence)
    assert application.process.version.definition.key == "licence_cancellation"
    assert services.bundle_of(application).documents == ()
    with pytest.raises(services.SubmissionErrors) as caught:
        services.submit(application, actor=application.applicant, accept_terms=True)
    assert set(caught.value.fields) == {"reason", "confirm"}
    application = fill(application)
    application = services.submit(application, actor=application.applicant, accept_terms=True)
    application = decided(application)
    assert application.status == Status.COMPLETED
    assert invoice_for(application) is None
    licence.refresh_from_db()
    assert licence.status == Licence.Status.CANCELLED
    assert verdict(licence) == "cancelled"
    assert licence.cancellation_reason.startswith("เลิกกิจการ")


def test_a_licence_cannot_be_cancelled_twice() -> None:
    licence = issued_licence()
    decided(submitted(kind=Kind.CANCEL, licence=licence))
    with pytest.raises(Exception, match="ถูกยกเลิกแล้วเมื่อ"):
        start(kind=Kind.CANCEL, licence=licence)
    assert Application.objects.filter(licence=licence, kind=Kind.CANCEL).count() == 1


def test_a_cancellation_the_officer_refuses_leaves_the_licence_valid() -> None:
    licence = issued_licence()
    application = submitted(kind=Kind.CANCEL, licence=licence)
    officer = OfficerFactory(agency=licence.agency)
    application = services.decide(
        application, officer=officer, action="reject", note="มีคำสั่งให้แก้ไขค้างอยู่"
    )
    assert application.status == Status.REJECTED
    licence.refresh_from_db()
    assert verdict(licence) == "valid"
    # the refusal closed the change, so the holder may ask again
    assert start(kind=Kind.CANCEL, licence=licence).status == Status.DRAFT


def test_a_kind_the_service_does_not_offer_is_refused(service, applicant) -> None:
    service.application_types.filter(kind="renew").update(enabled=False)
    licence = issued_licence(service, applicant)
    with pytest.raises(Exception, match="ไม่รับคำขอประเภทนี้"):
        start(kind=Kind.RENEW, licence=licence)

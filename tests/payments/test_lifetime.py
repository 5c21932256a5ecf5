"""Invoices that live: they expire after the service's payment period, are cancelled
when the application is withdrawn or rejected, and are re-issued (old → new) on the
applicant's or an officer's request. Every change is audited and announced."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from bizportal.applications import services as applications
from bizportal.applications.models import Application, Status
from bizportal.core import outbox, sweeps
from bizportal.core.audit import history
from bizportal.core.models import DomainEvent
from bizportal.core.templatetags.thai import translated
from bizportal.identity.models import StaffRole
from bizportal.payments import services
from bizportal.payments.models import Invoice, PaymentTerms
from tests.factories import ApplicantFactory, OfficerFactory
from tests.journeys import officer_of, submitted

from .conftest import FOOD_SHOP_FEE


def bangkok_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def actions(invoice: Invoice) -> list[str]:
    return list(history(invoice).order_by("seq").values_list("action", flat=True))


def expire(invoice: Invoice) -> Invoice:
    """Let the payment period pass and the sweeper run."""
    Invoice.objects.filter(pk=invoice.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert services.expire_overdue_invoices() == 1
    invoice.refresh_from_db()
    return invoice


def test_an_invoice_is_payable_until_the_end_of_the_last_day_by_default(
    invoice: Invoice, settings: Settings
) -> None:
    last_day = timezone.localdate(invoice.created_at) + dt.timedelta(
        days=settings.PAYMENT_INVOICE_DAYS
    )
    assert invoice.expires_at == bangkok_midnight(last_day + dt.timedelta(days=1))
    [raised] = [event for event in history(invoice) if event.action == "invoice.raised"]
    assert dt.datetime.fromisoformat(raised.data["expires_at"]) == invoice.expires_at


def test_the_payment_period_is_set_per_service(application: Application) -> None:
    PaymentTerms.objects.create(service=application.service, invoice_days=3)
    now = timezone.now()
    expected = bangkok_midnight(timezone.localdate(now) + dt.timedelta(days=4))
    assert services.expiry_for(application.service, now=now) == expected
    assert services.invoice_days(application.service) == 3


def test_the_sweeper_marks_an_overdue_invoice_expired_once(
    application: Application, invoice: Invoice
) -> None:
    assert services.expire_overdue_invoices() == 0  # not yet due
    Invoice.objects.filter(pk=invoice.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    report = sweeps.sweep(deliver=False)
    assert report.due["payments.invoice_expiries"] == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.shown_state) == ("expired", "expired")
    assert invoice.closed_at is not None and "Not paid by its due date" in invoice.close_reason
    assert services.expire_overdue_invoices() == 0  # a repeat does nothing
    assert actions(invoice)[-1] == "invoice.expired"
    [closed] = DomainEvent.objects.filter(name="payments.invoice_closed")
    assert closed.payload["status"] == "expired"
    # The application still waits for its fee: the expired invoice is its current one,
    # and it can be re-issued.
    application.refresh_from_db()
    assert application.status == Status.AWAITING_PAYMENT
    assert services.invoice_for(application) == invoice
    assert services.may_reissue(invoice)


def test_the_applicant_reissues_an_expired_invoice_linked_old_to_new(
    application: Application, invoice: Invoice
) -> None:
    expire(invoice)
    new = services.reissue_invoice(invoice, actor=application.applicant)
    invoice.refresh_from_db()
    assert (new.status, new.replaces, invoice.replacement) == ("pending", invoice, new)
    assert invoice.shown_state == "superseded"
    assert (new.amount, new.lines) == (invoice.amount, invoice.lines)
    assert new.number != invoice.number and new.ref2 != invoice.ref2
    assert new.expires_at is not None and new.expires_at > timezone.now()
    assert services.invoice_for(application) == new
    assert actions(invoice)[-1] == "invoice.reissued"
    [raised] = [e for e in history(new) if e.action == "invoice.raised"]
    assert (raised.actor, raised.data["replaces"]) == (application.applicant, invoice.number)
    [announced] = DomainEvent.objects.filter(name="payments.invoice_reissued")
    assert announced.payload["replaces"] == invoice.number
    # Once replaced, never again; and a payable invoice is not re-issued.
    with pytest.raises(ValidationError) as again:
        services.reissue_invoice(invoice, actor=application.applicant)
    assert again.value.code == "already_reissued"
    with pytest.raises(ValidationError) as payable:
        services.reissue_invoice(new, actor=application.applicant)
    assert payable.value.code == "not_closed"


def test_a_finance_officer_may_reissue_but_a_stranger_may_not(
    application: Application, invoice: Invoice
) -> None:
    expire(invoice)
    stranger = ApplicantFactory()
    with pytest.raises(ValidationError) as refused:
        services.reissue_invoice(invoice, actor=stranger)
    assert refused.value.code == "forbidden"
    assert "may not re-issue" in refused.value.messages[0]
    assert not Invoice.objects.filter(replaces=invoice).exists()
    finance = OfficerFactory(agency=application.agency, roles=[StaffRole.FINANCE])
    assert services.reissue_invoice(invoice, actor=finance).replaces == invoice


def test_a_finance_officer_cancels_an_unpaid_invoice_with_a_reason_then_reissues_it(
    application: Application, invoice: Invoice
) -> None:
    finance = OfficerFactory(agency=application.agency, roles=[StaffRole.FINANCE])
    with pytest.raises(ValidationError) as no_reason:
        services.cancel_invoice(invoice, actor=finance, reason=" ")
    assert no_reason.value.code == "reason"
    other_agency = OfficerFactory(roles=[StaffRole.FINANCE])
    with pytest.raises(ValidationError):
        services.cancel_invoice(invoice, actor=other_agency, reason="fee corrected")
    invoice.refresh_from_db()
    assert invoice.status == "pending"

    services.cancel_invoice(invoice, actor=finance, reason="แก้ไขค่าธรรมเนียม / fee corrected")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.close_reason) == ("cancelled", "แก้ไขค่าธรรมเนียม / fee corrected")
    new = services.reissue_invoice(invoice, actor=finance)
    assert new.amount == Decimal(FOOD_SHOP_FEE)


def test_rejecting_the_application_cancels_its_unpaid_invoice(
    db: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    """An invoice raised while the application is still under review (an application
    fee) is cancelled when the officer rejects it: the payments app reacts to the
    applications' status event, delivered by the outbox."""
    application = submitted()
    invoice = services.raise_invoice(
        application, Decimal("100.00"), actor=None, stage="application"
    )
    officer = officer_of(application)
    [step] = applications.actions_for(application, officer)
    with django_capture_on_commit_callbacks(execute=True):
        applications.decide(
            application,
            officer=officer,
            action="reject",
            step=step.step.task_id,
            note="สถานที่ไม่ถูกสุขลักษณะ / The premises are not hygienic",
        )
    outbox.deliver_pending()
    invoice.refresh_from_db()
    assert invoice.status == "cancelled"
    # Stored as the message code (English msgid), shown in the reader's language.
    assert invoice.close_reason == "The application was rejected"
    with translation.override("th"):
        assert translated(invoice.close_reason) == "คำขอไม่ได้รับอนุมัติ"
    assert actions(invoice)[-1] == "invoice.cancelled"
    # The application is over: nothing to re-issue.
    assert not services.may_reissue(invoice)
    with pytest.raises(ValidationError) as refused:
        services.reissue_invoice(invoice, actor=application.applicant)
    assert refused.value.code == "not_waiting"


def test_a_withdrawal_cancels_the_unpaid_invoice_and_leaves_a_paid_one(
    application: Application, invoice: Invoice
) -> None:
    from bizportal.payments.subscribers import cancel_invoices

    event = DomainEvent(
        name="applications.status_changed",
        subject_type="applications.application",
        subject_id=str(application.pk),
        payload={"reference": application.reference, "to_status": Status.WITHDRAWN},
    )
    cancel_invoices(event)
    cancel_invoices(event)  # delivered twice: still one cancellation
    invoice.refresh_from_db()
    assert invoice.status == "cancelled"
    assert actions(invoice).count("invoice.cancelled") == 1

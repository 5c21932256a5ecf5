"""Payment messages that follow the invoice lifetime: the applicant whose invoice expired
is told how to go on, and the agency's finance officers hear of money to refund."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from bizportal.core import outbox
from bizportal.identity.models import StaffRole
from bizportal.notifications.models import InboxMessage
from bizportal.payments import services
from bizportal.payments.models import Invoice
from tests.factories import OfficerFactory

from .conftest import PostCallback, bank_notice

pytestmark = pytest.mark.django_db


def expire(invoice: Invoice) -> Invoice:
    Invoice.objects.filter(pk=invoice.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert services.expire_overdue_invoices() == 1
    outbox.deliver_pending()
    invoice.refresh_from_db()
    return invoice


def test_the_applicant_is_told_an_invoice_expired_and_where_to_ask_for_a_new_one(
    invoice: Invoice,
) -> None:
    mail.outbox.clear()
    expire(invoice)
    applicant = invoice.application.applicant
    [message] = InboxMessage.objects.filter(user=applicant, subject__contains=invoice.number)
    assert "หมดอายุ" in message.subject and "expired" in message.subject
    assert f"/payments/invoices/{invoice.public_id}/" in message.body
    assert "ขอใบแจ้งหนี้ใหม่" in message.body and "ask for a new invoice" in message.body
    # Delivered again (the outbox is at least once): nobody is told twice.
    outbox.deliver_pending()
    again = InboxMessage.objects.filter(user=applicant, subject__contains=invoice.number)
    assert again.count() == 1


def test_no_invoice_message_when_the_application_was_rejected(invoice: Invoice) -> None:
    """The rejection's own status message covers the cancelled invoice."""
    application = invoice.application
    application.status = "rejected"
    application.save(update_fields=["status"])
    expire(invoice)
    assert not InboxMessage.objects.filter(subject__contains=invoice.number).exists()


def test_finance_officers_of_the_agency_hear_of_a_flagged_payment(
    invoice: Invoice, post_callback: PostCallback
) -> None:
    agency = invoice.application.agency
    finance = OfficerFactory(agency=agency, roles=[StaffRole.FINANCE])
    reviewer = OfficerFactory(agency=agency)
    elsewhere = OfficerFactory(roles=[StaffRole.FINANCE])
    expire(invoice)
    assert post_callback(bank_notice(invoice)).json()["status"] == "flagged-for-refund"
    outbox.deliver_pending()
    [message] = InboxMessage.objects.filter(user=finance)
    assert invoice.number in message.subject
    assert f"/backoffice/finance/invoices/{invoice.public_id}/" in message.body
    assert "Paid after the invoice closed" in message.body
    assert not InboxMessage.objects.filter(
        user__in=[reviewer, elsewhere], subject__contains=invoice.number
    ).exists()

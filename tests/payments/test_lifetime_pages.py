"""What people see of an invoice's life: the applicant's pay page and application page
(expired → re-issue, cancelled, superseded, in Thai and English), the re-issue API
(problem+json when refused), and the finance officer's flagged payments."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bizportal.applications.models import Application
from bizportal.identity.models import StaffRole
from bizportal.payments import services
from bizportal.payments.models import Invoice, PaymentIssue, Refund
from tests.factories import OfficerFactory

from .conftest import PostCallback, bank_notice


def expired(invoice: Invoice) -> Invoice:
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - dt.timedelta(hours=1))
    services.expire_overdue_invoices()
    invoice.refresh_from_db()
    return invoice


def page(client: Client, invoice: Invoice, lang: str = "en") -> str:
    client.cookies["django_language"] = lang
    response = client.get(reverse("payments:invoice", args=[invoice.public_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_pay_page_says_until_when_and_offers_no_reissue_while_payable(
    invoice: Invoice, owner_client: Client
) -> None:
    html = page(owner_client, invoice)
    assert 'data-invoice-state="pending"' in html and "Pay by" in html
    assert reverse("payments:invoice-reissue", args=[invoice.public_id]) not in html


def test_an_expired_invoice_shows_no_qr_and_a_reissue_button_that_works(
    application: Application, invoice: Invoice, owner_client: Client
) -> None:
    expired(invoice)
    html = page(owner_client, invoice, "th")
    assert 'data-invoice-state="expired"' in html and "หมดอายุแล้ว" in html
    assert "qr-payload" not in html
    assert "ขอใบแจ้งหนี้ใหม่" in html
    english = page(owner_client, invoice, "en")
    assert "Expired: a new invoice can be issued" in english and "Re-issue the invoice" in english
    # The application page says so too, and leads to the invoice.
    detail = owner_client.get(reverse("portal:application", args=[application.public_id]))
    assert 'data-invoice-state="expired"' in detail.content.decode()

    response = owner_client.post(reverse("payments:invoice-reissue", args=[invoice.public_id]))
    new = Invoice.objects.get(replaces=invoice)
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:invoice", args=[new.public_id])
    html = page(owner_client, new)
    assert 'data-invoice-state="pending"' in html and "qr-payload" in html
    assert f"Replaces invoice {invoice.number}" in html
    old = page(owner_client, invoice)
    assert 'data-invoice-state="superseded"' in old and new.number in old
    # Asking again is refused with the reason, and changes nothing.
    again = owner_client.post(
        reverse("payments:invoice-reissue", args=[invoice.public_id]), follow=True
    )
    assert "Already re-issued" in again.content.decode()
    assert Invoice.objects.filter(application=application).count() == 2


def test_a_cancelled_invoice_says_why(invoice: Invoice, owner_client: Client) -> None:
    services.cancel_open_invoices(
        invoice.application, "ผู้ยื่นถอนคำขอ / The application was withdrawn", actor_label="x"
    )
    html = page(owner_client, invoice)
    assert 'data-invoice-state="cancelled"' in html
    assert "The application was withdrawn" in html and "qr-payload" not in html


def test_the_reissue_api_answers_the_new_invoice_or_a_problem(
    invoice: Invoice, owner_client: Client, stranger_client: Client
) -> None:
    url = reverse("api-invoice-reissue", args=[invoice.public_id])
    refused = owner_client.post(url)
    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/problem+json"
    assert "ออกใหม่ได้เฉพาะใบแจ้งหนี้ที่หมดอายุหรือถูกยกเลิก" in refused.content.decode()
    assert stranger_client.post(url).status_code == 404
    expired(invoice)
    made = owner_client.post(url)
    assert made.status_code == 201
    body = made.json()
    assert (body["state"], body["replaces"], body["status"]) == (
        "pending",
        invoice.number,
        "pending",
    )
    old = owner_client.get(reverse("api-invoice", args=[invoice.public_id])).json()
    assert (old["state"], old["replaced_by"], old["qr_payload"]) == (
        "superseded",
        body["number"],
        None,
    )


def test_a_finance_officer_sees_a_flagged_late_payment_and_starts_its_refund(
    invoice: Invoice, post_callback: PostCallback
) -> None:
    expired(invoice)
    post_callback(bank_notice(invoice, txn_id="SBX20260101LATELATELATE"))
    issue = PaymentIssue.objects.get()
    finance = OfficerFactory(agency=invoice.application.agency, roles=[StaffRole.FINANCE])
    client = Client()
    client.force_login(finance)
    listing = client.get(reverse("backoffice:finance-refunds")).content.decode()
    assert 'data-flagged="late"' in listing and invoice.number in listing
    invoice_page = reverse("backoffice:finance-invoice", args=[invoice.public_id])
    html = client.get(invoice_page).content.decode()
    assert f'id="issue-{issue.public_id}"' in html and "SBX20260101LATELATELATE" in html
    response = client.post(
        invoice_page,
        {
            "issue": str(issue.public_id),
            "amount": f"{issue.amount}",
            "reason_code": "other",
            "note": "ชำระหลังหมดอายุ / Paid after expiry",
        },
    )
    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.issue, refund.amount, refund.state) == (issue, issue.amount, "requested")
    issue.refresh_from_db()
    assert issue.state == "refunding"
    # Another agency's finance officer sees none of it.
    other = Client()
    other.force_login(OfficerFactory(roles=[StaffRole.FINANCE]))
    assert "data-flagged" not in other.get(reverse("backoffice:finance-refunds")).content.decode()
    assert other.get(invoice_page).status_code == 404


def test_a_finance_officer_cancels_and_reissues_from_the_invoice_page(invoice: Invoice) -> None:
    finance = OfficerFactory(agency=invoice.application.agency, roles=[StaffRole.FINANCE])
    client = Client()
    client.force_login(finance)
    url = reverse("backoffice:finance-invoice", args=[invoice.public_id])
    refused = client.post(url, {"action": "cancel", "note": ""}, follow=True)
    assert "Please give the reason" in refused.content.decode() or "required" in (
        refused.content.decode()
    )
    client.post(url, {"action": "cancel", "note": "แก้ไขค่าธรรมเนียม / Fee corrected"})
    invoice.refresh_from_db()
    assert invoice.status == "cancelled"
    response = client.post(url, {"action": "reissue"})
    new = Invoice.objects.get(replaces=invoice)
    assert response["Location"] == reverse("backoffice:finance-invoice", args=[new.public_id])

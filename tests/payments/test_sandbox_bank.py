"""The sandbox bank: reads the QR like a banking app, pays, and tells the portal
over real HTTP with a signed webhook."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from bizportal.applications.models import Application, Status
from bizportal.core.models import AuditEvent
from bizportal.payments import services, thaiqr
from bizportal.payments.contrib.sandbox.models import BankTransaction
from bizportal.payments.models import Invoice, PaymentEvent, Receipt
from tests.journeys import approve_everything, submitted

from .conftest import FOOD_SHOP_FEE

BANK = "/sandbox/bank/"


def test_the_bank_shows_what_the_qr_says(invoice: Invoice, client: Client) -> None:
    payload = services.instruction(invoice).qr_payload
    response = client.get(BANK, {"payload": payload})
    assert response.status_code == 200
    page = response.content.decode()
    assert invoice.ref1 in page and invoice.ref2 in page and "1,000.00" in page
    assert "ชำระเงิน / Pay" in page and "csrfmiddlewaretoken" in page
    assert not BankTransaction.objects.exists()


def test_a_tampered_code_is_refused_before_payment(invoice: Invoice, client: Client) -> None:
    original = services.instruction(invoice).qr_payload
    payload = original.replace("1000.00", "0010.00")
    assert payload != original
    page = client.get(BANK, {"payload": payload}).content.decode()
    assert "รหัสตรวจสอบ CRC ไม่ตรง" in page and "ชำระเงิน / Pay" not in page
    response = client.post(BANK, {"payload": payload})
    assert response.status_code == 400
    assert not BankTransaction.objects.exists()


def test_a_code_without_amount_or_nothing_at_all_cannot_be_paid(db: None, client: Client) -> None:
    static = thaiqr.bill_payment_payload("099400016550101", "BP2569000001")
    assert "QR นี้ไม่ระบุยอดเงิน" in client.post(BANK, {"payload": static}).content.decode()
    assert "กรุณาวางข้อมูล QR" in client.post(BANK, {"payload": ""}).content.decode()
    assert not BankTransaction.objects.exists()


def test_the_return_link_only_goes_back_to_the_portal(
    invoice: Invoice, client: Client, settings: Settings
) -> None:
    payload = services.instruction(invoice).qr_payload
    evil = "https://evil.example/phish"
    page = client.get(BANK, {"payload": payload, "return": evil}).content.decode()
    assert '<input type="hidden" name="return" value="">' in page
    with mock.patch("bizportal.payments.contrib.sandbox.services._enqueue_webhook"):
        client.post(BANK, {"payload": payload, "return": evil})
    txn = BankTransaction.objects.get()
    assert txn.return_url == ""
    page = client.get(reverse("sandbox_bank:transaction", args=[txn.txn_id])).content.decode()
    assert f'href="{settings.BASE_URL}/"' in page


def awaiting_payment() -> tuple[Application, Invoice]:
    application = approve_everything(submitted())
    assert application.status == Status.AWAITING_PAYMENT
    return application, Invoice.objects.get(application=application)


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_paying_at_the_bank_pays_the_invoice_over_http(
    live_server: Any, settings: Settings
) -> None:
    settings.BASE_URL = live_server.url
    settings.PAYMENT_SANDBOX_URL = live_server.url + "/sandbox/bank"
    application, invoice = awaiting_payment()
    portal = Client()
    portal.force_login(application.applicant)
    invoice_page = portal.get(reverse("payments:invoice", args=[invoice.public_id]))
    pay_url = invoice_page.context["how"].pay_url
    assert pay_url.startswith(live_server.url + "/sandbox/bank/?payload=")

    # The payer's browser, over real HTTP: open the bank, then confirm.
    browser = requests.Session()
    bank_page = browser.get(pay_url, timeout=30)
    assert bank_page.status_code == 200 and "1,000.00" in bank_page.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', bank_page.text)
    assert token is not None
    query = parse_qs(urlsplit(pay_url).query)
    done = browser.post(
        live_server.url + BANK,
        data={
            "csrfmiddlewaretoken": token.group(1),
            "payload": query["payload"][0],
            "return": query["return"][0],
        },
        timeout=60,
    )
    assert done.status_code == 200
    assert "Payment sent" in done.text or "ชำระเงินเรียบร้อย" in done.text
    assert str(invoice.public_id) in done.text  # the link back to the invoice

    txn = BankTransaction.objects.get()
    assert (txn.webhook_status, txn.webhook_response_code) == ("delivered", 200)
    assert '"status": "paid"' in txn.webhook_response
    invoice.refresh_from_db()
    assert (invoice.status, invoice.provider_txn_id, invoice.amount) == (
        "paid",
        txn.txn_id,
        Decimal(FOOD_SHOP_FEE),
    )
    assert Receipt.objects.get(invoice=invoice).sha256
    event = PaymentEvent.objects.get()
    assert (event.signature_valid, event.outcome) == (True, "accepted")
    assert AuditEvent.objects.filter(action="sandbox_bank.webhook_sent").exists()
    # Committed, so the outbox ran: the payment step is done and the licence issued.
    application.refresh_from_db()
    assert application.status == Status.ISSUED and application.licence is not None
    assert application.history.get(step_type="payment").action == "paid"

    # The invoice page now shows it paid, with the receipt.
    assert (
        "/payments/receipts/"
        in portal.get(reverse("payments:invoice", args=[invoice.public_id])).content.decode()
    )


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_refused_webhook_is_kept_as_failed_and_can_be_resent(
    live_server: Any, settings: Settings
) -> None:
    settings.BASE_URL = live_server.url
    application, invoice = awaiting_payment()
    payload = services.instruction(invoice).qr_payload
    bank = Client()
    original_secret = settings.PAYMENT_WEBHOOK_SECRET
    # The bank was configured with the wrong secret: the portal refuses it.
    settings.PAYMENT_WEBHOOK_SECRET = "misconfigured"
    with mock.patch("bizportal.payments.contrib.sandbox.provider.settings") as portal_settings:
        portal_settings.PAYMENT_WEBHOOK_SECRET = original_secret
        response = bank.post(BANK, {"payload": payload})
    txn = BankTransaction.objects.get()
    assert response.status_code == 302
    assert (txn.webhook_status, txn.webhook_response_code) == ("failed", 403)
    assert "Retry" not in txn.webhook_response and "problem" in txn.webhook_response
    invoice.refresh_from_db()
    assert invoice.status == "pending"
    assert PaymentEvent.objects.get().outcome == "forged"
    application.refresh_from_db()
    assert application.status == Status.AWAITING_PAYMENT

    # Fixed: resend from the bank's page.
    settings.PAYMENT_WEBHOOK_SECRET = original_secret
    page = bank.get(reverse("sandbox_bank:transaction", args=[txn.txn_id])).content.decode()
    assert reverse("sandbox_bank:resend", args=[txn.txn_id]) in page
    bank.post(reverse("sandbox_bank:resend", args=[txn.txn_id]))
    txn.refresh_from_db()
    assert (txn.webhook_status, txn.webhook_attempts) == ("delivered", 2)
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    application.refresh_from_db()
    assert application.status == Status.ISSUED and application.licence is not None

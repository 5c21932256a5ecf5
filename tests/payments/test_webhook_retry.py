"""The sandbox bank retries a notification the portal did not take, with exponential
backoff, and the portal settles it once however many copies arrive.

The bank's HTTP client is replaced by one that hands the request to the portal's own
callback view (through the Django test client), so a "lost answer" can be staged: the
portal processed the notice, the bank never heard back, and retries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from bizportal.payments import services
from bizportal.payments.contrib.sandbox import services as bank
from bizportal.payments.contrib.sandbox.models import BankTransaction
from bizportal.payments.models import Invoice, PaymentEvent, Receipt

pytestmark = pytest.mark.django_db
POST = "bizportal.payments.contrib.sandbox.services.requests.post"


class Answer:
    def __init__(self, status_code: int, text: str = "") -> None:
        self.status_code, self.text = status_code, text


def to_portal(url: str, data: bytes, headers: dict[str, str], timeout: int) -> Any:
    """The bank's POST, delivered to the portal's callback view."""
    response = Client().post(
        urlsplit(url).path,
        data,
        content_type="application/json",
        HTTP_X_BIZPORTAL_SIGNATURE=headers[bank.signing.HEADER],
    )
    return Answer(response.status_code, response.content.decode())


def paid_at_bank(invoice: Invoice) -> BankTransaction:
    return bank.pay(services.instruction(invoice).qr_payload)


def due_now(txn: BankTransaction) -> None:
    BankTransaction.objects.filter(pk=txn.pk).update(
        webhook_retry_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_a_transient_failure_is_retried_with_exponential_backoff(
    invoice: Invoice, settings: Settings
) -> None:
    settings.PAYMENT_SANDBOX_WEBHOOK_BACKOFF_SECONDS = 30
    txn = paid_at_bank(invoice)
    with mock.patch(POST, side_effect=requests.ConnectionError("portal down")):
        txn = bank.deliver_webhook(txn.txn_id)
    assert (txn.webhook_status, txn.webhook_attempts) == ("pending", 1)
    assert txn.webhook_retry_at is not None
    first_wait = txn.webhook_retry_at - timezone.now()
    assert dt.timedelta(seconds=25) < first_wait <= dt.timedelta(seconds=30)
    # Not yet due: the sweeper leaves it alone.
    with mock.patch(POST) as post:
        assert bank.resend_overdue_webhooks(timezone.now()) == 0
        post.assert_not_called()
    # Due: the sweeper sends it; the portal answers 503 this time.
    due_now(txn)
    with mock.patch(POST, return_value=Answer(503, "maintenance")):
        assert bank.resend_overdue_webhooks(timezone.now()) == 1
    txn.refresh_from_db()
    assert (txn.webhook_status, txn.webhook_attempts) == ("pending", 2)
    assert txn.webhook_retry_at is not None
    assert txn.webhook_retry_at - timezone.now() > dt.timedelta(seconds=55)  # doubled
    # Then it is delivered, and the invoice is paid once.
    due_now(txn)
    with mock.patch(POST, side_effect=to_portal):
        bank.resend_overdue_webhooks(timezone.now())
    txn.refresh_from_db()
    assert (txn.webhook_status, txn.webhook_attempts, txn.webhook_retry_at) == (
        "delivered",
        3,
        None,
    )
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.provider_txn_id == txn.txn_id


def test_a_lost_answer_is_retried_and_the_portal_settles_once(invoice: Invoice) -> None:
    txn = paid_at_bank(invoice)

    def processed_then_lost(*args: Any, **kwargs: Any) -> Any:
        to_portal(*args, **kwargs)
        raise requests.ReadTimeout("the answer never came")

    with mock.patch(POST, side_effect=processed_then_lost):
        txn = bank.deliver_webhook(txn.txn_id)
    assert txn.webhook_status == "pending"
    due_now(txn)
    with mock.patch(POST, side_effect=to_portal):
        bank.resend_overdue_webhooks(timezone.now())
    txn.refresh_from_db()
    assert txn.webhook_status == "delivered"
    assert "already-processed" in txn.webhook_response
    assert Receipt.objects.filter(invoice=invoice).count() == 1
    assert list(PaymentEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        "accepted",
        "duplicate",
    ]


def test_the_bank_gives_up_after_the_last_attempt(invoice: Invoice, settings: Settings) -> None:
    settings.PAYMENT_SANDBOX_WEBHOOK_MAX_ATTEMPTS = 3
    txn = paid_at_bank(invoice)
    with mock.patch(POST, return_value=Answer(502)):
        for _ in range(3):
            txn = bank.deliver_webhook(txn.txn_id)
    assert (txn.webhook_status, txn.webhook_attempts, txn.webhook_retry_at) == ("failed", 3, None)
    with mock.patch(POST) as post:
        assert bank.resend_overdue_webhooks(timezone.now()) == 0
        post.assert_not_called()


def test_a_refusal_is_not_retried(invoice: Invoice) -> None:
    """A 4xx (forged, unknown invoice, wrong amount) will be refused again: the bank
    keeps it as failed for a person to look at, and does not hammer the portal."""
    txn = paid_at_bank(invoice)
    with mock.patch(POST, return_value=Answer(422, '{"type": "payment-wrong_amount"}')):
        txn = bank.deliver_webhook(txn.txn_id)
    assert (txn.webhook_status, txn.webhook_retry_at) == ("failed", None)


def test_a_late_payment_is_delivered_and_flagged_not_retried(invoice: Invoice) -> None:
    """Paid with an invoice's QR after it expired: the portal takes the notice (so the
    bank stops) and flags the money for refund."""
    txn = paid_at_bank(invoice)
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=txn.paid_at - dt.timedelta(minutes=5))
    with mock.patch(POST, side_effect=to_portal):
        txn = bank.deliver_webhook(txn.txn_id)
    assert txn.webhook_status == "delivered"
    assert "flagged-for-refund" in txn.webhook_response
    invoice.refresh_from_db()
    assert invoice.status == "expired"
    assert invoice.issues.get().provider_txn_id == txn.txn_id

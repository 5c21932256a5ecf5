"""The provider callback: signed, idempotent, and all-or-nothing.

Every call is logged as a PaymentEvent, whatever its fate; only an authentic notice of
the right amount for a known, unpaid invoice changes anything, and then it pays the
invoice, takes the receipt number and completes the application's payment step in one
transaction. The receipt PDF and the licence follow after commit (the outbox).
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from bizportal.applications.models import Application, Status
from bizportal.core.models import AuditEvent, DomainEvent
from bizportal.payments import services
from bizportal.payments.contrib.sandbox import signing
from bizportal.payments.models import Invoice, PaymentEvent, PaymentIssue, Receipt
from tests.journeys import submitted

from .conftest import FOOD_SHOP_FEE, TXN_ID, PostCallback, bank_notice, money_state

PROBLEM = "application/problem+json"


def assert_refused_and_unchanged(invoice: Invoice, before: dict[str, Any]) -> None:
    """The invoice is still unpaid, the application still awaits it, nothing else moved."""
    assert money_state(invoice) == before
    invoice.refresh_from_db()
    assert invoice.status == "pending" and invoice.provider_txn_id is None
    assert not Receipt.objects.exists()
    assert Application.objects.get(pk=invoice.application_id).status == Status.AWAITING_PAYMENT
    assert not DomainEvent.objects.filter(name="payments.invoice_paid").exists()


def test_an_authentic_notice_pays_the_invoice_and_moves_the_application_on(
    application: Application,
    invoice: Invoice,
    post_callback: PostCallback,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_callback(bank_notice(invoice))
        # Committed together with the payment: the payment step is done and the
        # process waits for the system to issue the licence.
        application.refresh_from_db()
        assert application.status == Status.ISSUING
        assert application.licence is None
    assert response.status_code == 200
    assert response.json() == {"status": "paid", "invoice": invoice.number}
    invoice.refresh_from_db()
    assert (invoice.status, invoice.provider, invoice.provider_txn_id) == (
        "paid",
        "sandbox",
        TXN_ID,
    )
    assert invoice.paid_at is not None
    receipt = Receipt.objects.get(invoice=invoice)
    assert receipt.number.startswith("RC-25") and receipt.number.endswith("-000001")
    [event] = PaymentEvent.objects.all()
    assert (event.outcome, event.signature_valid, event.invoice) == ("accepted", True, invoice)
    assert AuditEvent.objects.filter(
        action="invoice.paid", object_id=str(invoice.public_id)
    ).exists()
    [paid] = DomainEvent.objects.filter(name="payments.invoice_paid")
    assert paid.payload == {
        "number": invoice.number,
        "receipt": receipt.number,
        "amount": FOOD_SHOP_FEE,
        "application_reference": application.reference,
    }

    # The payment step is in the history, done by the provider.
    payment = application.history.get(step_type="payment")
    assert (payment.action, payment.from_status, payment.to_status) == (
        "paid",
        Status.AWAITING_PAYMENT,
        Status.ISSUING,
    )
    assert payment.actor is None and payment.actor_label == "payment provider sandbox"
    assert invoice.number in payment.note and receipt.number in payment.note

    # After commit the outbox ran the subscribers: the receipt PDF and the licence.
    receipt.refresh_from_db()
    assert receipt.pdf and len(receipt.sha256) == 64
    application.refresh_from_db()
    assert application.status == Status.ISSUED
    assert application.licence is not None and application.issued_version == 1


def test_without_the_outbox_the_payment_still_stands(
    application: Application, invoice: Invoice, post_callback: PostCallback
) -> None:
    """The bank's answer does not wait for the receipt or the licence: both follow."""
    assert post_callback(bank_notice(invoice)).status_code == 200
    application.refresh_from_db()
    assert application.status == Status.ISSUING
    receipt = Receipt.objects.get(invoice=invoice)
    assert not receipt.pdf and receipt.sha256 == ""


def test_the_same_transaction_twice_is_processed_once(
    application: Application, invoice: Invoice, post_callback: PostCallback
) -> None:
    assert post_callback(bank_notice(invoice)).status_code == 200
    after_first = money_state(invoice)
    again = post_callback(bank_notice(invoice))
    assert again.status_code == 200
    assert again.json() == {"status": "already-processed", "invoice": invoice.number}
    assert money_state(invoice) == after_first
    assert Receipt.objects.count() == 1
    assert application.history.filter(step_type="payment").count() == 1
    assert DomainEvent.objects.filter(name="payments.invoice_paid").count() == 1
    assert list(PaymentEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        "accepted",
        "duplicate",
    ]


def test_a_second_payment_of_a_paid_invoice_changes_nothing_and_is_flagged(
    application: Application, invoice: Invoice, post_callback: PostCallback
) -> None:
    """The payer paid twice: the invoice stays paid by the first, the second payment's
    money is flagged for the finance officers to refund (never dropped)."""
    post_callback(bank_notice(invoice))
    after_first = money_state(invoice)
    other = post_callback(bank_notice(invoice, txn_id="SBX20260101BBBBBBBBBBBB"))
    assert other.status_code == 200
    assert other.json() == {"status": "flagged-for-refund", "invoice": invoice.number}
    assert money_state(invoice) == after_first
    invoice.refresh_from_db()
    assert invoice.provider_txn_id == TXN_ID
    assert application.history.filter(step_type="payment").count() == 1
    assert PaymentEvent.objects.latest("id").outcome == "paid_twice"
    [issue] = PaymentIssue.objects.all()
    assert (issue.kind, issue.invoice, issue.provider_txn_id, issue.amount) == (
        "paid_twice",
        invoice,
        "SBX20260101BBBBBBBBBBBB",
        Decimal(FOOD_SHOP_FEE),
    )


def test_a_replay_after_the_licence_was_issued_changes_nothing(
    application: Application,
    invoice: Invoice,
    post_callback: PostCallback,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_callback(bank_notice(invoice))
    issued = money_state(invoice)
    assert issued["application"][0] == Status.ISSUED
    with django_capture_on_commit_callbacks(execute=True):
        replay = post_callback(bank_notice(invoice))
    assert replay.status_code == 200 and replay.json()["status"] == "already-processed"
    assert money_state(invoice) == issued


@pytest.mark.parametrize(
    "how",
    ["wrong secret", "no header", "body changed after signing", "garbage header"],
)
def test_a_forged_notice_is_refused_and_logged(
    invoice: Invoice, post_callback: PostCallback, how: str
) -> None:
    before = money_state(invoice)
    body = json.dumps(bank_notice(invoice)).encode()
    if how == "wrong secret":
        response = post_callback(body, secret="not-the-secret")
    elif how == "no header":
        response = post_callback(body, header="")
    elif how == "garbage header":
        response = post_callback(body, header="v1=abc")
    else:
        header = signing.sign(body, settings.PAYMENT_WEBHOOK_SECRET)
        tampered = body.replace(FOOD_SHOP_FEE.encode(), b"10.00")
        assert tampered != body
        response = post_callback(tampered, header=header)
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == 403
    assert_refused_and_unchanged(invoice, before)
    [event] = PaymentEvent.objects.all()
    assert (event.signature_valid, event.outcome, event.invoice) == (False, "forged", None)
    assert AuditEvent.objects.filter(action="payment.callback_forged").exists()


def test_an_old_signature_is_refused_even_if_it_was_genuine(
    invoice: Invoice, post_callback: PostCallback
) -> None:
    before = money_state(invoice)
    response = post_callback(bank_notice(invoice), timestamp=int(time.time()) - 301)
    assert response.status_code == 403
    assert "ลายมือชื่อหมดอายุหรือเวลาไม่ตรง (เกิน 300 วินาที)" in response.json()["detail"]
    assert_refused_and_unchanged(invoice, before)


def test_a_wrong_amount_is_refused(invoice: Invoice, post_callback: PostCallback) -> None:
    before = money_state(invoice)
    response = post_callback(bank_notice(invoice, amount="999.99"))
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    detail = response.json()["detail"]
    assert "999.99" in detail and FOOD_SHOP_FEE in detail
    assert_refused_and_unchanged(invoice, before)
    event = PaymentEvent.objects.get()
    assert (event.outcome, event.invoice) == ("wrong_amount", invoice)
    assert AuditEvent.objects.filter(action="payment.callback_wrong_amount").exists()
    # Refused, and the money the bank took is flagged for the finance officers.
    [issue] = PaymentIssue.objects.all()
    assert (issue.kind, issue.amount, issue.event) == ("wrong_amount", Decimal("999.99"), event)


def test_a_wrong_currency_is_refused(invoice: Invoice, post_callback: PostCallback) -> None:
    before = money_state(invoice)
    assert post_callback(bank_notice(invoice, currency="USD")).status_code == 422
    assert_refused_and_unchanged(invoice, before)
    assert PaymentEvent.objects.get().outcome == "wrong_amount"


@pytest.mark.parametrize(
    "changes",
    [{"ref2": "INV2569999999"}, {"ref1": "BP0000000000"}, {"biller_id": "010555500000199"}],
)
def test_an_unknown_invoice_is_refused(
    invoice: Invoice, post_callback: PostCallback, changes: dict[str, str]
) -> None:
    before = money_state(invoice)
    response = post_callback(bank_notice(invoice, **changes))
    assert response.status_code == 422
    assert response.json()["type"].endswith("payment-unknown_invoice")
    assert_refused_and_unchanged(invoice, before)
    event = PaymentEvent.objects.get()
    assert (event.signature_valid, event.outcome) == (True, "unknown_invoice")


def test_a_cancelled_invoice_is_not_paid_and_the_money_is_flagged(
    invoice: Invoice, post_callback: PostCallback
) -> None:
    Invoice.objects.filter(pk=invoice.pk).update(status="cancelled")
    before = money_state(invoice)
    response = post_callback(bank_notice(invoice))
    # Taken (so the bank stops resending) and flagged for refund.
    assert response.status_code == 200
    assert response.json() == {"status": "flagged-for-refund", "invoice": invoice.number}
    assert money_state(invoice) == before
    invoice.refresh_from_db()
    assert invoice.status == "cancelled" and invoice.provider_txn_id is None
    assert not Receipt.objects.exists()
    assert PaymentEvent.objects.get().outcome == "late"
    assert PaymentIssue.objects.get().kind == "late"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"txn_id": "X"}).encode(),
        json.dumps(
            {
                "txn_id": "X",
                "biller_id": "1",
                "ref1": "A",
                "ref2": "B",
                "amount": "abc",
                "currency": "THB",
                "paid_at": "2026-01-01T10:00:00+07:00",
            }
        ).encode(),
        json.dumps(
            {
                "txn_id": "X",
                "biller_id": "1",
                "ref1": "A",
                "ref2": "B",
                "amount": "1.00",
                "currency": "THB",
                "paid_at": "yesterday",
            }
        ).encode(),
    ],
)
def test_a_signed_but_malformed_body_is_a_bad_request(
    invoice: Invoice, post_callback: PostCallback, body: bytes
) -> None:
    before = money_state(invoice)
    response = post_callback(body)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert_refused_and_unchanged(invoice, before)
    event = PaymentEvent.objects.get()
    assert (event.signature_valid, event.outcome) == (True, "malformed")


def test_if_the_application_refuses_the_payment_nothing_is_half_written(
    db: None, post_callback: PostCallback, client: Client
) -> None:
    """An invoice for an application whose process is not at a payment step (raised by
    hand, at review): the application refuses to move, so the payment is not taken
    either, and the bank is told to retry (500) while the error is logged."""
    application = submitted()
    invoice = services.raise_invoice(application, Decimal("500"), actor=None)
    before = money_state(invoice)
    assert before["application"][0] == Status.REVIEW
    client.raise_request_exception = False
    response = post_callback(bank_notice(invoice))
    assert response.status_code == 500
    assert money_state(invoice) == before
    assert not Receipt.objects.exists()
    assert not DomainEvent.objects.filter(name="payments.invoice_paid").exists()
    event = PaymentEvent.objects.get()
    assert (event.outcome, event.provider_txn_id) == ("error", TXN_ID)
    assert "ไม่ได้รอขั้นตอน" in event.detail


def test_unknown_providers_and_get_requests_are_refused(db: None, client: Client) -> None:
    response = client.post("/payments/callback/acme-bank/", b"{}", content_type="application/json")
    assert response.status_code == 404
    assert client.get("/payments/callback/sandbox/").status_code == 405
    assert not PaymentEvent.objects.exists()

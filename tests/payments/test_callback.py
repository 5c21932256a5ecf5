"""The provider callback: signed, idempotent, and all-or-nothing.

Every call is logged as a PaymentEvent, whatever its fate; only an authentic
notice of the right amount for a known, unpaid invoice changes anything.
"""

from __future__ import annotations

import json
import time
from unittest import mock

import pytest
from django.conf import settings

from bizportal.core.models import AuditEvent
from bizportal.payments.models import Invoice, PaymentEvent, Receipt

from .conftest import PostCallback, bank_notice

PROBLEM = "application/problem+json"


def assert_unchanged(invoice: Invoice, record_payment: mock.MagicMock) -> None:
    invoice.refresh_from_db()
    assert invoice.status == "pending" and invoice.provider_txn_id is None
    assert not Receipt.objects.exists()
    record_payment.assert_not_called()


def test_an_authentic_notice_pays_the_invoice(
    invoice: Invoice,
    post_callback: PostCallback,
    record_payment: mock.MagicMock,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_callback(bank_notice(invoice))
    assert response.status_code == 200
    assert response.json() == {"status": "paid", "invoice": invoice.number}
    invoice.refresh_from_db()
    assert (invoice.status, invoice.provider, invoice.provider_txn_id) == (
        "paid",
        "sandbox",
        "SBX20260101AAAAAAAAAAAA",
    )
    assert invoice.paid_at is not None
    record_payment.assert_called_once_with(invoice)
    receipt = Receipt.objects.get(invoice=invoice)
    assert receipt.number.startswith("RC-25") and receipt.number.endswith("-000001")
    # rendered after commit by the background task
    assert receipt.pdf and len(receipt.sha256) == 64
    [event] = PaymentEvent.objects.all()
    assert (event.outcome, event.signature_valid, event.invoice) == ("accepted", True, invoice)
    assert AuditEvent.objects.filter(
        action="invoice.paid", object_id=str(invoice.public_id)
    ).exists()


def test_the_same_transaction_twice_is_processed_once(
    invoice: Invoice,
    post_callback: PostCallback,
    record_payment: mock.MagicMock,
) -> None:
    assert post_callback(bank_notice(invoice)).status_code == 200
    again = post_callback(bank_notice(invoice))
    assert again.status_code == 200
    assert again.json()["status"] == "already-processed"
    assert Receipt.objects.count() == 1
    record_payment.assert_called_once()
    assert list(PaymentEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        "accepted",
        "duplicate",
    ]


def test_a_second_payment_of_a_paid_invoice_changes_nothing(
    invoice: Invoice,
    post_callback: PostCallback,
    record_payment: mock.MagicMock,
) -> None:
    post_callback(bank_notice(invoice))
    other = post_callback(bank_notice(invoice, txn_id="SBX20260101BBBBBBBBBBBB"))
    assert other.json()["status"] == "already-processed"
    invoice.refresh_from_db()
    assert invoice.provider_txn_id == "SBX20260101AAAAAAAAAAAA"
    record_payment.assert_called_once()


@pytest.mark.parametrize(
    "how",
    ["wrong secret", "no header", "body changed after signing", "garbage header"],
)
def test_a_forged_notice_is_refused_and_logged(
    invoice: Invoice,
    post_callback: PostCallback,
    record_payment: mock.MagicMock,
    client,
    how: str,
) -> None:
    body = json.dumps(bank_notice(invoice)).encode()
    if how == "wrong secret":
        response = post_callback(body, secret="not-the-secret")
    elif how == "no header":
        response = post_callback(body, header="")
    elif how == "garbage header":
        response = post_callback(body, header="v1=abc")
    else:
        from bizportal.payments.contrib.sandbox import signing

        header = signing.sign(body, settings.PAYMENT_WEBHOOK_SECRET)
        response = post_callback(body.replace(b"500.00", b"5.00"), header=header)
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == 403
    assert_unchanged(invoice, record_payment)
    [event] = PaymentEvent.objects.all()
    assert (event.signature_valid, event.outcome) == (False, "forged")
    assert AuditEvent.objects.filter(action="payment.callback_forged").exists()


def test_an_old_signature_is_refused_even_if_it_was_genuine(
    invoice: Invoice,
    post_callback: PostCallback,
    record_payment: mock.MagicMock,
) -> None:
    response = post_callback(bank_notice(invoice), timestamp=int(time.time()) - 301)
    assert response.status_code == 403
    assert "tolerance" in response.json()["detail"]
    assert_unchanged(invoice, record_payment)


def test_a_wrong_amount_is_refused(
    invoice: Invoice,
    post_callback: PostCallback,
    record_payment: mock.MagicMock,
) -> None:
    response = post_callback(bank_notice(invoice, amount="499.99"))
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert "499.99" in response.json()["detail"]
    assert_unchanged(invoice, record_payment)
    assert PaymentEvent.objects.get().outcome == "wrong_amount"


def test_a_wrong_currency_is_refused(
    invoice: Invoice,
    post_callback: PostCallback,
    record_payment: mock.MagicMock,
) -> None:
    assert post_callback(bank_notice(invoice, currency="USD")).status_code == 422
    assert_unchanged(invoice, record_payment)


@pytest.mark.parametrize(
    "changes",
    [{"ref2": "INV2569999999"}, {"ref1": "BP0000000000"}, {"biller_id": "010555500000199"}],
)
def test_an_unknown_invoice_is_refused(
    invoice: Invoice,
    post_callback: PostCallback,
    record_payment: mock.MagicMock,
    changes: dict,
) -> None:
    response = post_callback(bank_notice(invoice, **changes))
    assert response.status_code == 422
    assert response.json()["type"].endswith("payment-unknown_invoice")
    assert_unchanged(invoice, record_payment)
    assert PaymentEvent.objects.get().signature_valid is True


def test_a_cancelled_invoice_is_not_paid(
    invoice: Invoice,
    post_callback: PostCallback,
    record_payment: mock.MagicMock,
) -> None:
    Invoice.objects.filter(pk=invoice.pk).update(status="cancelled")
    assert post_callback(bank_notice(invoice)).status_code == 422
    invoice.refresh_from_db()
    assert invoice.status == "cancelled"
    record_payment.assert_not_called()


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
    invoice: Invoice,
    post_callback: PostCallback,
    record_payment: mock.MagicMock,
    body: bytes,
) -> None:
    response = post_callback(body)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert_unchanged(invoice, record_payment)
    event = PaymentEvent.objects.get()
    assert (event.signature_valid, event.outcome) == (True, "malformed")


def test_if_the_application_refuses_the_payment_nothing_is_half_written(
    invoice: Invoice,
    post_callback: PostCallback,
    record_payment: mock.MagicMock,
    client,
) -> None:
    record_payment.side_effect = RuntimeError("application is not awaiting payment")
    client.raise_request_exception = False
    response = post_callback(bank_notice(invoice))
    assert response.status_code == 500
    invoice.refresh_from_db()
    assert invoice.status == "pending" and not Receipt.objects.exists()
    assert PaymentEvent.objects.get().outcome == "error"


def test_unknown_providers_and_get_requests_are_refused(db: None, client) -> None:
    assert (
        client.post(
            "/payments/callback/acme-bank/", b"{}", content_type="application/json"
        ).status_code
        == 404
    )
    assert client.get("/payments/callback/sandbox/").status_code == 405
    assert not PaymentEvent.objects.exists()

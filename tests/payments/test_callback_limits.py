"""Callbacks cannot fill the database: unsigned bodies are never stored, signed ones only
up to a bound, and odd JSON in a signed body is a 400, not a 500."""

from __future__ import annotations

import hashlib
import json

import pytest

from bizportal.core.models import AuditEvent
from bizportal.payments.models import Invoice, PaymentEvent

from .conftest import PostCallback, bank_notice, money_state

PROBLEM = "application/problem+json"


def test_an_unsigned_callback_is_answered_and_logged_as_a_summary_only(
    invoice: Invoice, post_callback: PostCallback
) -> None:
    filler = "ขยะ" * 5000
    body = json.dumps({**bank_notice(invoice), "filler": filler}, ensure_ascii=False).encode()

    response = post_callback(body, header="")

    assert response.status_code == 403 and response["Content-Type"] == PROBLEM
    event = PaymentEvent.objects.get()
    assert (event.outcome, event.signature_valid, event.body) == ("forged", False, "")
    assert hashlib.sha256(body).hexdigest() in event.detail
    audit = AuditEvent.objects.get(action="payment.callback_forged")
    assert audit.data["size"] == len(body)
    assert audit.data["sha256"] == hashlib.sha256(body).hexdigest()
    assert audit.data["source_ip"] == "127.0.0.1"
    stored = json.dumps(audit.data, ensure_ascii=False) + event.detail
    assert filler[:30] not in stored and invoice.ref2 not in stored


def test_a_callback_over_the_bound_is_413_and_not_stored(
    invoice: Invoice, post_callback: PostCallback, settings
) -> None:
    before = money_state(invoice)
    body = json.dumps({**bank_notice(invoice), "pad": "x" * (64 * 1024)}).encode()
    assert len(body) > settings.PAYMENT_CALLBACK_MAX_BYTES

    response = post_callback(body)  # correctly signed, still too big

    assert response.status_code == 413 and response["Content-Type"] == PROBLEM
    assert money_state(invoice) == before
    event = PaymentEvent.objects.get()
    assert event.body == "" and event.signature_valid is False
    assert AuditEvent.objects.get(action="payment.callback_malformed").data["size"] == len(body)


def test_a_signed_callback_within_the_bound_is_stored_whole(
    invoice: Invoice, post_callback: PostCallback
) -> None:
    body = json.dumps(bank_notice(invoice)).encode()
    assert post_callback(body).status_code == 200
    assert PaymentEvent.objects.get().body == body.decode()


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"txn_id": "\\ud800"}',
        b'{"amount": 1e400}',
        b'{"amount": NaN}',
        b'{"txn_id": "a\x00b"}',
        b'{"txn_id": "\xff"}',
    ],
)
def test_a_signed_callback_with_odd_json_is_a_400_not_a_500(
    invoice: Invoice, post_callback: PostCallback, body: bytes
) -> None:
    before = money_state(invoice)

    response = post_callback(body)

    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert money_state(invoice) == before
    event = PaymentEvent.objects.get()
    assert (event.outcome, event.signature_valid) == ("malformed", True)
    assert "\x00" not in event.body

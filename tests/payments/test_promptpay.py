"""PromptPay (tag 29) as a channel of its own, and the payer's choice of channel.

The QR is checked against the published PromptPay example; the bank's notice of a
transfer settles the invoice through the same confirm path as a bill payment, once,
and only when it is signed and paid to our proxy.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from bizportal.core.models import AuditEvent
from bizportal.payments import services, thaiqr
from bizportal.payments.contrib.sandbox import services as bank
from bizportal.payments.contrib.sandbox import signing
from bizportal.payments.models import Invoice, PaymentEvent, ServicePaymentOptions
from bizportal.payments.providers import providers, refunding_provider
from tests import journeys

PUBLISHED_STATIC = "00020101021129370016A000000677010111011300668999999995802TH53037646304FE29"
CALLBACK = "payments:callback"


def test_a_static_code_for_a_mobile_number_is_the_published_one() -> None:
    assert thaiqr.promptpay_payload("089-999-9999") == PUBLISHED_STATIC


@pytest.mark.parametrize(
    ("proxy", "sub_tag", "value"),
    [
        ("0812345678", "01", "0066812345678"),
        ("3-1009-01234-56-7", "02", "3100901234567"),
        ("004999000288505", "03", "004999000288505"),
    ],
)
def test_each_kind_of_proxy_has_its_sub_tag(proxy: str, sub_tag: str, value: str) -> None:
    fields = thaiqr.parse_payload(thaiqr.promptpay_payload(proxy, Decimal("10")))
    assert fields["29"] == {"00": thaiqr.PROMPTPAY_AID, sub_tag: value}
    assert fields["54"] == "10.00" and fields["01"] == "12"


def test_a_dynamic_code_carries_the_invoice_numbers_and_round_trips() -> None:
    payload = thaiqr.promptpay_payload(
        "0994000165501", Decimal("1000"), bill_number="INV2569000001", reference="BP2569000001"
    )
    paid = thaiqr.read_any(payload)
    assert (paid.scheme, paid.biller_id, paid.ref1, paid.ref2, paid.amount) == (
        "promptpay",
        "0994000165501",
        "BP2569000001",
        "INV2569000001",
        Decimal("1000.00"),
    )
    with pytest.raises(thaiqr.PayloadError, match="CRC mismatch"):
        thaiqr.read_any(payload.replace("1000.00", "0001.00"))


@pytest.mark.parametrize(
    ("proxy", "kwargs", "message"),
    [
        ("12345", {}, "A PromptPay ID is"),
        ("0812345678", {"bill_number": "inv-1"}, "Bill number must be"),
        ("0812345678", {"reference": "X" * 21}, "Reference must be"),
    ],
)
def test_what_a_bank_would_refuse_is_refused(proxy: str, kwargs: Any, message: str) -> None:
    with pytest.raises(thaiqr.PayloadError, match=message):
        thaiqr.promptpay_payload(proxy, Decimal("1"), **kwargs)


# --- choosing the channel -------------------------------------------------------------


def test_the_pay_page_offers_the_services_channels_and_shows_the_chosen_one(
    invoice: Invoice, owner_client: Client
) -> None:
    url = reverse("payments:invoice", args=[invoice.public_id])
    page = owner_client.get(url)
    assert [name for name, _ in page.context["channels"]][:2] == ["sandbox", "sandbox_promptpay"]
    assert page.context["chosen"] == "sandbox"
    page = owner_client.get(url, {"channel": "sandbox_promptpay"})
    assert page.status_code == 200
    how = page.context["how"]
    paid = thaiqr.read_any(how.qr_payload)
    assert (paid.scheme, paid.ref1, paid.ref2, paid.amount) == (
        "promptpay",
        invoice.ref1,
        invoice.ref2,
        invoice.amount,
    )
    assert "Pay with PromptPay" in page.content.decode() or "ชำระด้วยพร้อมเพย์" in (
        page.content.decode()
    )


def test_a_channel_the_service_does_not_take_is_refused_with_a_reason(
    invoice: Invoice, owner_client: Client
) -> None:
    ServicePaymentOptions.objects.create(
        service=invoice.application.service, channels=["sandbox_promptpay"]
    )
    url = reverse("payments:invoice", args=[invoice.public_id])
    page = owner_client.get(url, {"channel": "sandbox"})
    assert page.status_code == 400
    text = page.content.decode()
    assert "บริการนี้ไม่รับชำระทางช่องทาง" in text and "sandbox" in text
    assert "เลือกช่องทางด้านล่าง" in text
    assert page.context["channels"] == [("sandbox_promptpay", providers["sandbox_promptpay"].label)]
    assert page.context["chosen"] == "sandbox_promptpay"
    with pytest.raises(ValidationError, match="ไม่รับชำระทางช่องทาง"):
        services.instruction(invoice, channel="sandbox")
    # A channel the settings switch off is off for every service.
    with mock.patch("django.conf.settings.PAYMENT_PROVIDERS", ("sandbox",)):
        assert [name for name, _ in services.accepted_channels(invoice.application.service)] == [
            "sandbox"
        ]


# --- the bank's notice of a transfer --------------------------------------------------------


def _transfer(invoice: Invoice, **changes: Any) -> tuple[bytes, str]:
    """Pay the invoice's PromptPay code at the bank (webhook held back); the signed
    notice the bank would send."""
    payload = services.instruction(invoice, channel="sandbox_promptpay").qr_payload
    with mock.patch("bizportal.payments.contrib.sandbox.services._enqueue_webhook"):
        txn = bank.pay(payload)
    assert bank.callback_url(txn).endswith("/callback/sandbox_promptpay/")
    body = json.dumps({**txn.webhook_body(), **changes}).encode()
    return body, txn.txn_id


def _post(client: Client, body: bytes, *, secret: str | None = None) -> Any:
    from django.conf import settings

    header = signing.sign(body, secret or settings.PAYMENT_WEBHOOK_SECRET)
    return client.post(
        reverse(CALLBACK, args=["sandbox_promptpay"]),
        body,
        content_type="application/json",
        HTTP_X_BIZPORTAL_SIGNATURE=header,
    )


def test_the_banks_notice_of_a_transfer_pays_once(invoice: Invoice, client: Client) -> None:
    body, txn_id = _transfer(invoice)
    assert json.loads(body)["scheme"] == "promptpay"
    first = _post(client, body)
    assert first.status_code == 200 and first.json()["status"] == "paid"
    invoice.refresh_from_db()
    assert (invoice.status, invoice.provider, invoice.provider_txn_id) == (
        "paid",
        "sandbox_promptpay",
        txn_id,
    )
    again = _post(client, body)
    assert again.status_code == 200 and again.json()["status"] == "already-processed"
    assert list(PaymentEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        "accepted",
        "duplicate",
    ]


def test_a_forged_or_misdirected_transfer_notice_changes_nothing(
    invoice: Invoice, client: Client
) -> None:
    body, _ = _transfer(invoice)
    forged = _post(client, body, secret="not-the-bank")
    assert forged.status_code == 403
    assert forged["Content-Type"] == "application/problem+json"
    elsewhere = json.dumps({**json.loads(body), "biller_id": "0066812345678"}).encode()
    refused = _post(client, elsewhere)
    assert refused.status_code == 400 and "ไม่ได้โอนเข้าบัญชีของระบบ" in refused.json()["detail"]
    wrong = _post(client, json.dumps({**json.loads(body), "amount": "999.00"}).encode())
    assert wrong.status_code == 422
    invoice.refresh_from_db()
    assert invoice.status == "pending"
    assert list(PaymentEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        "forged",
        "malformed",
        "wrong_amount",
    ]
    assert AuditEvent.objects.filter(action="payment.callback_forged").exists()


def test_a_channel_the_settings_do_not_enable_takes_no_callbacks(
    invoice: Invoice, client: Client, settings: Settings
) -> None:
    body, _ = _transfer(invoice)
    settings.PAYMENT_PROVIDERS = ("sandbox",)
    assert _post(client, body).status_code == 404
    assert not PaymentEvent.objects.exists()


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_transfer_is_notified_and_refunded_over_http(
    live_server: Any, settings: Settings
) -> None:
    settings.BASE_URL = live_server.url
    settings.PAYMENT_SANDBOX_URL = live_server.url + "/sandbox/bank"
    application = journeys.approve_everything(journeys.submitted())
    invoice = Invoice.objects.get(application=application, status="pending")
    payload = services.instruction(invoice, channel="sandbox_promptpay").qr_payload
    txn = bank.deliver_webhook(bank.pay(payload).txn_id)
    assert txn.webhook_status == "delivered", txn.webhook_response
    invoice.refresh_from_db()
    assert (invoice.status, invoice.provider) == ("paid", "sandbox_promptpay")
    provider = refunding_provider("sandbox_promptpay")
    assert provider is not None
    answer = provider.refund(invoice, Decimal("100.00"), "REF-PP-1")
    assert answer.status == "completed", answer.detail
    assert txn.refunds.get().amount == Decimal("100.00")

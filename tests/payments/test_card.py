"""The card gateway and CGD e-Payment: hosted pages reached by a signed link, a
3-D Secure-style OTP, and signed webhooks that settle through the same confirm path.

Declined cards, wrong OTPs and abandoned pages are noted (200, nothing changes); a
forged notice is refused; a second notice of the same charge changes nothing.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from bizportal.core.models import AuditEvent
from bizportal.payments import services
from bizportal.payments.contrib.gateways import services as gateway
from bizportal.payments.contrib.gateways.models import GatewayCharge, GatewayRefund
from bizportal.payments.contrib.gateways.protocol import CARD, CGD, Gateway
from bizportal.payments.contrib.sandbox import signing
from bizportal.payments.models import Invoice, PaymentEvent, ServicePaymentOptions
from bizportal.payments.providers import refunding_provider
from tests import journeys

HOLD_WEBHOOK = "bizportal.payments.contrib.gateways.services._enqueue"


def pay_link(invoice: Invoice, channel: str, owner_client: Client) -> str:
    page = owner_client.get(
        reverse("payments:invoice", args=[invoice.public_id]), {"channel": channel}
    )
    assert page.status_code == 200
    return str(page.context["how"].pay_url)


def hosted(link: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(link)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def checkout(client: Client, link: str, **form: str) -> Any:
    path, params = hosted(link)
    with mock.patch(HOLD_WEBHOOK):
        return client.post(path, {**params, **form})


def notify(client: Client, charge: GatewayCharge, *, secret: str | None = None) -> Any:
    """POST the gateway's notice of ``charge`` to our callback, signed as it signs."""
    which: Gateway = CARD if charge.gateway == "card" else CGD
    body = json.dumps(gateway.webhook_body(charge)).encode()
    return client.post(
        reverse("payments:callback", args=[which.callback_channel]),
        body,
        content_type="application/json",
        **{
            "HTTP_" + which.header.upper().replace("-", "_"): signing.sign(
                body, secret or which.secret
            )
        },
    )


def test_the_link_is_signed_and_a_changed_amount_is_refused(
    invoice: Invoice, owner_client: Client, client: Client
) -> None:
    link = pay_link(invoice, "sandbox_card", owner_client)
    assert link.startswith(CARD.base_url + "/checkout/?")
    page = client.get(link)
    assert page.status_code == 200 and "1,000.00" in page.content.decode()
    tampered = client.get(link.replace("amount=1000.00", "amount=1.00"))
    assert tampered.status_code == 403
    assert "ลิงก์ชำระเงินถูกแก้ไขหรือไม่ได้ลงนามโดยร้านค้า" in tampered.content.decode()
    assert not GatewayCharge.objects.exists()


def test_a_good_card_pays_once_and_the_payer_returns_to_a_pending_page(
    invoice: Invoice, owner_client: Client, client: Client
) -> None:
    link = pay_link(invoice, "sandbox_card", owner_client)
    response = checkout(client, link, card_number="4111 1111 1111 1111", action="pay")
    assert response.status_code == 302
    back = response["Location"]
    assert back.endswith(f"/payments/invoices/{invoice.public_id}/?channel=sandbox_card&returned=1")
    pending = owner_client.get(back)
    assert 'id="payment-pending"' in pending.content.decode()
    charge = GatewayCharge.objects.get()
    assert (charge.state, charge.card_last4, charge.webhook_status) == (
        "succeeded",
        "1111",
        "pending",
    )

    first = notify(client, charge)
    assert first.status_code == 200 and first.json()["status"] == "paid"
    invoice.refresh_from_db()
    assert (invoice.status, invoice.provider, invoice.provider_txn_id) == (
        "paid",
        "sandbox_card",
        charge.charge_id,
    )
    again = notify(client, charge)
    assert again.status_code == 200 and again.json()["status"] == "already-processed"
    assert 'id="payment-pending"' not in owner_client.get(back).content.decode()


def test_a_forged_card_notice_is_refused(
    invoice: Invoice, owner_client: Client, client: Client
) -> None:
    checkout(
        client, pay_link(invoice, "sandbox_card", owner_client), card_number="4111111111111111"
    )
    forged = notify(client, GatewayCharge.objects.get(), secret="guessed")
    assert forged.status_code == 403 and forged["Content-Type"] == "application/problem+json"
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"
    event = PaymentEvent.objects.get()
    assert (event.outcome, event.signature_valid, event.body) == ("forged", False, "")


def test_a_declined_card_is_noted_and_the_invoice_stays_payable(
    invoice: Invoice, owner_client: Client, client: Client
) -> None:
    link = pay_link(invoice, "sandbox_card", owner_client)
    checkout(client, link, card_number="4000000000000002", action="pay")
    charge = GatewayCharge.objects.get()
    assert (charge.state, charge.failure_reason) == (
        "failed",
        "declined by the issuer (insufficient funds)",
    )
    noted = notify(client, charge)
    assert noted.status_code == 200 and noted.json() == {"status": "noted"}
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"
    assert PaymentEvent.objects.get().outcome == "declined"
    assert AuditEvent.objects.filter(action="payment.callback_declined").exists()


def test_a_card_number_that_fails_its_check_digit_charges_nothing(
    invoice: Invoice, owner_client: Client, client: Client
) -> None:
    link = pay_link(invoice, "sandbox_card", owner_client)
    refused = checkout(client, link, card_number="4111111111111112", action="pay")
    assert refused.status_code == 400 and "หมายเลขบัตรไม่ถูกต้อง" in refused.content.decode()
    assert not GatewayCharge.objects.exists()


def test_the_otp_challenge_fails_on_a_wrong_code_and_pays_on_the_right_one(
    invoice: Invoice, owner_client: Client, client: Client
) -> None:
    link = pay_link(invoice, "sandbox_card", owner_client)
    response = checkout(client, link, card_number="4000000000003220", action="pay")
    charge = GatewayCharge.objects.get()
    assert charge.state == "challenge" and response["Location"].endswith(
        f"/sandbox/card/challenge/{charge.charge_id}/"
    )
    with mock.patch(HOLD_WEBHOOK):
        wrong = client.post(response["Location"], {"otp": "000000"})
    assert wrong.status_code == 302 and "returned=1" in wrong["Location"]
    charge.refresh_from_db()
    assert (charge.state, charge.failure_reason) == ("failed", "wrong OTP (3-D Secure failed)")
    assert notify(client, charge).json() == {"status": "noted"}
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"

    # The payer tries again from our page: this time the right code.
    again = checkout(client, link, card_number="4000000000003220", action="pay")
    with mock.patch(HOLD_WEBHOOK):
        client.post(again["Location"], {"otp": gateway.TEST_OTP})
    second = GatewayCharge.objects.exclude(pk=charge.pk).get()
    assert second.state == "succeeded"
    assert notify(client, second).json()["status"] == "paid"
    assert Invoice.objects.get(pk=invoice.pk).provider_txn_id == second.charge_id


def test_abandoning_the_hosted_page_is_noted_and_changes_nothing(
    invoice: Invoice, owner_client: Client, client: Client
) -> None:
    link = pay_link(invoice, "sandbox_card", owner_client)
    response = checkout(client, link, action="cancel")
    assert response.status_code == 302 and "returned=1" in response["Location"]
    charge = GatewayCharge.objects.get()
    assert charge.state == "cancelled"
    assert notify(client, charge).json() == {"status": "noted"}
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"


# --- CGD e-Payment ----------------------------------------------------------------------------


def test_a_treasury_service_takes_cgd_alone_and_a_paid_result_settles(
    invoice: Invoice, owner_client: Client, client: Client
) -> None:
    ServicePaymentOptions.objects.create(
        service=invoice.application.service, channels=["sandbox_cgd"]
    )
    page = owner_client.get(reverse("payments:invoice", args=[invoice.public_id]))
    assert [name for name, _ in page.context["channels"]] == ["sandbox_cgd"]
    link = str(page.context["how"].pay_url)
    assert link.startswith(CGD.base_url + "/checkout/?")
    assert checkout(client, link, action="pay").status_code == 302
    charge = GatewayCharge.objects.get()
    assert (charge.gateway, charge.state) == ("cgd", "succeeded")
    body = gateway.webhook_body(charge)
    assert body["status"] == "PAID" and body["agency_code"] == CGD.merchant_id
    assert notify(client, charge).json()["status"] == "paid"
    invoice.refresh_from_db()
    assert (invoice.status, invoice.provider) == ("paid", "sandbox_cgd")
    assert notify(client, charge).json()["status"] == "already-processed"
    assert refunding_provider("sandbox_cgd") is None  # refunds go through CGD's own process


def test_a_cancelled_forged_or_foreign_cgd_result_changes_nothing(
    invoice: Invoice, owner_client: Client, client: Client
) -> None:
    link = pay_link(invoice, "sandbox_cgd", owner_client)
    checkout(client, link, action="cancel")
    cancelled = GatewayCharge.objects.get()
    assert notify(client, cancelled).json() == {"status": "noted"}
    checkout(client, link, action="pay")
    paid = GatewayCharge.objects.get(state="succeeded")
    assert notify(client, paid, secret="guessed").status_code == 403
    paid.merchant_id = "0000000000"  # a result for another agency, signed by CGD
    foreign = notify(client, paid)
    assert foreign.status_code == 400 and "ไม่ใช่ของระบบนี้" in foreign.json()["detail"]
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"
    assert list(PaymentEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        "declined",
        "forged",
        "malformed",
    ]


# --- over real HTTP ------------------------------------------------------------------------------


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_challenged_card_payment_and_its_refund_over_http(
    live_server: Any, settings: Settings
) -> None:
    settings.BASE_URL = live_server.url
    settings.PAYMENT_CARD_URL = live_server.url + "/sandbox/card"
    application = journeys.approve_everything(journeys.submitted())
    invoice = Invoice.objects.get(application=application, status="pending")
    back = live_server.url + reverse("payments:invoice", args=[invoice.public_id])
    link = services.instruction(invoice, channel="sandbox_card", return_url=back).pay_url

    browser = requests.Session()
    page = browser.get(link, timeout=30)
    assert page.status_code == 200

    def form_post(url: str, html: str, **data: str) -> requests.Response:
        import re

        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
        fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token is not None
        fields.update(csrfmiddlewaretoken=token.group(1), **data)
        return browser.post(url, data=fields, timeout=60, allow_redirects=False)

    paid = form_post(link, page.text, card_number="4000000000003220", action="pay")
    assert paid.status_code == 302 and "/challenge/" in paid.headers["Location"]
    otp_url = live_server.url + paid.headers["Location"]
    otp_page = browser.get(otp_url, timeout=30)
    done = form_post(otp_url, otp_page.text, otp=gateway.TEST_OTP)
    assert done.status_code == 302 and done.headers["Location"] == back

    charge = GatewayCharge.objects.get()
    assert (charge.state, charge.webhook_status) == ("succeeded", "delivered")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.provider) == ("paid", "sandbox_card")

    provider = refunding_provider("sandbox_card")
    assert provider is not None
    answer = provider.refund(invoice, Decimal("300.00"), "REF-CARD-1")
    assert answer.status == "completed", answer.detail
    assert provider.refund(invoice, Decimal("300.00"), "REF-CARD-1").status == "completed"
    assert GatewayRefund.objects.count() == 1
    refused = provider.refund(invoice, Decimal("700.01"), "REF-CARD-2")
    assert refused.status == "rejected" and "700.00" in refused.detail

"""What the sandbox gateways do: take (or refuse) a payment on their hosted page, then
notify the merchant over HTTP with a signed webhook, after commit, from a task.

Card test numbers (any expiry in the future, any CVV): :data:`CARD_SUCCESS` pays at
once, :data:`CARD_CHALLENGE` asks for the OTP :data:`TEST_OTP` first (3-D Secure
style), :data:`CARD_DECLINE` is declined by the issuer; any other number the Luhn check
accepts is declined as not a test card. CGD e-Payment asks for no card: the payer
confirms the debit from their (sandbox) bank account, or cancels.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from bizportal.core import audit
from bizportal.payments.contrib.sandbox import signing

from .models import GatewayCharge, GatewayRefund
from .protocol import GATEWAYS, Gateway

CARD_SUCCESS = "4111111111111111"
CARD_CHALLENGE = "4000000000003220"
CARD_DECLINE = "4000000000000002"
TEST_OTP = "123456"
WEBHOOK_TIMEOUT_SECONDS = 15
State = GatewayCharge.State


class CheckoutError(Exception):
    """Bad input on a hosted page (message translated); nothing was charged."""


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number]
    checksum = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    return checksum % 10 == 0


def card_number(text: str) -> str:
    number = "".join(ch for ch in text if not ch.isspace() and ch != "-")
    if not (number.isdigit() and 12 <= len(number) <= 19 and luhn_ok(number)):
        raise CheckoutError(_("The card number is not valid"))
    return number


def order_amount(params: dict[str, str]) -> Decimal:
    try:
        amount = Decimal(params.get("amount", ""))
    except InvalidOperation:
        amount = Decimal(0)
    if not amount.is_finite() or amount <= 0:
        raise CheckoutError(_("The link's amount is invalid"))
    return amount


def safe_return(url: str, callback_url: str) -> str:
    """Only a page of the merchant's own site (the host of its callback)."""
    host = callback_url.split("://", 1)[-1].split("/", 1)[0]
    return url if url and url_has_allowed_host_and_scheme(url, allowed_hosts={host}) else ""


@transaction.atomic
def start_charge(
    gateway: Gateway, params: dict[str, str], *, callback_url: str, card: str = "", cancel: bool
) -> GatewayCharge:
    """Record the payer's decision on the hosted page: cancel, or pay (CGD: confirm the
    debit; card: the number decides success, challenge or decline)."""
    amount = order_amount(params)
    number = "" if cancel or gateway.name != "card" else card_number(card)
    if cancel:
        state, reason = State.CANCELLED, "cancelled by the payer"
    elif gateway.name == "cgd" or number == CARD_SUCCESS:
        state, reason = State.SUCCEEDED, ""
    elif number == CARD_CHALLENGE:
        state, reason = State.CHALLENGE, ""
    elif number == CARD_DECLINE:
        state, reason = State.FAILED, "declined by the issuer (insufficient funds)"
    else:
        state, reason = State.FAILED, "not a sandbox test card"
    charge = GatewayCharge.objects.create(
        charge_id=f"{gateway.name.upper()}{timezone.localdate():%Y%m%d}{secrets.token_hex(6).upper()}",
        gateway=gateway.name,
        merchant_id=params["merchant_id"],
        order_id=params.get("order_id", "")[:20],
        ref1=params.get("ref1", "")[:20],
        amount=amount,
        currency=params.get("currency", "THB")[:3] or "THB",
        state=state,
        card_last4=number[-4:],
        failure_reason=reason,
        return_url=safe_return(params.get("return_url", ""), callback_url),
        callback_url=callback_url,
    )
    audit.record(
        f"sandbox_{gateway.name}.charge_{state}",
        ("payments_sandbox_gateways.gatewaycharge", charge.charge_id),
        actor_label=f"sandbox {gateway.name} payer",
        order=charge.order_id,
        amount=f"{amount:.2f}",
    )
    if state != State.CHALLENGE:
        _decided(charge)
    return charge


@transaction.atomic
def answer_challenge(charge: GatewayCharge, otp: str) -> GatewayCharge:
    """The 3-D Secure-style step: the right OTP pays, a wrong one fails the charge (the
    payer starts again from the merchant's page)."""
    charge = GatewayCharge.objects.select_for_update().get(pk=charge.pk)
    if charge.state != State.CHALLENGE:
        return charge
    charge.otp_attempts += 1
    if otp.strip() == TEST_OTP:
        charge.state = State.SUCCEEDED
    else:
        charge.state, charge.failure_reason = State.FAILED, "wrong OTP (3-D Secure failed)"
    charge.save(update_fields=["otp_attempts", "state", "failure_reason"])
    audit.record(
        f"sandbox_card.challenge_{charge.state}",
        ("payments_sandbox_gateways.gatewaycharge", charge.charge_id),
        actor_label="sandbox card payer",
    )
    _decided(charge)
    return charge


def _decided(charge: GatewayCharge) -> None:
    charge.decided_at = timezone.now()
    charge.webhook_status = GatewayCharge.Webhook.PENDING
    charge.save(update_fields=["decided_at", "webhook_status"])
    charge_id = charge.charge_id
    transaction.on_commit(lambda: _enqueue(charge_id))


def _enqueue(charge_id: str) -> None:
    from .tasks import send_gateway_webhook

    send_gateway_webhook.enqueue(charge_id)


def webhook_body(charge: GatewayCharge) -> dict[str, str]:
    """Each gateway's notice, in its own wire format."""
    when = (charge.decided_at or charge.created_at).isoformat()
    if charge.gateway == "cgd":
        return {
            "status": "PAID" if charge.state == State.SUCCEEDED else "CANCELLED",
            "cgd_ref": charge.charge_id,
            "agency_code": charge.merchant_id,
            "ref1": charge.ref1,
            "ref2": charge.order_id,
            "amount": f"{charge.amount:.2f}",
            "currency": charge.currency,
            "paid_at": when,
        }
    return {
        "event": f"charge.{charge.state}",
        "charge_id": charge.charge_id,
        "merchant_id": charge.merchant_id,
        "order_id": charge.order_id,
        "ref1": charge.ref1,
        "amount": f"{charge.amount:.2f}",
        "currency": charge.currency,
        "card_last4": charge.card_last4,
        "failure_reason": charge.failure_reason,
        "created_at": when,
    }


def deliver_webhook(charge_id: str) -> GatewayCharge:
    """POST the signed notice to the merchant's callback and record its answer; a 2xx
    is delivered, anything else failed (sent again by the sweeper)."""
    charge = GatewayCharge.objects.get(charge_id=charge_id)
    if charge.webhook_status in (GatewayCharge.Webhook.DELIVERED, GatewayCharge.Webhook.NONE):
        return charge
    gateway = GATEWAYS[charge.gateway]
    body = json.dumps(webhook_body(charge), separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        gateway.header: signing.sign(body, gateway.secret),
    }
    code: int | None
    try:
        response = requests.post(
            charge.callback_url, data=body, headers=headers, timeout=WEBHOOK_TIMEOUT_SECONDS
        )
        code, answer = response.status_code, response.text
    except requests.RequestException as error:
        code, answer = None, repr(error)
    with transaction.atomic():
        charge = GatewayCharge.objects.select_for_update().get(pk=charge.pk)
        delivered = code is not None and 200 <= code < 300
        charge.webhook_attempts += 1
        charge.webhook_response_code = code
        charge.webhook_response = answer[:2000]
        charge.webhook_status = (
            GatewayCharge.Webhook.DELIVERED if delivered else GatewayCharge.Webhook.FAILED
        )
        charge.save()
        audit.record(
            f"sandbox_{charge.gateway}.webhook_sent",
            ("payments_sandbox_gateways.gatewaycharge", charge.charge_id),
            actor_label=f"sandbox {charge.gateway}",
            status_code=code,
            delivered=delivered,
            attempt=charge.webhook_attempts,
        )
    return charge


def resend_overdue_webhooks(older_than: dt.datetime, *, limit: int = 100) -> int:
    """Send again every notice still pending or failed since before ``older_than`` (a
    lost task, a merchant that was down); the merchant settles each charge once."""
    overdue = GatewayCharge.objects.filter(
        webhook_status__in=(GatewayCharge.Webhook.PENDING, GatewayCharge.Webhook.FAILED),
        decided_at__lt=older_than,
        webhook_attempts__lt=10,
    ).order_by("decided_at")
    charge_ids = list(overdue.values_list("charge_id", flat=True)[:limit])
    for charge_id in charge_ids:
        deliver_webhook(charge_id)
    return len(charge_ids)


# --- card refunds -------------------------------------------------------------------------


class RefundRefused(Exception):
    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@transaction.atomic
def refund(order: dict[str, Any]) -> GatewayRefund:
    """Refund part or all of a succeeded card charge, once per merchant reference."""
    reference = str(order.get("reference", ""))[:64]
    already = GatewayRefund.objects.filter(reference=reference).first()
    if reference and already is not None:
        return already
    try:
        amount = Decimal(str(order.get("amount", "")))
    except InvalidOperation:
        raise RefundRefused("invalid amount", 400) from None
    if not reference or not amount.is_finite() or amount <= 0:
        raise RefundRefused("reference and a positive amount are required", 400)
    charge = (
        GatewayCharge.objects.select_for_update()
        .filter(
            charge_id=str(order.get("charge_id", "")),
            merchant_id=str(order.get("merchant_id", "")),
            gateway="card",
            state=State.SUCCEEDED,
        )
        .first()
    )
    if charge is None:
        raise RefundRefused("no such succeeded charge for this merchant", 404)
    done = charge.refunds.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    if amount > charge.amount - done:
        raise RefundRefused(f"at most {charge.amount - done:.2f} remains refundable")
    made = GatewayRefund.objects.create(
        refund_id=f"CRF{timezone.localdate():%Y%m%d}{secrets.token_hex(6).upper()}",
        charge=charge,
        reference=reference,
        amount=amount,
        refunded_at=timezone.now(),
    )
    audit.record(
        "sandbox_card.refunded",
        ("payments_sandbox_gateways.gatewayrefund", made.refund_id),
        actor_label="sandbox card gateway",
        charge=charge.charge_id,
        amount=f"{amount:.2f}",
    )
    return made

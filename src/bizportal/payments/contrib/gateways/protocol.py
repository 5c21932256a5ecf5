"""What the merchant (the portal) and the gateways agree on: each gateway's header,
key and fields, and the signed checkout link.

The payer reaches a hosted page through a link the merchant signs (HMAC-SHA256 over the
sorted query, with a timestamp), so the amount and the order cannot be changed on the
way; the gateway's notices and API answers are signed like the sandbox bank's webhooks
(``t=<unix>,v1=<hex>`` over the raw body) under each gateway's own header and key.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext as _

from bizportal.payments.providers import SignatureError

if TYPE_CHECKING:
    from bizportal.payments.models import Invoice

LINK_TOLERANCE_SECONDS = 24 * 3600  # a pay page left open for a day is still payable
LINK_FIELDS = ("merchant_id", "order_id", "ref1", "amount", "currency", "return_url", "ts")


@dataclass(frozen=True)
class Gateway:
    name: str
    header: str
    base_url_setting: str
    merchant_setting: str
    secret_setting: str
    callback_channel: str

    @property
    def base_url(self) -> str:
        return str(getattr(settings, self.base_url_setting)).rstrip("/")

    @property
    def merchant_id(self) -> str:
        return str(getattr(settings, self.merchant_setting))

    @property
    def secret(self) -> str:
        return str(getattr(settings, self.secret_setting))


CARD = Gateway(
    "card",
    "X-Card-Signature",
    "PAYMENT_CARD_URL",
    "PAYMENT_CARD_MERCHANT_ID",
    "PAYMENT_CARD_SECRET",
    "sandbox_card",
)
CGD = Gateway(
    "cgd",
    "X-CGD-Signature",
    "PAYMENT_CGD_URL",
    "PAYMENT_CGD_AGENCY_CODE",
    "PAYMENT_CGD_SECRET",
    "sandbox_cgd",
)
GATEWAYS = {gateway.name: gateway for gateway in (CARD, CGD)}


def _canonical(params: dict[str, str]) -> bytes:
    return urlencode(sorted((k, params.get(k, "")) for k in LINK_FIELDS)).encode("utf-8")


def link_signature(params: dict[str, str], secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), _canonical(params), hashlib.sha256).hexdigest()


def checkout_url(gateway: Gateway, params: dict[str, str]) -> str:
    """The hosted page's address for an order, signed by the merchant now."""
    signed = {**{k: params.get(k, "") for k in LINK_FIELDS}, "ts": str(int(time.time()))}
    signed["sig"] = link_signature(signed, gateway.secret)
    return f"{gateway.base_url}/checkout/?{urlencode(signed)}"


def invoice_checkout_url(gateway: Gateway, invoice: Invoice, return_url: str) -> str:
    """The hosted page's address for paying ``invoice``: both gateways take the same
    order fields (the invoice's Ref2 as the order, Ref1, amount and currency)."""
    return checkout_url(
        gateway,
        {
            "merchant_id": gateway.merchant_id,
            "order_id": invoice.ref2,
            "ref1": invoice.ref1,
            "amount": f"{invoice.amount:.2f}",
            "currency": invoice.currency,
            "return_url": return_url,
        },
    )


def check_link(gateway: Gateway, params: dict[str, str], *, now: float | None = None) -> None:
    """Refuse a checkout link whose signature, merchant or age is wrong."""
    expected = link_signature(params, gateway.secret)
    if not hmac.compare_digest(expected, params.get("sig", "")):
        raise SignatureError(_("The payment link was altered or not signed by the merchant"))
    if params.get("merchant_id") != gateway.merchant_id:
        raise SignatureError(_("Unknown merchant"))
    try:
        age = (time.time() if now is None else now) - int(params.get("ts", ""))
    except ValueError:
        age = LINK_TOLERANCE_SECONDS + 1
    if not 0 <= age <= LINK_TOLERANCE_SECONDS + 300:
        raise SignatureError(_("The payment link has expired: start again from the invoice page"))

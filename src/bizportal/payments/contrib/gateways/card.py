"""The "sandbox_card" provider: card payments on the sandbox card gateway's hosted page.

The payer follows a link we sign (order, amount, return address), types the card on
the gateway's page (never ours: no card data touches the portal), may be challenged
for an OTP, and comes back to our pay page, which shows "waiting for confirmation"
until the gateway's signed webhook lands. The webhook's ``event`` says
``charge.succeeded`` (settled like any payment), or ``charge.failed`` /
``charge.cancelled`` (noted, nothing changes). Refunds go to the gateway's signed API.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings
from django.http import HttpRequest
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bizportal.core import safejson
from bizportal.payments.contrib.sandbox import signing
from bizportal.payments.providers import (
    CallbackData,
    CallbackError,
    PaymentInstruction,
    PaymentNotCompleted,
    RefundError,
    RefundResult,
    providers,
)

from .notices import amount_and_time, signed_body
from .protocol import CARD, invoice_checkout_url

if TYPE_CHECKING:
    from bizportal.payments.models import Invoice

REQUIRED = ("event", "charge_id", "merchant_id", "order_id", "ref1", "amount", "currency")
REFUND_TIMEOUT = 20


@providers.register("sandbox_card")
class SandboxCardProvider:
    label = gettext_lazy("Credit or debit card (sandbox)")

    def instruction(self, invoice: Invoice, *, return_url: str = "") -> PaymentInstruction:
        return PaymentInstruction(
            qr_payload="",
            qr_svg="",
            pay_url=invoice_checkout_url(CARD, invoice, return_url),
            pay_label=_("Go to the card payment page"),
            heading=_("Pay by credit or debit card"),
            steps=(
                _(
                    "Press the button to go to the card provider's payment page "
                    "(the portal never sees your card)."
                ),
                _("Your bank may ask for a one-time password sent to your phone."),
                _("Back on this page, the receipt appears once the provider confirms."),
            ),
        )

    def verify_callback(self, request: HttpRequest) -> CallbackData:
        data = signed_body(CARD, request, REQUIRED)
        if data["merchant_id"] != CARD.merchant_id:
            raise CallbackError(
                _("Merchant %(merchant)s is not ours")
                % {"merchant": repr(data["merchant_id"][:20])}
            )
        if data["event"] in ("charge.failed", "charge.cancelled"):
            raise PaymentNotCompleted(
                _(
                    "The card payment did not complete (%(event)s: %(reason)s); "
                    "the invoice stays payable"
                )
                % {"event": data["event"], "reason": str(data.get("failure_reason", ""))[:200]}
            )
        if data["event"] != "charge.succeeded":
            raise CallbackError(_("Unknown event %(event)s") % {"event": repr(data["event"][:40])})
        amount, paid_at = amount_and_time(data["amount"], str(data.get("created_at", "")))
        return CallbackData(
            txn_id=data["charge_id"],
            biller_id=settings.PAYMENT_BILLER_ID,
            ref1=data["ref1"],
            ref2=data["order_id"],
            amount=amount,
            currency=data["currency"],
            paid_at=paid_at,
            raw=data,
        )

    def refund(self, invoice: Invoice, amount: Decimal, reference: str) -> RefundResult:
        """A signed refund order to the gateway; only a signed answer is trusted."""
        body = json.dumps(
            {
                "charge_id": invoice.provider_txn_id or "",
                "merchant_id": CARD.merchant_id,
                "amount": f"{amount:.2f}",
                "reference": reference,
            },
            separators=(",", ":"),
        ).encode("utf-8")
        headers = {"Content-Type": "application/json", CARD.header: signing.sign(body, CARD.secret)}
        try:
            response = requests.post(
                f"{CARD.base_url}/api/refunds/", data=body, headers=headers, timeout=REFUND_TIMEOUT
            )
        except requests.RequestException as error:
            raise RefundError(
                (_("The card gateway could not be reached: %(error)s") % {"error": repr(error)})[
                    :500
                ]
            ) from None
        answer = _trusted(response)
        if response.status_code == 200 and answer.get("status") == "completed":
            if answer.get("reference") != reference or answer.get("amount") != f"{amount:.2f}":
                raise RefundError(_("The gateway answered about another refund"))
            when = parse_datetime(str(answer.get("refunded_at", "")))
            return RefundResult(
                status="completed",
                reference=str(answer.get("refund_id", ""))[:64],
                detail=f"refunded {answer.get('amount')}",
                refunded_at=when if when and when.tzinfo else None,
            )
        if 400 <= response.status_code < 500:
            return RefundResult(
                status="rejected",
                detail=(
                    _("The gateway refused (HTTP %(status)s): %(detail)s")
                    % {"status": response.status_code, "detail": answer.get("detail", "")}
                )[:1000],
            )
        raise RefundError(
            _("The gateway answered HTTP %(status)s") % {"status": response.status_code}
        )


def _trusted(response: requests.Response) -> dict[str, Any]:
    try:
        signing.verify(
            response.headers.get(CARD.header, ""), response.content, CARD.secret, name=CARD.header
        )
        answer: Any = safejson.loads(response.content, limit=settings.PAYMENT_CALLBACK_MAX_BYTES)
    except (CallbackError, safejson.JsonRefused) as error:
        raise RefundError(
            _("Untrusted answer from the gateway (HTTP %(status)s): %(error)s")
            % {"status": response.status_code, "error": error}
        ) from None
    if not isinstance(answer, dict):
        raise RefundError(_("The answer is not a JSON object"))
    return answer

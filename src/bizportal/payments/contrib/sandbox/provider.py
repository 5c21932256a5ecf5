"""The "sandbox" payment provider: Thai QR bill payment, confirmed by a signed webhook.

This is the portal's side of the exchange, written as a production connector would
be: it builds the QR for the configured biller ID, points the payer at the bank, and
trusts a callback only when its HMAC signature over the raw body checks out.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.http import HttpRequest
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bizportal.core import safejson
from bizportal.payments import thaiqr
from bizportal.payments.providers import (
    CallbackData,
    CallbackError,
    PaymentInstruction,
    RefundError,
    RefundResult,
    providers,
)

from . import signing

if TYPE_CHECKING:
    from bizportal.payments.models import Invoice

REFUND_TIMEOUT = 20
REQUIRED_FIELDS = ("txn_id", "biller_id", "ref1", "ref2", "amount", "currency", "paid_at")


@providers.register("sandbox")
class SandboxBankProvider:
    label = gettext_lazy("Thai QR bill payment (sandbox bank)")

    def payee_id(self) -> str:
        """Who the bank pays: our biller ID (PromptPay: our proxy)."""
        return str(settings.PAYMENT_BILLER_ID)

    def payload(self, invoice: Invoice) -> str:
        return thaiqr.bill_payment_payload(
            settings.PAYMENT_BILLER_ID, invoice.ref1, invoice.ref2, invoice.amount
        )

    def instruction(self, invoice: Invoice, *, return_url: str = "") -> PaymentInstruction:
        payload = self.payload(invoice)
        query = {"payload": payload}
        if return_url:
            query["return"] = return_url
        return PaymentInstruction(
            qr_payload=payload,
            qr_svg=thaiqr.qr_svg(payload, title=f"Thai QR {invoice.number}"),
            pay_url=f"{settings.PAYMENT_SANDBOX_URL}/?{urlencode(query)}",
            pay_label=_("Open the sandbox banking app"),
        )

    def verify_callback(self, request: HttpRequest) -> CallbackData:
        body = request.body
        signing.verify(
            request.headers.get(signing.HEADER, ""), body, settings.PAYMENT_WEBHOOK_SECRET
        )
        try:
            data: Any = safejson.loads(body, limit=settings.PAYMENT_CALLBACK_MAX_BYTES)
        except safejson.JsonRefused as error:
            raise CallbackError(_("Unacceptable JSON: %(error)s") % {"error": error}) from None
        if not isinstance(data, dict):
            raise CallbackError(_("The body must be a JSON object"))
        missing = [name for name in REQUIRED_FIELDS if not isinstance(data.get(name), str)]
        if missing:
            raise CallbackError(
                _("Missing or non-string fields: %(fields)s") % {"fields": ", ".join(missing)}
            )
        try:
            amount = Decimal(data["amount"])
        except InvalidOperation:
            raise CallbackError(
                _("Invalid amount %(value)s") % {"value": repr(data["amount"])}
            ) from None
        paid_at = parse_datetime(data["paid_at"])
        if paid_at is None or paid_at.tzinfo is None or not amount.is_finite():
            raise CallbackError(_("Invalid paid_at (ISO 8601 with time zone) or amount"))
        return CallbackData(
            txn_id=data["txn_id"],
            biller_id=data["biller_id"],
            ref1=data["ref1"],
            ref2=data["ref2"],
            amount=amount,
            currency=data["currency"],
            paid_at=paid_at.astimezone(dt.UTC),
            raw=data,
        )

    def refund(self, invoice: Invoice, amount: Decimal, reference: str) -> RefundResult:
        """POST a signed refund order to the bank's refund API and trust only a signed
        answer. A rejection (4xx with a signed body) is final; anything else is a
        RefundError, to try again with the same reference."""
        body = json.dumps(
            {
                "txn_id": invoice.provider_txn_id or "",
                "biller_id": self.payee_id(),
                "amount": f"{amount:.2f}",
                "currency": invoice.currency,
                "reference": reference,
            },
            separators=(",", ":"),
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            signing.HEADER: signing.sign(body, settings.PAYMENT_WEBHOOK_SECRET),
        }
        url = f"{settings.PAYMENT_SANDBOX_URL}/refunds/"
        try:
            response = requests.post(url, data=body, headers=headers, timeout=REFUND_TIMEOUT)
        except requests.RequestException as error:
            raise RefundError(
                (_("The bank could not be reached: %(error)s") % {"error": repr(error)})[:500]
            ) from None
        try:
            signing.verify(
                response.headers.get(signing.HEADER, ""),
                response.content,
                settings.PAYMENT_WEBHOOK_SECRET,
            )
            answer: Any = safejson.loads(
                response.content, limit=settings.PAYMENT_CALLBACK_MAX_BYTES
            )
        except (CallbackError, safejson.JsonRefused) as error:
            raise RefundError(
                _("Untrusted answer from the bank (HTTP %(status)s): %(error)s")
                % {"status": response.status_code, "error": error}
            ) from None
        if not isinstance(answer, dict):
            raise RefundError(_("The bank's answer is not a JSON object"))
        if response.status_code == 200 and answer.get("status") == "completed":
            if answer.get("reference") != reference or answer.get("amount") != f"{amount:.2f}":
                raise RefundError(
                    _("The bank answered about another refund (%(reference)s, %(amount)s)")
                    % {
                        "reference": repr(answer.get("reference")),
                        "amount": repr(answer.get("amount")),
                    }
                )
            when = parse_datetime(str(answer.get("refunded_at", "")))
            return RefundResult(
                status="completed",
                reference=str(answer.get("refund_id", ""))[:64],
                detail=f"refunded {answer.get('amount')} {answer.get('currency')}",
                refunded_at=when.astimezone(dt.UTC) if when and when.tzinfo else None,
            )
        if 400 <= response.status_code < 500:
            return RefundResult(
                status="rejected",
                detail=(
                    _("The bank refused (HTTP %(status)s): %(detail)s")
                    % {"status": response.status_code, "detail": answer.get("detail", "")}
                )[:1000],
            )
        raise RefundError(_("The bank answered HTTP %(status)s") % {"status": response.status_code})

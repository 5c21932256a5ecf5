"""The "sandbox" payment provider: Thai QR bill payment, confirmed by a signed webhook.

This is the portal's side of the exchange, written as a production connector would
be: it builds the QR for the configured biller ID, points the payer at the bank, and
trusts a callback only when its HMAC signature over the raw body checks out.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.utils.dateparse import parse_datetime

from bizportal.core import safejson
from bizportal.payments import thaiqr
from bizportal.payments.providers import (
    CallbackData,
    CallbackError,
    PaymentInstruction,
    providers,
)

from . import signing

if TYPE_CHECKING:
    from bizportal.payments.models import Invoice

REQUIRED_FIELDS = ("txn_id", "biller_id", "ref1", "ref2", "amount", "currency", "paid_at")


@providers.register("sandbox")
class SandboxBankProvider:
    label = "Sandbox Bank"

    def instruction(self, invoice: Invoice, *, return_url: str = "") -> PaymentInstruction:
        payload = thaiqr.bill_payment_payload(
            settings.PAYMENT_BILLER_ID, invoice.ref1, invoice.ref2, invoice.amount
        )
        query = {"payload": payload}
        if return_url:
            query["return"] = return_url
        return PaymentInstruction(
            qr_payload=payload,
            qr_svg=thaiqr.qr_svg(payload, title=f"Thai QR {invoice.number}"),
            pay_url=f"{settings.PAYMENT_SANDBOX_URL}/?{urlencode(query)}",
            pay_label_th="เปิดแอปธนาคารจำลอง (Sandbox Bank)",
            pay_label_en="Open the sandbox banking app",
        )

    def verify_callback(self, request: HttpRequest) -> CallbackData:
        body = request.body
        signing.verify(
            request.headers.get(signing.HEADER, ""), body, settings.PAYMENT_WEBHOOK_SECRET
        )
        try:
            data: Any = safejson.loads(body, limit=settings.PAYMENT_CALLBACK_MAX_BYTES)
        except safejson.JsonRefused as error:
            raise CallbackError(f"เนื้อหาไม่ใช่ JSON ที่รับได้ / Unacceptable JSON: {error}") from None
        if not isinstance(data, dict):
            raise CallbackError("เนื้อหาต้องเป็นออบเจกต์ JSON / The body must be a JSON object")
        missing = [name for name in REQUIRED_FIELDS if not isinstance(data.get(name), str)]
        if missing:
            raise CallbackError(
                f"ขาดข้อมูล: {', '.join(missing)} / "
                f"Missing or non-string fields: {', '.join(missing)}"
            )
        try:
            amount = Decimal(data["amount"])
        except InvalidOperation:
            raise CallbackError(f"ยอดเงินไม่ถูกต้อง / Invalid amount {data['amount']!r}") from None
        paid_at = parse_datetime(data["paid_at"])
        if paid_at is None or paid_at.tzinfo is None or not amount.is_finite():
            raise CallbackError(
                "เวลาชำระหรือยอดเงินไม่ถูกต้อง (ต้องเป็น ISO 8601 พร้อมเขตเวลา) / "
                "Invalid paid_at (ISO 8601 with time zone) or amount"
            )
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

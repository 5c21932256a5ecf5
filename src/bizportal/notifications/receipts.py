"""Delivery receipts from the SMS gateway: a signed POST to the portal's callback.

The gateway signs the raw body with HMAC-SHA256 in the same ``t=<unix>,v1=<hex>``
form as the bank's payment notices (:mod:`bizportal.payments.contrib.sandbox.signing`,
reused rather than copied), keyed with ``SMS_WEBHOOK_SECRET``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from bizportal.core import safejson
from bizportal.payments.contrib.sandbox import signing
from bizportal.payments.providers import SignatureError

RECEIPT_STATUSES = ("delivered", "failed")
MAX_BYTES = 4096


class ReceiptError(ValueError):
    """A receipt the portal does not accept; ``status`` is the HTTP answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Receipt:
    message_id: str
    reference: str
    status: str
    at: dt.datetime


def receipt_url() -> str:
    return settings.BASE_URL + reverse("notifications:sms-receipt")


def parse(request: HttpRequest) -> Receipt:
    body = request.body
    try:
        signing.verify(request.headers.get(signing.HEADER, ""), body, settings.SMS_WEBHOOK_SECRET)
    except SignatureError as error:
        raise ReceiptError(str(error), status=403) from None
    try:
        data: Any = safejson.loads(body, limit=MAX_BYTES)
    except safejson.JsonRefused as error:
        raise ReceiptError(_("Unacceptable JSON: %(error)s") % {"error": error}) from None
    if not isinstance(data, dict):
        raise ReceiptError(_("The body must be a JSON object"))
    message_id, status, at = data.get("message_id"), data.get("status"), data.get("at")
    if not isinstance(message_id, str) or not message_id or len(message_id) > 100:
        raise ReceiptError(_("message_id is missing or not a short string"))
    if status not in RECEIPT_STATUSES:
        raise ReceiptError(
            _("status must be one of %(statuses)s") % {"statuses": ", ".join(RECEIPT_STATUSES)}
        )
    reference = data.get("reference", "")
    if not isinstance(reference, str) or len(reference) > 100:
        raise ReceiptError(_("reference must be a short string"))
    moment = parse_datetime(at) if isinstance(at, str) else None
    if moment is None or moment.tzinfo is None:
        raise ReceiptError(_("at must be ISO 8601 with a time zone"))
    return Receipt(message_id, reference, str(status), moment)

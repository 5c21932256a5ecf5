"""The "sandbox_counter" provider: pay at the sandbox bank's counter (or ATM) with a
printed pay-in slip, settled by the bank's daily bill-payment file.

The payer gets a PDF slip with the Thai bill-payment barcode and the Thai QR; there is
no callback (a counter reports nothing at the time), so :meth:`verify_callback`
refuses every call and the bank's file, fetched by :func:`fetch_daily_file` or uploaded
by a finance officer, settles the invoices (:mod:`bizportal.payments.billpay`). Cash
taken at a counter is not refunded online: this provider is not a RefundingProvider.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bizportal.payments import billpay, thaiqr
from bizportal.payments.providers import (
    CallbackData,
    CallbackError,
    PaymentInstruction,
    SignatureError,
    providers,
)

from . import signing

if TYPE_CHECKING:
    from bizportal.payments.models import Invoice

FETCH_TIMEOUT = 60


@providers.register("sandbox_counter")
class SandboxCounterProvider:
    label = gettext_lazy("Bank counter or ATM (pay-in slip)")

    def instruction(self, invoice: Invoice, *, return_url: str = "") -> PaymentInstruction:
        payload = thaiqr.bill_payment_payload(
            settings.PAYMENT_BILLER_ID, invoice.ref1, invoice.ref2, invoice.amount
        )
        barcode = billpay.invoice_barcode(invoice)
        return PaymentInstruction(
            qr_payload=payload,
            qr_svg=thaiqr.qr_svg(payload, title=f"Thai QR {invoice.number}"),
            pay_url=f"{settings.PAYMENT_SANDBOX_URL}/counter/?{urlencode({'barcode': barcode})}",
            pay_label=_("Pay at the sandbox bank's counter"),
            heading=_("Pay at a bank counter or ATM"),
            steps=(
                _("Download and print the pay-in slip."),
                _("Hand it in at a bank counter: the teller scans the barcode and takes the cash."),
                _(
                    "The bank reports the day's payments in a file; your receipt "
                    "follows by the next working day."
                ),
            ),
            slip_url=reverse("payments:invoice-slip", args=[invoice.public_id]),
        )

    def verify_callback(self, request: HttpRequest) -> CallbackData:
        raise CallbackError(_("The counter channel reports by daily file only, never by callback"))

    def fetch_daily_file(self, day: dt.date) -> bytes:
        """Download the bank's bill-payment file of ``day`` and check its signature (the
        bank's webhook key); raises :class:`billpay.PaymentFileError` if either fails."""
        url = f"{settings.PAYMENT_SANDBOX_URL}/billpay/{day:%Y-%m-%d}.txt"
        try:
            response = requests.get(url, timeout=FETCH_TIMEOUT)
        except requests.RequestException as error:
            raise billpay.PaymentFileError(
                (_("The bank's file could not be fetched: %(error)s") % {"error": repr(error)})[
                    :500
                ]
            ) from None
        if response.status_code != 200:
            raise billpay.PaymentFileError(
                _("The bank answered HTTP %(status)s") % {"status": response.status_code}
            )
        try:
            signing.verify(
                response.headers.get(signing.HEADER, ""),
                response.content,
                settings.PAYMENT_WEBHOOK_SECRET,
            )
        except SignatureError as error:
            raise billpay.PaymentFileError(
                _("The file's signature is not the bank's: %(error)s") % {"error": error}
            ) from None
        return bytes(response.content)

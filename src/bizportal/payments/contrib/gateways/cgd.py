"""The "sandbox_cgd" provider: the Comptroller General's Department e-Payment route, for
services whose fees go to the treasury directly (configure the service to accept this
channel alone: ServicePaymentOptions).

The payer follows a link we sign with our agency code and the invoice's Ref1/Ref2 to the
CGD's hosted page, confirms the debit from their bank account (or cancels), and comes
back; CGD then posts a signed result (``X-CGD-Signature``) with ``status`` ``PAID`` or
``CANCELLED``. A payment into the treasury is not refunded online (the agency files a
refund request with CGD), so this is not a RefundingProvider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bizportal.payments.providers import (
    CallbackData,
    CallbackError,
    PaymentInstruction,
    PaymentNotCompleted,
    providers,
)

from .notices import amount_and_time, signed_body
from .protocol import CGD, invoice_checkout_url

if TYPE_CHECKING:
    from bizportal.payments.models import Invoice

REQUIRED = ("status", "cgd_ref", "agency_code", "ref1", "ref2", "amount", "currency", "paid_at")


@providers.register("sandbox_cgd")
class SandboxCgdProvider:
    label = gettext_lazy("CGD e-Payment (sandbox)")

    def instruction(self, invoice: Invoice, *, return_url: str = "") -> PaymentInstruction:
        return PaymentInstruction(
            qr_payload="",
            qr_svg="",
            pay_url=invoice_checkout_url(CGD, invoice, return_url),
            pay_label=_("Go to the CGD e-Payment service"),
            heading=_("Pay through the Comptroller General's Department e-Payment"),
            steps=(
                _(
                    "This fee goes straight to the treasury: press the button to "
                    "go to the CGD's service."
                ),
                _("Confirm the debit from your bank account, then come back to this page."),
            ),
        )

    def verify_callback(self, request: HttpRequest) -> CallbackData:
        data = signed_body(CGD, request, REQUIRED)
        if data["agency_code"] != CGD.merchant_id:
            raise CallbackError(
                _("Agency code %(code)s is not ours") % {"code": repr(data["agency_code"][:20])}
            )
        if data["status"] == "CANCELLED":
            raise PaymentNotCompleted(
                _("The payer cancelled at e-Payment; the invoice stays payable")
            )
        if data["status"] != "PAID":
            raise CallbackError(
                _("Unknown status %(status)s") % {"status": repr(data["status"][:20])}
            )
        amount, paid_at = amount_and_time(data["amount"], data["paid_at"])
        return CallbackData(
            txn_id=data["cgd_ref"],
            biller_id=settings.PAYMENT_BILLER_ID,
            ref1=data["ref1"],
            ref2=data["ref2"],
            amount=amount,
            currency=data["currency"],
            paid_at=paid_at,
            raw=data,
        )

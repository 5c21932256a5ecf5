"""The "sandbox_promptpay" provider: a PromptPay credit transfer (Thai QR tag 29) to the
collection account's proxy, paid at the sandbox bank and confirmed by its signed webhook.

A transfer has no biller references, so the invoice's Ref1/Ref2 travel in the QR's
additional data (tag 62) and come back in the bank's notice. The notice names the proxy
that was paid; only ours is taken, and it is then handed on in the provider-neutral
shape under our biller ID, so settling it is the same path as any bill payment. The
bank refunds a transfer like a bill payment (same refund API, same secret).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bizportal.payments import thaiqr
from bizportal.payments.providers import (
    CallbackData,
    CallbackError,
    PaymentInstruction,
    providers,
)

from .provider import SandboxBankProvider

if TYPE_CHECKING:
    from bizportal.payments.models import Invoice


def our_proxy() -> str:
    """The configured PromptPay ID as a QR carries it (mobile numbers as 0066…)."""
    return thaiqr.promptpay_proxy(settings.PAYMENT_PROMPTPAY_ID)[1]


@providers.register("sandbox_promptpay")
class SandboxPromptPayProvider(SandboxBankProvider):
    label = gettext_lazy("PromptPay (sandbox bank)")

    def payee_id(self) -> str:
        return our_proxy()

    def payload(self, invoice: Invoice) -> str:
        return thaiqr.promptpay_payload(
            settings.PAYMENT_PROMPTPAY_ID,
            invoice.amount,
            bill_number=invoice.ref2,
            reference=invoice.ref1,
        )

    def instruction(self, invoice: Invoice, *, return_url: str = "") -> PaymentInstruction:
        return dataclasses.replace(
            super().instruction(invoice, return_url=return_url),
            heading=_("Pay with PromptPay"),
            steps=(
                _("Scan the PromptPay code with any Thai banking app; the amount is in it."),
                _(
                    "Check the receiving account before you confirm; the invoice "
                    "number travels with the transfer."
                ),
            ),
        )

    def verify_callback(self, request: HttpRequest) -> CallbackData:
        data = super().verify_callback(request)
        if data.raw.get("scheme") != "promptpay" or data.biller_id != our_proxy():
            raise CallbackError(
                _("This PromptPay transfer was not paid to our proxy (%(proxy)s)")
                % {"proxy": data.biller_id}
            )
        return CallbackData(
            txn_id=data.txn_id,
            biller_id=settings.PAYMENT_BILLER_ID,
            ref1=data.ref1,
            ref2=data.ref2,
            amount=data.amount,
            currency=data.currency,
            paid_at=data.paid_at,
            raw=data.raw,
        )

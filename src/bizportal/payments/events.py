"""Events the payments app announces (see :mod:`bizportal.core.events`)."""

from __future__ import annotations

from bizportal.core import events

INVOICE_PAID = events.declare(
    "payments.invoice_paid",
    "The payment provider confirmed an invoice paid (signature checked, amount matched); "
    "the receipt number is taken.",
    payload=("number", "receipt", "amount", "application_reference"),
)

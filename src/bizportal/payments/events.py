"""Events the payments app announces (see :mod:`bizportal.core.events`)."""

from __future__ import annotations

from bizportal.core import events

INVOICE_PAID = events.declare(
    "payments.invoice_paid",
    "The payment provider confirmed an invoice paid (signature checked, amount matched); "
    "the receipt number is taken.",
    payload=("number", "receipt", "amount", "application_reference"),
)
INVOICE_CLOSED = events.declare(
    "payments.invoice_closed",
    "An unpaid invoice can no longer be paid: it expired (``expired``) or was cancelled "
    "(``cancelled``: the application was withdrawn or rejected, or an officer cancelled it).",
    payload=("number", "status", "reason", "application_reference"),
    filters=("status",),
)
INVOICE_REISSUED = events.declare(
    "payments.invoice_reissued",
    "A new invoice replaced an expired or cancelled one, at the applicant's or an "
    "officer's request.",
    payload=("number", "replaces", "amount", "application_reference"),
)
PAYMENT_FLAGGED = events.declare(
    "payments.payment_flagged",
    "A provider took money that could not pay its invoice (late, paid twice, wrong "
    "amount): flagged for the agency's finance officers to refund.",
    payload=("kind", "invoice", "provider", "amount", "currency"),
    filters=("kind",),
)

"""Reading invoices and receipts with the access rule applied.

The people who may view the application's party see its invoice and receipt (the
rules in ``payments/rules.py``); for anyone else they do not exist (404), so an
outsider cannot probe for them.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from bizportal.core import authz

from .models import Invoice, Receipt


def invoice_of(user: Any, public_id: Any) -> Invoice:
    invoice = (
        Invoice.objects.select_related(
            "application__service", "application__agency", "application__party"
        )
        .filter(public_id=public_id)
        .first()
    )
    if invoice is None or not authz.allowed(user, "payments.view_invoice", invoice):
        raise Http404("no such invoice")
    return invoice


def receipt_of(user: Any, public_id: Any) -> Receipt:
    receipt = (
        Receipt.objects.select_related("invoice__application__party")
        .filter(public_id=public_id)
        .first()
    )
    if receipt is None or not authz.allowed(user, "payments.view_invoice", receipt.invoice):
        raise Http404("no such receipt")
    return receipt


def receipts_of_party(party: Any) -> Any:
    return Receipt.objects.filter(invoice__application__party=party).select_related(
        "invoice__application__service"
    )

"""Reading invoices and receipts with the access rule applied.

Only the applicant who owns the application sees its invoice and receipt; for
anyone else they do not exist (404), so an outsider cannot probe for them.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from .models import Invoice, Receipt


def invoice_of(user: Any, public_id: Any) -> Invoice:
    try:
        return Invoice.objects.select_related("application__service", "application__agency").get(
            public_id=public_id, application__applicant_id=user.pk
        )
    except Invoice.DoesNotExist:
        raise Http404("no such invoice") from None


def receipt_of(user: Any, public_id: Any) -> Receipt:
    try:
        return Receipt.objects.select_related("invoice__application").get(
            public_id=public_id, invoice__application__applicant_id=user.pk
        )
    except Receipt.DoesNotExist:
        raise Http404("no such receipt") from None

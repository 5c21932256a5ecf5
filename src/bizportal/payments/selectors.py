"""Reading invoices and receipts with the access rule applied.

The people who may view the application's party see its invoice and receipt (the
rules in ``payments/rules.py``); for anyone else they do not exist (404), so an
outsider cannot probe for them.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from bizportal.core import authz

from .models import Invoice, Receipt, Refund


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


# --- the finance back office ----------------------------------------------------------


BAD_CURSOR = _("The page cursor (after) is not valid")


@dataclass
class RefundPage:
    items: list[Refund]
    next_cursor: str


def invoice_for_finance(user: Any, *, public_id: Any = None, number: str = "") -> Invoice:
    """An invoice of the finance officer's own agency, by id or number; any other: 404."""
    query = Invoice.objects.select_related(
        "application__service", "application__agency", "application__party", "receipt"
    )
    invoice = (
        query.filter(public_id=public_id).first()
        if public_id is not None
        else query.filter(number=number.strip().upper()[:20]).first()
    )
    if invoice is None or not authz.allowed(user, "payments.request_refund", invoice):
        raise Http404("no such invoice")
    return invoice


def refund_of(user: Any, public_id: Any) -> Refund:
    refund = (
        Refund.objects.select_related(
            "invoice__application__party",
            "invoice__application__service",
            "requested_by",
            "decided_by",
        )
        .filter(public_id=public_id)
        .first()
    )
    if refund is None or not authz.allowed(user, "payments.decide_refund", refund):
        raise Http404("no such refund")
    return refund


def refunds_page(user: Any, *, state: str = "", cursor: str = "", size: int = 25) -> RefundPage:
    """The agency's refunds, newest first, keyset-paginated on (requested_at, id) over
    the ``(agency, -requested_at, -id)`` index: page 100 costs what page 1 does."""
    qs = Refund.objects.filter(agency_id=user.agency_id)
    if state in Refund.State.values:
        qs = qs.filter(state=state)
    qs = qs.select_related("invoice", "requested_by", "decided_by").order_by("-requested_at", "-id")
    after = _decode(cursor)
    if after is not None:
        at, pk = after
        qs = qs.filter(requested_at__lte=at).filter(
            Q(requested_at__lt=at) | Q(requested_at=at, id__lt=pk)
        )
    items = list(qs[: size + 1])
    next_cursor = _encode(items[size - 1]) if len(items) > size else ""
    return RefundPage(items=items[:size], next_cursor=next_cursor)


def _encode(refund: Refund) -> str:
    raw = f"{refund.requested_at.isoformat()}|{refund.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str) -> tuple[dt.datetime, int] | None:
    """A cursor of :func:`_encode`; anything else is a ValidationError (400)."""
    if not cursor:
        return None
    try:
        if len(cursor) > 100:
            raise ValueError("too long")
        at, pk = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii").split("|")
        moment = dt.datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("naive time")
        number = int(pk)
        if not 0 < number < 2**63:
            raise ValueError("id out of range")
    except (ValueError, UnicodeError, OverflowError, binascii.Error):
        raise ValidationError(BAD_CURSOR, code="cursor") from None
    return moment.astimezone(dt.UTC), number

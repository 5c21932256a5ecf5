"""What the payments app does when events arrive (delivered by the outbox)."""

from __future__ import annotations

from bizportal.core import events
from bizportal.core.models import DomainEvent

from .events import INVOICE_PAID
from .models import Receipt
from .services import render_receipt_pdf


@events.subscriber(INVOICE_PAID, name="payments.render_receipt")
def render_receipt(event: DomainEvent) -> None:
    """Render the receipt PDF after the payment committed, so the bank is not kept waiting."""
    render_receipt_pdf(Receipt.objects.get(number=event.payload["receipt"]))

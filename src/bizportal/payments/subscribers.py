"""What the payments app does when events arrive (delivered by the outbox)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from bizportal.applications.events import STATUS_CHANGED
from bizportal.applications.models import Application, Status
from bizportal.core import events
from bizportal.core.models import DomainEvent

from .events import INVOICE_PAID
from .models import Receipt
from .services import cancel_open_invoices, render_receipt_pdf

#: An application that ends this way can no longer be paid for. The reason is stored
#: on the invoice as a message code (English msgid), shown through ``|translated``.
CANCELLING_STATUSES = {
    Status.WITHDRAWN: gettext_noop("The application was withdrawn"),
    Status.REJECTED: gettext_noop("The application was rejected"),
}


@events.subscriber(INVOICE_PAID, name="payments.render_receipt")
def render_receipt(event: DomainEvent) -> None:
    """Render the receipt PDF after the payment committed, so the bank is not kept waiting."""
    render_receipt_pdf(Receipt.objects.get(number=event.payload["receipt"]))


@events.subscriber(STATUS_CHANGED, name="payments.cancel_invoices")
def cancel_invoices(event: DomainEvent) -> None:
    """A withdrawn or rejected application's unpaid invoice is cancelled, so nobody pays
    for a licence that will not come (a payment already made goes to the refunds flow;
    one arriving later is flagged). Applications does not know payments exist: it only
    announces the status."""
    reason = CANCELLING_STATUSES.get(event.payload["to_status"])
    if reason is None:
        return
    application = Application.objects.filter(reference=event.payload["reference"]).first()
    if application is not None:
        cancel_open_invoices(application, reason, actor_label="Biz Portal")

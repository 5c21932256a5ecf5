"""Who may see and pay invoices (``core.authz``): the people who may view, or pay for,
the application's party, and the counter officer who filed it for a walk-in."""

from __future__ import annotations

from typing import Any

import rules
from bizportal.core import authz
from bizportal.identity.models import MandateAction
from bizportal.identity.rules import acts_for, is_counter_officer

from .models import Invoice


def _party(invoice: Invoice) -> Any:
    return invoice.application.party


def _service(invoice: Invoice) -> int:
    return invoice.application.service_id


@rules.predicate
def filed_it(user: Any, invoice: Invoice | None) -> bool:
    return invoice is not None and invoice.application.filed_by_id == getattr(user, "pk", None)


authz.register(
    "payments.view_invoice",
    acts_for(MandateAction.VIEW, _party, _service)
    | acts_for(MandateAction.PAY, _party, _service)
    | (is_counter_officer & filed_it),
)
authz.register(
    "payments.pay", acts_for(MandateAction.PAY, _party, _service) | (is_counter_officer & filed_it)
)

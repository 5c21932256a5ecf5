"""Who may see and pay invoices (``core.authz``): the people who may view, or pay for,
the application's party, and the counter officer who filed it for a walk-in."""

from __future__ import annotations

from typing import Any

import rules
from bizportal.core import authz
from bizportal.identity.models import MandateAction
from bizportal.identity.rules import (
    acts_for,
    has_agency,
    is_counter_officer,
    is_executive,
    is_finance,
    same_agency,
)

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


# Finance officers (issue 10): refunds of their own agency's invoices; the maker may not
# also be the checker (refunds.decide_refund and a database constraint refuse it).
def _invoice_agency(invoice: Invoice) -> int:
    return int(invoice.application.agency_id)


authz.register("payments.finance", is_finance & has_agency)
authz.register("payments.request_refund", is_finance & same_agency(_invoice_agency))
authz.register("payments.decide_refund", is_finance & same_agency(lambda refund: refund.agency_id))
# The collection account's statements hold references and amounts, no personal data;
# any finance officer reconciles them (the portal collects for every agency).
authz.register("payments.reconcile", is_finance & has_agency)
# Reports: a finance officer sees their agency's; executives see every agency's.
authz.register("payments.reports", (is_finance & has_agency) | is_executive)

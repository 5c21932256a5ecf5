"""The applicant's form journey (issue 15, after the GOV.UK Design System patterns):
every error on one submit, check your answers with the fee estimated from the answers,
then a confirmation with the date a decision is due.

The rules stay where they are: answers and documents are checked by the applications
services, the fee by the service's fee table (:func:`bizportal.payments.fees.quote_for`),
the decision date by the working-day calendar of the service levels.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from bizportal.applications import evidence, services
from bizportal.applications.models import Application
from bizportal.exchange import gateway
from bizportal.rules.services import DEFAULT_FEE_STAGE, FeeRuleError
from bizportal.service_levels.calendar import CalendarError, add_working_days

#: The steps of the journey, for "step n of N" (details, documents, check and declare).
STEPS = 3


def errors_before_check(
    application: Application, answers: dict[str, Any]
) -> services.SubmissionErrors:
    """What would stop ``answers`` being submitted, short of the declaration: missing or
    invalid answers and required documents not attached. Nothing is fetched here: a
    document the exchange will fetch at submission counts as there; one that waits for
    the applicant's consent says so (the same words as at submission)."""
    probe = copy.copy(application)
    probe.data = dict(answers)
    chosen = services.bundle_of(application)
    have = set(application.attachments.values_list("document_code", flat=True))
    have |= set(application.evidence.values_list("document_code", flat=True))
    planned = evidence.plan(application, [d for d in chosen.documents if d.code not in have])
    waiting = {
        code: evidence.refusal_message(item, gateway.Reason.NO_LEGAL_BASIS)
        for code, item in planned.items()
        if item.needs_consent
    }
    errors = services.submission_errors(probe, accept_terms=True, unfetched=waiting)
    for code, item in planned.items():
        if not item.needs_consent:
            errors.documents.pop(code, None)
    return errors


@dataclass(frozen=True)
class FeeEstimate:
    """The fee as the answers give it now: ``total`` is None when it cannot be known
    before the agency decides (no table, or the table needs facts still missing)."""

    total: Decimal | None
    now: Decimal | None = None
    after_approval: Decimal | None = None
    lines: tuple[Any, ...] = ()


def fee_estimate(application: Application) -> FeeEstimate:
    """The fee from the service's fee table under the version the application is pinned
    to (as the invoice will be quoted), or the one amount the citizen manual names."""
    from bizportal.catalog.rdf import fixed_fee
    from bizportal.payments.fees import quote_for

    if services.bundle_of(application).fee_table:
        try:
            quote = quote_for(application)
        except FeeRuleError:
            return FeeEstimate(total=None)
        later = sum(
            (line.amount for line in quote.lines if line.stage == DEFAULT_FEE_STAGE), Decimal(0)
        )
        return FeeEstimate(
            total=quote.total,
            now=quote.total - later,
            after_approval=later,
            lines=quote.lines,
        )
    fixed = fixed_fee(application.service)
    return FeeEstimate(total=fixed, after_approval=fixed)


def decision_due(application: Application) -> dt.date | None:
    """The working day a decision is due: the service-level clock's date when it runs,
    else the promised processing days counted in working days from submission."""
    clock = getattr(application, "sla_clock", None)
    due = getattr(clock, "due_on", None) if clock is not None else None
    if due is not None:
        return due  # type: ignore[no-any-return]
    if application.submitted_at is None:
        return None
    start = timezone.localtime(application.submitted_at).date()
    try:
        return add_working_days(start, int(application.service.processing_days or 0))
    except CalendarError:
        return None

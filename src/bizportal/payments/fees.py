"""Which part of an application's fee a payment step invoices.

Why: some services charge in parts, an application fee when the application is
submitted and the licence fee once it is approved. The fee table says which stage each
line belongs to (its ``stage`` output; ``licence`` when a rule names none) and each
payment step of the process says which stage it invoices (``biz:feeStage``); a step
without one invoices the whole fee, as every process did before stages. The fee is
always quoted from the table version the application is pinned to, so a re-issued
invoice costs what the first one would have, save facts that changed (a renewal that
became late).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bizportal.applications.services import bundle_of, fee_facts
from bizportal.core.thai import baht
from bizportal.rules.services import FeeQuote, live_version, quote_fee


def for_stage(quote: FeeQuote, stage: str) -> FeeQuote:
    """The lines of ``quote`` that ``stage`` invoices (all of them when ``stage`` is
    blank), totalled with the one rounding rule (:func:`bizportal.core.thai.baht`)."""
    if not stage:
        return quote
    lines = tuple(line for line in quote.lines if line.stage == stage)
    total = baht(sum((line.amount for line in lines), Decimal(0)))
    return FeeQuote(key=quote.key, version_number=quote.version_number, total=total, lines=lines)


def quote_for(application: Any, stage: str = "") -> FeeQuote:
    """The fee ``stage`` of ``application`` under the fee table version it started on."""
    version = application.fee_version or live_version(bundle_of(application).fee_table)
    return for_stage(quote_fee(version, application.data, fee_facts(application)), stage)

"""The ``payment`` step type: invoice the fee, wait for the payment provider.

Entering the step prices the application with the fee table version it started on
(so a fee change never reaches an application in flight) and raises the invoice, in
the same transaction as the decision that led here: an approval whose fee cannot be
computed is refused with the reason, and nothing is half-done. A fee of zero ends
the step at once. The bank's signed confirmation completes it
(:func:`bizportal.payments.services.confirm_payment`).

``biz:feeStage`` (optional) makes the step invoice only the fee table's lines of that
stage, so a process can charge an application fee after submission and the licence
fee after approval (:mod:`.fees`).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from bizportal.applications.models import Application, Status
from bizportal.rules.services import FEE_STAGE_PATTERN
from bizportal.workflow.engine import ReadyStep, StepSpec
from bizportal.workflow.steps import Completion, Performer, StepContext, StepHandler, step_types

from . import fees
from .services import raise_invoice

STEP_TYPE = "payment"


@step_types.register(STEP_TYPE)
class PaymentStep(StepHandler):
    type = STEP_TYPE
    # The payment provider, not a person at a desk, completes the step.
    performer = Performer.EXTERNAL
    # Lazy, so each reader sees it in their language (the base class declares ``str``).
    description = _("Invoices the fee from the service's fee table and waits for payment")  # type: ignore[assignment]
    outputs = frozenset({"fee", "invoice"})
    options = {"feeStage": False}

    def check(self, step: StepSpec) -> list[str]:
        stage = step.options.get("feeStage", "")
        if stage and not FEE_STAGE_PATTERN.fullmatch(stage):
            return [f"biz:feeStage {stage!r} must be a lower-case name (a-z, 0-9, _ or -)"]
        return []

    def enter(self, ctx: StepContext) -> Completion | None:
        application: Application = ctx.subject
        stage = ctx.step.spec.options.get("feeStage", "").strip()
        # The version pinned when the draft started; a fee change never reaches it.
        quote = fees.quote_for(application, stage)
        if quote.total <= 0:
            return Completion(
                data={"fee": "0.00", "invoice": ""},
                note=gettext_noop("No fee"),
                action="waived",
                label=gettext_noop("No fee"),
            )
        raise_invoice(
            application,
            quote.total,
            actor=ctx.actor,
            actor_label="" if ctx.actor else "Biz Portal",
            lines=quote.lines,
            stage=stage,
        )
        return None

    def status(self, subject: Application, step: ReadyStep) -> str:
        return Status.AWAITING_PAYMENT

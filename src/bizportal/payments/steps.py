"""The ``payment`` step type: invoice the fee, wait for the payment provider.

Entering the step prices the application with the fee table version it started on
(so a fee change never reaches an application in flight) and raises the invoice, in
the same transaction as the decision that led here: an approval whose fee cannot be
computed is refused with the reason, and nothing is half-done. A fee of zero ends
the step at once. The bank's signed confirmation completes it
(:func:`bizportal.payments.services.confirm_payment`).
"""

from __future__ import annotations

from bizportal.applications.models import Application, Status
from bizportal.applications.services import bundle_of, fee_facts
from bizportal.rules.services import live_version, quote_fee
from bizportal.workflow.engine import ReadyStep
from bizportal.workflow.steps import Completion, Performer, StepContext, StepHandler, step_types

from .services import raise_invoice

STEP_TYPE = "payment"


@step_types.register(STEP_TYPE)
class PaymentStep(StepHandler):
    type = STEP_TYPE
    # The payment provider, not a person at a desk, completes the step.
    performer = Performer.EXTERNAL
    description = (
        "ออกใบแจ้งหนี้ตามตารางค่าธรรมเนียมแล้วรอการชำระ / "
        "Invoices the fee from the service's fee table and waits for payment"
    )
    outputs = frozenset({"fee", "invoice"})

    def enter(self, ctx: StepContext) -> Completion | None:
        application: Application = ctx.subject
        # The version pinned when the draft started; a fee change never reaches it.
        version = application.fee_version or live_version(bundle_of(application).fee_table)
        quote = quote_fee(version, application.data, fee_facts(application))
        if quote.total <= 0:
            return Completion(
                data={"fee": "0.00", "invoice": ""},
                note="ไม่มีค่าธรรมเนียม / No fee",
                action="waived",
                label="ไม่มีค่าธรรมเนียม / No fee",
            )
        raise_invoice(application, quote.total, actor=ctx.actor, lines=quote.lines)
        return None

    def status(self, subject: Application, step: ReadyStep) -> str:
        return Status.AWAITING_PAYMENT

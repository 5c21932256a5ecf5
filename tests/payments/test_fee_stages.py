"""Fees in parts: the fee table says which stage each line belongs to (``stage``
output, ``licence`` by default) and a payment step with ``biz:feeStage`` invoices only
that stage's lines; a step without it invoices the whole fee, as before."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from bizportal.applications import services as applications
from bizportal.payments import fees
from bizportal.payments.models import Invoice
from bizportal.payments.steps import PaymentStep
from bizportal.rules.services import FeeRuleError, publish_version, upload_version
from bizportal.workflow.engine import ReadyStep, StepSpec
from bizportal.workflow.steps import StepContext, check_step
from tests.factories import ServiceFactory
from tests.journeys import approve_everything, submitted

pytestmark = pytest.mark.django_db

RULE = """
      <rule id="rule_{id}">
        <outputEntry id="output_entry_{id}_fee"><text>{fee}</text></outputEntry>
        <outputEntry id="output_entry_{id}_item"><text>"{item}"</text></outputEntry>
        <outputEntry id="output_entry_{id}_stage"><text>{stage}</text></outputEntry>
      </rule>"""


def two_stage_table(stage: str = '"application"') -> str:
    rules = RULE.format(
        id="application", fee="100.00", item="ค่าคำขอ / Application fee", stage=stage
    ) + RULE.format(id="licence", fee="900.005", item="ค่าใบอนุญาต / Licence fee", stage='"licence"')
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
             id="definitions_fee_two_stage" name="Two-stage fee"
             namespace="https://bizportal.go.th/dmn/fees">
  <decision id="fee_two_stage" name="ค่าธรรมเนียมสองส่วน / Two-stage fee">
    <decisionTable id="table_fee_two_stage" hitPolicy="COLLECT">
      <output id="output_fee" label="Fee" name="fee" typeRef="number" />
      <output id="output_item" label="Item" name="item" typeRef="string" />
      <output id="output_stage" label="Stage" name="stage" typeRef="string" />{rules}
    </decisionTable>
  </decision>
</definitions>"""


@pytest.fixture
def service() -> object:
    publish_version(upload_version("fee_two_stage", two_stage_table(), actor=None), actor=None)
    return ServiceFactory(fee_table="fee_two_stage")


def test_a_step_without_a_stage_invoices_every_line_rounded_once(service: object) -> None:
    application = approve_everything(submitted(service))
    invoice = Invoice.objects.get(application=application)
    # 900.005 rounds half up to 900.01 (core.thai.baht, the one rounding rule).
    assert (invoice.amount, invoice.stage) == (Decimal("1000.01"), "")
    assert [line["amount"] for line in invoice.lines] == ["100.00", "900.01"]


def test_each_stage_gets_its_own_lines(service: object) -> None:
    application = submitted(service)
    application_fee = fees.quote_for(application, "application")
    licence_fee = fees.quote_for(application, "licence")
    assert (application_fee.total, [line.item for line in application_fee.lines]) == (
        Decimal("100.00"),
        ["ค่าคำขอ / Application fee"],
    )
    assert licence_fee.total == Decimal("900.01")
    assert fees.quote_for(application, "inspection").total == Decimal("0.00")


def test_a_payment_step_with_a_fee_stage_invoices_that_stage(service: object) -> None:
    """The step as a process would draw it after submission: biz:feeStage="application"."""
    application = submitted(service)
    [ready] = applications.ready_steps(application)
    spec = StepSpec(
        id="pay_application_fee",
        name="ชำระค่าคำขอ / Pay the application fee",
        type="payment",
        lane="",
        options={"feeStage": "application"},
    )
    step = ReadyStep(task_id=ready.task_id, spec=spec)
    assert check_step(spec) == []
    assert PaymentStep().enter(StepContext(subject=application, step=step, data={})) is None
    invoice = Invoice.objects.get(application=application)
    assert (invoice.amount, invoice.stage, len(invoice.lines)) == (
        Decimal("100.00"),
        "application",
        1,
    )
    # A stage with nothing to pay ends the step at once.
    nothing = replace(spec, options={"feeStage": "inspection"})
    done = PaymentStep().enter(
        StepContext(subject=application, step=ReadyStep(ready.task_id, nothing), data={})
    )
    assert done is not None and done.action == "waived"


def test_a_badly_named_stage_is_refused_when_drawn_and_when_quoted(service: object) -> None:
    spec = StepSpec(id="pay", name="Pay", type="payment", lane="", options={"feeStage": "Big Fee"})
    assert check_step(spec) == [
        "step pay: biz:feeStage 'Big Fee' must be a lower-case name (a-z, 0-9, _ or -)"
    ]
    publish_version(
        upload_version("fee_two_stage", two_stage_table('"Big Fee"'), actor=None), actor=None
    )
    with pytest.raises(FeeRuleError, match="not a stage name") as refused:
        fees.quote_for(submitted(ServiceFactory(fee_table="fee_two_stage")), "application")
    assert refused.value.code == "bad_table"

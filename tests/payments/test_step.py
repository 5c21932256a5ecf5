"""The ``payment`` step: entering it quotes the fee table and raises the invoice.

It runs inside the officer's approval: the fee comes from the fee-table version the
draft was started on, a zero fee skips the step, and a fee that cannot be computed
refuses the approval with the reason and leaves everything as it was.
"""

from __future__ import annotations

import pytest

from bizportal.applications import services as applications
from bizportal.applications.models import Application, Status
from bizportal.core.models import AuditEvent
from bizportal.payments.models import Invoice
from bizportal.rules.services import (
    SHIPPED_TABLE_DIR,
    FeeRuleError,
    live_version,
    publish_version,
    upload_version,
)
from bizportal.workflow.services import process_data
from tests.factories import ApplicantFactory, ServiceFactory, valid_food_shop_answers
from tests.journeys import (
    approve_everything,
    fill,
    officer_of,
    pay,
    run_system_steps,
    start,
    submitted,
)

from .conftest import FOOD_SHOP_FEE, FOOD_SHOP_FEE_ITEM


def with_area(area_sqm: float) -> Application:
    applicant = ApplicantFactory()
    answers = {**valid_food_shop_answers(applicant), "area_sqm": area_sqm}
    return submitted(applicant=applicant, answers=answers)


def test_the_invoice_carries_the_fee_lines_of_the_fee_table(application: Application) -> None:
    invoice = Invoice.objects.get(application=application)
    assert application.data["area_sqm"] == 120
    assert f"{invoice.amount:.2f}" == FOOD_SHOP_FEE
    assert invoice.lines == [{"item": FOOD_SHOP_FEE_ITEM, "amount": FOOD_SHOP_FEE}]
    assert application.fee_version == live_version("fee_food_shop")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("area_sqm", "fee"),
    [(50, "500.00"), (50.5, "1000.00"), (200, "1000.00"), (201, "2000.00")],
)
def test_the_fee_follows_the_table_at_its_band_edges(area_sqm: float, fee: str) -> None:
    application = approve_everything(with_area(area_sqm))
    assert application.status == Status.AWAITING_PAYMENT
    invoice = Invoice.objects.get(application=application)
    assert f"{invoice.amount:.2f}" == fee
    assert invoice.lines == [{"item": FOOD_SHOP_FEE_ITEM, "amount": fee}]


@pytest.mark.django_db
def test_the_fee_is_the_one_of_the_table_version_the_draft_started_on() -> None:
    """A fee change never reaches an application already in flight."""
    earlier = start()
    source = (SHIPPED_TABLE_DIR / "fee_food_shop.dmn").read_text(encoding="utf-8")
    dearer = source.replace("<text>1000.00</text>", "<text>1500.00</text>")
    assert dearer != source
    publish_version(upload_version("fee_food_shop", dearer, actor=None), actor=None)
    later = start()

    assert earlier.fee_version != later.fee_version
    amounts = {}
    for draft in (earlier, later):
        application = fill(draft)
        applications.submit(application, actor=application.applicant, accept_terms=True)
        application = approve_everything(application)
        amounts[draft.pk] = f"{Invoice.objects.get(application=application).amount:.2f}"
    assert amounts == {earlier.pk: FOOD_SHOP_FEE, later.pk: "1500.00"}


@pytest.mark.django_db
def test_a_zero_fee_skips_the_payment_step() -> None:
    application = approve_everything(submitted(ServiceFactory(fee_table="fee_none")))
    # Straight from the approval to issuing: no invoice, nothing to pay.
    assert application.status == Status.ISSUING
    assert not Invoice.objects.exists()
    assert not AuditEvent.objects.filter(action="invoice.raised").exists()
    payment = application.history.get(step_type="payment")
    assert (payment.action, payment.note, payment.to_status) == (
        "waived",
        "No fee",  # a message code, shown through |translated
        Status.ISSUING,
    )
    assert [step.spec.type for step in applications.ready_steps(application)] == ["issue-licence"]
    application = run_system_steps(application)
    assert application.status == Status.ISSUED and application.licence is not None


@pytest.mark.django_db
def test_an_approval_whose_fee_cannot_be_computed_is_refused_and_changes_nothing() -> None:
    # The food-shop form with the factory fee table: it needs the machine power, which
    # the form never asks for.
    application = submitted(ServiceFactory(fee_table="fee_factory"))
    officer = officer_of(application)
    history = list(application.history.values_list("pk", flat=True))
    audit_trail = AuditEvent.objects.count()
    with pytest.raises(FeeRuleError, match="is needed to calculate the fee") as refused:
        applications.decide(application, officer=officer, action="approve")
    assert refused.value.code == "missing" and refused.value.field == "machine_hp"

    application.refresh_from_db()
    assert application.status == Status.REVIEW and application.decided_at is None
    assert [step.spec.id for step in applications.ready_steps(application)] == ["review"]
    assert list(application.history.values_list("pk", flat=True)) == history
    assert not Invoice.objects.exists()
    assert AuditEvent.objects.count() == audit_trail
    # The officer can still act on it (once the fee table is put right).
    assert [item.step.spec.id for item in applications.actions_for(application, officer)] == [
        "review"
    ]


def test_paying_completes_the_step_with_the_fee_and_invoice_number(
    application: Application,
) -> None:
    invoice = Invoice.objects.get(application=application)
    application = pay(application)
    assert application.status == Status.ISSUING
    payment = application.history.get(step_type="payment")
    assert payment.action == "paid" and payment.note.startswith(invoice.number)
    assert application.process is not None
    data = process_data(application.process)
    assert (data["fee"], data["invoice"]) == (FOOD_SHOP_FEE, invoice.number)

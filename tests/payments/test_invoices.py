"""Raising invoices: numbered per Buddhist-era year, one unpaid at a time, audited.

The invoices here come from the journey (the approval raises them through the payment
step) except where :func:`raise_invoice` itself is under test, with amounts no fee
table gives.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from pytest_django import Settings

from bizportal.applications.models import Application
from bizportal.core.audit import history
from bizportal.core.thai import to_buddhist_year
from bizportal.payments import services, thaiqr
from bizportal.payments.models import Invoice
from bizportal.rules.services import FeeLine
from tests.journeys import approve_everything, officer_of, pay, start, submitted

from .conftest import FOOD_SHOP_FEE, FOOD_SHOP_FEE_ITEM

YEAR = to_buddhist_year(timezone.localdate().year)


def test_the_approval_raises_an_invoice_with_bill_payment_references(
    application: Application, invoice: Invoice
) -> None:
    assert invoice.number == f"INV-{YEAR}-000001"
    assert application.reference is not None
    assert invoice.ref1 == application.reference.replace("-", "")
    assert invoice.ref2 == f"INV{YEAR}000001"
    assert (invoice.amount, invoice.currency, invoice.status) == (
        Decimal(FOOD_SHOP_FEE),
        "THB",
        "pending",
    )
    assert invoice.lines == [{"item": FOOD_SHOP_FEE_ITEM, "amount": FOOD_SHOP_FEE}]
    # Audited as the officer whose approval raised it.
    [event] = history(invoice)
    assert (event.action, event.actor, event.data["amount"], event.data["application"]) == (
        "invoice.raised",
        officer_of(application),
        FOOD_SHOP_FEE,
        application.reference,
    )


def test_numbers_follow_on(invoice: Invoice) -> None:
    second = Invoice.objects.get(application=approve_everything(submitted()))
    assert (invoice.number, second.number) == (f"INV-{YEAR}-000001", f"INV-{YEAR}-000002")
    assert second.ref2 == f"INV{YEAR}000002"


def test_amounts_and_lines_are_rounded_to_satang_half_up(db: None) -> None:
    lines = [FeeLine(Decimal("200.00"), "ค่าธรรมเนียม / Fee"), FeeLine(Decimal("50.005"), "Late")]
    invoice = services.raise_invoice(submitted(), Decimal("250.005"), actor=None, lines=lines)
    assert invoice.amount == Decimal("250.01")
    # Rounded like the amount (half up), so the lines still add up to it.
    assert invoice.lines == [
        {"item": "ค่าธรรมเนียม / Fee", "amount": "200.00"},
        {"item": "Late", "amount": "50.01"},
    ]


def test_lines_that_do_not_make_the_amount_are_refused(db: None) -> None:
    application = submitted()
    lines = [FeeLine(Decimal("400.00"), "ค่าธรรมเนียม / Fee")]
    with pytest.raises(ValidationError, match=r"add up to 400\.00 THB, not 500\.00 THB"):
        services.raise_invoice(application, Decimal("500"), actor=None, lines=lines)
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5"), Decimal("0.004")])
def test_a_fee_of_zero_or_less_is_refused_and_nothing_is_written(db: None, amount: Decimal) -> None:
    application = submitted()
    with pytest.raises(ValidationError, match="fee above zero"):
        services.raise_invoice(application, amount, actor=None)
    assert not Invoice.objects.exists()


def test_only_one_unpaid_invoice_per_application(invoice: Invoice) -> None:
    with pytest.raises(ValidationError, match="already has an unpaid invoice"):
        services.raise_invoice(invoice.application, Decimal("10"), actor=None)
    assert Invoice.objects.count() == 1


def test_the_database_itself_refuses_a_second_unpaid_invoice(invoice: Invoice) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(
            number="X-1", application=invoice.application, amount=1, ref1="A", ref2="B"
        )


def test_the_database_refuses_a_non_positive_amount(db: None) -> None:
    application = submitted()
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(number="X-1", application=application, amount=0, ref1="A", ref2="B")


def test_a_draft_without_reference_cannot_be_invoiced(db: None) -> None:
    with pytest.raises(ValidationError, match="no reference"):
        services.raise_invoice(start(), Decimal("10"), actor=None)
    assert not Invoice.objects.exists()


def test_invoice_for_prefers_the_unpaid_invoice_and_then_the_paid_one(db: None) -> None:
    application = submitted()
    assert services.invoice_for(application) is None
    application = approve_everything(application)
    invoice = Invoice.objects.get(application=application)
    assert services.invoice_for(application) == invoice
    pay(application)
    invoice.refresh_from_db()
    assert invoice.is_paid and services.invoice_for(application) == invoice


def test_a_cancelled_invoice_is_current_until_a_new_one_replaces_it(invoice: Invoice) -> None:
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.CANCELLED)
    assert services.invoice_for(invoice.application) == invoice  # shown as cancelled
    new = services.reissue_invoice(invoice, actor=invoice.application.applicant)
    assert services.invoice_for(invoice.application) == new


def test_the_instruction_is_a_thai_qr_for_the_invoice(invoice: Invoice, settings: Settings) -> None:
    how = services.instruction(invoice, return_url="http://testserver/back")
    bill = thaiqr.read_bill_payment(how.qr_payload)
    assert (bill.biller_id, bill.ref1, bill.ref2, bill.amount) == (
        settings.PAYMENT_BILLER_ID,
        invoice.ref1,
        invoice.ref2,
        Decimal(FOOD_SHOP_FEE),
    )
    assert how.pay_url.startswith(settings.PAYMENT_SANDBOX_URL + "/?payload=000201")
    assert "<svg" in how.qr_svg

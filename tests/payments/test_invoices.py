"""Raising invoices: numbered per Buddhist-era year, one unpaid at a time, audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from bizportal.applications.models import Application
from bizportal.core.audit import history
from bizportal.core.thai import to_buddhist_year
from bizportal.payments import services
from bizportal.payments.models import Invoice
from tests.factories import ApplicationFactory, OfficerFactory

YEAR = to_buddhist_year(timezone.localdate().year)


def test_an_invoice_carries_bill_payment_references(application: Application) -> None:
    officer = OfficerFactory(agency=application.agency)
    invoice = services.raise_invoice(application, Decimal("500"), actor=officer)
    assert invoice.number == f"INV-{YEAR}-000001"
    assert invoice.ref1 == application.reference.replace("-", "")
    assert invoice.ref2 == f"INV{YEAR}000001"
    assert (invoice.amount, invoice.currency, invoice.status) == (
        Decimal("500.00"),
        "THB",
        "pending",
    )
    [event] = history(invoice)
    assert (event.action, event.actor, event.data["amount"]) == (
        "invoice.raised",
        officer,
        "500.00",
    )


def test_numbers_follow_on(application: Application) -> None:
    first = services.raise_invoice(application, Decimal("100"), actor=None)
    second = services.raise_invoice(
        ApplicationFactory(submitted=True, status="approved"), Decimal("1"), actor=None
    )
    assert (first.number, second.number) == (f"INV-{YEAR}-000001", f"INV-{YEAR}-000002")


def test_amounts_are_rounded_to_satang(application: Application) -> None:
    invoice = services.raise_invoice(application, Decimal("250.005"), actor=None)
    assert invoice.amount == Decimal("250.01")


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5"), Decimal("0.004")])
def test_a_fee_of_zero_or_less_is_refused_and_nothing_is_written(
    application: Application, amount: Decimal
) -> None:
    with pytest.raises(ValidationError, match="fee above zero"):
        services.raise_invoice(application, amount, actor=None)
    assert not Invoice.objects.exists()


def test_only_one_unpaid_invoice_per_application(invoice: Invoice) -> None:
    with pytest.raises(ValidationError, match="already has an unpaid invoice"):
        services.raise_invoice(invoice.application, Decimal("10"), actor=None)


def test_the_database_itself_refuses_a_second_unpaid_invoice(invoice: Invoice) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(
            number="X-1", application=invoice.application, amount=1, ref1="A", ref2="B"
        )


def test_the_database_refuses_a_non_positive_amount(application: Application) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(number="X-1", application=application, amount=0, ref1="A", ref2="B")


def test_a_draft_without_reference_cannot_be_invoiced(db: None) -> None:
    draft = ApplicationFactory()
    with pytest.raises(ValidationError, match="no reference"):
        services.raise_invoice(draft, Decimal("10"), actor=None)


def test_invoice_for_prefers_the_unpaid_invoice(application: Application) -> None:
    assert services.invoice_for(application) is None
    invoice = services.raise_invoice(application, Decimal("10"), actor=None)
    assert services.invoice_for(application) == invoice


def test_the_instruction_is_a_thai_qr_for_the_invoice(invoice: Invoice, settings) -> None:
    from bizportal.payments import thaiqr

    how = services.instruction(invoice, return_url="http://testserver/back")
    bill = thaiqr.read_bill_payment(how.qr_payload)
    assert (bill.biller_id, bill.ref1, bill.ref2, bill.amount) == (
        settings.PAYMENT_BILLER_ID,
        invoice.ref1,
        invoice.ref2,
        Decimal("500.00"),
    )
    assert how.pay_url.startswith(settings.PAYMENT_SANDBOX_URL + "/?payload=000201")
    assert "<svg" in how.qr_svg

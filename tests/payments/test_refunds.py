"""Refunds with maker–checker: a finance officer of the agency asks, another approves,
the order goes to the sandbox bank over HTTP, and a refund receipt is issued."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from bizportal.core.models import AuditEvent
from bizportal.identity.models import StaffRole, User
from bizportal.payments import refunds, services
from bizportal.payments.contrib.sandbox import services as bank
from bizportal.payments.contrib.sandbox.models import BankRefund, BankTransaction
from bizportal.payments.models import Invoice, Refund
from bizportal.payments.providers import RefundingProvider, providers, refunding_provider
from tests import journeys
from tests.factories import AgencyFactory, OfficerFactory

pytestmark = pytest.mark.django_db


def finance_of(agency: Any) -> User:
    return OfficerFactory(agency=agency, roles=[StaffRole.FINANCE])


@pytest.fixture
def paid(invoice: Invoice) -> Invoice:
    journeys.pay(invoice.application)
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    return invoice


def ask(invoice: Invoice, maker: User, amount: str = "400.00") -> Refund:
    return refunds.request_refund(
        invoice, amount=Decimal(amount), reason_code="overpaid", note="ชำระเกิน", actor=maker
    )


def test_the_sandbox_bank_can_refund_and_says_so() -> None:
    assert isinstance(providers["sandbox"], RefundingProvider)
    assert refunding_provider("sandbox") is providers["sandbox"]
    assert refunding_provider("no-such-channel") is None


def test_the_maker_cannot_be_the_checker(paid: Invoice) -> None:
    maker = finance_of(paid.application.agency)
    refund = ask(paid, maker)
    with pytest.raises(refunds.RefundRefused, match="cannot approve"):
        refunds.decide_refund(refund, approve=True, actor=maker)
    refund.refresh_from_db()
    assert refund.state == "requested" and refund.decided_by is None
    # The database refuses it too, whatever code path tries.
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.filter(pk=refund.pk).update(decided_by=maker)


def test_more_than_was_paid_is_refused_counting_pending_refunds(paid: Invoice) -> None:
    maker = finance_of(paid.application.agency)
    with pytest.raises(refunds.RefundRefused, match=r"At most 1,000\.00"):
        ask(paid, maker, "1000.01")
    ask(paid, maker, "600.00")
    with pytest.raises(refunds.RefundRefused, match=r"At most 400\.00"):
        ask(paid, maker, "400.01")
    assert refunds.refundable(paid) == Decimal("400.00")
    with pytest.raises(refunds.RefundRefused, match="above zero"):
        ask(paid, maker, "0")
    with pytest.raises(refunds.RefundRefused, match="two decimal"):
        refunds.parse_amount("1.005")
    assert Refund.objects.count() == 1


def test_an_unpaid_invoice_cannot_be_refunded(invoice: Invoice) -> None:
    with pytest.raises(refunds.RefundRefused, match="Only a paid invoice"):
        ask(invoice, finance_of(invoice.application.agency))


def test_another_agencys_finance_officer_and_other_roles_are_refused(
    paid: Invoice, client: Client
) -> None:
    stranger = finance_of(AgencyFactory())
    with pytest.raises(refunds.RefundRefused, match="Only finance officers"):
        ask(paid, stranger)
    officer = OfficerFactory(agency=paid.application.agency)  # not finance
    with pytest.raises(refunds.RefundRefused):
        ask(paid, officer)
    refund = ask(paid, finance_of(paid.application.agency))
    with pytest.raises(refunds.RefundRefused, match="Only the agency"):
        refunds.decide_refund(refund, approve=True, actor=stranger)
    client.force_login(stranger)
    for url in (
        reverse("backoffice:finance-invoice", args=[paid.public_id]),
        reverse("backoffice:finance-refund", args=[refund.public_id]),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "approve", "amount": "1"}).status_code == 404
    refund.refresh_from_db()
    assert refund.state == "requested"
    client.force_login(officer)
    assert client.get(reverse("backoffice:finance-refunds")).status_code in (403, 404)


def test_the_refund_list_is_keyset_paginated_with_a_fixed_query_count(
    paid: Invoice, client: Client, django_assert_max_num_queries: Any
) -> None:
    maker = finance_of(paid.application.agency)
    for _ in range(5):
        ask(paid, maker, "10.00")
    client.force_login(maker)
    url = reverse("backoffice:finance-refunds")
    with django_assert_max_num_queries(12):
        first = client.get(url)
    page = first.context["page"]
    assert len(page.items) == 5 and not page.next_cursor
    from bizportal.payments import selectors

    one = selectors.refunds_page(maker, size=2)
    two = selectors.refunds_page(maker, size=2, cursor=one.next_cursor)
    assert not {r.pk for r in one.items} & {r.pk for r in two.items} and len(two.items) == 2
    assert client.get(url, {"after": "not-a-cursor"}).status_code == 400


def test_a_declined_refund_frees_the_amount(paid: Invoice) -> None:
    agency = paid.application.agency
    refund = ask(paid, finance_of(agency), "1000.00")
    refunds.decide_refund(refund, approve=False, actor=finance_of(agency), note="ไม่มีหลักฐาน")
    refund.refresh_from_db()
    assert refund.state == "declined" and refunds.refundable(paid) == Decimal("1000.00")
    assert AuditEvent.objects.filter(action="refund.declined").exists()


def test_a_refund_the_bank_does_not_know_fails_and_can_be_retried(
    paid: Invoice, settings: Settings
) -> None:
    """``journeys.pay`` pays without the bank's ledger: the bank refuses (unreachable here:
    nothing listens), the refund is failed with the reason, and may be sent again."""
    settings.PAYMENT_SANDBOX_URL = "http://127.0.0.1:9/sandbox/bank"
    agency = paid.application.agency
    refund = ask(paid, finance_of(agency))
    checker = finance_of(agency)
    with transaction.atomic():
        refunds.decide_refund(refund, approve=True, actor=checker)
    refunds.send_refund(refund.pk)  # what the task does (after commit)
    refund.refresh_from_db()
    assert refund.state == "failed" and "could not be reached" in refund.provider_detail
    assert refund.number is None
    refunds.retry_refund(refund, actor=checker)
    refund.refresh_from_db()
    assert refund.state in ("approved", "failed")


def bank_paid(live_url: str) -> tuple[Invoice, BankTransaction]:
    """An invoice paid at the sandbox bank, its webhook delivered over HTTP."""
    application = journeys.approve_everything(journeys.submitted())
    invoice = Invoice.objects.get(application=application, status="pending")
    txn = bank.pay(services.instruction(invoice).qr_payload)
    txn = bank.deliver_webhook(txn.txn_id)
    assert txn.webhook_status == "delivered", txn.webhook_response
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.provider_txn_id == txn.txn_id
    return invoice, txn


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_refund_end_to_end_over_http(live_server: Any, settings: Settings) -> None:
    settings.BASE_URL = live_server.url
    settings.PAYMENT_SANDBOX_URL = live_server.url + "/sandbox/bank"
    invoice, txn = bank_paid(live_server.url)
    agency = invoice.application.agency
    maker, checker = finance_of(agency), finance_of(agency)

    # The maker asks from the invoice's back-office page.
    browser = Client()
    browser.force_login(maker)
    page = browser.get(reverse("backoffice:finance-invoice", args=[invoice.public_id]))
    assert page.status_code == 200 and "1,000.00" in page.content.decode()
    asked = browser.post(
        reverse("backoffice:finance-invoice", args=[invoice.public_id]),
        {"amount": "250.00", "reason_code": "overpaid", "note": "ชำระเกินจำนวน", "origin": "REQ-1"},
    )
    assert asked.status_code == 302
    refund = Refund.objects.get()
    assert (refund.state, refund.amount, refund.origin) == ("requested", Decimal("250.00"), "REQ-1")
    # The maker's own page offers no approval; approving anyway is refused.
    detail = reverse("backoffice:finance-refund", args=[refund.public_id])
    assert "data-waiting-checker" in browser.get(detail).content.decode()
    browser.post(detail, {"action": "approve"})
    refund.refresh_from_db()
    assert refund.state == "requested"

    # The checker approves: the order goes to the bank over HTTP (the immediate task).
    other = Client()
    other.force_login(checker)
    assert 'value="approve"' in other.get(detail).content.decode()
    assert other.post(detail, {"action": "approve", "note": "ตรวจแล้ว"}).status_code == 302
    refund.refresh_from_db()
    assert refund.state == "completed", refund.provider_detail
    assert refund.decided_by == checker and refund.attempts == 1
    at_bank = BankRefund.objects.get()
    assert (at_bank.txn, at_bank.amount, at_bank.reference) == (
        txn,
        Decimal("250.00"),
        str(refund.public_id),
    )
    assert refund.provider_reference == at_bank.refund_id
    assert refund.number and refund.number.startswith("RF-")
    # The refund receipt: rendered after commit, opened by a finance officer (audited).
    receipt = other.get(reverse("backoffice:finance-refund-receipt", args=[refund.public_id]))
    assert receipt.status_code == 200
    assert b"".join(receipt.streaming_content).startswith(b"%PDF")
    refund.refresh_from_db()
    assert refund.sha256
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "refund.requested",
        "refund.approved",
        "refund.completed",
        "sandbox_bank.refunded",
        "refund.receipt_downloaded",
    } <= actions
    # Sending the same order again (a retry after a lost answer) refunds once.
    assert providers["sandbox"].refund(
        invoice, Decimal("250.00"), str(refund.public_id)
    ).status == (  # type: ignore[attr-defined]
        "completed"
    )
    assert BankRefund.objects.count() == 1
    # The bank refuses more than remains.
    answer = providers["sandbox"].refund(invoice, Decimal("750.01"), "another")  # type: ignore[attr-defined]
    assert answer.status == "rejected" and "750.00" in answer.detail
    assert refunds.refundable(invoice) == Decimal("750.00")

"""Callbacks that never lose money: late, out-of-order, repeated and concurrent notices.

A notice the bank sends for money it took is never dropped: it pays its invoice once,
or it is recorded and flagged (:class:`PaymentIssue`) for the agency's finance officers,
who refund it through the refunds flow. Idempotent per provider transaction id, also
when 20 copies arrive at once (PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bizportal.core.models import AuditEvent, DomainEvent
from bizportal.identity.models import StaffRole
from bizportal.payments import refunds, services
from bizportal.payments.contrib.sandbox import signing
from bizportal.payments.models import Invoice, PaymentEvent, PaymentIssue, Receipt
from bizportal.payments.providers import RefundResult, providers
from tests import journeys
from tests.factories import OfficerFactory

from .conftest import FOOD_SHOP_FEE, PostCallback, bank_notice, money_state


def past_due(invoice: Invoice, *, sweep: bool = True) -> Invoice:
    """The payment period ended an hour ago (and the sweeper ran, unless told not to)."""
    Invoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - dt.timedelta(hours=1))
    if sweep:
        services.expire_overdue_invoices()
    invoice.refresh_from_db()
    return invoice


def test_a_payment_after_expiry_is_recorded_and_flagged_never_settled(
    invoice: Invoice, post_callback: PostCallback
) -> None:
    past_due(invoice)
    before = money_state(invoice)
    response = post_callback(bank_notice(invoice))
    assert response.status_code == 200
    assert response.json() == {"status": "flagged-for-refund", "invoice": invoice.number}
    assert money_state(invoice) == before
    event = PaymentEvent.objects.get()
    assert (event.outcome, event.invoice) == ("late", invoice)
    issue = PaymentIssue.objects.get()
    assert (issue.kind, issue.state, issue.amount, issue.currency, issue.event) == (
        "late",
        "open",
        Decimal(FOOD_SHOP_FEE),
        "THB",
        event,
    )
    assert issue.agency_id == invoice.application.agency_id
    assert f"หลังใบแจ้งหนี้ {invoice.number} หมดอายุ" in issue.detail
    assert AuditEvent.objects.filter(action="payment.flagged").exists()
    [flagged] = DomainEvent.objects.filter(name="payments.payment_flagged")
    assert flagged.payload["kind"] == "late"


def test_a_late_payment_before_the_sweeper_ran_expires_the_invoice_then_and_there(
    invoice: Invoice, post_callback: PostCallback
) -> None:
    past_due(invoice, sweep=False)
    assert invoice.status == "pending"
    response = post_callback(bank_notice(invoice))
    assert response.json()["status"] == "flagged-for-refund"
    invoice.refresh_from_db()
    assert invoice.status == "expired" and invoice.provider_txn_id is None
    assert PaymentIssue.objects.get().kind == "late"


def test_a_payment_made_in_time_whose_notice_was_delayed_still_pays(
    invoice: Invoice, post_callback: PostCallback
) -> None:
    """The payer paid before the due time; the bank's retries brought the notice after
    the sweeper had marked the invoice expired: the bank's delay is not the payer's."""
    paid_at = timezone.now() - dt.timedelta(hours=2)
    past_due(invoice)
    assert invoice.status == "expired"
    response = post_callback(bank_notice(invoice, paid_at=paid_at.isoformat()))
    assert response.json() == {"status": "paid", "invoice": invoice.number}
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert Receipt.objects.filter(invoice=invoice).exists()
    assert not PaymentIssue.objects.exists()


def test_a_notice_for_a_reissued_invoices_predecessor_is_flagged_out_of_order(
    application: Any, invoice: Invoice, post_callback: PostCallback
) -> None:
    """Out of order: the applicant re-issued, then the old invoice's payment arrives
    (even one made in time). The old invoice is closed for good; its money is flagged;
    the new invoice is still the one to pay, and paying it works."""
    paid_at = timezone.now() - dt.timedelta(hours=2)
    past_due(invoice)
    new = services.reissue_invoice(invoice, actor=application.applicant)
    response = post_callback(bank_notice(invoice, paid_at=paid_at.isoformat()))
    assert response.json()["status"] == "flagged-for-refund"
    issue = PaymentIssue.objects.get()
    assert (issue.kind, issue.invoice) == ("late", invoice)
    assert f"ถูกแทนที่ด้วย {new.number}" in issue.detail
    new.refresh_from_db()
    assert new.status == "pending"

    paid = post_callback(bank_notice(new, txn_id="SBX20260101NEWNEWNEWNEW"))
    assert paid.json() == {"status": "paid", "invoice": new.number}
    invoice.refresh_from_db()
    assert (invoice.status, invoice.shown_state) == ("expired", "superseded")


def test_a_repeated_late_notice_is_flagged_once(
    invoice: Invoice, post_callback: PostCallback
) -> None:
    past_due(invoice)
    first = post_callback(bank_notice(invoice))
    again = post_callback(bank_notice(invoice))
    assert first.json()["status"] == "flagged-for-refund"
    assert again.json() == {"status": "already-processed", "invoice": invoice.number}
    assert PaymentIssue.objects.count() == 1
    assert list(PaymentEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        "late",
        "duplicate",
    ]


def test_a_forged_late_notice_flags_nothing(invoice: Invoice, post_callback: PostCallback) -> None:
    past_due(invoice)
    response = post_callback(bank_notice(invoice), secret="not-the-bank")
    assert response.status_code == 403
    assert not PaymentIssue.objects.exists()
    assert PaymentEvent.objects.get().outcome == "forged"


def test_a_mismatched_amount_is_refused_flagged_and_refused_again_without_a_second_flag(
    invoice: Invoice, post_callback: PostCallback
) -> None:
    for _ in range(2):
        response = post_callback(bank_notice(invoice, amount="10.00"))
    assert response.status_code == 200  # the second copy: already recorded
    assert PaymentIssue.objects.get().kind == "wrong_amount"
    invoice.refresh_from_db()
    assert invoice.status == "pending"


def test_a_flagged_payment_is_refunded_through_the_refunds_flow(
    invoice: Invoice, post_callback: PostCallback, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finance officers refund the flagged payment (maker–checker): the provider is
    asked to refund the flagged transaction, not the invoice's, and the flag closes."""
    past_due(invoice)
    post_callback(bank_notice(invoice, txn_id="SBX20260101LATELATELATE"))
    issue = PaymentIssue.objects.get()
    agency = invoice.application.agency
    maker = OfficerFactory(agency=agency, roles=[StaffRole.FINANCE])
    checker = OfficerFactory(agency=agency, roles=[StaffRole.FINANCE])
    # The invoice itself was never paid: no refund of it, only of the flagged money.
    with pytest.raises(refunds.RefundRefused, match="คืนเงินได้เฉพาะใบแจ้งหนี้ที่ชำระแล้ว"):
        refunds.request_refund(
            invoice, amount=Decimal("1.00"), reason_code="other", note="x", actor=maker
        )
    with pytest.raises(refunds.RefundRefused, match=r"คืนได้ไม่เกิน 1,000\.00 บาท"):
        refunds.request_refund(
            invoice,
            amount=Decimal("1000.01"),
            reason_code="other",
            note="x",
            actor=maker,
            issue=issue,
        )
    refund = refunds.request_refund(
        invoice,
        amount=issue.amount,
        reason_code="other",
        note="ชำระหลังหมดอายุ / Paid after the invoice expired",
        actor=maker,
        issue=issue,
    )
    issue.refresh_from_db()
    assert (refund.issue, refund.provider, issue.state) == (issue, "sandbox", "refunding")
    asked: list[tuple[str | None, Decimal]] = []

    def refund_at_bank(target: Invoice, amount: Decimal, reference: str) -> RefundResult:
        asked.append((target.provider_txn_id, amount))
        return RefundResult(status="completed", reference="SBR1", refunded_at=timezone.now())

    monkeypatch.setattr(providers["sandbox"], "refund", refund_at_bank)
    refunds.decide_refund(refund, approve=True, actor=checker)
    refunds.send_refund(refund.pk)
    refund.refresh_from_db()
    issue.refresh_from_db()
    assert asked == [("SBX20260101LATELATELATE", Decimal(FOOD_SHOP_FEE))]
    assert refund.state == "completed" and refund.number
    assert issue.state == "closed" and refund.number in issue.close_note
    invoice.refresh_from_db()
    assert invoice.provider_txn_id is None  # the copy sent to the provider was never saved


def test_a_finance_officer_closes_a_flag_with_a_reason(
    invoice: Invoice, post_callback: PostCallback
) -> None:
    past_due(invoice)
    post_callback(bank_notice(invoice))
    issue = PaymentIssue.objects.get()
    finance = OfficerFactory(agency=invoice.application.agency, roles=[StaffRole.FINANCE])
    with pytest.raises(refunds.RefundRefused, match="กรุณาระบุเหตุผลที่ปิดรายการ"):
        refunds.close_issue(issue, actor=finance, note="")
    stranger = OfficerFactory(roles=[StaffRole.FINANCE])
    with pytest.raises(refunds.RefundRefused, match="เฉพาะเจ้าหน้าที่การเงินของหน่วยงานเจ้าของใบแจ้งหนี้"):
        refunds.close_issue(issue, actor=stranger, note="x")
    refunds.close_issue(issue, actor=finance, note="คืนเงินสดที่เคาน์เตอร์ / Refunded in cash")
    issue.refresh_from_db()
    assert (issue.state, issue.closed_by) == ("closed", finance)


# --- concurrency (PostgreSQL) ------------------------------------------------------------


def _post_signed(body: dict[str, Any]) -> tuple[int, str]:
    raw = json.dumps(body).encode()
    response = Client().post(
        reverse("payments:callback", args=["sandbox"]),
        raw,
        content_type="application/json",
        HTTP_X_BIZPORTAL_SIGNATURE=signing.sign(raw, settings.PAYMENT_WEBHOOK_SECRET),
    )
    status = response.json().get("status", "") if response.status_code == 200 else ""
    return response.status_code, status


def _in_parallel(bodies: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """POST each body from its own thread (its own connection), all released at once."""
    start = threading.Barrier(len(bodies))
    answers: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def post(body: dict[str, Any]) -> None:
        try:
            start.wait(timeout=30)
            answers.append(_post_signed(body))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return answers


postgres_only = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="row locks and concurrent connections: run with DATABASE_URL=postgres://…",
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_identical_notices_at_once_settle_exactly_once() -> None:
    application = journeys.approve_everything(journeys.submitted())
    invoice = Invoice.objects.get(application=application, status="pending")
    answers = _in_parallel([bank_notice(invoice)] * 20)
    assert sorted(answers) == [(200, "already-processed")] * 19 + [(200, "paid")]
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert Receipt.objects.filter(invoice=invoice).count() == 1
    assert application.history.filter(step_type="payment").count() == 1
    assert DomainEvent.objects.filter(name="payments.invoice_paid").count() == 1
    outcomes = list(PaymentEvent.objects.values_list("outcome", flat=True))
    assert sorted(outcomes) == ["accepted"] + ["duplicate"] * 19
    assert not PaymentIssue.objects.exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_late_notices_at_once_flag_once_and_mixed_payments_never_pay_twice() -> None:
    """Ten copies of a late payment and ten of another payer's payment of the same
    expired invoice, all at once: each transaction is flagged once, nothing is paid."""
    application = journeys.approve_everything(journeys.submitted())
    invoice = past_due(Invoice.objects.get(application=application, status="pending"))
    late_a = bank_notice(invoice, txn_id="SBX20260101LATEAAAAAAAA")
    late_b = bank_notice(invoice, txn_id="SBX20260101LATEBBBBBBBB")
    answers = _in_parallel([late_a] * 10 + [late_b] * 10)
    assert sorted(answers) == [(200, "already-processed")] * 18 + [(200, "flagged-for-refund")] * 2
    assert sorted(PaymentIssue.objects.values_list("provider_txn_id", flat=True)) == [
        "SBX20260101LATEAAAAAAAA",
        "SBX20260101LATEBBBBBBBB",
    ]
    invoice.refresh_from_db()
    assert invoice.status == "expired" and not Receipt.objects.exists()

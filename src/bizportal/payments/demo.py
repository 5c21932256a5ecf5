"""The finance officers' demo (issue 10): on the BMA's real demo payments, a refund
completed through the sandbox bank over HTTP (with its refund receipt), one waiting for
``finance.bma`` to approve, and the bank's camt.053 statement of the day imported with
two entries to resolve.

The statement is the one the sandbox bank produces for its own ledger; the demo then
alters it as a bank's file sometimes is (one entry booked with a different amount, one
credit that is not ours), so the reconciliation page has a mismatch and an unmatched
line to resolve. Runs after the journeys (which pay the invoices at the sandbox bank)
and commits as it goes: the refund's order is answered by the bank in the served
portal, in another connection.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from lxml import etree

from bizportal.core import demo
from bizportal.identity.models import User

from . import reconciliation, refunds, services
from .contrib.sandbox import services as bank
from .contrib.sandbox import statements
from .models import Invoice, PaymentIssue, Refund
from .providers import CallbackData


def _altered(content: bytes) -> bytes:
    """The bank's statement with one amount changed and one foreign credit added."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(content, parser)
    ns = {"c": statements.NS}
    entries = root.findall(".//c:Stmt/c:Ntry", ns)
    credits = [e for e in entries if e.findtext("c:CdtDbtInd", namespaces=ns) == "CRDT"]
    if credits:
        amount = credits[-1].find("c:Amt", ns)
        assert amount is not None
        amount.text = f"{Decimal(amount.text or '0') - Decimal('100.00'):.2f}"
    stranger = etree.fromstring(etree.tostring(entries[0]), parser)
    stranger.find("c:Amt", ns).text = "275.00"  # type: ignore[union-attr]
    stranger.find("c:CdtDbtInd", ns).text = "CRDT"  # type: ignore[union-attr]
    stranger.find("c:AcctSvcrRef", ns).text = "OTHERBANK0001"  # type: ignore[union-attr]
    for ref in stranger.iterfind(".//c:Refs/c:AcctSvcrRef", ns):
        ref.text = "OTHERBANK0001"
    for ref in stranger.iterfind(".//c:Strd/c:CdtrRefInf/c:Ref", ns):
        ref.text = "UNKNOWNREF2"
    for ref in stranger.iterfind(".//c:Refs/c:EndToEndId", ns):
        ref.text = "UNKNOWNREF1"
    entries[-1].addnext(stranger)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@contextlib.contextmanager
def _embedded_bank_at(url: str) -> Iterator[None]:
    """Point the embedded sandbox bank at the server ``demo.serving`` started (an
    external bank is left as configured)."""
    configured = str(settings.PAYMENT_SANDBOX_URL)
    if configured.startswith(settings.BASE_URL):
        settings.PAYMENT_SANDBOX_URL = url + configured.removeprefix(settings.BASE_URL)
    try:
        yield
    finally:
        settings.PAYMENT_SANDBOX_URL = configured


@demo.loader("payments", order=96, atomic=False)
def load_demo() -> list[demo.DemoLogin]:
    if Refund.objects.exists():
        return []
    paid = list(
        Invoice.objects.filter(status=Invoice.Status.PAID, application__agency__code="bma")
        .exclude(provider_txn_id__startswith="DEMO")
        .order_by("paid_at")[:2]
    )
    if len(paid) < 2:
        return []  # the journeys did not run (the live-server tests' seed)
    finance = User.objects.get(username="finance.bma")
    colleague = User.objects.get(username="finance2.bma")
    with demo.serving() as url, _embedded_bank_at(url):
        done = refunds.request_refund(
            paid[0],
            amount=Decimal("200.00"),
            reason_code="fee_corrected",
            note="ค่าธรรมเนียมคำนวณตามพื้นที่เกินจริง 200 บาท / The area-based fee was 200 THB too high",
            actor=colleague,
        )
        refunds.decide_refund(done, approve=True, actor=finance, note="ตรวจสอบแล้ว / Checked")
        refunds.send_refund(done.pk)  # a no-op if the queued task already sent it
        done.refresh_from_db()
        if done.state == Refund.State.COMPLETED:
            refunds.render_refund_pdf(done)
    refunds.request_refund(
        paid[1],
        amount=paid[1].amount,
        reason_code="withdrawn",
        note="ผู้ยื่นถอนคำขอก่อนการตรวจสถานที่ / The applicant withdrew before the inspection",
        origin="หนังสือขอถอน ลงวันที่วันนี้ / withdrawal letter of today",
        actor=colleague,
    )
    content = _altered(statements.camt053(timezone.localdate()))
    reconciliation.import_statement(
        content,
        filename=f"camt053-{timezone.localdate():%Y%m%d}.xml",
        provider="sandbox",
        actor=finance,
    )
    return []


#: The business of the portal demo's food truck (``bizportal.portal.demo.FOOD_TRUCK``),
#: named here because payments may not import the portal.
FOOD_TRUCK = "ทองคำ ฟู้ดทรัค"


@demo.loader("payments-lifetime", order=97)
def load_lifetime_demo() -> list[demo.DemoLogin]:
    """An expired invoice and a late payment of it, flagged for refund: the food truck's
    invoice ran out (the sweeper's work, done here), then its owner paid the old QR code
    at the sandbox bank. The applicant sees "expired, re-issue"; ``finance.bma`` sees the
    flagged payment with its refund button."""
    if PaymentIssue.objects.exists():
        return []
    invoice = Invoice.objects.filter(
        status=Invoice.Status.PENDING, application__data__business_name=FOOD_TRUCK
    ).first()
    if invoice is None:
        return []  # the journeys did not run (the live-server tests' seed)
    Invoice.objects.filter(pk=invoice.pk).update(
        created_at=timezone.now() - dt.timedelta(days=20),
        expires_at=timezone.now() - dt.timedelta(days=4),
    )
    services.expire_overdue_invoices()
    invoice.refresh_from_db()
    txn = bank.pay(services.instruction(invoice).qr_payload)
    services.confirm_payment(
        "sandbox",
        CallbackData(
            txn_id=txn.txn_id,
            biller_id=txn.biller_id,
            ref1=txn.ref1,
            ref2=txn.ref2,
            amount=txn.amount,
            currency=txn.currency,
            paid_at=txn.paid_at,
        ),
        body=json.dumps(txn.webhook_body(), separators=(",", ":")),
    )
    return []

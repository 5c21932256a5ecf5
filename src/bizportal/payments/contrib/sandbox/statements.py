"""The sandbox bank's end-of-day statement of the biller's account, as ISO 20022
camt.053.001.08 (BankToCustomerStatement), the file a Thai bank's cash management
service delivers: one credit entry per payment, one debit entry per refund.

Each entry carries what the portal's reconciliation matches on: the bank's transaction
reference (``AcctSvcrRef``), the bill payment references (Ref1 in ``EndToEndId``, Ref2 in
the structured creditor reference), the amount and the booking date.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from lxml import etree

from .models import BankRefund, BankTransaction

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS}}}{tag}", **attrs)
    if text is not None:
        element.text = text
    return element


def _path(parent: etree._Element, tags: str, text: str) -> None:
    for tag in tags.split("/"):
        parent = _sub(parent, tag)
    parent.text = text


def camt053(day: dt.date) -> bytes:
    """The statement of ``day`` (local time) for the portal's biller ID."""
    start, end = _day_bounds(day)
    payments = BankTransaction.objects.filter(
        biller_id=settings.PAYMENT_BILLER_ID, paid_at__gte=start, paid_at__lt=end
    ).order_by("paid_at", "id")
    refunds = (
        BankRefund.objects.filter(
            txn__biller_id=settings.PAYMENT_BILLER_ID, refunded_at__gte=start, refunded_at__lt=end
        )
        .select_related("txn")
        .order_by("refunded_at", "id")
    )
    root = etree.Element(f"{{{NS}}}Document", nsmap={None: NS})
    statement = _sub(root, "BkToCstmrStmt")
    header = _sub(statement, "GrpHdr")
    _sub(header, "MsgId", f"SBX-STMT-{day:%Y%m%d}")
    _sub(header, "CreDtTm", timezone.now().isoformat(timespec="seconds"))
    stmt = _sub(statement, "Stmt")
    _sub(stmt, "Id", f"SBX{day:%Y%m%d}")
    _sub(stmt, "CreDtTm", timezone.now().isoformat(timespec="seconds"))
    period = _sub(stmt, "FrToDt")
    _sub(period, "FrDtTm", start.isoformat(timespec="seconds"))
    _sub(period, "ToDtTm", (end - dt.timedelta(seconds=1)).isoformat(timespec="seconds"))
    account = _sub(stmt, "Acct")
    _path(account, "Id/Othr/Id", settings.PAYMENT_BILLER_ID)
    _sub(account, "Ccy", "THB")
    credits = sum((t.amount for t in payments), Decimal(0))
    debits = sum((r.amount for r in refunds), Decimal(0))
    summary = _sub(stmt, "TxsSummry")
    total = _sub(summary, "TtlNtries")
    _sub(total, "NbOfNtries", str(len(payments) + len(refunds)))
    _sub(total, "Sum", f"{credits + debits:.2f}")
    entries = [
        (t.paid_at, "CRDT", t.amount, t.txn_id, t.ref1, t.ref2, "Thai QR bill payment")
        for t in payments
    ] + [
        (
            r.refunded_at,
            "DBIT",
            r.amount,
            r.refund_id,
            r.txn.ref1,
            r.txn.ref2,
            f"Refund {r.reference}",
        )
        for r in refunds
    ]
    for when, indicator, amount, bank_ref, ref1, ref2, info in entries:
        entry = _sub(stmt, "Ntry")
        _sub(entry, "Amt", f"{amount:.2f}", Ccy="THB")
        _sub(entry, "CdtDbtInd", indicator)
        _path(entry, "Sts/Cd", "BOOK")
        booked = timezone.localtime(when).date().isoformat()
        _path(entry, "BookgDt/Dt", booked)
        _path(entry, "ValDt/Dt", booked)
        _sub(entry, "AcctSvcrRef", bank_ref)
        _path(entry, "BkTxCd/Prtry/Cd", "BILLPAY" if indicator == "CRDT" else "REFUND")
        details = _sub(_sub(entry, "NtryDtls"), "TxDtls")
        refs = _sub(details, "Refs")
        _sub(refs, "AcctSvcrRef", bank_ref)
        _sub(refs, "EndToEndId", ref1 or "NOTPROVIDED")
        remittance = _sub(details, "RmtInf")
        _sub(remittance, "Ustrd", info)
        _path(remittance, "Strd/CdtrRefInf/Ref", ref2 or ref1)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))

"""Reconciliation: the bank's statement against our payments and refunds.

A statement file (ISO 20022 camt.053 XML, or the CSV form in the integrator guide) is
parsed completely and checked before anything is stored; then one transaction stores
the import (its SHA-256 is unique, so the same file twice is refused), its lines and
what matching made of each:

* **matched**: a settled payment (credit) or a refund (debit; one still "pending" at the
  provider is confirmed by it) with the same
  amount, found by the bank's transaction reference, else by Ref1/Ref2, else by amount
  and date when exactly one unmatched payment fits;
* **mismatched**: found by reference, but the amount differs;
* **unmatched**: the bank has it, we do not;
* **missing** (not a line, computed): we have it, the statements covering that day do not.

A finance officer resolves an unmatched or mismatched line with a note (audited).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from lxml import etree

from bizportal.core import audit, authz

from . import refunds
from .models import Invoice, Refund, StatementImport, StatementLine

MAX_LINES = 50_000
CAMT_NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."
#: The CSV form's columns, in this order (header row required).
CSV_COLUMNS = (
    "booking_date",
    "value_date",
    "amount",
    "currency",
    "direction",
    "bank_reference",
    "ref1",
    "ref2",
    "description",
)
Status = StatementLine.Status


class StatementError(Exception):
    """The file is refused as a whole (nothing stored); the message is bilingual and
    names the place in the file when there is one."""


@dataclass
class ParsedLine:
    booked_on: dt.date
    amount: Decimal
    currency: str
    direction: str
    value_date: dt.date | None = None
    bank_reference: str = ""
    ref1: str = ""
    ref2: str = ""
    description: str = ""


@dataclass
class ParsedStatement:
    format: str
    lines: list[ParsedLine]
    statement_id: str = ""
    account: str = ""
    from_date: dt.date | None = None
    to_date: dt.date | None = None
    warnings: list[str] = field(default_factory=list)


# --- parsing ----------------------------------------------------------------------------


def _date(text: str, where: str) -> dt.date:
    value = (text or "").strip()
    try:
        if "T" in value:
            parsed = dt.datetime.fromisoformat(value)
            if timezone.is_aware(parsed):
                parsed = timezone.localtime(parsed)
            return parsed.date()
        return dt.date.fromisoformat(value)
    except ValueError:
        raise StatementError(
            f"{where}: วันที่ไม่ถูกต้อง {value[:40]!r} (ต้องเป็น YYYY-MM-DD) / "
            f"not a date {value[:40]!r} (YYYY-MM-DD expected)"
        ) from None


def _amount(text: str, where: str) -> Decimal:
    value = (text or "").strip()
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise StatementError(
            f"{where}: ยอดเงินไม่ถูกต้อง {value[:40]!r} (ต้องมากกว่าศูนย์ ทศนิยมไม่เกินสองตำแหน่ง) / "
            f"invalid amount {value[:40]!r} (positive, at most two decimals)"
        )
    return amount


def _currency(text: str, where: str) -> str:
    value = (text or "").strip().upper()
    if len(value) != 3 or not value.isalpha():
        raise StatementError(f"{where}: สกุลเงินไม่ถูกต้อง / invalid currency {value[:10]!r}")
    return value


def _safe_parser() -> etree.XMLParser:
    """No DTD, no entities, no network, no huge trees: a bank file is untrusted input."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_camt053(content: bytes) -> ParsedStatement:
    """Read a camt.053 (BankToCustomerStatement, any version 001.02–001.13)."""
    if b"<!DOCTYPE" in content[:4096].upper() or b"<!ENTITY" in content.upper():
        raise StatementError(
            "ไฟล์ XML มี DOCTYPE/ENTITY ซึ่งไม่รับ / XML with a DOCTYPE or entities is refused"
        )
    try:
        root = etree.fromstring(content, _safe_parser())
    except etree.XMLSyntaxError as error:
        raise StatementError(
            f"ไฟล์ XML ไม่สมบูรณ์ (บรรทัด {error.lineno}) / Malformed XML at line "
            f"{error.lineno}: {error.msg}"
        ) from None
    namespace = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "Document" or not namespace.startswith(CAMT_NAMESPACE_PREFIX):
        raise StatementError(
            "ไม่ใช่ไฟล์ camt.053 (ต้องเป็น Document ใน namespace "
            f"{CAMT_NAMESPACE_PREFIX}xx) / Not a camt.053 file: the root must be Document in "
            f"namespace {CAMT_NAMESPACE_PREFIX}xx, found {etree.QName(root).localname} in "
            f"{namespace or 'no namespace'!r}"
        )
    ns = {"c": namespace}

    def text(element: Any, path: str) -> str:
        found = element.find(path, ns)
        return (found.text or "").strip() if found is not None else ""

    statements = root.findall("c:BkToCstmrStmt/c:Stmt", ns)
    if len(statements) != 1:
        raise StatementError(
            f"ต้องมีรายการเดินบัญชี (Stmt) หนึ่งรายการต่อไฟล์ พบ {len(statements)} / "
            f"Expected exactly one BkToCstmrStmt/Stmt, found {len(statements)}"
        )
    stmt = statements[0]
    parsed = ParsedStatement(
        format=StatementImport.Format.CAMT053,
        lines=[],
        statement_id=text(stmt, "c:Id"),
        account=text(stmt, "c:Acct/c:Id/c:Othr/c:Id") or text(stmt, "c:Acct/c:Id/c:IBAN"),
    )
    start, end = text(stmt, "c:FrToDt/c:FrDtTm"), text(stmt, "c:FrToDt/c:ToDtTm")
    if start:
        parsed.from_date = _date(start, "FrToDt/FrDtTm")
    if end:
        parsed.to_date = _date(end, "FrToDt/ToDtTm")
    for number, entry in enumerate(stmt.findall("c:Ntry", ns), start=1):
        where = f"Ntry {number}"
        amount_element = entry.find("c:Amt", ns)
        if amount_element is None:
            raise StatementError(f"{where}: ไม่มียอดเงิน (Amt) / missing Amt")
        indicator = text(entry, "c:CdtDbtInd")
        if indicator not in ("CRDT", "DBIT"):
            raise StatementError(
                f"{where}: CdtDbtInd ต้องเป็น CRDT หรือ DBIT / CdtDbtInd must be CRDT or DBIT, "
                f"found {indicator[:10]!r}"
            )
        status = text(entry, "c:Sts/c:Cd") or text(entry, "c:Sts")
        if status and status != "BOOK":
            parsed.warnings.append(f"{where}: status {status} skipped (only BOOK is reconciled)")
            continue
        booked = text(entry, "c:BookgDt/c:Dt") or text(entry, "c:BookgDt/c:DtTm")
        if not booked:
            raise StatementError(f"{where}: ไม่มีวันที่บันทึกบัญชี / missing BookgDt")
        value_date = text(entry, "c:ValDt/c:Dt") or text(entry, "c:ValDt/c:DtTm")
        details = entry.find("c:NtryDtls/c:TxDtls", ns)

        def detail_text(path: str, details: Any = details) -> str:
            return text(details, path) if details is not None else ""

        parsed.lines.append(
            ParsedLine(
                booked_on=_date(booked, f"{where} BookgDt"),
                value_date=_date(value_date, f"{where} ValDt") if value_date else None,
                amount=_amount(amount_element.text or "", f"{where} Amt"),
                currency=_currency(amount_element.get("Ccy", ""), f"{where} Amt/@Ccy"),
                direction="C" if indicator == "CRDT" else "D",
                bank_reference=(
                    text(entry, "c:AcctSvcrRef") or detail_text("c:Refs/c:AcctSvcrRef")
                )[:64],
                ref1=_reference(detail_text("c:Refs/c:EndToEndId")),
                ref2=_reference(detail_text("c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref")),
                description=detail_text("c:RmtInf/c:Ustrd")[:500],
            )
        )
    return _bounded(parsed)


def _reference(value: str) -> str:
    return "" if value.upper() == "NOTPROVIDED" else value[:35]


def parse_csv(content: bytes) -> ParsedStatement:
    """Read the CSV form: UTF-8 (a BOM is fine), a header row naming
    :data:`CSV_COLUMNS`, one line per booked entry; direction C (credit) or D (debit)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise StatementError(
            f"ไฟล์ CSV ต้องเป็น UTF-8 (ไบต์ที่ {error.start}) / The CSV must be UTF-8 "
            f"(byte {error.start})"
        ) from None
    reader = csv.reader(io.StringIO(text))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        raise StatementError(
            f"แถวหัวตารางขาดคอลัมน์: {', '.join(missing)} / The header row lacks the columns: "
            f"{', '.join(missing)} (expected {','.join(CSV_COLUMNS)})"
        )
    index = {name: header.index(name) for name in CSV_COLUMNS}
    parsed = ParsedStatement(format=StatementImport.Format.CSV, lines=[])
    for row_number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"แถว/row {row_number}"
        if len(row) < len(header):
            raise StatementError(
                f"{where}: มี {len(row)} คอลัมน์ ต้องมี {len(header)} / has {len(row)} columns, "
                f"the header has {len(header)}"
            )
        cell = {name: row[i].strip() for name, i in index.items()}
        direction = cell["direction"].upper()
        if direction not in ("C", "D"):
            raise StatementError(
                f"{where}: direction ต้องเป็น C หรือ D / direction must be C or D, "
                f"found {direction[:10]!r}"
            )
        parsed.lines.append(
            ParsedLine(
                booked_on=_date(cell["booking_date"], f"{where} booking_date"),
                value_date=(
                    _date(cell["value_date"], f"{where} value_date") if cell["value_date"] else None
                ),
                amount=_amount(cell["amount"], f"{where} amount"),
                currency=_currency(cell["currency"], f"{where} currency"),
                direction=direction,
                bank_reference=cell["bank_reference"][:64],
                ref1=cell["ref1"][:35],
                ref2=cell["ref2"][:35],
                description=cell["description"][:500],
            )
        )
        if len(parsed.lines) > MAX_LINES:
            break
    return _bounded(parsed)


def _bounded(parsed: ParsedStatement) -> ParsedStatement:
    if not parsed.lines:
        raise StatementError("ไม่มีรายการในไฟล์ / The file has no booked entries")
    if len(parsed.lines) > MAX_LINES:
        raise StatementError(
            f"รายการเกิน {MAX_LINES:,} / More than {MAX_LINES:,} entries: split the file"
        )
    days = [line.booked_on for line in parsed.lines]
    parsed.from_date = min([parsed.from_date or min(days), *days])
    parsed.to_date = max([parsed.to_date or max(days), *days])
    return parsed


def parse(content: bytes, filename: str) -> ParsedStatement:
    """Pick the parser from the content (XML or not), never from the file name alone."""
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:5]
    if head.startswith(b"<"):
        return parse_camt053(content)
    if filename.lower().endswith(".xml"):
        raise StatementError("ไฟล์ .xml แต่เนื้อหาไม่ใช่ XML / A .xml file whose content is not XML")
    return parse_csv(content)


# --- importing and matching -----------------------------------------------------------


@transaction.atomic
def import_statement(
    content: bytes, *, filename: str, provider: str, actor: Any = None
) -> StatementImport:
    """Parse, store and match a statement file; StatementError (nothing stored) if the
    file is malformed or was imported before."""
    if actor is not None and not authz.allowed(actor, "payments.reconcile"):
        raise StatementError("เฉพาะเจ้าหน้าที่การเงิน / Finance officers only")
    digest = hashlib.sha256(content).hexdigest()
    earlier = StatementImport.objects.filter(sha256=digest).first()
    if earlier is not None:
        raise StatementError(
            f"นำเข้าไฟล์นี้แล้วเมื่อ {timezone.localtime(earlier.imported_at):%Y-%m-%d %H:%M} "
            f"({earlier.filename}) / This file was already imported on "
            f"{timezone.localtime(earlier.imported_at):%Y-%m-%d %H:%M} as {earlier.filename}"
        )
    parsed = parse(content, filename)
    assert parsed.from_date is not None and parsed.to_date is not None
    try:
        with transaction.atomic():
            statement = StatementImport.objects.create(
                sha256=digest,
                filename=filename[:200],
                format=parsed.format,
                provider=provider,
                statement_id=parsed.statement_id[:64],
                account=parsed.account[:64],
                from_date=parsed.from_date,
                to_date=parsed.to_date,
                imported_by=actor,
            )
    except IntegrityError:
        raise StatementError(
            "นำเข้าไฟล์นี้แล้ว / This file was already imported (at the same moment)"
        ) from None
    lines = [_match(statement, number, line) for number, line in enumerate(parsed.lines, 1)]
    StatementLine.objects.bulk_create(lines)
    counts = {status: sum(1 for line in lines if line.status == status) for status in Status.values}
    audit.record(
        "statement.imported",
        statement,
        actor=actor,
        actor_label="" if actor else "manage.py reconcile",
        filename=statement.filename,
        sha256=digest,
        lines=len(lines),
        counts={k: v for k, v in counts.items() if v},
        warnings=parsed.warnings[:20],
    )
    return statement


def _match(statement: StatementImport, number: int, line: ParsedLine) -> StatementLine:
    row = StatementLine(
        statement=statement,
        line_no=number,
        booked_on=line.booked_on,
        value_date=line.value_date,
        amount=line.amount,
        currency=line.currency,
        direction=line.direction,
        bank_reference=line.bank_reference,
        ref1=line.ref1,
        ref2=line.ref2,
        description=line.description,
        status=Status.UNMATCHED,
    )
    if line.direction == "D":
        _match_refund(statement, row)
    else:
        _match_payment(statement, row)
    return row


def _already_matched(invoice: Invoice) -> bool:
    return invoice.statement_lines.filter(status=Status.MATCHED, direction="C").exists()


def _match_payment(statement: StatementImport, row: StatementLine) -> None:
    paid = Invoice.objects.filter(status=Invoice.Status.PAID)
    invoice, rule = None, ""
    if row.bank_reference:
        invoice = paid.filter(provider_txn_id=row.bank_reference).first()
        rule = "bank_reference"
    if invoice is None and row.ref2:
        found = Invoice.objects.filter(ref2=row.ref2).first()
        if found is not None and (not row.ref1 or found.ref1 == row.ref1):
            if found.status != Invoice.Status.PAID:
                row.detail = (
                    f"ใบแจ้งหนี้ {found.number} ยังไม่ได้รับชำระในระบบ / Invoice {found.number} "
                    f"is {found.status} in our records"
                )
                return
            invoice, rule = found, "ref1_ref2"
    if invoice is None:
        day_start = timezone.make_aware(dt.datetime.combine(row.booked_on, dt.time.min))
        candidates = [
            candidate
            for candidate in paid.filter(
                provider=statement.provider,
                amount=row.amount,
                paid_at__gte=day_start,
                paid_at__lt=day_start + dt.timedelta(days=1),
            )[:10]
            if not _already_matched(candidate)
        ]
        if len(candidates) == 1:
            invoice, rule = candidates[0], "amount_date"
    if invoice is None:
        row.detail = "ไม่พบการชำระที่ตรงกัน / No payment of ours matches"
        return
    row.invoice, row.matched_by = invoice, rule
    if _already_matched(invoice):
        row.status = Status.UNMATCHED
        row.detail = (
            f"การชำระ {invoice.number} จับคู่กับรายการอื่นแล้ว / Payment {invoice.number} is "
            "already matched to another line (the bank booked it twice?)"
        )
    elif row.amount != invoice.amount or row.currency != invoice.currency:
        row.status = Status.MISMATCHED
        row.detail = (
            f"ธนาคาร {row.amount:,.2f} {row.currency} ระบบ {invoice.amount:,.2f} "
            f"{invoice.currency} / Bank {row.amount:,.2f} {row.currency}, ours "
            f"{invoice.amount:,.2f} {invoice.currency}"
        )
    else:
        row.status = Status.MATCHED


def _match_refund(statement: StatementImport, row: StatementLine) -> None:
    refund = None
    if row.bank_reference:
        refund = Refund.objects.filter(
            provider_reference=row.bank_reference,
            state__in=(Refund.State.COMPLETED, Refund.State.SENT),
        ).first()
    if refund is not None and refund.state == Refund.State.SENT:
        refund = _confirm_by_statement(statement, row, refund)
        if refund is None:
            return
    if refund is None:
        row.detail = "ไม่พบการคืนเงินที่ตรงกัน / No refund of ours matches"
        return
    row.refund, row.matched_by = refund, "bank_reference"
    if refund.statement_lines.filter(status=Status.MATCHED).exists():
        row.detail = "การคืนเงินนี้จับคู่แล้ว / This refund is already matched"
    elif row.amount != refund.amount:
        row.status = Status.MISMATCHED
        row.detail = (
            f"ธนาคาร {row.amount:,.2f} ระบบ {refund.amount:,.2f} / Bank {row.amount:,.2f}, "
            f"ours {refund.amount:,.2f}"
        )
    else:
        row.status = Status.MATCHED


def _confirm_by_statement(
    statement: StatementImport, row: StatementLine, refund: Refund
) -> Refund | None:
    """A refund the provider accepted as "pending" is confirmed by its own statement: the
    debit booked under the provider's refund reference, for the same amount, is the money
    leaving. Any other amount leaves the refund sent and the line for an officer."""
    if refund.provider != statement.provider or row.amount != refund.amount:
        row.detail = (
            f"คืนเงิน {refund.number or refund.pk} ยังรอยืนยันและยอดไม่ตรง / Refund still "
            f"pending and the statement's amount {row.amount:,.2f} is not {refund.amount:,.2f}"
        )
        return None
    when = timezone.make_aware(dt.datetime.combine(row.booked_on, dt.time(12)))
    return refunds.confirm_pending(
        refund.provider,
        refund.provider_reference,
        status="completed",
        detail=f"confirmed by statement {statement.pk} line {row.line_no}",
        when=when,
    )


@transaction.atomic
def resolve_line(line: StatementLine, *, note: str, actor: Any) -> StatementLine:
    """A finance officer settles an unmatched or mismatched line with an explanation."""
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    if not authz.allowed(actor, "payments.reconcile"):
        raise StatementError("เฉพาะเจ้าหน้าที่การเงิน / Finance officers only")
    if line.status not in (Status.UNMATCHED, Status.MISMATCHED):
        raise StatementError(
            "แก้ไขได้เฉพาะรายการที่ไม่ตรงกัน / Only unmatched or mismatched lines are resolved"
        )
    note = (note or "").strip()
    if not note:
        raise StatementError("กรุณาบันทึกคำอธิบาย / Please say how it was resolved")
    line.was, line.status = line.status, Status.RESOLVED
    line.resolution_note = note[:2000]
    line.resolved_by, line.resolved_at = actor, timezone.now()
    line.save(update_fields=["was", "status", "resolution_note", "resolved_by", "resolved_at"])
    audit.record(
        "statement.line_resolved",
        line.statement,
        actor=actor,
        line=line.line_no,
        was=line.was,
        note=line.resolution_note[:500],
    )
    return line


# --- reading ----------------------------------------------------------------------------


def _local_day() -> Any:
    return TruncDate("paid_at", tzinfo=timezone.get_current_timezone())


def missing_payments(statement: StatementImport) -> QuerySet[Invoice]:
    """Our settled payments of the statement's channel and days that no statement line
    (of any import) matched: the bank does not show them."""
    start = timezone.make_aware(dt.datetime.combine(statement.from_date, dt.time.min))
    end = timezone.make_aware(
        dt.datetime.combine(statement.to_date + dt.timedelta(days=1), dt.time.min)
    )
    seen = StatementLine.objects.filter(
        invoice=OuterRef("pk"), direction="C", status__in=(Status.MATCHED, Status.MISMATCHED)
    )
    return (
        Invoice.objects.filter(
            status=Invoice.Status.PAID,
            provider=statement.provider,
            paid_at__gte=start,
            paid_at__lt=end,
        )
        .exclude(Exists(seen))
        .order_by("paid_at", "id")
    )


@dataclass(frozen=True)
class DayStatus:
    provider: str
    day: dt.date
    payments: int
    collected: Decimal
    matched: int
    open_lines: int
    missing: int
    covered: bool

    @property
    def status(self) -> str:
        if not self.covered:
            return "no_statement"
        return "reconciled" if not self.open_lines and not self.missing else "open"


def daily_status(days: Iterable[dt.date]) -> list[DayStatus]:
    """Per channel and day: payments, what the statements matched, open lines, missing
    payments, and whether any imported statement covers the day. Three grouped queries
    and one for the coverage, whatever the number of days."""
    wanted = sorted(set(days))
    if not wanted:
        return []
    start = timezone.make_aware(dt.datetime.combine(wanted[0], dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(wanted[-1] + dt.timedelta(days=1), dt.time.min))
    seen = StatementLine.objects.filter(
        invoice=OuterRef("pk"), direction="C", status__in=(Status.MATCHED, Status.MISMATCHED)
    )
    payments = (
        Invoice.objects.filter(status=Invoice.Status.PAID, paid_at__gte=start, paid_at__lt=end)
        .annotate(day=_local_day(), seen=Exists(seen))
        .values("provider", "day")
        .annotate(n=Count("id"), total=Sum("amount"), missing=Count("id", filter=Q(seen=False)))
    )
    lines = (
        StatementLine.objects.filter(booked_on__gte=wanted[0], booked_on__lte=wanted[-1])
        .values("statement__provider", "booked_on")
        .annotate(
            matched=Count("id", filter=Q(status=Status.MATCHED)),
            open=Count("id", filter=Q(status__in=(Status.UNMATCHED, Status.MISMATCHED))),
        )
    )
    covers = list(
        StatementImport.objects.filter(
            from_date__lte=wanted[-1], to_date__gte=wanted[0]
        ).values_list("provider", "from_date", "to_date")
    )
    table: dict[tuple[str, dt.date], dict[str, Any]] = {}
    for paid in payments:
        table.setdefault((paid["provider"], paid["day"]), {}).update(
            payments=paid["n"], collected=paid["total"], missing=paid["missing"]
        )
    for booked in lines:
        table.setdefault((booked["statement__provider"], booked["booked_on"]), {}).update(
            matched=booked["matched"], open=booked["open"]
        )
    result = []
    for (provider, day), row in sorted(table.items(), key=lambda item: (item[0][1], item[0][0])):
        covered = any(p == provider and f <= day <= t for p, f, t in covers)
        result.append(
            DayStatus(
                provider=provider,
                day=day,
                payments=row.get("payments", 0),
                collected=row.get("collected") or Decimal("0.00"),
                matched=row.get("matched", 0),
                open_lines=row.get("open", 0),
                missing=row.get("missing", 0) if covered else 0,
                covered=covered,
            )
        )
    return result

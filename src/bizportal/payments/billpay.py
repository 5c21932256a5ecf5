"""Counter and ATM bill payment: the pay-in slip's barcode and the bank's daily file.

A payer takes the printed pay-in slip to a bank counter (or an ATM, or a shop agent
of the bank); the teller scans its barcode, takes the money and the bank reports the
day's payments to the biller in one file the next morning. No callback arrives, so the
file is what settles the invoices: each row goes through the same
:func:`~.services.confirm_payment` as a provider's callback, which is idempotent on the
bank's transaction number, so a file imported twice pays nothing twice.

**Barcode.** Thai bill-payment slips carry a Code 128 barcode of exactly
``"|" + biller ID + CR + Ref1 + CR + Ref2 + CR + amount in satang`` (no decimal point;
``0`` when the payer may choose the amount). The CR (0x0D) is a control character,
which Code 128 encodes in its code set A; python-barcode switches sets as needed.

**Daily file.** Fixed-width records of :data:`RECORD_LENGTH` characters in TIS-620 (the
encoding Thai banks' files use), one header (``H``), one detail (``D``) per payment and
one trailer (``T``) with the count and the total; amounts in satang, dates
``DDMMYYYY`` (Gregorian), times ``HHMMSS`` (Asia/Bangkok). The layout is in
:data:`HEADER`, :data:`DETAIL` and :data:`TRAILER` and in docs/integrator-guide.md. A
file is checked completely before anything is settled; a defect refuses it whole.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bizportal.core import audit, authz

from .models import Invoice, PaymentEvent, PaymentFileImport
from .providers import CallbackData

RECORD_LENGTH = 256
ENCODING = "tis-620"
CR = "\r"

#: (field, width) in order; the rest of each record is blank filler.
HEADER = (
    ("record_type", 1),
    ("sequence", 6),
    ("bank_code", 3),
    ("biller_id", 15),
    ("biller_name", 40),
    ("file_date", 8),
)
DETAIL = (
    ("record_type", 1),
    ("sequence", 6),
    ("bank_code", 3),
    ("biller_id", 15),
    ("payment_date", 8),
    ("payment_time", 6),
    ("customer_name", 50),
    ("ref1", 20),
    ("ref2", 20),
    ("ref3", 20),
    ("branch", 4),
    ("teller", 4),
    ("kind", 1),
    ("channel", 3),
    ("journal_no", 12),
    ("amount", 13),
)
TRAILER = (
    ("record_type", 1),
    ("sequence", 6),
    ("bank_code", 3),
    ("biller_id", 15),
    ("total_count", 6),
    ("total_amount", 13),
)


class PaymentFileError(Exception):
    """The file is refused as a whole (nothing settled); the message is in the reader's language and
    names the line when there is one."""


# --- the slip's barcode -----------------------------------------------------------------


def satang(amount: Decimal) -> str:
    """The amount in satang without a decimal point: 1,000.50 THB is ``100050``."""
    return str(int((Decimal(amount) * 100).to_integral_value()))


def barcode_text(biller_id: str, ref1: str, ref2: str, amount: Decimal) -> str:
    """What the slip's Code 128 barcode encodes, as Thai bill payment defines it."""
    return f"|{biller_id}{CR}{ref1}{CR}{ref2}{CR}{satang(amount)}"


def invoice_barcode(invoice: Invoice) -> str:
    return barcode_text(settings.PAYMENT_BILLER_ID, invoice.ref1, invoice.ref2, invoice.amount)


def barcode_png(text: str) -> bytes:
    """The barcode as a 300 dpi PNG (bars 0.3 mm wide, 12 mm high, quiet zones kept),
    sharp enough for a counter's scanner once printed."""
    import barcode
    from barcode.writer import ImageWriter

    symbol = barcode.get("code128", text, writer=ImageWriter())
    output = io.BytesIO()
    symbol.write(
        output,
        options={
            "write_text": False,
            "dpi": 300,
            "module_width": 0.3,
            "module_height": 12.0,
            "quiet_zone": 6.0,
        },
    )
    return output.getvalue()


def barcode_data_uri(text: str) -> str:
    return "data:image/png;base64," + base64.b64encode(barcode_png(text)).decode("ascii")


def readable(text: str) -> str:
    """The barcode's content as printed under it: CR shown as a space."""
    return text.replace(CR, " ")


# --- the daily file: writing (the bank's side, kept beside the reader) ----------------------


def record(layout: tuple[tuple[str, int], ...], values: dict[str, str]) -> str:
    """One fixed-width record: text left-aligned, numbers (amount, counts, sequence)
    right-aligned with zeros, blank filler to :data:`RECORD_LENGTH`."""
    parts = []
    for name, width in layout:
        value = str(values.get(name, ""))
        if len(value) > width:
            raise ValueError(f"{name} is longer than {width}: {value!r}")
        numeric = name in ("sequence", "amount", "total_count", "total_amount")
        parts.append(value.rjust(width, "0") if numeric else value.ljust(width))
    return "".join(parts).ljust(RECORD_LENGTH)


# --- the daily file: reading -------------------------------------------------------------


@dataclass(frozen=True)
class FileRow:
    line: int
    text: str
    journal_no: str
    bank_code: str
    biller_id: str
    ref1: str
    ref2: str
    amount: Decimal
    paid_at: dt.datetime
    channel: str

    @property
    def txn_id(self) -> str:
        """The bank's transaction, unique across its files: bank, day, journal."""
        return f"BP{self.bank_code}{timezone.localtime(self.paid_at):%Y%m%d}{self.journal_no}"


@dataclass(frozen=True)
class PaymentFile:
    bank_code: str
    biller_id: str
    file_date: dt.date
    rows: list[FileRow]
    total: Decimal


def _fields(layout: tuple[tuple[str, int], ...], text: str) -> dict[str, str]:
    values, position = {}, 0
    for name, width in layout:
        values[name] = text[position : position + width].strip()
        position += width
    return values


def _date(value: str, where: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%d%m%Y").date()
    except ValueError:
        raise PaymentFileError(
            _("%(where)s: invalid date %(value)s (DDMMYYYY)")
            % {"where": where, "value": repr(value)}
        ) from None


def _satang(value: str, where: str) -> Decimal:
    if not value.isdigit():
        raise PaymentFileError(
            _("%(where)s: the amount %(value)s must be digits (satang)")
            % {"where": where, "value": repr(value)}
        )
    return Decimal(int(value)) / 100


def _lines(content: bytes) -> list[str]:
    try:
        text = content.decode(ENCODING)
    except UnicodeDecodeError as error:
        raise PaymentFileError(
            _("The file must be TIS-620 text (byte %(byte)s)") % {"byte": error.start}
        ) from None
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    for number, line in enumerate(lines, 1):
        if len(line) != RECORD_LENGTH:
            raise PaymentFileError(
                _("line %(number)s: %(length)s characters, records are %(expected)s")
                % {"number": number, "length": len(line), "expected": RECORD_LENGTH}
            )
    if len(lines) < 2 or lines[0][0] != "H" or lines[-1][0] != "T":
        raise PaymentFileError(
            _("The file must start with a header (H) record and end with a trailer (T)")
        )
    return lines


def _row(number: int, line: str, bank_code: str, biller_id: str) -> FileRow:
    where = _("line %(number)s") % {"number": number}
    if line[0] != "D":
        raise PaymentFileError(
            _("%(where)s: unknown record type %(type)s") % {"where": where, "type": repr(line[0])}
        )
    values = _fields(DETAIL, line)
    if values["bank_code"] != bank_code or values["biller_id"] != biller_id:
        raise PaymentFileError(
            _("%(where)s: bank or biller ID differs from the header") % {"where": where}
        )
    day = _date(values["payment_date"], f"{where} payment_date")
    try:
        moment = dt.datetime.strptime(values["payment_time"], "%H%M%S").time()
    except ValueError:
        raise PaymentFileError(
            _("%(where)s: invalid time %(value)s (HHMMSS)")
            % {"where": where, "value": repr(values["payment_time"])}
        ) from None
    if not values["journal_no"] or not values["ref1"]:
        raise PaymentFileError(_("%(where)s: missing journal_no or ref1") % {"where": where})
    return FileRow(
        line=number,
        text=line,
        journal_no=values["journal_no"],
        bank_code=bank_code,
        biller_id=biller_id,
        ref1=values["ref1"],
        ref2=values["ref2"],
        amount=_satang(values["amount"], f"{where} amount"),
        paid_at=timezone.make_aware(dt.datetime.combine(day, moment)),
        channel=values["channel"],
    )


def parse_file(content: bytes) -> PaymentFile:
    """Read and check the whole file, or raise :class:`PaymentFileError`."""
    lines = _lines(content)
    header, trailer = _fields(HEADER, lines[0]), _fields(TRAILER, lines[-1])
    if header["biller_id"] != settings.PAYMENT_BILLER_ID:
        raise PaymentFileError(
            _("This file is for biller %(biller)s, not ours") % {"biller": header["biller_id"]}
        )
    file_date = _date(header["file_date"], "H file_date")
    rows = [
        _row(number, line, header["bank_code"], header["biller_id"])
        for number, line in enumerate(lines[1:-1], 2)
    ]
    total = sum((row.amount for row in rows), Decimal("0.00"))
    if not trailer["total_count"].isdigit() or int(trailer["total_count"]) != len(rows):
        raise PaymentFileError(
            _("The trailer counts %(stated)s payments, the file has %(count)s")
            % {"stated": trailer["total_count"], "count": len(rows)}
        )
    if _satang(trailer["total_amount"], "T total_amount") != total:
        raise PaymentFileError(
            _("The trailer's total differs from the sum of the payments (%(total)s)")
            % {"total": f"{total:.2f}"}
        )
    return PaymentFile(header["bank_code"], header["biller_id"], file_date, rows, total)


# --- importing ------------------------------------------------------------------------------


@transaction.atomic
def import_file(
    content: bytes, *, filename: str, provider: str, actor: Any = None
) -> PaymentFileImport:
    """Settle every payment of a daily file through the callbacks' confirm path, in one
    transaction: the import record, each row's PaymentEvent and each paid invoice
    commit together or not at all. Importing a file again is safe: rows already
    settled come back as duplicates. Rows for an unknown invoice or a wrong amount are
    refused one by one (logged and audited) without stopping the others."""
    from . import services

    if actor is not None and not authz.allowed(actor, "payments.reconcile"):
        raise PaymentFileError(_("Finance officers only"))
    if len(content) > settings.PAYMENT_STATEMENT_MAX_BYTES:
        raise PaymentFileError(_("The file is larger than allowed"))
    parsed = parse_file(content)
    results: list[dict[str, str | int]] = []
    try:
        with transaction.atomic():
            for row in parsed.rows:
                outcome = services.confirm_payment(
                    provider,
                    CallbackData(
                        txn_id=row.txn_id,
                        biller_id=row.biller_id,
                        ref1=row.ref1,
                        ref2=row.ref2,
                        amount=row.amount,
                        currency="THB",
                        paid_at=row.paid_at,
                    ),
                    body=row.text.rstrip(),
                )
                results.append(
                    {
                        "line": row.line,
                        "txn_id": row.txn_id,
                        "ref1": row.ref1,
                        "ref2": row.ref2,
                        "amount": f"{row.amount:.2f}",
                        "outcome": str(outcome.outcome),
                        "detail": outcome.detail[:300],
                    }
                )
    except IntegrityError:
        raise PaymentFileError(
            _("The same payments were being settled at the same moment: please try again")
        ) from None
    counts: dict[str, int] = {}
    for result in results:
        outcome_name = str(result["outcome"])
        counts[outcome_name] = counts.get(outcome_name, 0) + 1
    imported = PaymentFileImport.objects.create(
        sha256=hashlib.sha256(content).hexdigest(),
        filename=filename[:200],
        provider=provider,
        bank_code=parsed.bank_code,
        file_date=parsed.file_date,
        rows=len(results),
        total=parsed.total,
        counts=counts,
        results=results,
        imported_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        "payment_file.imported",
        imported,
        actor=actor,
        actor_label="" if actor else "manage.py import_payment_file",
        filename=imported.filename,
        sha256=imported.sha256,
        rows=imported.rows,
        counts=counts,
    )
    return imported


def refused_rows(imported: PaymentFileImport) -> list[dict[str, Any]]:
    """Rows the import did not settle and that were not already settled: money the
    bank took for something we cannot match, for a finance officer to follow up."""
    settled = {PaymentEvent.Outcome.ACCEPTED, PaymentEvent.Outcome.DUPLICATE}
    return [row for row in imported.results if row.get("outcome") not in settled]


# --- the pay-in slip ------------------------------------------------------------------------


def render_slip(invoice: Invoice) -> bytes:
    """The pay-in slip PDF (Thai, Sarabun): who is paid, the references, the amount in
    figures and words, the barcode and the Thai QR. An invoice no longer awaiting
    payment gets its slip without either code and marked so, so it cannot be paid."""
    from bizportal.core.pdf import render_pdf
    from bizportal.core.thai import baht_text

    from . import thaiqr

    payable = invoice.status == Invoice.Status.PENDING
    text = invoice_barcode(invoice)
    payload = thaiqr.bill_payment_payload(
        settings.PAYMENT_BILLER_ID, invoice.ref1, invoice.ref2, invoice.amount
    )
    application = invoice.application
    party = application.party
    context = {
        "invoice": invoice,
        "application": application,
        "service": application.service,
        "agency": application.agency,
        "payer_name_th": party.name_th or str(party),
        "payer_name_en": party.name_en,
        "biller_id": settings.PAYMENT_BILLER_ID,
        "amount_text": baht_text(invoice.amount),
        "payable": payable,
        "barcode_uri": barcode_data_uri(text) if payable else "",
        "barcode_readable": readable(text),
        "qr_uri": thaiqr.qr_png_data_uri(payload) if payable else "",
    }
    return render_pdf("payments/slip_pdf.html", context)

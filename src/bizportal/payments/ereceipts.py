"""Electronic receipts an agency signs: data inside, a verify QR on the page, a check.

A receipt PDF is PDF/A-3b with ``receipt.json`` attached (the machine-readable copy,
named after the ETDA e-Tax Invoice & e-Receipt data standard, ขมธอ. 3-2560, as far as it
applies to a government fee receipt: document type T01 "ใบรับ", the exchanged document,
seller and buyer parties, line items, settlement and the referenced invoice), certified
by the agency's key exactly as licences are (PAdES B-LTA via
:func:`bizportal.licences.pdf.sign_agency_pdf`; a receipt is kept for years).

The QR leads to the public check of the receipt number. Receipt numbers are gap-free
and so guessable, and the payer is personal data: the number alone says only whether
such a receipt exists; with the code printed beside it (an HMAC of the number, so no
column is needed) the check also shows the amount, date and agency, never the payer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bizportal.core import safejson
from bizportal.licences import pdf as agency_pdf
from bizportal.licences.services import check_signature

from .models import Receipt, Refund

ATTACHMENT_NAME = "receipt.json"
#: ETDA e-Tax Invoice & e-Receipt document type code for a receipt (ใบรับ).
ETDA_RECEIPT_TYPE = "T01"
SIGNATURE_FIELD = "ReceiptSignature"
CODE_LENGTH = 10

ReceiptVerdict = Literal[
    "valid",
    "refunded",
    "partially_refunded",
    "tampered",
    "untrusted",
    "not_signed",
    "unreadable",
    "not_found",
]


def receipt_code(number: str) -> str:
    """The check code printed on the receipt and carried in its QR link."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"receipt:{number}".encode(), hashlib.sha256
    ).hexdigest()
    return digest[:CODE_LENGTH].upper()


def code_matches(number: str, code: str) -> bool:
    return hmac.compare_digest(receipt_code(number), (code or "").strip().upper())


def verify_url(receipt: Receipt) -> str:
    url = settings.BASE_URL + reverse("payments:receipt-verify-number", args=[receipt.number])
    return f"{url}?code={receipt_code(receipt.number)}"


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _buyer(receipt: Receipt) -> dict[str, Any]:
    """The payer: a company's juristic ID is public record; a person's ID is not
    needed on a fee receipt and is left out (PDPA minimisation)."""
    party = receipt.invoice.application.party
    buyer: dict[str, Any] = {"Name": party.name_th or str(party)}
    if party.name_en:
        buyer["NameEN"] = party.name_en
    if party.kind == party.Kind.JURISTIC:
        buyer["SpecifiedTaxRegistration"] = {"ID": party.key, "SchemeID": "TXID"}
    return buyer


def receipt_payload(receipt: Receipt) -> dict[str, Any]:
    """``receipt.json``: the receipt as data, in the ETDA standard's vocabulary."""
    invoice = receipt.invoice
    application = invoice.application
    agency = application.agency
    lines = invoice.lines or [{"item": application.service.name_th, "amount": invoice.amount}]
    return {
        "standard": "ETDA e-Tax Invoice & e-Receipt (ขมธอ. 3-2560), receipt subset",
        "ExchangedDocument": {
            "ID": receipt.number,
            "TypeCode": ETDA_RECEIPT_TYPE,
            "Name": "ใบเสร็จรับเงิน / Receipt",
            "IssueDateTime": timezone.localtime(receipt.issued_at).isoformat(),
            "GlobalID": verify_url(receipt),
        },
        "SellerTradeParty": {
            "Name": agency.name_th,
            "NameEN": agency.name_en,
            "ID": agency.code,
        },
        "BuyerTradeParty": _buyer(receipt),
        "IncludedSupplyChainTradeLineItem": [
            {
                "LineID": index,
                "Name": str(line.get("item", "")),
                "LineTotalAmount": _money(Decimal(str(line.get("amount", 0)))),
            }
            for index, line in enumerate(lines, start=1)
        ],
        "ApplicableHeaderTradeSettlement": {
            "InvoiceCurrencyCode": invoice.currency,
            "GrandTotalAmount": _money(invoice.amount),
            "TaxTotalAmount": "0.00",  # government fees carry no VAT
            "PaymentMeans": {
                "Provider": invoice.provider,
                "TransactionID": invoice.provider_txn_id or "",
                "PaidDateTime": timezone.localtime(invoice.paid_at).isoformat()
                if invoice.paid_at
                else None,
            },
        },
        "AdditionalReferencedDocument": [
            {"ID": invoice.number, "TypeCode": "invoice"},
            {"ID": application.reference or "", "TypeCode": "application"},
        ],
    }


def payload_attachment(receipt: Receipt) -> Any:
    from weasyprint import Attachment

    data = json.dumps(receipt_payload(receipt), ensure_ascii=False, sort_keys=True, indent=2)
    return Attachment(
        string=data.encode("utf-8"),
        name=ATTACHMENT_NAME,
        description="Receipt data / ข้อมูลใบเสร็จสำหรับเครื่อง",
        relationship="Data",
    )


def sign(pdf: bytes, receipt: Receipt) -> bytes:
    """Certify the receipt with the agency's key (B-LTA: a receipt has no end date)."""
    number = receipt.number
    return agency_pdf.sign_agency_pdf(
        pdf,
        receipt.invoice.application.agency,
        label=number,
        reason=_("Receipt %(number)s") % {"number": number},
        field_name=SIGNATURE_FIELD,
    )


def refunded_amount(receipt: Receipt) -> Decimal:
    total = Refund.objects.filter(
        invoice_id=receipt.invoice_id, state=Refund.State.COMPLETED
    ).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0")


def register_verdict(receipt: Receipt) -> ReceiptVerdict:
    """What the register says of a receipt: refunds completed against its invoice."""
    refunded = refunded_amount(receipt)
    if refunded <= 0:
        return "valid"
    return "refunded" if refunded >= receipt.invoice.amount else "partially_refunded"


@dataclass
class ReceiptVerification:
    """An uploaded receipt's check: the file's own failure first, else the register."""

    verdict: ReceiptVerdict
    facts: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] | None = None
    receipt: Receipt | None = None
    matches_record: bool = False

    @property
    def ok(self) -> bool:
        return self.verdict == "valid"


def verify_upload(data: bytes) -> ReceiptVerification:
    """Check an uploaded receipt PDF: the agency's signature (offline, from the file),
    then the ``receipt.json`` of the signed revision against the register."""
    checked = check_signature(data)
    if checked.outcome in ("unreadable", "not_signed", "tampered", "untrusted"):
        return ReceiptVerification(checked.outcome, checked.facts)  # type: ignore[arg-type]
    raw = agency_pdf.read_embedded_file_bytes(checked.signed_revision, ATTACHMENT_NAME)
    payload = _json_object(raw)
    number = ((payload or {}).get("ExchangedDocument") or {}).get("ID")
    receipt = (
        Receipt.objects.select_related("invoice__application__agency").filter(number=number).first()
        if isinstance(number, str)
        else None
    )
    if receipt is None:
        return ReceiptVerification("not_found", checked.facts, payload)
    return ReceiptVerification(
        register_verdict(receipt),
        checked.facts,
        payload,
        receipt,
        matches_record=receipt.sha256 == hashlib.sha256(data).hexdigest(),
    )


def _json_object(raw: bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = safejson.loads(raw)
    except Exception:  # malformed or over the size/depth bounds: no payload
        return None
    return value if isinstance(value, dict) else None

"""Signed e-receipts (issue 14 item 6, issue 10 item 7): PDF/A-3 with receipt.json in
the ETDA vocabulary, certified by the agency (PAdES, validated offline), a verify QR,
and a public check by number (status only without the code) and by upload."""

from __future__ import annotations

import io
import json
import subprocess
from decimal import Decimal
from shutil import which
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader

from bizportal.licences import pdf as agency_pdf
from bizportal.payments import ereceipts
from bizportal.payments.models import Invoice, Receipt, Refund
from bizportal.payments.services import render_receipt_pdf

from .conftest import PostCallback, bank_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def receipt(invoice: Invoice, post_callback: PostCallback) -> Receipt:
    assert post_callback(bank_notice(invoice)).status_code == 200
    return render_receipt_pdf(Receipt.objects.get(invoice=invoice))


def file_of(receipt: Receipt) -> bytes:
    with receipt.pdf.open("rb") as handle:
        return handle.read()


def upload(data: bytes, name: str = "receipt.pdf") -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, data, content_type="application/pdf")}


def test_the_receipt_is_signed_by_the_agency_and_carries_its_data(receipt: Receipt) -> None:
    data = file_of(receipt)
    checked = ereceipts.verify_upload(data)
    assert checked.verdict == "valid" and checked.ok and checked.matches_record
    assert checked.facts["level"] == "B-LTA"  # kept for years: archive time stamp
    agency = receipt.invoice.application.agency
    assert checked.facts["signer"] in (agency.name_en, agency.code)
    payload = json.loads(agency_pdf.read_embedded_file_bytes(data, "receipt.json") or b"{}")
    assert payload["ExchangedDocument"]["ID"] == receipt.number
    assert payload["ExchangedDocument"]["TypeCode"] == "T01"
    assert payload["ApplicableHeaderTradeSettlement"]["GrandTotalAmount"] == (
        f"{receipt.invoice.amount:.2f}"
    )
    assert payload["AdditionalReferencedDocument"][0]["ID"] == receipt.invoice.number
    reader = PdfFileReader(io.BytesIO(data))
    assert reader.input_version < (2, 0)


@pytest.mark.skipif(not which("pdftotext"), reason="poppler-utils not installed")
def test_the_page_shows_the_verify_link_and_code(receipt: Receipt, tmp_path: Any) -> None:
    path = tmp_path / "r.pdf"
    path.write_bytes(file_of(receipt))
    text = subprocess.run(
        [str(which("pdftotext")), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ereceipts.receipt_code(receipt.number) in text
    assert "ใบเสร็จรับเงิน" in text and "ลงลายมือชื่ออิเล็กทรอนิกส์" in text


def test_by_number_without_the_code_only_the_status_is_shown(
    receipt: Receipt, client: Client
) -> None:
    url = reverse("payments:receipt-verify-number", args=[receipt.number])
    bare = client.get(url).content.decode()
    assert 'data-verdict="valid"' in bare and f"{receipt.invoice.amount:,.2f}" not in bare
    wrong = client.get(url, {"code": "WRONG12345"}).content.decode()
    assert "does not match" in wrong or "ไม่ตรง" in wrong
    assert f"{receipt.invoice.amount:,.2f}" not in wrong
    coded = client.get(url, {"code": ereceipts.receipt_code(receipt.number)}).content.decode()
    assert f"{receipt.invoice.amount:,.2f}" in coded
    payer = receipt.invoice.application.party.name_th
    assert payer not in coded  # never the payer


def test_an_unknown_number_is_404(client: Client, db: None) -> None:
    answer = client.get(reverse("payments:receipt-verify-number", args=["RC-2569-999999"]))
    assert answer.status_code == 404 and 'data-verdict="not_found"' in answer.content.decode()


def test_upload_checks_the_signature_and_the_register(receipt: Receipt, client: Client) -> None:
    url = reverse("payments:receipt-verify")
    good = client.post(url, upload(file_of(receipt)))
    assert good.status_code == 200 and 'data-verdict="valid"' in good.content.decode()
    data = bytearray(file_of(receipt))
    position = data.index(b"stream\n", len(data) // 4) + 40
    data[position] ^= 0xFF
    tampered = client.post(url, upload(bytes(data)))
    assert 'data-verdict="tampered"' in tampered.content.decode()
    not_pdf = client.post(url, upload(b"MZ\x90\x00 not a pdf", "receipt.pdf"))
    assert not_pdf.status_code == 400
    assert "รับเฉพาะไฟล์ PDF" in not_pdf.content.decode()
    bad_number = client.get(url, {"number": "<script>"})
    assert bad_number.status_code == 400


def test_a_refund_shows_in_the_verdict(receipt: Receipt) -> None:
    invoice = receipt.invoice
    requester, approver = _finance_pair(invoice)
    Refund.objects.create(
        invoice=invoice,
        agency=invoice.application.agency,
        amount=Decimal("100.00"),
        reason_code=Refund._meta.get_field("reason_code").choices[0][0],  # type: ignore[index]
        note="ค่าธรรมเนียมซ้ำ",
        state=Refund.State.COMPLETED,
        number="RF-TEST-000001",
        requested_by=requester,
        decided_by=approver,
    )
    assert ereceipts.register_verdict(receipt) == "partially_refunded"
    assert ereceipts.verify_upload(file_of(receipt)).verdict == "partially_refunded"


def _finance_pair(invoice: Invoice) -> tuple[Any, Any]:
    from bizportal.identity.models import StaffRole
    from tests.factories import OfficerFactory

    agency = invoice.application.agency
    return (
        OfficerFactory(agency=agency, roles=[StaffRole.FINANCE]),
        OfficerFactory(agency=agency, roles=[StaffRole.FINANCE]),
    )

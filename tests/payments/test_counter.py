"""Counter and ATM bill payment: the pay-in slip's barcode decodes to exactly what Thai
bill payment defines, and the bank's daily file settles invoices through the callbacks'
confirm path: once, whatever is imported twice, refusing what does not match.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
import zxingcpp
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader
from pytest_django import Settings

from bizportal.applications.models import Application
from bizportal.core.models import AuditEvent
from bizportal.identity.models import StaffRole
from bizportal.payments import billpay, services
from bizportal.payments.contrib.sandbox import billpayfile, signing
from bizportal.payments.contrib.sandbox.models import CounterPayment
from bizportal.payments.models import (
    Invoice,
    PaymentEvent,
    PaymentFileImport,
    PaymentIssue,
    Receipt,
)
from bizportal.payments.providers import providers, refunding_provider
from tests import journeys
from tests.factories import OfficerFactory

from .test_pages import pdf_font_names

COUNTER = "/sandbox/bank/counter/"


def decoded(image: Image.Image) -> list[str]:
    return [
        result.text
        for result in zxingcpp.read_barcodes(image)
        if result.format == zxingcpp.BarcodeFormat.Code128
    ]


def expected_barcode(invoice: Invoice) -> str:
    return f"|{settings.PAYMENT_BILLER_ID}\r{invoice.ref1}\r{invoice.ref2}\r100000"


def test_the_barcode_text_is_the_thai_bill_payment_form() -> None:
    text = billpay.barcode_text(
        "099400016550101", "BP2569000001", "INV2569000001", Decimal("1000.5")
    )
    assert text == "|099400016550101\rBP2569000001\rINV2569000001\r100050"
    image = Image.open(io.BytesIO(billpay.barcode_png(text)))
    assert decoded(image) == [text]


def test_the_slip_pdf_carries_the_barcode_that_decodes_exactly(
    invoice: Invoice, owner_client: Client
) -> None:
    response = owner_client.get(reverse("payments:invoice-slip", args=[invoice.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert any("Sarabun" in name for name in pdf_font_names(response.content))
    page = PdfReader(io.BytesIO(response.content)).pages[0]
    found = [text for image in page.images for text in decoded(image.image)]
    assert found == [expected_barcode(invoice)]


def test_a_paid_invoices_slip_has_no_codes(
    invoice: Invoice, owner_client: Client, stranger_client: Client
) -> None:
    invoice.status = Invoice.Status.CANCELLED
    invoice.save(update_fields=["status"])
    response = owner_client.get(reverse("payments:invoice-slip", args=[invoice.public_id]))
    assert response.status_code == 200
    assert not list(PdfReader(io.BytesIO(response.content)).pages[0].images)
    url = reverse("payments:invoice-slip", args=[invoice.public_id])
    assert stranger_client.get(url).status_code == 404


def test_the_pay_page_offers_the_slip_and_the_counter(
    invoice: Invoice, owner_client: Client
) -> None:
    page = owner_client.get(
        reverse("payments:invoice", args=[invoice.public_id]), {"channel": "sandbox_counter"}
    )
    how = page.context["how"]
    assert how.slip_url == reverse("payments:invoice-slip", args=[invoice.public_id])
    assert how.pay_url.startswith(settings.PAYMENT_SANDBOX_URL + "/counter/?barcode=")
    assert how.slip_url in page.content.decode()
    assert refunding_provider("sandbox_counter") is None  # cash is refunded at the counter


def test_the_counter_channel_takes_no_callbacks(invoice: Invoice, client: Client) -> None:
    body = b'{"txn_id": "X"}'
    response = client.post(
        reverse("payments:callback", args=["sandbox_counter"]),
        body,
        content_type="application/json",
        HTTP_X_BIZPORTAL_SIGNATURE=signing.sign(body, settings.PAYMENT_WEBHOOK_SECRET),
    )
    assert response.status_code == 400 and "ไฟล์ประจำวันเท่านั้น" in response.json()["detail"]
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"


# --- the teller and the daily file ------------------------------------------------------------


def test_the_teller_reads_the_slip_and_takes_the_cash(invoice: Invoice, client: Client) -> None:
    barcode = billpay.invoice_barcode(invoice)
    shown = client.get(COUNTER, {"barcode": barcode.replace("\r", "\n")})
    assert shown.status_code == 200 and invoice.ref2 in shown.content.decode()
    assert not CounterPayment.objects.exists()
    taken = client.post(COUNTER, {"barcode": barcode, "customer": "Somchai"})
    assert taken.status_code == 200 and "counter-paid" in taken.content.decode()
    payment = CounterPayment.objects.get()
    assert (payment.ref1, payment.ref2, payment.amount) == (
        invoice.ref1,
        invoice.ref2,
        Decimal("1000.00"),
    )
    assert client.post(COUNTER, {"barcode": "|123\rX"}).status_code == 400
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"  # nothing until the file


def _day_file(client: Client) -> bytes:
    response = client.get(f"/sandbox/bank/billpay/{timezone.localdate():%Y-%m-%d}.txt")
    assert response.status_code == 200
    signing.verify(response[signing.HEADER], response.content, settings.PAYMENT_WEBHOOK_SECRET)
    return bytes(response.content)


def test_the_daily_file_settles_a_match_and_refuses_an_unknown_ref_and_a_wrong_amount(
    application: Application, invoice: Invoice, client: Client
) -> None:
    barcode = billpay.invoice_barcode(invoice)
    billpayfile.take_cash(barcode, amount=Decimal("900.00"))  # the teller took too little
    billpayfile.take_cash(barcode)
    billpayfile.take_cash(
        billpay.barcode_text(settings.PAYMENT_BILLER_ID, "NOSUCHREF", "NOSUCHINV", Decimal("50"))
    )
    content = _day_file(client)
    lines = content.decode(billpay.ENCODING).split("\r\n")
    assert [len(line) for line in lines if line] == [billpay.RECORD_LENGTH] * 5

    imported = billpay.import_file(content, filename="billpay.txt", provider="sandbox_counter")
    assert imported.counts == {"wrong_amount": 1, "accepted": 1, "unknown_invoice": 1}
    assert [row["outcome"] for row in billpay.refused_rows(imported)] == [
        "wrong_amount",
        "unknown_invoice",
    ]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.provider) == ("paid", "sandbox_counter")
    assert invoice.provider_txn_id and invoice.provider_txn_id.startswith("BP999")
    assert Receipt.objects.filter(invoice=invoice).exists()
    application.refresh_from_db()
    assert application.history.filter(step_type="payment", action="paid").exists()
    assert AuditEvent.objects.filter(action="payment_file.imported").count() == 1

    # The same file again: idempotent, nothing paid twice.
    again = billpay.import_file(content, filename="billpay.txt", provider="sandbox_counter")
    # The short payment was flagged for refund the first time; it is not flagged again.
    assert again.counts == {"duplicate": 2, "unknown_invoice": 1}
    assert [row["outcome"] for row in billpay.refused_rows(again)] == ["unknown_invoice"]
    assert PaymentIssue.objects.filter(invoice=invoice, kind="wrong_amount").count() == 1
    assert Receipt.objects.filter(invoice=invoice).count() == 1
    assert PaymentFileImport.objects.count() == 2
    assert PaymentEvent.objects.filter(outcome="accepted").count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda text: text.replace(settings.PAYMENT_BILLER_ID, "099999999999999"), "ไม่ใช่ของระบบนี้"),
        (lambda text: text[:-3] + "\r\n", "ยาว 255 ตัวอักษร ต้องเป็น 256"),
        (lambda text: text.replace("\r\nT", "\r\nX"), "จบด้วยระเบียน T"),
    ],
)
def test_a_defective_file_is_refused_whole(
    invoice: Invoice, client: Client, change: Any, message: str
) -> None:
    billpayfile.take_cash(billpay.invoice_barcode(invoice))
    text = _day_file(client).decode(billpay.ENCODING)
    with pytest.raises(billpay.PaymentFileError, match=message):
        billpay.import_file(
            change(text).encode(billpay.ENCODING), filename="x.txt", provider="sandbox_counter"
        )
    assert Invoice.objects.get(pk=invoice.pk).status == "pending"
    assert not PaymentFileImport.objects.exists() and not PaymentEvent.objects.exists()


def test_a_trailer_that_does_not_add_up_is_refused(invoice: Invoice) -> None:
    billpayfile.take_cash(billpay.invoice_barcode(invoice))
    text = billpayfile.daily_file(timezone.localdate()).decode(billpay.ENCODING)
    lines = text.split("\r\n")
    trailer = lines[-2]
    lines[-2] = trailer[:31] + "0000000000001" + trailer[44:]
    with pytest.raises(billpay.PaymentFileError, match="trailer's total differs"):
        billpay.parse_file("\r\n".join(lines).encode(billpay.ENCODING))


def test_the_back_office_upload_settles_and_lists_what_it_refused(
    invoice: Invoice, client: Client, tmp_path: Any
) -> None:
    billpayfile.take_cash(billpay.invoice_barcode(invoice))
    billpayfile.take_cash(
        billpay.barcode_text(settings.PAYMENT_BILLER_ID, "NOSUCHREF", "NOSUCHINV", Decimal("50"))
    )
    content = _day_file(client)
    finance = OfficerFactory(agency=invoice.application.agency, roles=[StaffRole.FINANCE])
    officer = Client()
    officer.force_login(finance)
    url = reverse("backoffice:finance-payment-files")
    upload = io.BytesIO(content)
    upload.name = "billpay.txt"
    response = officer.post(url, {"file": upload, "provider": "sandbox_counter"})
    assert response.status_code == 302
    page = officer.get(url).content.decode()
    assert 'data-outcome="unknown_invoice"' in page and "NOSUCHREF" in page
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    bad = io.BytesIO(b"not a file")
    bad.name = "x.txt"
    refused = officer.post(url, {"file": bad, "provider": "sandbox_counter"})
    assert refused.status_code == 400
    wrong_channel = io.BytesIO(content)
    wrong_channel.name = "billpay.txt"
    assert officer.post(url, {"file": wrong_channel, "provider": "sandbox"}).status_code == 400
    # The command reads a saved file the same way (idempotent: a duplicate now).
    path = tmp_path / "billpay.txt"
    path.write_bytes(content)
    out = io.StringIO()
    call_command("import_payment_file", str(path), stdout=out)
    assert "duplicate 1" in out.getvalue() and "unknown_invoice" in out.getvalue()


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_the_morning_fetch_checks_the_banks_signature_then_settles(
    live_server: Any, settings: Settings
) -> None:
    settings.BASE_URL = live_server.url
    settings.PAYMENT_SANDBOX_URL = live_server.url + "/sandbox/bank"
    application = journeys.approve_everything(journeys.submitted())
    invoice = Invoice.objects.get(application=application, status="pending")
    services.instruction(invoice, channel="sandbox_counter")
    billpayfile.take_cash(billpay.invoice_barcode(invoice))
    today = f"{timezone.localdate():%Y-%m-%d}"
    provider: Any = providers["sandbox_counter"]
    good = provider.fetch_daily_file(dt.date.fromisoformat(today))
    assert good.startswith(b"H")
    # A file whose signature is not the bank's (a key mismatch) is refused unread.
    with mock.patch("bizportal.payments.contrib.sandbox.counter.settings") as ours:
        ours.PAYMENT_SANDBOX_URL = settings.PAYMENT_SANDBOX_URL
        ours.PAYMENT_WEBHOOK_SECRET = "not-the-bank"
        with pytest.raises(CommandError, match="signature is not the bank"):
            call_command("import_payment_file", "--fetch", today)
    out = io.StringIO()
    call_command("import_payment_file", "--fetch", today, stdout=out)
    assert "accepted 1" in out.getvalue()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.provider) == ("paid", "sandbox_counter")

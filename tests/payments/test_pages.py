"""Invoice page, receipt PDF and the invoice API: for the applicant's eyes only."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader

from bizportal.core.models import AuditEvent
from bizportal.payments import thaiqr
from bizportal.payments.models import Invoice, Receipt, ServicePaymentOptions
from bizportal.payments.services import receipt_context, render_receipt_pdf

from .conftest import FOOD_SHOP_FEE, FOOD_SHOP_FEE_IN_WORDS, TXN_ID, PostCallback, bank_notice


def pdf_font_names(content: bytes) -> set[str]:
    """The /BaseFont of every font used on every page (the raw file is compressed)."""
    reader = PdfFileReader(io.BytesIO(content))
    names: set[str] = set()
    for kid in reader.root["/Pages"]["/Kids"]:
        resources = kid.get_object()["/Resources"]
        fonts = resources["/Font"] if "/Font" in resources else {}  # noqa: SIM401 (pyhanko .get does not dereference)
        names.update(str(fonts[key]["/BaseFont"]) for key in fonts)
    return names


def pay(invoice: Invoice, post_callback: PostCallback) -> Receipt:
    """The bank's signed notice; the receipt exists at once, its PDF is not yet rendered."""
    response = post_callback(bank_notice(invoice))
    assert response.status_code == 200, response.content
    return Receipt.objects.get(invoice=invoice)


def test_the_applicant_sees_the_qr_code_and_how_to_pay(
    invoice: Invoice, owner_client: Client
) -> None:
    response = owner_client.get(reverse("payments:invoice", args=[invoice.public_id]))
    assert response.status_code == 200
    page = response.content.decode()
    payload = response.context["how"].qr_payload
    assert thaiqr.read_bill_payment(payload).ref2 == invoice.ref2
    assert payload in page and "<svg" in page
    assert "1,000.00" in page and FOOD_SHOP_FEE_IN_WORDS in page
    assert invoice.ref1 in page and invoice.ref2 in page
    assert "/sandbox/bank/?payload=" in page
    assert "/payments/receipts/" not in page  # no receipt before payment


def test_other_people_get_not_found_and_strangers_are_sent_to_sign_in(
    invoice: Invoice, stranger_client: Client, client: Client
) -> None:
    url = reverse("payments:invoice", args=[invoice.public_id])
    assert stranger_client.get(url).status_code == 404
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and reverse("identity:login") in anonymous["Location"]


def test_once_paid_the_page_links_the_receipt_and_the_pdf_has_sarabun(
    invoice: Invoice, owner_client: Client, post_callback: PostCallback
) -> None:
    receipt = pay(invoice, post_callback)
    page = owner_client.get(reverse("payments:invoice", args=[invoice.public_id])).content.decode()
    pdf_url = reverse("payments:receipt-pdf", args=[receipt.public_id])
    assert pdf_url in page and "000201" not in page  # no QR once paid
    response = owner_client.get(pdf_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF-")
    assert any("Sarabun" in name for name in pdf_font_names(content))
    receipt.refresh_from_db()
    assert hashlib.sha256(content).hexdigest() == receipt.sha256
    assert AuditEvent.objects.filter(
        action="receipt.downloaded", object_id=str(receipt.public_id)
    ).exists()


def test_the_receipt_says_what_was_paid_for(invoice: Invoice, post_callback: PostCallback) -> None:
    receipt = pay(invoice, post_callback)
    html = render_to_string("payments/receipt_pdf.html", receipt_context(receipt))
    application = invoice.application
    for expected in (
        receipt.number,
        application.applicant.full_name_th,
        application.agency.name_th,
        application.service.name_th,
        application.reference,
        "1,000.00",
        FOOD_SHOP_FEE_IN_WORDS,
        invoice.ref1,
        invoice.ref2,
        TXN_ID,
        "Received from",
        "Amount in words",
    ):
        assert expected in html
    invoice.refresh_from_db()
    paid = timezone.localtime(invoice.paid_at)
    assert f"{paid.day} " in html and f" {paid.year + 543} " in html  # Buddhist-era year


def test_rendering_twice_keeps_the_first_pdf(invoice: Invoice, post_callback: PostCallback) -> None:
    receipt = render_receipt_pdf(pay(invoice, post_callback))
    again = render_receipt_pdf(receipt)
    assert (again.pdf.name, again.sha256) == (receipt.pdf.name, receipt.sha256)


def test_other_people_cannot_download_the_receipt(
    invoice: Invoice, post_callback: PostCallback, stranger_client: Client
) -> None:
    receipt = pay(invoice, post_callback)
    assert (
        stranger_client.get(reverse("payments:receipt-pdf", args=[receipt.public_id])).status_code
        == 404
    )


def test_the_api_gives_the_owner_the_qr_payload(invoice: Invoice, owner_client: Client) -> None:
    response = owner_client.get(f"/api/v1/payments/invoices/{invoice.public_id}/")
    assert response.status_code == 200
    body = response.json()
    assert (
        body["number"] == invoice.number
        and body["amount"] == FOOD_SHOP_FEE
        and body["status"] == "pending"
    )
    assert thaiqr.read_bill_payment(body["qr_payload"]).ref1 == invoice.ref1
    assert body["receipt"] is None


def test_the_api_lists_every_channel_the_service_accepts(
    invoice: Invoice, owner_client: Client, settings: Any
) -> None:
    settings.PAYMENT_PROVIDERS = ("sandbox", "sandbox_promptpay", "sandbox_card")
    settings.PAYMENT_CARD_SECRET = "card-secret-for-tests"
    body = owner_client.get(f"/api/v1/payments/invoices/{invoice.public_id}/").json()
    channels = {row["channel"]: row for row in body["channels"]}
    assert list(channels) == ["sandbox", "sandbox_promptpay", "sandbox_card"]
    assert channels["sandbox"]["qr_payload"] == body["qr_payload"]
    assert "A000000677010111" in channels["sandbox_promptpay"]["qr_payload"]
    assert channels["sandbox_card"]["pay_url"].startswith(settings.PAYMENT_CARD_URL)
    # A service that takes the card only offers the card.
    ServicePaymentOptions.objects.create(
        service=invoice.application.service, channels=["sandbox_card"]
    )
    body = owner_client.get(f"/api/v1/payments/invoices/{invoice.public_id}/").json()
    assert [row["channel"] for row in body["channels"]] == ["sandbox_card"]


def test_the_api_shows_the_receipt_once_paid(
    invoice: Invoice, owner_client: Client, post_callback: PostCallback
) -> None:
    receipt = pay(invoice, post_callback)
    body = owner_client.get(f"/api/v1/payments/invoices/{invoice.public_id}/").json()
    assert body["status"] == "paid" and body["qr_payload"] is None
    assert body["receipt"]["number"] == receipt.number
    assert body["receipt"]["pdf_url"] == reverse("payments:receipt-pdf", args=[receipt.public_id])


def test_the_api_hides_invoices_from_others(
    invoice: Invoice, stranger_client: Client, client: Client
) -> None:
    url = f"/api/v1/payments/invoices/{invoice.public_id}/"
    response = stranger_client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert client.get(url).status_code in {401, 403}


@pytest.mark.django_db
def test_an_invoice_of_several_fee_lines_lists_them_on_the_page_and_in_the_api(
    client: Client,
) -> None:
    """A late renewal: the licence fee and the late surcharge, each on its own line."""
    import datetime as dt

    from bizportal.applications.models import Kind
    from bizportal.licences.models import Licence
    from tests.journeys import approve_everything, issued_licence, submitted

    licence = issued_licence()
    Licence.objects.filter(pk=licence.pk).update(
        valid_until=timezone.localdate() - dt.timedelta(days=3)
    )
    licence.refresh_from_db()
    renewal = approve_everything(submitted(kind=Kind.RENEW, licence=licence))
    invoice = Invoice.objects.get(application=renewal)
    client.force_login(renewal.applicant)
    page = client.get(reverse("payments:invoice", args=[invoice.public_id])).content.decode()
    assert page.count("<li>") >= 2 and "1,200.00" in page
    body = client.get(f"/api/v1/payments/invoices/{invoice.public_id}/").json()
    assert [line["amount"] for line in body["lines"]] == ["1000.00", "200.00"]

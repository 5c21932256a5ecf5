"""The real hand-over between applications and payments, nothing mocked.

Approving the application raises the invoice (fee from the service's DMN table);
the bank's signed notice pays it, ``record_payment`` moves the application on and
the licence is issued after commit, alongside the receipt.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bizportal.applications import services as applications
from bizportal.payments.models import Invoice, Receipt
from tests.factories import (
    ApplicantFactory,
    OfficerFactory,
    ServiceFactory,
    valid_food_shop_answers,
)

from .conftest import PostCallback, bank_notice

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.django_db
def test_approval_invoices_and_payment_leads_to_the_licence(
    post_callback: PostCallback, django_capture_on_commit_callbacks
) -> None:
    service = ServiceFactory()
    applicant = ApplicantFactory()
    application = applications.start_application(service, applicant)
    applications.save_answers(application, valid_food_shop_answers(applicant), actor=applicant)
    for document in service.documents.all():
        upload = SimpleUploadedFile(f"{document.code}.pdf", PDF)
        applications.attach_document(application, document.code, upload, actor=applicant)
    applications.submit(application, actor=applicant, accept_terms=True)
    officer = OfficerFactory(agency=service.agency)
    for _ in range(3):  # review, then premises inspection when the process asks for it
        application.refresh_from_db()
        if application.status == "approved":
            break
        applications.approve(application, officer=officer)

    invoice = Invoice.objects.get(application=application)
    assert invoice.status == "pending" and invoice.amount > 0
    assert invoice.ref1 == application.reference.replace("-", "")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_callback(bank_notice(invoice))
    assert response.json()["status"] == "paid"
    application.refresh_from_db()
    assert application.status == "issued"
    assert Receipt.objects.get(invoice=invoice).sha256

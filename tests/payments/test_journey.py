"""The real hand-over between applications and payments, nothing mocked.

The officer's approval reaches the payment step, which quotes the service's fee table
and raises the invoice; the bank's signed notice pays it and completes the step; after
commit the outbox renders the receipt and the system issues the licence.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from bizportal.applications.models import Status
from bizportal.payments.models import Invoice, Receipt
from tests.journeys import approve_everything, submitted

from .conftest import FOOD_SHOP_FEE, PostCallback, bank_notice


@pytest.mark.django_db
def test_approval_invoices_and_payment_leads_to_the_licence(
    post_callback: PostCallback, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    application = submitted()
    assert application.status == Status.REVIEW
    assert not Invoice.objects.exists()

    application = approve_everything(application)
    assert application.status == Status.AWAITING_PAYMENT
    assert application.current_step == "ชำระค่าธรรมเนียม / Pay the fee"
    invoice = Invoice.objects.get(application=application)
    assert (invoice.status, f"{invoice.amount:.2f}") == ("pending", FOOD_SHOP_FEE)
    assert application.reference is not None
    assert invoice.ref1 == application.reference.replace("-", "")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_callback(bank_notice(invoice))
        application.refresh_from_db()
        assert application.status == Status.ISSUING
    assert response.json()["status"] == "paid"
    application.refresh_from_db()
    assert application.status == Status.ISSUED
    assert application.licence is not None
    assert application.licence.versions.get().application_reference == application.reference
    assert Receipt.objects.get(invoice=invoice).sha256
    assert list(application.history.values_list("step_type", "action", "to_status")) == [
        ("applicant-data", "submit", Status.REVIEW),
        ("officer-review", "approve", Status.AWAITING_PAYMENT),
        ("payment", "paid", Status.ISSUING),
        ("issue-licence", "issued", Status.ISSUED),
    ]


@pytest.mark.django_db
def test_the_applicant_follows_the_invoice_from_the_application(client: Client) -> None:
    application = approve_everything(submitted())
    invoice = Invoice.objects.get(application=application)
    client.force_login(application.applicant)
    page = client.get(reverse("portal:application", args=[application.public_id]))
    assert page.status_code == 200
    assert reverse("payments:invoice", args=[invoice.public_id]) in page.content.decode()

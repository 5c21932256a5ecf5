"""Fixtures for payments: an application the real journey left awaiting its fee, the
invoice its approval raised, and callbacks signed the way the bank signs them.

Nothing here is written by hand: the application is started, filled in, submitted and
approved through the services (``tests.journeys``), so the invoice is the one the
payment step raised from the fee table, and paying it has a process to move on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from bizportal.applications import services as applications
from bizportal.applications.models import Application, Status
from bizportal.payments.contrib.sandbox import signing
from bizportal.payments.models import Invoice, Receipt
from tests.factories import ApplicantFactory
from tests.journeys import approve_everything, submitted

#: The food-shop answers of the journeys say 120 m²: the fee table's middle band.
FOOD_SHOP_FEE = "1000.00"
FOOD_SHOP_FEE_IN_WORDS = "หนึ่งพันบาทถ้วน"
FOOD_SHOP_FEE_ITEM = "ค่าธรรมเนียมใบอนุญาตสถานที่จำหน่ายอาหาร / Food shop licence fee"
TXN_ID = "SBX20260101AAAAAAAAAAAA"


@pytest.fixture(autouse=True)
def english_outside_requests() -> Any:
    """Services, parsers and providers called directly (outside a request) speak English
    here, so their tests assert the English msgid; pages reached through the test client
    still answer in Thai (the locale middleware picks the request's language), and a test
    of Thai output outside a request says ``translation.override("th")``."""
    with translation.override("en"):
        yield


@pytest.fixture
def application(db: None) -> Application:
    """A food-shop application the officer approved: awaiting its fee, invoice raised."""
    application = approve_everything(submitted())
    assert application.status == Status.AWAITING_PAYMENT
    return application


@pytest.fixture
def invoice(application: Application) -> Invoice:
    """The invoice the approval raised (the payment step quoted the fee table)."""
    return Invoice.objects.get(application=application, status=Invoice.Status.PENDING)


@pytest.fixture
def owner_client(client: Client, application: Application) -> Client:
    client.force_login(application.applicant)
    return client


@pytest.fixture
def stranger_client(db: None) -> Client:
    other = Client()
    other.force_login(ApplicantFactory())
    return other


def bank_notice(invoice: Invoice, **changes: Any) -> dict[str, str]:
    """The body the sandbox bank sends for a payment of ``invoice``."""
    body = {
        "txn_id": TXN_ID,
        "biller_id": settings.PAYMENT_BILLER_ID,
        "ref1": invoice.ref1,
        "ref2": invoice.ref2,
        "amount": f"{invoice.amount:.2f}",
        "currency": "THB",
        "paid_at": timezone.now().isoformat(),
    }
    body.update(changes)
    return body


def money_state(invoice: Invoice) -> dict[str, Any]:
    """Everything a callback may change, read fresh from the database: the invoice, its
    receipt, and where the application and its process stand.

    A refused callback must leave all of it exactly as it was, so tests compare this
    before and after rather than checking one field.
    """
    invoice = Invoice.objects.get(pk=invoice.pk)
    application = Application.objects.get(pk=invoice.application_id)
    return {
        "invoice": (invoice.status, invoice.provider, invoice.provider_txn_id, invoice.paid_at),
        "receipts": list(Receipt.objects.filter(invoice=invoice).values_list("number", flat=True)),
        "application": (application.status, application.current_step, application.licence_id),
        "waiting_at": [step.spec.id for step in applications.ready_steps(application)],
        "history": list(application.history.values_list("step", "action", "to_status")),
    }


PostCallback = Callable[..., Any]


@pytest.fixture
def post_callback(client: Client) -> PostCallback:
    """POST a callback signed like the bank does (or not, when told otherwise)."""

    def post(
        body: dict[str, Any] | bytes,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        header: str | None = None,
    ) -> Any:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        if header is None:
            header = signing.sign(
                raw, secret or settings.PAYMENT_WEBHOOK_SECRET, timestamp=timestamp
            )
        extra = {"HTTP_X_BIZPORTAL_SIGNATURE": header} if header else {}
        return client.post(
            reverse("payments:callback", args=["sandbox"]),
            raw,
            content_type="application/json",
            **extra,
        )

    return post

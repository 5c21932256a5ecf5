"""Fixtures for payments: an approved application with an invoice, and signed callbacks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bizportal.applications.models import Application
from bizportal.payments import services
from bizportal.payments.contrib.sandbox import signing
from bizportal.payments.models import Invoice
from tests.factories import ApplicantFactory, ApplicationFactory

CALLBACK = "/payments/callback/sandbox/"


@pytest.fixture
def application(db: None) -> Application:
    """An application the officer has approved, awaiting its fee."""
    return ApplicationFactory(submitted=True, status="approved")


@pytest.fixture
def invoice(application: Application) -> Invoice:
    return services.raise_invoice(application, Decimal("500"), actor=None)


@pytest.fixture
def owner_client(client: Client, application: Application) -> Client:
    client.force_login(application.applicant)
    return client


@pytest.fixture
def stranger_client(db: None) -> Client:
    other = Client()
    other.force_login(ApplicantFactory())
    return other


@pytest.fixture
def record_payment() -> Iterator[mock.MagicMock]:
    """applications.services.record_payment moves the application on (tested by that
    app and end to end); here we only check payments calls it, once, with the invoice."""
    with mock.patch("bizportal.applications.services.record_payment") as patched:
        yield patched


def bank_notice(invoice: Invoice, **changes: Any) -> dict[str, str]:
    """The body the sandbox bank sends for a payment of ``invoice``."""
    body = {
        "txn_id": "SBX20260101AAAAAAAAAAAA",
        "biller_id": settings.PAYMENT_BILLER_ID,
        "ref1": invoice.ref1,
        "ref2": invoice.ref2,
        "amount": f"{invoice.amount:.2f}",
        "currency": "THB",
        "paid_at": timezone.now().isoformat(),
    }
    body.update(changes)
    return body


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

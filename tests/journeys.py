"""Build applications in a given state by walking the real journey through the services.

Tests read as states ("a submitted application", "an issued licence"), and every state
is reached the way a person reaches it: draft, answers, documents, submit, officer
actions, the bank's confirmation, the system's steps. No row is written by hand, so
every database rule and every event holds.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from bizportal.applications import services
from bizportal.applications.models import Application, Kind, Status
from bizportal.catalog.models import Service
from bizportal.identity.models import Party, StaffRole, User
from bizportal.licences.models import Licence
from bizportal.payments.models import Invoice
from bizportal.payments.providers import CallbackData
from bizportal.payments.services import confirm_payment
from tests.factories import (
    ApplicantFactory,
    OfficerFactory,
    ServiceFactory,
    valid_food_shop_answers,
)

_txn = itertools.count(1)


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, format="PDF")
    return buffer.getvalue()


def pdf_upload(name: str = "document.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def start(
    service: Service | None = None,
    applicant: User | None = None,
    *,
    kind: str = Kind.NEW,
    licence: Licence | None = None,
    party: Party | None = None,
) -> Application:
    service = service or (licence.service if licence else ServiceFactory())
    applicant = applicant or (licence.account if licence else ApplicantFactory())
    if party is None and licence is not None:
        party = Party.objects.get(key=licence.holder_id)
    return services.start_application(service, applicant, kind=kind, licence=licence, party=party)


def fill(application: Application, answers: dict[str, Any] | None = None) -> Application:
    """Answer the form (food-shop answers by default, kept from the licence on a change)
    and attach every document the answers require."""
    applicant = application.applicant
    if answers is None:
        if application.kind == Kind.CANCEL:
            answers = {"reason": "เลิกกิจการ / business closed", "confirm": True}
        elif application.kind == Kind.NEW:
            answers = valid_food_shop_answers(applicant)
        else:
            answers = dict(application.data)
    services.save_answers(application, answers, actor=applicant)
    application.refresh_from_db()
    for document in services.bundle_of(application).documents:
        if document.is_required_for(application.data):
            services.attach_document(application, document.code, pdf_upload(), actor=applicant)
    return application


def submitted(
    service: Service | None = None,
    applicant: User | None = None,
    *,
    answers: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Application:
    application = fill(start(service, applicant, **kwargs), answers)
    return services.submit(application, actor=application.applicant, accept_terms=True)


def officer_of(application: Application) -> User:
    """A supervisor of the application's agency: they may act on every officer step,
    the head-of-section sign-off included."""
    officer = User.objects.filter(
        groups__name=StaffRole.AGENCY_SUPERVISOR, agency=application.agency
    ).first()
    return officer or OfficerFactory(agency=application.agency, roles=[StaffRole.AGENCY_SUPERVISOR])


def approve_everything(application: Application, officer: User | None = None) -> Application:
    """Take every officer step the positive way (approve; schedule and pass inspections)
    until the process waits for someone other than an officer."""
    officer = officer or officer_of(application)
    for _ in range(20):
        offered = services.actions_for(application, officer)
        if not offered:
            return application
        item = offered[0]
        ids = [action.id for action in item.actions]
        if "schedule" in ids:
            services.decide(
                application,
                officer=officer,
                action="schedule",
                step=item.step.task_id,
                values={"scheduled_for": (timezone.now() + dt.timedelta(days=2)).isoformat()},
            )
            action = "pass"
        else:
            action = "approve"
        application = services.decide(
            application, officer=officer, action=action, step=item.step.task_id
        )
    raise AssertionError("the officer steps never ended")


def pay(application: Application) -> Application:
    """The bank confirms the open invoice, as the signed callback would."""
    invoice = Invoice.objects.get(application=application, status=Invoice.Status.PENDING)
    result = confirm_payment(
        "sandbox",
        CallbackData(
            txn_id=f"TEST{next(_txn):012d}",
            biller_id=settings.PAYMENT_BILLER_ID,
            ref1=invoice.ref1,
            ref2=invoice.ref2,
            amount=invoice.amount,
            currency=invoice.currency,
            paid_at=timezone.now(),
        ),
        body="{}",
    )
    assert result.ok, result.detail
    application.refresh_from_db()
    return application


def run_system_steps(application: Application) -> Application:
    """What the outbox does after commit: the system's steps (issue the licence)."""
    return services.perform_system_steps(application)


def decided(application: Application) -> Application:
    """Approve, pay if there is a fee, and let the system finish."""
    application = approve_everything(application)
    if application.status == Status.AWAITING_PAYMENT:
        application = pay(application)
    return run_system_steps(application)


def issued(
    service: Service | None = None, applicant: User | None = None, **kwargs: Any
) -> Application:
    application = decided(submitted(service, applicant, **kwargs))
    assert application.status == Status.ISSUED, application.status
    return application


def issued_licence(service: Service | None = None, applicant: User | None = None) -> Licence:
    licence = issued(service, applicant).licence
    assert licence is not None
    return licence

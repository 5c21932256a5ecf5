"""The application's life, through the services layer only.

Every step is checked for what it writes together: status, history, audit, process.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from bizportal.applications import services
from bizportal.applications.models import Application, Status
from bizportal.core.models import AuditEvent
from bizportal.payments.services import invoice_for
from bizportal.workflow.services import TaskNotReady, ready_tasks
from tests.applications.conftest import pdf_bytes


def draft_with_everything(service, applicant, answers) -> Application:
    application = services.start_application(service, applicant)
    services.save_answers(application, answers, actor=applicant)
    services.attach_document(
        application, "floor_plan", SimpleUploadedFile("plan.pdf", pdf_bytes()), actor=applicant
    )
    return application


def test_a_draft_is_prefilled_from_digital_id_and_the_registry(service, applicant) -> None:
    application = services.start_application(service, applicant)
    assert application.status == Status.DRAFT
    assert application.data["applicant_name"] == applicant.full_name_th
    assert application.data["applicant_citizen_id"] == applicant.citizen_id
    assert "พญาไท" in application.data["applicant_address"]
    assert application.reference is None


def test_prefilled_identity_fields_cannot_be_overwritten(service, applicant, answers) -> None:
    application = services.start_application(service, applicant)
    services.save_answers(
        application, {**answers, "applicant_citizen_id": "1111111111119"}, actor=applicant
    )
    application.refresh_from_db()
    assert application.data["applicant_citizen_id"] == applicant.citizen_id


def test_a_low_assurance_identity_cannot_start_a_service_that_needs_more(
    service, applicant
) -> None:
    applicant.identity_assurance = "1.1"
    applicant.save()
    with pytest.raises(services.ApplicationError, match="IAL"):
        services.start_application(service, applicant)


def test_submitting_gives_a_reference_starts_the_process_and_records_everything(
    service, applicant, answers, mailoutbox
) -> None:
    application = draft_with_everything(service, applicant, answers)
    services.submit(application, actor=applicant, accept_terms=True)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert application.reference.startswith("BP-25")
    assert application.terms_accepted_at is not None
    assert ready_tasks(application) == ["review"]
    assert list(application.history.values_list("from_status", "to_status")) == [
        ("draft", "submitted")
    ]
    assert AuditEvent.objects.filter(
        action="application.submitted", object_id=str(application.public_id)
    ).exists()


def test_an_incomplete_submission_lists_every_problem_and_stays_a_draft(
    service, applicant, answers
) -> None:
    application = services.start_application(service, applicant)
    services.save_answers(
        application,
        {**answers, "manager_citizen_id": "1234567890123", "business_name": ""},
        actor=applicant,
    )
    with pytest.raises(services.SubmissionErrors) as caught:
        services.submit(application, actor=applicant, accept_terms=False)
    errors = caught.value
    assert set(errors.fields) == {"manager_citizen_id", "business_name"}
    assert set(errors.documents) == {"floor_plan"}
    assert "accept the terms" in errors.terms
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert application.reference is None
    assert (
        application.data["area_sqm"] == answers["area_sqm"]
    )  # nothing the applicant typed is lost


def test_the_rental_document_is_required_only_for_rented_premises(
    service, applicant, answers
) -> None:
    application = draft_with_everything(service, applicant, {**answers, "premises": "rented"})
    with pytest.raises(services.SubmissionErrors) as caught:
        services.submit(application, actor=applicant, accept_terms=True)
    assert list(caught.value.documents) == ["premises_consent"]


def test_a_renamed_executable_is_refused_and_nothing_is_stored(service, applicant) -> None:
    application = services.start_application(service, applicant)
    exe = SimpleUploadedFile("plan.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200)
    with pytest.raises(ValidationError):
        services.attach_document(application, "floor_plan", exe, actor=applicant)
    assert not application.attachments.exists()


def test_correction_then_resubmission_then_approval_raises_the_dmn_fee(
    service, applicant, answers, officer
) -> None:
    application = draft_with_everything(service, applicant, answers)
    services.submit(application, actor=applicant, accept_terms=True)

    services.request_correction(application, officer=officer, note="กรุณาแนบแผนผังที่มีมาตราส่วน")
    application.refresh_from_db()
    assert application.status == Status.CORRECTION
    assert ready_tasks(application) == ["correction"]

    services.save_answers(application, {**answers, "area_sqm": 250}, actor=applicant)
    services.submit(application, actor=applicant, accept_terms=True)
    services.approve(application, officer=officer, note="")
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert invoice_for(application).amount == Decimal("2000.00")  # > 200 m² in fee_food_shop.dmn
    assert [h.to_status for h in application.history.all()] == [
        "submitted",
        "correction",
        "submitted",
        "approved",
    ]


def test_an_officer_may_not_approve_while_the_applicant_is_correcting(
    service, applicant, answers, officer
) -> None:
    application = draft_with_everything(service, applicant, answers)
    services.submit(application, actor=applicant, accept_terms=True)
    services.request_correction(application, officer=officer, note="แก้ไขที่อยู่")
    with pytest.raises(TaskNotReady):
        services.approve(application, officer=officer)
    application.refresh_from_db()
    assert application.status == Status.CORRECTION
    assert invoice_for(application) is None


def test_rejection_needs_a_reason(service, applicant, answers, officer) -> None:
    application = draft_with_everything(service, applicant, answers)
    services.submit(application, actor=applicant, accept_terms=True)
    with pytest.raises(ValidationError, match="reason"):
        services.reject(application, officer=officer, reason="  ")
    services.reject(application, officer=officer, reason="สถานที่ไม่ถูกสุขลักษณะ")
    application.refresh_from_db()
    assert application.status == Status.REJECTED
    assert application.decision_reason == "สถานที่ไม่ถูกสุขลักษณะ"


def test_an_officer_of_another_agency_cannot_decide(
    service, applicant, answers, stranger_officer
) -> None:
    application = draft_with_everything(service, applicant, answers)
    services.submit(application, actor=applicant, accept_terms=True)
    with pytest.raises(services.ApplicationError):
        services.approve(application, officer=stranger_officer)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_every_status_change_emails_the_applicant(
    service, applicant, answers, officer, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    application = draft_with_everything(service, applicant, answers)
    with django_capture_on_commit_callbacks(execute=True):
        services.submit(application, actor=applicant, accept_terms=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_correction(application, officer=officer, note="แนบแผนผังใหม่")
    subjects = [m.subject for m in mailoutbox]
    assert len(subjects) == 2
    assert "ยื่นคำขอแล้ว" in subjects[0]
    assert "แนบแผนผังใหม่" in mailoutbox[1].body
    assert mailoutbox[0].to == [answers["email"]]


def test_a_service_without_fee_goes_from_approval_to_paid_without_an_invoice(
    service,
    applicant,
    answers,
    officer,
    monkeypatch,
    django_capture_on_commit_callbacks,
    mailoutbox,
) -> None:
    monkeypatch.setattr(
        "bizportal.rules.services.calculate_fee", lambda service, answers: Decimal("0.00")
    )
    application = draft_with_everything(service, applicant, answers)
    services.submit(application, actor=applicant, accept_terms=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve(application, officer=officer)
    application.refresh_from_db()
    assert invoice_for(application) is None
    assert application.status == Status.ISSUED
    assert [h.to_status for h in application.history.all()] == [
        "submitted",
        "approved",
        "paid",
        "issued",
    ]
    issued_email = mailoutbox[-1].body
    assert f"เลขที่ใบอนุญาต: {application.licence.number}" in issued_email
    assert "Officer's note" not in issued_email
    assert "is now: Licence issued" in issued_email

"""The application's life through the services: the process decides what may happen,
and every step writes status, history, audit and events together."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from bizportal.applications import services
from bizportal.applications.models import Application, Status
from bizportal.core.models import AuditEvent, DomainEvent
from bizportal.payments.services import invoice_for
from tests.journeys import approve_everything, fill, officer_of, pdf_upload, start, submitted

pytestmark = pytest.mark.django_db


def history(application: Application) -> list[tuple[str, str, str]]:
    return list(application.history.values_list("step", "action", "to_status"))


def test_a_draft_starts_its_process_and_is_prefilled_from_digital_id(service, applicant) -> None:
    application = services.start_application(service, applicant)
    assert application.status == Status.DRAFT
    assert application.process is not None
    assert application.process.version.definition.key == "standard_licence"
    assert [s.spec.type for s in services.ready_steps(application)] == ["applicant-data"]
    assert application.data["applicant_name"] == applicant.full_name_th
    assert application.data["applicant_citizen_id"] == applicant.citizen_id
    assert "พญาไท" in application.data["applicant_address"]
    assert application.reference is None
    assert application.fee_version is not None
    assert application.fee_version.definition.key == "fee_food_shop"


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
    assert not Application.objects.exists()


def test_submitting_gives_a_reference_moves_to_review_and_records_it(service, applicant) -> None:
    application = submitted(service, applicant)
    assert application.status == Status.REVIEW
    assert application.reference.startswith("BP-25")
    assert application.terms_accepted_at is not None
    assert application.current_step == "พิจารณาคำขอ / Review the application"
    assert [s.spec.type for s in services.ready_steps(application)] == ["officer-review"]
    assert history(application) == [("application", "submit", "review")]
    assert AuditEvent.objects.filter(
        action="application.submitted", object_id=str(application.public_id)
    ).exists()
    names = set(
        DomainEvent.objects.filter(subject_id=str(application.public_id)).values_list(
            "name", flat=True
        )
    )
    assert {
        "applications.submitted",
        "applications.step_completed",
        "applications.status_changed",
    } <= names


def test_a_person_applying_for_themselves_is_the_licence_holder(service, applicant) -> None:
    application = submitted(service, applicant)
    assert (application.holder_kind, application.holder_id) == ("person", applicant.citizen_id)
    assert application.holder_name_th == applicant.full_name_th


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
    assert set(errors.documents) == {"floor_plan", "tax_registration"}
    assert "กรุณายอมรับเงื่อนไข" in errors.terms
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert application.reference is None
    assert application.data["area_sqm"] == answers["area_sqm"]  # nothing typed is lost
    assert not application.history.exists()


def test_the_rental_document_is_required_only_for_rented_premises(
    service, applicant, answers
) -> None:
    application = start(service, applicant)
    services.save_answers(application, {**answers, "premises": "rented"}, actor=applicant)
    services.attach_document(application, "floor_plan", pdf_upload(), actor=applicant)
    services.attach_document(application, "tax_registration", pdf_upload(), actor=applicant)
    with pytest.raises(services.SubmissionErrors) as caught:
        services.submit(application, actor=applicant, accept_terms=True)
    assert list(caught.value.documents) == ["premises_consent"]


def test_a_renamed_executable_is_refused_and_nothing_is_stored(service, applicant) -> None:
    application = services.start_application(service, applicant)
    exe = SimpleUploadedFile("plan.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200)
    with pytest.raises(ValidationError):
        services.attach_document(application, "floor_plan", exe, actor=applicant)
    assert not application.attachments.exists()


def test_a_document_of_another_kind_of_application_is_refused(service, applicant) -> None:
    application = services.start_application(service, applicant)
    with pytest.raises(ValidationError, match="ไม่มีเอกสารประเภทนี้ในคำขอ"):
        services.attach_document(application, "change_evidence", pdf_upload(), actor=applicant)


def test_a_correction_goes_back_to_the_applicant_with_the_officers_note(
    service, applicant, answers, officer
) -> None:
    application = submitted(service, applicant)
    services.decide(application, officer=officer, action="correct", note="กรุณาแนบแผนผังที่มีมาตราส่วน")
    application.refresh_from_db()
    assert application.status == Status.CORRECTION
    assert application.correction_note == "กรุณาแนบแผนผังที่มีมาตราส่วน"
    assert services.is_editable(application)

    services.save_answers(application, {**answers, "area_sqm": 250}, actor=applicant)
    application = services.submit(application, actor=applicant, accept_terms=True)
    assert application.status == Status.REVIEW
    assert application.correction_note == ""
    application = services.decide(application, officer=officer, action="approve")
    assert application.status == Status.AWAITING_PAYMENT
    assert invoice_for(application).amount == Decimal("2000.00")  # > 200 m² in the fee table
    assert history(application) == [
        ("application", "submit", "review"),
        ("review", "correct", "correction"),
        ("correction", "submit", "review"),
        ("review", "approve", "awaiting_payment"),
    ]


def test_a_correction_or_a_rejection_needs_a_note_and_a_refusal_changes_nothing(
    service, applicant, officer
) -> None:
    application = submitted(service, applicant)
    for action in ("correct", "reject"):
        with pytest.raises(ValidationError, match="กรุณาระบุเหตุผล"):
            services.decide(application, officer=officer, action=action, note="  ")
    application.refresh_from_db()
    assert application.status == Status.REVIEW
    assert history(application) == [("application", "submit", "review")]
    application = services.decide(
        application, officer=officer, action="reject", note="สถานที่ไม่ถูกสุขลักษณะ"
    )
    assert application.status == Status.REJECTED
    assert application.decision_reason == "สถานที่ไม่ถูกสุขลักษณะ"
    assert application.process.completed
    assert application.decided_at is not None


def test_an_action_the_step_does_not_offer_is_refused(service, applicant, officer) -> None:
    application = submitted(service, applicant)
    with pytest.raises(ValidationError, match="ไม่มีการดำเนินการ 'sign'"):
        services.decide(application, officer=officer, action="sign")


def test_nobody_may_act_out_of_turn(service, applicant, answers, officer) -> None:
    application = submitted(service, applicant)
    with pytest.raises(services.ApplicationError):
        services.save_answers(application, answers, actor=applicant)
    with pytest.raises(services.ApplicationError):
        services.submit(application, actor=applicant, accept_terms=True)
    services.decide(application, officer=officer, action="correct", note="แก้ไขที่อยู่")
    with pytest.raises(services.ApplicationError, match="ไม่ได้รอการดำเนินการจากท่าน"):
        services.decide(application, officer=officer, action="approve")
    application.refresh_from_db()
    assert application.status == Status.CORRECTION
    assert invoice_for(application) is None


def test_an_officer_of_another_agency_cannot_decide(service, applicant, stranger_officer) -> None:
    application = submitted(service, applicant)
    with pytest.raises(services.ApplicationError, match="เจ้าหน้าที่ต่างหน่วยงานไม่มีสิทธิ์"):
        services.decide(application, officer=stranger_officer, action="approve")
    assert services.actions_for(application, stranger_officer) == []
    application.refresh_from_db()
    assert application.status == Status.REVIEW


def test_a_completed_step_cannot_be_completed_twice(service, applicant, officer) -> None:
    application = submitted(service, applicant)
    step = services.ready_steps(application)[0]
    stale = Application.objects.get(pk=application.pk)
    services.decide(application, officer=officer, action="approve", step=step.task_id)
    with pytest.raises(services.ApplicationError):
        services.decide(stale, officer=officer, action="approve", step=step.task_id)
    assert Application.objects.get(pk=application.pk).history.count() == 2


def test_every_status_change_emails_the_applicant(
    service, applicant, answers, officer, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    application = fill(start(service, applicant))
    with django_capture_on_commit_callbacks(execute=True):
        services.submit(application, actor=applicant, accept_terms=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(application, officer=officer, action="correct", note="แนบแผนผังใหม่")
    subjects = [m.subject for m in mailoutbox]
    assert len(subjects) == 2
    assert "อยู่ระหว่างพิจารณา" in subjects[0]
    assert "แนบแผนผังใหม่" in mailoutbox[1].body
    assert mailoutbox[0].to == [answers["email"]]


def test_a_fee_free_approval_skips_payment_and_the_system_issues_the_licence(
    applicant, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    from tests.factories import ServiceFactory

    service = ServiceFactory(fee_table="fee_none")
    application = submitted(service, applicant)
    with django_capture_on_commit_callbacks(execute=True):
        application = approve_everything(application)
    application.refresh_from_db()
    assert invoice_for(application) is None
    assert application.status == Status.ISSUED
    assert history(application) == [
        ("application", "submit", "review"),
        ("review", "approve", "issuing"),
        ("payment", "waived", "issuing"),
        ("licence", "issued", "issued"),
    ]
    by = dict(application.history.values_list("step", "actor_label"))
    assert by["review"] == str(officer_of(application))
    assert (by["payment"], by["licence"]) == ("Biz Portal", "Biz Portal")
    issued_email = mailoutbox[-1].body
    assert f"เลขที่ใบอนุญาต: {application.licence.number}" in issued_email
    assert "is now: Licence issued" in issued_email


def test_a_failing_system_step_is_retried_by_the_outbox_and_the_application_waits(
    applicant, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from bizportal.core.models import OutboxMessage
    from bizportal.licences import services as licence_services
    from tests.factories import ServiceFactory

    service = ServiceFactory(fee_table="fee_none")
    application = submitted(service, applicant)

    def register_down(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("register unavailable")

    # (A failing signature no longer fails the step: signing is the licence's own task.)
    monkeypatch.setattr(licence_services, "build_payload", register_down)
    with django_capture_on_commit_callbacks(execute=True):
        application = approve_everything(application)
    application.refresh_from_db()
    assert application.status == Status.ISSUING
    assert application.licence is None
    failed = OutboxMessage.objects.get(subscriber="applications.perform_system_steps")
    assert failed.status == OutboxMessage.Status.PENDING
    assert "register unavailable" in failed.last_error
    monkeypatch.undo()
    services.perform_system_steps(application)
    application.refresh_from_db()
    assert application.status == Status.ISSUED


def test_an_approval_whose_fee_cannot_be_computed_is_refused_and_changes_nothing(
    service, applicant, answers, officer
) -> None:
    from bizportal.rules.services import FeeRuleError

    application = submitted(service, applicant)
    data = dict(application.data)
    data.pop("area_sqm")
    Application.objects.filter(pk=application.pk).update(data=data)
    with pytest.raises(FeeRuleError, match="เพื่อคำนวณค่าธรรมเนียม"):
        services.decide(application, officer=officer, action="approve")
    application.refresh_from_db()
    assert application.status == Status.REVIEW
    assert invoice_for(application) is None
    assert history(application) == [("application", "submit", "review")]


def test_the_officer_page_costs_the_same_queries_however_long_the_history(
    service, applicant, answers, officer, client
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    short = submitted(service, applicant)
    long = submitted(service, applicant)
    for round_ in range(4):
        services.decide(long, officer=officer, action="correct", note=f"รอบที่ {round_}")
        services.submit(long, actor=applicant, accept_terms=True)
    assert long.history.count() == 9
    client.force_login(officer)
    counts = []
    for application in (short, long):
        url = reverse("backoffice:application", args=[application.public_id])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts

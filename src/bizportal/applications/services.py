"""Every change to an application happens here.

Each operation runs in one transaction that writes the application, its status
history, the audit record, the workflow step and the outbox message together. The
BPMN process decides what may happen next: an operation completes the process's
ready task, and the engine refuses a task that is not ready.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from bizportal.catalog.models import Service
from bizportal.core import audit, events
from bizportal.core.sequences import next_number
from bizportal.core.uploads import check_upload
from bizportal.forms.prefill import locked_fields, prefill_answers
from bizportal.forms.validation import validate_answers

from .events import STATUS_CHANGED
from .models import Application, Attachment, Status, StatusChange


class ApplicationError(Exception):
    """An operation that the application's current state does not allow."""


@dataclass
class SubmissionErrors(Exception):
    """Everything wrong with a submission, so the applicant can fix it in one go."""

    fields: dict[str, str] = field(default_factory=dict)
    documents: dict[str, str] = field(default_factory=dict)
    terms: str = ""

    def __bool__(self) -> bool:
        return bool(self.fields or self.documents or self.terms)

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if self.fields:
            result["fields"] = self.fields
        if self.documents:
            result["documents"] = self.documents
        if self.terms:
            result["terms"] = self.terms
        return result


EDITABLE = {Status.DRAFT, Status.CORRECTION}


# --- applicant --------------------------------------------------------------------


@transaction.atomic
def start_application(service: Service, applicant: Any) -> Application:
    """A new draft, prefilled from what Digital ID and the registries told us."""
    from bizportal.identity.services import meets_assurance

    if not meets_assurance(applicant, service.min_ial):
        raise ApplicationError(
            f"บริการนี้ต้องยืนยันตัวตนระดับ IAL {service.min_ial} ขึ้นไป / "
            f"This service needs identity assurance level IAL {service.min_ial} or higher"
        )
    prefill = prefill_answers(service.ui_schema, applicant)
    application = Application.objects.create(
        service=service,
        agency_id=service.agency_id,
        applicant=applicant,
        data=dict(prefill),
        prefill=prefill,
    )
    audit.record("application.draft_created", application, actor=applicant, service=service.slug)
    return application


@transaction.atomic
def save_answers(application: Application, answers: dict[str, Any], *, actor: Any) -> Application:
    """Store the answers as they are (a draft may be incomplete); prefilled identity
    fields keep the values from the authoritative source whatever was posted."""
    application = _lock(application)
    _require_editable(application)
    locked = locked_fields(application.service.ui_schema)
    merged = {k: v for k, v in answers.items() if k not in locked}
    merged.update({k: v for k, v in application.prefill.items() if k in locked})
    application.data = merged
    application.save(update_fields=["data", "updated_at"])
    audit.record("application.answers_saved", application, actor=actor, fields=sorted(merged))
    return application


@transaction.atomic
def attach_document(
    application: Application, document_code: str, upload: UploadedFile, *, actor: Any
) -> Attachment:
    """Store one supporting document, replacing an earlier file for the same document.

    The type is sniffed from the content and the size checked before anything is
    written; a refused file leaves the application exactly as it was.
    """
    application = _lock(application)
    _require_editable(application)
    if not application.service.documents.filter(code=document_code).exists():
        raise ValidationError(
            "ไม่มีเอกสารประเภทนี้ในบริการ / This service has no such document", code="document"
        )
    checked = check_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    previous = application.attachments.filter(document_code=document_code).first()
    if previous is not None:
        old_file = previous.file
        previous.delete()
        transaction.on_commit(lambda: old_file.delete(save=False))
    attachment = Attachment(
        application=application,
        document_code=document_code,
        original_name=upload.name or document_code,
        content_type=checked.content_type,
        size=checked.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    attachment.file.save(
        f"{application.public_id}-{document_code}{_extension(checked.content_type)}",
        upload,
        save=False,
    )
    stored_name = attachment.file.name
    try:
        attachment.save()
    except Exception:
        if stored_name:
            attachment.file.storage.delete(stored_name)
        raise
    audit.record(
        "application.document_attached",
        application,
        actor=actor,
        document=document_code,
        sha256=attachment.sha256,
        size=attachment.size,
    )
    return attachment


def submission_errors(application: Application, *, accept_terms: bool) -> SubmissionErrors:
    service = application.service
    errors = SubmissionErrors(
        fields=validate_answers(service.form_schema, service.ui_schema, application.data)
    )
    present = set(application.attachments.values_list("document_code", flat=True))
    for document in service.documents.all():
        if document.is_required_for(application.data) and document.code not in present:
            errors.documents[document.code] = (
                f"กรุณาแนบ{document.name_th} / Please attach: {document.name_en}"
            )
    if not accept_terms and application.terms_accepted_at is None:
        errors.terms = "กรุณายอมรับเงื่อนไขก่อนยื่นคำขอ / Please accept the terms before submitting"
    return errors


@transaction.atomic
def submit(application: Application, *, actor: Any, accept_terms: bool) -> Application:
    """Submit a draft (reference number, process start) or resubmit after a correction."""
    from bizportal.workflow import services as workflow

    application = _lock(application)
    _require_editable(application)
    errors = submission_errors(application, accept_terms=accept_terms)
    if errors:
        raise errors
    now = timezone.now()
    if application.terms_accepted_at is None:
        application.terms_accepted_at = now
    previous = application.status
    if previous == Status.DRAFT:
        application.reference = next_number("BP")
        application.submitted_at = now
        application.status = Status.SUBMITTED
        application.save()
        workflow.start_process(application)
        _history(application, previous, actor, "")
        audit.record(
            "application.submitted", application, actor=actor, reference=application.reference
        )
    else:
        workflow.complete_task(application, "correction", {}, actor=actor)
        application.status = Status.SUBMITTED
        application.correction_note = ""
        application.save()
        _history(application, previous, actor, "")
        audit.record("application.resubmitted", application, actor=actor)
    return application


# --- officer ----------------------------------------------------------------------


@transaction.atomic
def request_correction(application: Application, *, officer: Any, note: str) -> Application:
    from bizportal.workflow import services as workflow

    note = _required_reason(note, "กรุณาระบุสิ่งที่ต้องแก้ไข / Please say what must be corrected")
    application = _lock_for_officer(application, officer)
    workflow.complete_task(application, "review", {"decision": "correct"}, actor=officer)
    return _officer_transition(application, Status.CORRECTION, officer, note, correction_note=note)


@transaction.atomic
def reject(application: Application, *, officer: Any, reason: str) -> Application:
    from bizportal.workflow import services as workflow

    reason = _required_reason(reason, "กรุณาระบุเหตุผลที่ไม่อนุมัติ / Please give the reason for rejecting")
    application = _lock_for_officer(application, officer)
    task = "inspection" if "inspection" in workflow.ready_tasks(application) else "review"
    data = {"inspection_passed": False} if task == "inspection" else {"decision": "reject"}
    workflow.complete_task(application, task, data, actor=officer)
    application.decided_at = timezone.now()
    return _officer_transition(
        application, Status.REJECTED, officer, reason, decision_reason=reason
    )


@transaction.atomic
def approve(application: Application, *, officer: Any, note: str = "") -> Application:
    """Approve the review (or the premises inspection). When the process then waits
    for payment, the fee is computed by the service's DMN table and invoiced."""
    from bizportal.workflow import services as workflow

    application = _lock_for_officer(application, officer)
    ready = workflow.ready_tasks(application)
    if "inspection" in ready:
        ready = workflow.complete_task(
            application, "inspection", {"inspection_passed": True}, actor=officer
        )
    else:
        ready = workflow.complete_task(
            application, "review", {"decision": "approve"}, actor=officer
        )
    if "inspection" in ready:
        return _officer_transition(application, Status.INSPECTION, officer, note)
    application.decided_at = timezone.now()
    if _invoice_fee(application, officer):
        return _officer_transition(
            application, Status.APPROVED, officer, note, decision_reason=note
        )
    # A service that charges nothing goes straight from approval to issuance.
    _officer_transition(application, Status.APPROVED, officer, note, decision_reason=note)
    workflow.complete_task(application, "payment", {"invoice": "waived"}, actor=officer)
    _mark_paid(
        application, previous=Status.APPROVED, actor_label="ไม่มีค่าธรรมเนียม / no fee", invoice=""
    )
    return application


def _invoice_fee(application: Application, officer: Any) -> bool:
    """Raise the invoice for the fee the service's DMN table computes; False if it is zero."""
    from bizportal.payments.services import raise_invoice
    from bizportal.rules.services import calculate_fee

    fee = calculate_fee(application.service, application.data)
    if fee <= 0:
        return False
    raise_invoice(application, fee, actor=officer)
    return True


DECISIONS = ("approve", "correct", "reject")


def decide(application: Application, *, officer: Any, action: str, note: str) -> Application:
    """The officer's decision as pages and the API receive it: one of DECISIONS."""
    if action == "approve":
        return approve(application, officer=officer, note=note)
    if action == "correct":
        return request_correction(application, officer=officer, note=note)
    if action == "reject":
        return reject(application, officer=officer, reason=note)
    raise ValidationError(f"ไม่รู้จักการดำเนินการ {action!r} / Unknown action {action!r}", code="action")


def refusals() -> tuple[type[Exception], ...]:
    """Errors that mean "not allowed now" rather than a fault: the state, the process
    or the fee rules refused the step; callers show them to the person."""
    from bizportal.rules.services import FeeRuleError
    from bizportal.workflow.services import WorkflowError

    return (ApplicationError, WorkflowError, FeeRuleError)


# --- system -----------------------------------------------------------------------


def record_payment(invoice: Any) -> Application:
    """Called by payments, inside its transaction, when the fee is confirmed paid.

    The licence is issued by a background task after commit: rendering and signing
    take a moment and must not hold the payment provider's callback open.
    """
    from bizportal.workflow import services as workflow

    application = _lock(invoice.application)
    if application.status != Status.APPROVED:
        raise ApplicationError(f"application {application.reference} is not awaiting payment")
    workflow.complete_task(application, "payment", {"invoice": invoice.number})
    _mark_paid(
        application,
        previous=Status.APPROVED,
        actor_label="payment provider",
        invoice=invoice.number,
    )
    return application


def _mark_paid(application: Application, *, previous: str, actor_label: str, invoice: str) -> None:
    from .tasks import issue_licence

    application.status = Status.PAID
    application.save(update_fields=["status", "updated_at"])
    _history(application, previous, None, "", actor_label=actor_label)
    audit.record("application.paid", application, actor_label=actor_label, invoice=invoice)
    public_id = str(application.public_id)
    transaction.on_commit(lambda: issue_licence.enqueue(public_id))


@transaction.atomic
def issue_licence_now(application: Application) -> Any:
    """Issue the e-licence of a paid application (idempotent)."""
    from bizportal.licences.services import issue_licence

    application = _lock(application)
    if application.status == Status.ISSUED:
        return application.licence
    if application.status != Status.PAID:
        raise ApplicationError(f"application {application.reference} is not paid")
    licence = issue_licence(application)
    application.status = Status.ISSUED
    application.save(update_fields=["status", "updated_at"])
    _history(
        application,
        Status.PAID,
        None,
        "",
        actor_label="Biz Portal",
        licence_number=licence.number,
    )
    audit.record(
        "application.licence_issued", application, actor_label="Biz Portal", licence=licence.number
    )
    return licence


# --- helpers ----------------------------------------------------------------------


def _lock(application: Application) -> Application:
    return (
        Application.objects.select_for_update()
        .select_related("service", "agency", "applicant")
        .get(pk=application.pk)
    )


def _lock_for_officer(application: Application, officer: Any) -> Application:
    application = _lock(application)
    if not getattr(officer, "is_officer", False) or officer.agency_id != application.agency_id:
        raise ApplicationError(
            "เจ้าหน้าที่ต่างหน่วยงานไม่มีสิทธิ์ / Officers may act only for their own agency"
        )
    return application


def _require_editable(application: Application) -> None:
    if application.status not in EDITABLE:
        raise ApplicationError(
            "คำขอนี้แก้ไขไม่ได้ในสถานะปัจจุบัน / This application cannot be changed in its current status"
        )


def _required_reason(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message, code="reason")
    return text


def _officer_transition(
    application: Application, status: str, officer: Any, note: str, **fields: Any
) -> Application:
    previous = application.status
    application.status = status
    for name, value in fields.items():
        setattr(application, name, value)
    application.save()
    _history(application, previous, officer, note)
    audit.record(f"application.{status}", application, actor=officer, note=note)
    return application


def _history(
    application: Application,
    previous: str,
    actor: Any,
    note: str,
    *,
    actor_label: str = "",
    licence_number: str = "",
) -> None:
    """Record the status change where people see it, and announce it to subscribers."""
    label = actor_label or (str(actor) if actor else "system")
    StatusChange.objects.create(
        application=application,
        from_status=previous,
        to_status=application.status,
        actor=actor,
        actor_label=label,
        note=note or licence_number,
    )
    events.publish(
        STATUS_CHANGED,
        application,
        {
            "reference": application.reference or "",
            "kind": "new",
            "from_status": previous,
            "to_status": application.status,
            "step": "",
            "note": note,
            "licence_number": licence_number,
            "agency": application.agency.code,
            "service": application.service.slug,
        },
        actor=actor,
        actor_label=label,
    )


def _extension(content_type: str) -> str:
    return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[content_type]

"""Every change to an application happens here; the process decides which.

An application runs through the BPMN process of its service (the version live when
the draft was started). Every operation here locks the application, completes or
acts on a step the process is waiting at, lets the workflow enter the next steps,
and then, in the same transaction, derives the status people see from where the
process now waits, writes the history row, the audit record and the events.
Nothing here names a step of a process: steps are known by their *type*, and the
type's handler (``applications.steps``, ``payments.steps`` ...) does the work.

Kinds: *new*, *amend* (change details of an issued licence), *renew* (inside a window
before expiry; late with a surcharge) and *cancel* (surrender). Each kind of each
service may bring its own form, documents, fee table and process
(:mod:`bizportal.catalog.bundles`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from bizportal.catalog.bundles import KindNotOffered, ServiceBundle, bundle
from bizportal.catalog.models import Service
from bizportal.core import audit, events
from bizportal.core.sequences import next_number
from bizportal.core.uploads import check_upload
from bizportal.forms.prefill import locked_fields, prefill_answers
from bizportal.forms.validation import validate_answers
from bizportal.identity.services import meets_assurance
from bizportal.licences import services as licences
from bizportal.licences.models import Licence
from bizportal.registries.client import RecordNotFound, RegistryError, fetch_juristic_person
from bizportal.rules import services as rules
from bizportal.rules.services import FeeRuleError
from bizportal.workflow import services as workflow
from bizportal.workflow.engine import ReadyStep
from bizportal.workflow.steps import (
    Action,
    CompletedStep,
    Completion,
    Performer,
    StepContext,
    StepError,
    handler_for,
)

from .events import STATUS_CHANGED, STEP_COMPLETED, SUBMITTED, SYSTEM_STEP_DUE
from .models import Application, Attachment, HolderKind, Kind, Status, StatusChange


class ApplicationError(Exception):
    """An operation the application's current state does not allow."""


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


@dataclass(frozen=True)
class Holder:
    """The legal person a licence will name: the applicant, or the company they act for."""

    kind: str
    id: str
    name_th: str
    name_en: str


#: Status to show while the process waits at several steps: the first performer wins.
PERFORMER_PRIORITY = (Performer.APPLICANT, Performer.OFFICER, Performer.EXTERNAL, Performer.SYSTEM)


def refusals() -> tuple[type[Exception], ...]:
    """Errors that mean "not allowed now" rather than a fault: the state, the process,
    the step or the fee rules refused; callers show them to the person."""
    return (
        ApplicationError,
        workflow.WorkflowError,
        StepError,
        FeeRuleError,
        licences.LicenceError,
        KindNotOffered,
    )


# --- reading -----------------------------------------------------------------------


def bundle_of(application: Application) -> ServiceBundle:
    """The form, documents, fee table and process of this application's kind."""
    return bundle(application.service, application.kind, offered_only=False)


def ready_steps(application: Application) -> list[ReadyStep]:
    """Where the application's process waits (no engine restore: read from the row)."""
    if application.process is None:
        return []
    return workflow.ready_steps(application.process)


@dataclass(frozen=True)
class StepActions:
    """One waiting step an actor may act on, with what they may do there."""

    step: ReadyStep
    actions: tuple[Action, ...]


def actions_for(application: Application, actor: Any) -> list[StepActions]:
    """The waiting steps ``actor`` may act on, with their actions (for pages and the API)."""
    result = []
    for step in ready_steps(application):
        handler = handler_for(step)
        if _may_act(application, actor, handler.performer):
            result.append(StepActions(step, tuple(handler.actions(step.spec))))
    return result


def is_editable(application: Application) -> bool:
    """Whether the applicant may change answers and documents now."""
    return any(
        handler_for(step).performer == Performer.APPLICANT for step in ready_steps(application)
    )


def fee_facts(application: Application) -> dict[str, Any]:
    """Facts about the application a fee table may read as ``application.*``."""
    facts: dict[str, Any] = {"kind": application.kind, "days_past_expiry": 0}
    if application.kind == Kind.RENEW and application.licence is not None:
        facts["days_past_expiry"] = licences.days_past_expiry(application.licence)
    return facts


# --- the applicant -----------------------------------------------------------------


@transaction.atomic
def start_application(
    service: Service, applicant: Any, *, kind: str = Kind.NEW, licence: Licence | None = None
) -> Application:
    """A new draft of ``kind`` on the process version live now.

    New: prefilled from what Digital ID and the registries told us. Amend and renew:
    prefilled from the licence as last issued. Cancel: the licence's holder and number.
    Refused, with the reason, when the service does not take this kind, the account's
    identity assurance is too low, or the licence may not change (revoked, outside the
    renewal window, already cancelled, another change open).
    """
    if not meets_assurance(applicant, service.min_ial):
        raise ApplicationError(
            f"บริการนี้ต้องยืนยันตัวตนระดับ IAL {service.min_ial} ขึ้นไป / "
            f"This service needs identity assurance level IAL {service.min_ial} or higher"
        )
    chosen = bundle(service, kind)
    application = Application(
        service=service,
        agency_id=service.agency_id,
        applicant=applicant,
        kind=kind,
        fee_version=rules.live_version(chosen.fee_table) if chosen.fee_table else None,
    )
    prefill = prefill_answers(chosen.ui_schema, applicant)
    data: dict[str, Any] = dict(prefill)
    if kind != Kind.NEW:
        licence = _licence_for_change(service, applicant, kind, licence, chosen)
        application.licence = licence
        application.holder_kind = licence.holder_kind
        application.holder_id = licence.holder_id
        application.holder_name_th = licence.holder_name
        application.holder_name_en = licence.holder_name_en
        if kind != Kind.CANCEL:
            data = {**licence.details, **prefill}
    application.data = data
    application.prefill = prefill
    application.save()
    instance, transition = workflow.start(
        workflow.live_version(chosen.process_id),
        subject=application,
        data={"kind": kind},
        actor=applicant,
    )
    application.process = instance
    _apply_transition(application, transition, actor=applicant, previous=Status.DRAFT)
    audit.record(
        "application.draft_created",
        application,
        actor=applicant,
        service=service.slug,
        kind=kind,
        licence=licence.number if licence else "",
        process=instance.version.definition.key,
        process_version=instance.version.number,
    )
    return application


def _licence_for_change(
    service: Service, applicant: Any, kind: str, licence: Licence | None, chosen: ServiceBundle
) -> Licence:
    if licence is None:
        raise ApplicationError(
            "กรุณาเลือกใบอนุญาตที่ต้องการดำเนินการ / Please choose the licence this is about"
        )
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    if licence.account_id != applicant.pk or licence.service_id != service.pk:
        raise ApplicationError("ไม่พบใบอนุญาตนี้ในบัญชีของท่าน / This licence is not in your account")
    licences.check_change(
        licence,
        kind,  # type: ignore[arg-type]
        renew_opens_days_before=chosen.renew_opens_days_before,
        renew_late_days=chosen.renew_late_days,
    )
    open_change = (
        Application.objects.filter(licence=licence)
        .exclude(kind=Kind.NEW)
        .exclude(
            status__in=[
                s.value
                for s in (Status.ISSUED, Status.COMPLETED, Status.REJECTED, Status.WITHDRAWN)
            ]
        )
        .first()
    )
    if open_change is not None:
        shown = open_change.reference or str(open_change.get_kind_display()).split(" / ")[-1]
        raise ApplicationError(
            f"มีคำขอที่ยังดำเนินการอยู่สำหรับใบอนุญาตนี้ ({shown}) / "
            f"An application for this licence is already in progress ({shown})"
        )
    return licence


@transaction.atomic
def save_answers(application: Application, answers: dict[str, Any], *, actor: Any) -> Application:
    """Store the answers as they are (a draft may be incomplete); prefilled identity
    fields keep the values from the authoritative source whatever was posted."""
    application = _lock(application)
    _require_editable(application)
    locked = locked_fields(bundle_of(application).ui_schema)
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
    if document_code not in {d.code for d in bundle_of(application).documents}:
        raise ValidationError(
            "ไม่มีเอกสารประเภทนี้ในคำขอ / This application asks for no such document",
            code="document",
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
    chosen = bundle_of(application)
    errors = SubmissionErrors(
        fields=validate_answers(chosen.form_schema, chosen.ui_schema, application.data)
    )
    present = set(application.attachments.values_list("document_code", flat=True))
    for document in chosen.documents:
        if document.is_required_for(application.data) and document.code not in present:
            errors.documents[document.code] = (
                f"กรุณาแนบ{document.name_th} / Please attach: {document.name_en}"
            )
    if not accept_terms and application.terms_accepted_at is None:
        errors.terms = "กรุณายอมรับเงื่อนไขก่อนยื่นคำขอ / Please accept the terms before submitting"
    return errors


def submit(application: Application, *, actor: Any, accept_terms: bool) -> Application:
    """Submit a draft (reference number) or resubmit after a correction.

    Completes the applicant's waiting step. The legal person the licence will name is
    settled here: the applicant, or the company whose juristic ID the form gives, as
    the juristic registry has it (asked over HTTP before any row is locked).
    """
    holder = _holder_for(application, actor)
    return _submit(application, holder, actor=actor, accept_terms=accept_terms)


@transaction.atomic
def _submit(
    application: Application, holder: Holder | None, *, actor: Any, accept_terms: bool
) -> Application:
    application = _lock(application)
    step = _waiting_step(application, Performer.APPLICANT, actor)
    _ensure_licence_may_still_change(application)
    errors = submission_errors(application, accept_terms=accept_terms)
    if errors:
        raise errors
    first_time = application.submitted_at is None
    now = timezone.now()
    if application.terms_accepted_at is None:
        application.terms_accepted_at = now
    if first_time:
        application.reference = next_number("BP")
        application.submitted_at = now
    if holder is not None:
        application.holder_kind = holder.kind
        application.holder_id = holder.id
        application.holder_name_th = holder.name_th
        application.holder_name_en = holder.name_en
    application.correction_note = ""
    application.save()
    previous = application.status
    events.publish(
        SUBMITTED,
        application,
        {
            "reference": application.reference,
            "kind": application.kind,
            "resubmitted": not first_time,
            "agency": application.agency.code,
            "service": application.service.slug,
        },
        actor=actor,
    )
    audit.record(
        "application.submitted" if first_time else "application.resubmitted",
        application,
        actor=actor,
        reference=application.reference,
        holder=f"{application.holder_kind}:{application.holder_id}",
    )
    assert application.process is not None
    transition = workflow.complete_step(
        application.process,
        step.task_id,
        Completion(action="submit", label="ยื่นคำขอ / Submitted"),
        subject=application,
        actor=actor,
    )
    return _apply_transition(application, transition, actor=actor, previous=previous)


def _ensure_licence_may_still_change(application: Application) -> None:
    """A change started in time may not be submitted once it no longer could be: the
    renewal window closed, the licence was revoked or expired meanwhile."""
    if application.kind == Kind.NEW or application.licence is None:
        return
    chosen = bundle_of(application)
    licences.check_change(
        application.licence,
        application.kind,  # type: ignore[arg-type]
        renew_opens_days_before=chosen.renew_opens_days_before,
        renew_late_days=chosen.renew_late_days,
    )


def _holder_for(application: Application, actor: Any) -> Holder | None:
    """Who the licence will name. None: keep what the application already says (a
    change to a licence keeps its holder)."""
    if application.kind != Kind.NEW:
        return None
    juristic_id = str(application.data.get("juristic_id") or "").strip()
    if not juristic_id:
        user = application.applicant
        return Holder(
            HolderKind.PERSON,
            user.citizen_id or "",
            user.full_name_th or user.display_name,
            user.full_name_en or "",
        )
    try:
        record = fetch_juristic_person(
            juristic_id, actor=actor, purpose=f"holder of application {application.public_id}"
        )
    except ValidationError:
        return None  # a malformed ID: the form's own validation reports it
    except RecordNotFound:
        raise SubmissionErrors(
            fields={
                "juristic_id": "ไม่พบนิติบุคคลนี้ในทะเบียน / "
                "No such company in the juristic-person registry"
            }
        ) from None
    except RegistryError as error:
        raise SubmissionErrors(fields={"juristic_id": str(error)}) from None
    if record.status != "active":
        raise SubmissionErrors(
            fields={
                "juristic_id": f"{record.name_th} ไม่ได้ดำเนินกิจการอยู่ตามทะเบียน / "
                f"{record.name_en or record.name_th} is not active in the registry"
            }
        )
    if application.applicant.citizen_id not in record.director_citizen_ids:
        raise SubmissionErrors(
            fields={
                "juristic_id": f"ท่านไม่ใช่กรรมการของ{record.name_th}ตามทะเบียน / "
                f"You are not a registered director of {record.name_en or record.name_th}"
            }
        )
    return Holder(HolderKind.JURISTIC, record.juristic_id, record.name_th, record.name_en)


# --- officers and other people at a step -------------------------------------------


@transaction.atomic
def act(
    application: Application,
    *,
    actor: Any,
    action: str,
    note: str = "",
    step: str = "",
    values: Mapping[str, Any] | None = None,
) -> Application:
    """Do ``action`` at a waiting step the actor may act on (``step``: its BPMN id or
    task id, needed only when several such steps wait). Refusals change nothing."""
    application = _lock(application)
    ready = _waiting_for(application, actor, step)
    handler = handler_for(ready)
    chosen = next((a for a in handler.actions(ready.spec) if a.id == action), None)
    if chosen is None:
        offered = ", ".join(a.id for a in handler.actions(ready.spec)) or "-"
        name_th, _, name_en = ready.spec.name.partition(" / ")
        raise ValidationError(
            f"ขั้นตอน{name_th}ไม่มีการดำเนินการ {action!r} (ที่มี: {offered}) / "
            f"Step {name_en or name_th} has no action {action!r} (it has: {offered})",
            code="action",
        )
    note = (note or "").strip()
    if chosen.note_required and not note:
        raise ValidationError(
            "กรุณาระบุเหตุผลหรือสิ่งที่ต้องแก้ไข (ผู้ยื่นคำขอจะได้รับแจ้ง) / "
            "Please give the reason or what must be corrected (the applicant is told)",
            code="note",
        )
    context = StepContext(
        subject=application,
        step=ready,
        data=workflow.process_data(application.process),  # type: ignore[arg-type]
        actor=actor,
    )
    completion = handler.act(context, chosen, dict(values or {}), note)
    if completion is not None and not completion.label:
        completion = replace(completion, label=chosen.label)
    if completion is None or not chosen.completes:
        audit.record(
            "application.step_action",
            application,
            actor=actor,
            step=ready.spec.id,
            decision=action,
            note=note,
        )
        return application
    previous = application.status
    transition = workflow.complete_step(
        application.process,  # type: ignore[arg-type]
        ready.task_id,
        completion,
        subject=application,
        actor=actor,
    )
    return _apply_transition(application, transition, actor=actor, previous=previous)


def decide(
    application: Application,
    *,
    officer: Any,
    action: str,
    note: str = "",
    step: str = "",
    values: Mapping[str, Any] | None = None,
) -> Application:
    """The officer's decision as pages and the API receive it: an action of the step."""
    if not getattr(officer, "is_officer", False) or officer.agency_id != application.agency_id:
        raise ApplicationError(
            "เจ้าหน้าที่ต่างหน่วยงานไม่มีสิทธิ์ / Officers may act only for their own agency"
        )
    return act(application, actor=officer, action=action, note=note, step=step, values=values)


# --- the system and outside systems ------------------------------------------------


@transaction.atomic
def complete_system_step(
    application: Application, step_type: str, completion: Completion, *, actor_label: str
) -> Application:
    """Complete the waiting step of ``step_type`` that the system was waiting on (the
    bank confirmed the payment). Called by the app that owns the step type."""
    application = _lock(application)
    ready = next((s for s in ready_steps(application) if s.spec.type == step_type), None)
    if ready is None:
        raise ApplicationError(
            f"คำขอ {application.reference} ไม่ได้รอขั้นตอน {step_type} / "
            f"Application {application.reference} is not waiting for a {step_type} step"
        )
    previous = application.status
    transition = workflow.complete_step(
        application.process,  # type: ignore[arg-type]
        ready.task_id,
        completion,
        subject=application,
        actor_label=actor_label,
    )
    return _apply_transition(application, transition, actor_label=actor_label, previous=previous)


def perform_system_steps(application: Application) -> Application:
    """Run every waiting step the system performs (issue the licence ...), one at a time.

    Runs from the outbox (the ``system_step_due`` event), so a step that fails is
    rolled back, retried with backoff, and visible to operators in the outbox admin.
    """
    for _ in range(10):  # a process may hand one system step to the next
        application = Application.objects.select_related("process__version").get(pk=application.pk)
        pending = [
            s for s in ready_steps(application) if handler_for(s).performer == Performer.SYSTEM
        ]
        if not pending:
            return application
        application = _perform(application, pending[0].task_id)
    return application


@transaction.atomic
def _perform(application: Application, task_id: str) -> Application:
    application = _lock(application)
    ready = next((s for s in ready_steps(application) if s.task_id == task_id), None)
    if ready is None:  # another worker did it meanwhile
        return application
    context = StepContext(
        subject=application,
        step=ready,
        data=workflow.process_data(application.process),  # type: ignore[arg-type]
    )
    completion = handler_for(ready).perform(context)
    previous = application.status
    transition = workflow.complete_step(
        application.process,  # type: ignore[arg-type]
        task_id,
        completion,
        subject=application,
        actor_label="Biz Portal",
    )
    return _apply_transition(application, transition, actor_label="Biz Portal", previous=previous)


@transaction.atomic
def receive_message(
    application: Application, message: str, payload: Mapping[str, Any], *, actor_label: str
) -> Application:
    """An outside system's answer (an agency's own decision) for a wait-for-message step.

    The payload is checked against the step's declared fields before the process moves.
    """
    application = _lock(application)
    ready = next(
        (
            s
            for s in ready_steps(application)
            if handler_for(s).performer == Performer.EXTERNAL
            and s.spec.options.get("message") == message
        ),
        None,
    )
    if ready is None:
        raise ApplicationError(
            f"คำขอ {application.reference} ไม่ได้รอข้อความ {message!r} / "
            f"Application {application.reference} is not waiting for message {message!r}"
        )
    previous = application.status
    note = str(payload.get("note", "")) if isinstance(payload.get("note"), str) else ""
    data = {k: v for k, v in payload.items() if k != "note"}
    transition = workflow.complete_step(
        application.process,  # type: ignore[arg-type]
        ready.task_id,
        Completion(
            data=data, note=note, action=message, label=f"ข้อความ {message} / Message {message}"
        ),
        subject=application,
        actor_label=actor_label,
    )
    return _apply_transition(application, transition, actor_label=actor_label, previous=previous)


# --- applying what the process did -------------------------------------------------


def _apply_transition(
    application: Application,
    transition: workflow.Transition,
    *,
    previous: str,
    actor: Any = None,
    actor_label: str = "",
) -> Application:
    """Derive the status from where the process now waits and record what happened."""
    status = _derived_status(application, transition)
    application.status = status
    application.current_step = "; ".join(step.spec.name for step in transition.ready)[:300]
    note = _last_note(transition)
    if status == Status.CORRECTION and note:
        application.correction_note = note
    if status == Status.REJECTED:
        application.decision_reason = note
    if _officers_done(transition) and application.decided_at is None:
        application.decided_at = timezone.now()
    application.save()
    label = actor_label or (str(actor) if actor else "Biz Portal")
    for done in transition.completed:
        _record_step(application, done, previous, status, label)
    if status != previous:
        _announce_status(application, previous, note, actor=actor, actor_label=label)
    for step in transition.entered:
        if step in transition.ready and handler_for(step).performer == Performer.SYSTEM:
            events.publish(
                SYSTEM_STEP_DUE,
                application,
                {
                    "reference": application.reference or "",
                    "step": step.spec.id,
                    "type": step.spec.type,
                },
            )
    return application


def _derived_status(application: Application, transition: workflow.Transition) -> str:
    if transition.ended:
        if transition.outcome in (Status.REJECTED, Status.WITHDRAWN):
            return transition.outcome
        return Status.ISSUED if application.issued_version else Status.COMPLETED
    steps = sorted(
        transition.ready,
        key=lambda step: PERFORMER_PRIORITY.index(handler_for(step).performer),
    )
    if not steps:
        return application.status
    return handler_for(steps[0]).status(application, steps[0])


def _last_note(transition: workflow.Transition) -> str:
    notes = [done.completion.note for done in transition.completed if done.completion.note]
    return notes[-1] if notes else ""


def _officers_done(transition: workflow.Transition) -> bool:
    """An officer decided and no person's step is left: the decision is made."""
    decided = any(
        handler_for(done.step).performer == Performer.OFFICER for done in transition.completed
    )
    people = any(
        handler_for(step).performer in (Performer.OFFICER, Performer.APPLICANT)
        for step in transition.ready
    )
    return decided and not people


def _record_step(
    application: Application,
    done: CompletedStep,
    previous: str,
    status: str,
    actor_label: str,
) -> None:
    """One history row and one event per completed step, naming who completed it: the
    person who acted, or Biz Portal for the steps that ended on their own (a zero fee,
    a notification)."""
    step = done.step
    performer = handler_for(step).performer
    user = done.actor if getattr(done.actor, "is_authenticated", False) else None
    label = done.actor_label or (str(user) if user else actor_label)
    StatusChange.objects.create(
        application=application,
        from_status=previous,
        to_status=status,
        step=step.spec.id,
        step_name=step.spec.name,
        step_type=step.spec.type,
        action=done.completion.action,
        action_label=done.completion.label,
        actor=user,
        actor_label=label,
        note=done.completion.note,
    )
    events.publish(
        STEP_COMPLETED,
        application,
        {
            "reference": application.reference or "",
            "kind": application.kind,
            "step": step.spec.id,
            "type": step.spec.type,
            "action": done.completion.action,
            "performer": str(performer),
            "agency": application.agency.code,
            "service": application.service.slug,
        },
        actor=user,
        actor_label=label,
    )


def _announce_status(
    application: Application, previous: str, note: str, *, actor: Any, actor_label: str
) -> None:
    audit.record(
        f"application.{application.status}",
        application,
        actor=actor,
        actor_label=actor_label,
        from_status=previous,
        step=application.current_step,
        note=note,
    )
    licence = application.licence if application.status == Status.ISSUED else None
    events.publish(
        STATUS_CHANGED,
        application,
        {
            "reference": application.reference or "",
            "kind": application.kind,
            "from_status": previous,
            "to_status": application.status,
            "step": application.current_step,
            "note": note,
            "licence_number": licence.number if licence else "",
            "agency": application.agency.code,
            "service": application.service.slug,
        },
        actor=actor,
        actor_label=actor_label,
    )


# --- helpers -----------------------------------------------------------------------


def _lock(application: Application) -> Application:
    return (
        # of=("self",): PostgreSQL cannot lock the nullable side of the outer joins.
        Application.objects.select_for_update(of=("self",))
        .select_related("service", "agency", "applicant", "process__version__definition", "licence")
        .get(pk=application.pk)
    )


def _may_act(application: Application, actor: Any, performer: Performer) -> bool:
    if performer == Performer.APPLICANT:
        return getattr(actor, "pk", None) == application.applicant_id
    if performer == Performer.OFFICER:
        return (
            bool(getattr(actor, "is_officer", False)) and actor.agency_id == application.agency_id
        )
    return False


def _waiting_for(application: Application, actor: Any, step: str) -> ReadyStep:
    """The waiting step ``actor`` means: by id when given, else the only one they may act on."""
    mine = [
        s
        for s in ready_steps(application)
        if _may_act(application, actor, handler_for(s).performer)
    ]
    if step:
        mine = [s for s in mine if step in (s.spec.id, s.task_id)]
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise ApplicationError(
            "คำขอนี้ไม่ได้รอการดำเนินการจากท่านในขณะนี้ / "
            "This application is not waiting for anything from you now"
        )
    shown = ", ".join(s.spec.id for s in mine)
    raise ValidationError(
        f"กรุณาระบุขั้นตอน (รออยู่: {shown}) / Please say which step (waiting: {shown})",
        code="step",
    )


def _waiting_step(application: Application, performer: Performer, actor: Any) -> ReadyStep:
    for step in ready_steps(application):
        if handler_for(step).performer == performer and _may_act(application, actor, performer):
            return step
    raise ApplicationError(
        "คำขอนี้แก้ไขไม่ได้ในสถานะปัจจุบัน / This application cannot be changed in its current status"
    )


def _require_editable(application: Application) -> None:
    if not is_editable(application):
        raise ApplicationError(
            "คำขอนี้แก้ไขไม่ได้ในสถานะปัจจุบัน / This application cannot be changed in its current status"
        )


def _extension(content_type: str) -> str:
    return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[content_type]

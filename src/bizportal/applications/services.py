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

import datetime as dt
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bizportal.catalog.bundles import KindNotOffered, ServiceBundle, bundle
from bizportal.catalog.models import Service
from bizportal.core import audit, authz, events
from bizportal.core.models import OutboxMessage
from bizportal.core.sequences import next_number
from bizportal.core.templatetags.thai import pick, translated
from bizportal.core.uploads import check_upload
from bizportal.exchange import gateway
from bizportal.exchange import services as exchange
from bizportal.forms.prefill import locked_fields, prefill_answers
from bizportal.forms.validation import validate_answers, validate_draft
from bizportal.identity.acting import (
    WRITTEN_MANDATE_MISSING,
    StepUpRequired,
    audit_fields,
    grounds,
    may_act,
    require_aal,
    written_mandate_missing,
)
from bizportal.identity.models import MandateAction, Party, StaffRole
from bizportal.identity.services import meets_assurance, refresh_company
from bizportal.licences import services as licences
from bizportal.licences.models import Licence
from bizportal.registries.client import RecordNotFound, RegistryError
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

from . import evidence
from .events import (
    SIGNATURE_REQUESTED,
    STATUS_CHANGED,
    STEP_COMPLETED,
    SUBMITTED,
    SYSTEM_STEP_DUE,
)
from .models import (
    FINAL_STATUSES,
    Application,
    Attachment,
    Channel,
    FetchedEvidence,
    HolderKind,
    Kind,
    Signature,
    Status,
    StatusChange,
)


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


#: How long the first signature of a joint-signing company waits for the second.
SIGNATURE_WINDOW = dt.timedelta(days=7)
#: Lanes whose officer-review steps only a supervisor may decide (a sign-off).
SUPERVISOR_LANES = frozenset({"head_of_section", "supervisor"})

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
        StepUpRequired,
        exchange.ConsentError,
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
        if _may_act(application, actor, handler.performer, step):
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
    service: Service,
    applicant: Any,
    *,
    kind: str = Kind.NEW,
    licence: Licence | None = None,
    party: Party | None = None,
    filed_by: Any = None,
) -> Application:
    """A new draft of ``kind`` for ``party`` on the process version live now.

    ``party`` is who the application is for (default: the applicant themselves); the
    applicant must be allowed to prepare applications for it (themselves, a director of
    the company, a delegate whose mandate covers the service), or ``filed_by`` is the
    counter officer filing for a walk-in applicant. New: prefilled from Digital ID, the
    registries and the party's record. Amend and renew: prefilled from the licence as
    last issued. Cancel: the licence's holder and number. Refused, with the reason,
    when the service does not take this kind or this kind of applicant, the account's
    identity assurance is too low, or the licence may not change (revoked, outside the
    renewal window, already cancelled, another change open).
    """
    party = party or applicant.party
    _check_may_prepare(service, applicant, party, filed_by)
    _check_open_drafts(party)
    chosen = bundle(service, kind)
    application = Application(
        service=service,
        agency_id=service.agency_id,
        applicant=applicant,
        party=party,
        filed_by=filed_by,
        channel=Channel.COUNTER if filed_by is not None else Channel.ONLINE,
        province=_province_of(party, applicant),
        kind=kind,
        fee_version=rules.live_version(chosen.fee_table) if chosen.fee_table else None,
    )
    prefill = prefill_answers(chosen.ui_schema, applicant, party)
    data: dict[str, Any] = dict(prefill)
    _hold_for(application, party)
    if kind != Kind.NEW:
        licence = _licence_for_change(service, party, kind, licence, chosen)
        application.licence = licence
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
        actor=filed_by or applicant,
        service=service.slug,
        kind=kind,
        party=party.key,
        walk_in=str(applicant.public_id) if filed_by else "",
        licence=licence.number if licence else "",
        process=instance.version.definition.key,
        process_version=instance.version.number,
        **audit_fields(filed_by or applicant, party),
    )
    return application


def why_cannot_start(service: Service, applicant: Any, party: Party | None) -> str:
    """The reason ``applicant`` may not start a new application for ``party``, or "".

    The service page asks before showing "Apply", so that a person whose Digital ID
    sign-in is too weak, or whose party the service does not take, learns it (and how
    to meet it) before clicking, not after. Reads only; the same checks as
    :func:`start_application`.
    """
    try:
        _check_may_prepare(service, applicant, party, None)
    except ApplicationError as refusal:
        return str(refusal)
    return ""


def needs_stronger_sign_in(service: Service, applicant: Any) -> bool:
    """Whether a fresh Digital ID sign-in at a higher assurance level would help."""
    return not meets_assurance(applicant, service.min_ial)


def _check_may_prepare(
    service: Service, applicant: Any, party: Party | None, filed_by: Any
) -> None:
    """Who may start an application for whom, for which service (refusals name why)."""
    if party is None:
        raise ApplicationError(_("This account cannot apply"))
    if filed_by is not None:
        if not filed_by.has_role(StaffRole.COUNTER_OFFICER) or party.pk != applicant.party_id:
            raise ApplicationError(
                _("A counter officer files only for the walk-in person whose identity they proved")
            )
    elif not may_act(applicant, party, MandateAction.PREPARE, service.pk):
        if written_mandate_missing(applicant, party, MandateAction.PREPARE, service.pk):
            raise ApplicationError(str(WRITTEN_MANDATE_MISSING))
        raise ApplicationError(
            _("You may not prepare applications for this party for this service")
        )
    if party.is_company:
        if not service.companies_may_apply:
            raise ApplicationError(
                _("%(service)s does not take companies") % {"service": pick(service, "name")}
            )
        if not party.active:
            raise ApplicationError(
                _("%(party)s is not active in the registry and cannot apply")
                % {"party": pick(party, "name")}
            )
    elif party.key.startswith("P:"):
        if not service.foreigners_may_apply:
            raise ApplicationError(
                _("%(service)s does not take foreign applicants")
                % {"service": pick(service, "name")}
            )
    elif not service.persons_may_apply:
        raise ApplicationError(
            _("%(service)s takes companies only") % {"service": pick(service, "name")}
        )
    if not meets_assurance(applicant, service.min_ial):
        raise ApplicationError(
            _("This service needs identity assurance level IAL %(ial)s or higher")
            % {"ial": service.min_ial}
        )


def _check_open_drafts(party: Party) -> None:
    """At most ``MAX_OPEN_DRAFTS_PER_PARTY`` unsubmitted drafts per party, so no account
    (or script) can fill the database with drafts. The party row is locked first, so two
    concurrent starts cannot both take the last place."""
    limit = settings.MAX_OPEN_DRAFTS_PER_PARTY
    Party.objects.select_for_update().filter(pk=party.pk).first()
    if Application.objects.filter(party=party, status=Status.DRAFT).count() >= limit:
        raise ApplicationError(
            _(
                "There are already %(limit)s unsubmitted drafts; submit or delete one of them "
                "before starting another"
            )
            % {"limit": limit}
        )


def _hold_for(application: Application, party: Party) -> None:
    """The licence will name the party: a person, or the company as the registry has it."""
    application.holder_kind = (
        HolderKind.JURISTIC if party.kind == Party.Kind.JURISTIC else HolderKind.PERSON
    )
    application.holder_id = party.key
    application.holder_name_th = party.name_th
    application.holder_name_en = party.name_en


def _licence_for_change(
    service: Service, party: Party, kind: str, licence: Licence | None, chosen: ServiceBundle
) -> Licence:
    if licence is None:
        raise ApplicationError(_("Please choose the licence this is about"))
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    if licence.holder_id != party.key or licence.service_id != service.pk:
        raise ApplicationError(_("This licence is not in your account"))
    licences.check_change(
        licence,
        kind,  # type: ignore[arg-type]
        renew_opens_days_before=chosen.renew_opens_days_before,
        renew_late_days=chosen.renew_late_days,
    )
    open_change = (
        Application.objects.filter(licence=licence)
        .exclude(kind=Kind.NEW)
        .exclude(status__in=[s.value for s in FINAL_STATUSES])
        .first()
    )
    if open_change is not None:
        shown = open_change.reference or str(open_change.get_kind_display())
        raise ApplicationError(
            _("An application for this licence is already in progress (%(shown)s)")
            % {"shown": shown}
        )
    return licence


@transaction.atomic
def save_answers(application: Application, answers: dict[str, Any], *, actor: Any) -> Application:
    """Store the answers as they are (a draft may be incomplete); prefilled identity
    fields keep the values from the authoritative source whatever was posted. Answers
    no draft may hold (a field the form does not have, text over its length, a number
    out of its bounds: :func:`bizportal.forms.validation.validate_draft`) are refused
    with a ValidationError naming each field, and nothing is saved."""
    application = _lock(application)
    _require_editable(application)
    _require_may_prepare(application, actor)
    chosen = bundle_of(application)
    locked = locked_fields(chosen.ui_schema)
    refused = validate_draft(chosen.form_schema, chosen.ui_schema, answers)
    if refused:
        # Unknown fields, over-long text or out-of-bound numbers: nothing is stored.
        raise ValidationError(refused, code="answers")
    merged = {k: v for k, v in answers.items() if k not in locked}
    merged.update({k: v for k, v in application.prefill.items() if k in locked})
    application.data = merged
    application.save(update_fields=["data", "updated_at"])
    audit.record(
        "application.answers_saved",
        application,
        actor=actor,
        fields=sorted(merged),
        **audit_fields(actor, application.party),
    )
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
    _require_may_prepare(application, actor)
    if document_code not in {d.code for d in bundle_of(application).documents}:
        raise ValidationError(
            _("This application asks for no such document"),
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
        **audit_fields(actor, application.party),
    )
    return attachment


def submission_errors(
    application: Application, *, accept_terms: bool, unfetched: Mapping[str, str] | None = None
) -> SubmissionErrors:
    """Everything that stops ``application`` being submitted. A required document is
    there when uploaded or fetched from the exchange; ``unfetched`` says why the
    exchange could not supply one (shown instead of "please attach")."""
    chosen = bundle_of(application)
    errors = SubmissionErrors(
        fields=validate_answers(chosen.form_schema, chosen.ui_schema, application.data)
    )
    present = set(application.attachments.values_list("document_code", flat=True))
    present |= set(application.evidence.values_list("document_code", flat=True))
    for document in chosen.documents:
        if document.is_required_for(application.data) and document.code not in present:
            errors.documents[document.code] = (unfetched or {}).get(document.code) or (
                _("Please attach: %(document)s") % {"document": pick(document, "name")}
            )
    if not accept_terms and application.terms_accepted_at is None:
        errors.terms = _("Please accept the terms before submitting")
    return errors


def _province_of(party: Party | None, applicant: Any) -> str:
    """Where the business is, for the reports by province: a company's registered
    office, else the applicant's home address from the civil registry."""
    address = getattr(party, "registered_address", None) or {}
    if not address.get("province"):
        address = getattr(applicant, "address", None) or {}
    return str(address.get("province", ""))[:100]


def submit(application: Application, *, actor: Any, accept_terms: bool) -> Application:
    """Submit a draft (reference number) or resubmit after a correction.

    Completes the applicant's waiting step. For a company, the juristic registry is read
    again first (over HTTP, before any row is locked): a company no longer active cannot
    apply. A company registered with joint signing needs two signers: the first
    signature waits (status ``awaiting_signature``) until a second person with authority
    to submit for the company signs, by the deadline.
    """
    _refresh_company(application, actor)
    # A copy: reading where the process waits must not leave the caller's instance
    # holding the process as it was before this submission.
    unfetched = _fetch_evidence(Application.objects.get(pk=application.pk), actor)
    return _submit(application, actor=actor, accept_terms=accept_terms, unfetched=unfetched)


def _fetch_evidence(application: Application, actor: Any) -> dict[str, str]:
    """Fetch, through the exchange, each document the service takes from a data service
    and the applicant has not uploaded (over HTTP, before any row is locked). Returns
    why each document that could not be fetched was not: the applicant uploads those."""
    if not is_editable(application) or not _may_act(application, actor, Performer.APPLICANT):
        return {}  # not this actor's to submit: ``_submit`` says why
    have = set(application.attachments.values_list("document_code", flat=True))
    have |= set(application.evidence.values_list("document_code", flat=True))
    wanted = [d for d in bundle_of(application).documents if d.code not in have]
    consumer = gateway.Consumer(
        application.agency.code,
        evidence.PORTAL_SYSTEM,
        officer=actor if getattr(actor, "agency_id", None) == application.agency_id else None,
    )
    unfetched: dict[str, str] = {}
    for code, item in evidence.plan(application, wanted).items():
        if item.needs_consent:
            # Without a basis the gateway would only refuse: no request, no noise.
            unfetched[code] = evidence.refusal_message(item, gateway.Reason.NO_LEGAL_BASIS)
            continue
        try:
            answer = gateway.fetch(
                consumer,
                item.source.data_service.code,
                application.party.key,
                item.source.fields,
                evidence.purpose_of(application, "submit"),
            )
        except gateway.Refused as refused:
            unfetched[code] = evidence.refusal_message(item, refused.reason)
            continue
        _keep_evidence(application, item, answer, actor)
    return unfetched


def _keep_evidence(
    application: Application, item: evidence.Evidence, answer: gateway.Answer, actor: Any
) -> None:
    service, provider = item.source.data_service, item.provider
    FetchedEvidence.objects.update_or_create(
        application=application,
        document_code=item.document.code,
        defaults={
            "data_service": service.code,
            "data_service_name_th": service.name_th,
            "data_service_name_en": service.name_en,
            "provider_name_th": provider.name_th,
            "provider_name_en": provider.name_en,
            "message_id": answer.message_id,
            "basis": answer.basis,
            "fetched_at": answer.at,
            # In the data service's order, as the provider describes its record.
            "fields": [
                {**label, "value": answer.data[label["name"]]}
                for label in item.source.field_labels()
                if label["name"] in answer.data
            ],
        },
    )
    audit.record(
        "application.evidence_fetched",
        application,
        actor=actor,
        document=item.document.code,
        data_service=service.code,
        message_id=str(answer.message_id),
        basis=answer.basis,
        **audit_fields(actor, application.party),
    )


@transaction.atomic
def consent_to_evidence(application: Application, document_code: str, *, actor: Any) -> Any:
    """The applicant's consent, given in the form, for the deciding agency to fetch one
    document from its data service: recorded as an exchange consent (revocable in the
    party's account) with the notice the applicant read."""
    application = _lock(application)
    _require_editable(application)
    _require_may_prepare(application, actor)
    item = evidence.plan(application, bundle_of(application).documents).get(document_code)
    if item is None:
        raise ApplicationError(_("This document is not fetched from a data service"))
    if not item.needs_consent:
        return None
    return exchange.grant_consent(
        subject_id=application.party.key,
        agency=application.agency,
        data_service=item.source.data_service,
        fields=item.source.fields,
        purpose_th=f"พิจารณาคำขอ{application.service.name_th}",
        purpose_en=f"Deciding an application for {application.service.name_en}",
        notice_th=item.notice_th(application),
        by=actor,
    )


def _refresh_company(application: Application, actor: Any) -> None:
    party = application.party
    if not party.is_company:
        return
    try:
        party = refresh_company(party, actor=actor)
    except RecordNotFound:
        raise ApplicationError(_("The company is no longer in the juristic registry")) from None
    except RegistryError as error:
        raise ApplicationError(str(error)) from None
    if not party.active:
        raise ApplicationError(
            _("%(party)s is not active in the registry and cannot apply")
            % {"party": pick(party, "name")}
        )


@transaction.atomic
def _submit(
    application: Application,
    *,
    actor: Any,
    accept_terms: bool,
    unfetched: Mapping[str, str] | None = None,
) -> Application:
    application = _lock(application)
    _lapse_overdue_signatures(application)
    step = _waiting_step(application, Performer.APPLICANT, actor)
    if not _may_submit(application, actor):
        if written_mandate_missing(
            actor, application.party, MandateAction.SUBMIT, application.service_id
        ):
            raise ApplicationError(str(WRITTEN_MANDATE_MISSING))
        raise ApplicationError(_("You may prepare this application but not submit it"))
    if application.filed_by_id != getattr(actor, "pk", None):
        # At the counter the person stands before the officer; online, the session must
        # be as strong as the service asks for submitting.
        require_aal(actor, application.service.min_aal_submit)
    _ensure_licence_may_still_change(application)
    errors = submission_errors(application, accept_terms=accept_terms, unfetched=unfetched)
    if errors:
        raise errors
    first_time = application.submitted_at is None
    now = timezone.now()
    if application.terms_accepted_at is None:
        application.terms_accepted_at = now
    if first_time:
        application.reference = next_number("BP")
        application.submitted_at = now
    application.correction_note = ""
    if _needs_another_signature(application, actor):
        return _wait_for_second_signature(application, actor)
    application.signature_deadline = None
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
        filed_by=str(application.filed_by.public_id) if application.filed_by else "",
        **audit_fields(actor, application.party),
    )
    assert application.process is not None
    transition = workflow.complete_step(
        application.process,
        step.task_id,
        Completion(action="submit", label=gettext_noop("Submitted")),
        subject=application,
        actor=actor,
    )
    return _apply_transition(application, transition, actor=actor, previous=previous)


@transaction.atomic
def discard_draft(application: Application, *, actor: Any) -> None:
    """Delete a draft its applicant no longer wants, with its uploads and its process:
    it never reached the agency, so nothing about it needs keeping (PDPA minimisation),
    and it no longer counts against the party's open drafts. The audit trail keeps that
    it existed and who discarded it. Only a draft: once submitted (or signed by a first
    director) the application has a reference and a record to keep."""
    application = _lock(application)
    if application.status != Status.DRAFT:
        raise ApplicationError(_("Only an unsubmitted draft can be deleted"))
    _require_may_prepare(application, actor)
    files = [attachment.file for attachment in application.attachments.all()]
    audit.record(
        "application.draft_discarded",
        application,
        actor=actor,
        service=application.service.slug,
        kind=application.kind,
        attachments=len(files),
        **audit_fields(actor, application.party),
    )
    process = application.process
    application.delete()
    if process is not None:
        workflow.discard(process, actor=actor)
    # The files go only once the rows are gone for good.
    transaction.on_commit(functools.partial(_delete_files, files))


def _delete_files(files: list[Any]) -> None:
    for file in files:
        file.delete(save=False)


def _needs_another_signature(application: Application, actor: Any) -> bool:
    """A company registered with joint signing needs two directors' signatures: sign
    for the actor, and say whether the second is still missing."""
    if not application.party.needs_two_signatures or application.filed_by_id is not None:
        return False
    return len(_sign(application, actor)) < 2


def _may_submit(application: Application, actor: Any) -> bool:
    if application.filed_by_id is not None and application.filed_by_id == getattr(
        actor, "pk", None
    ):
        return True
    return may_act(actor, application.party, MandateAction.SUBMIT, application.service_id)


def _sign(application: Application, actor: Any) -> set[int]:
    """Record the actor's signature; return everyone who has signed (not lapsed)."""
    signed = application.signatures.filter(lapsed=False)
    if signed.filter(signer=actor).exists():
        raise ApplicationError(_("You have signed already: a second director must sign"))
    acting = grounds(actor, application.party)
    Signature.objects.create(
        application=application, signer=actor, basis=acting.basis if acting else ""
    )
    audit.record(
        "application.signed",
        application,
        actor=actor,
        reference=application.reference,
        basis=acting.basis if acting else "",
        **audit_fields(actor, application.party),
    )
    return set(signed.values_list("signer_id", flat=True)) | {actor.pk}


def _wait_for_second_signature(application: Application, actor: Any) -> Application:
    """The first of two signatures: the others who may sign are told, with the deadline."""
    application.signature_deadline = timezone.now() + SIGNATURE_WINDOW
    application.save()
    events.publish(
        SIGNATURE_REQUESTED,
        application,
        {
            "reference": application.reference or "",
            "party": application.party.key,
            "deadline": application.signature_deadline.isoformat(),
            "signed_by": str(actor.public_id),
        },
        actor=actor,
    )
    return _refresh_status(application, actor, action_label=gettext_noop("First signature"))


def _lapse_overdue_signatures(application: Application) -> None:
    """A first signature whose deadline passed no longer counts: sign again to submit."""
    deadline = application.signature_deadline
    if deadline is None or deadline > timezone.now():
        return
    application.signatures.filter(lapsed=False).update(lapsed=True)
    application.signature_deadline = None
    application.save(update_fields=["signature_deadline", "updated_at"])
    audit.record("application.signatures_lapsed", application, actor_label="Biz Portal")
    _refresh_status(application, None, action_label=gettext_noop("Signature window closed"))


def lapse_overdue_signatures() -> int:
    """Sweep every application whose second signature did not come in time (cron)."""
    overdue = Application.objects.filter(signature_deadline__lt=timezone.now())
    count = 0
    for application in overdue.iterator():
        with transaction.atomic():
            _lapse_overdue_signatures(_lock(application))
            count += 1
    return count


def _refresh_status(application: Application, actor: Any, *, action_label: str) -> Application:
    """Derive the status again without a process step (a signature came or lapsed)."""
    previous = application.status
    steps = sorted(
        ready_steps(application),
        key=lambda step: PERFORMER_PRIORITY.index(handler_for(step).performer),
    )
    if steps:
        application.status = handler_for(steps[0]).status(application, steps[0])
    application.save()
    if application.status != previous:
        StatusChange.objects.create(
            application=application,
            from_status=previous,
            to_status=application.status,
            action_label=action_label,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_label=str(actor) if actor else "Biz Portal",
        )
        _announce_status(
            application,
            previous,
            "",
            actor=actor,
            actor_label=str(actor) if actor else "Biz Portal",
        )
    return application


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
        raise ValidationError(
            _("Step %(step)s has no action %(action)r (it has: %(offered)s)")
            % {"step": translated(ready.spec.name), "action": action, "offered": offered},
            code="action",
        )
    note = (note or "").strip()
    if chosen.note_required and not note:
        raise ValidationError(
            _("Please give the reason or what must be corrected (the applicant is told)"),
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


@transaction.atomic
def decide(
    application: Application,
    *,
    officer: Any,
    action: str,
    note: str = "",
    step: str = "",
    values: Mapping[str, Any] | None = None,
) -> Application:
    """The officer's decision as pages and the API receive it: an action of the step.
    The permission is asked of the locked row, not of whatever copy the caller holds."""
    application = _lock(application)
    if not authz.allowed(officer, "applications.decide", application):
        raise ApplicationError(_("Officers may act only for their own agency"))
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
            _("Application %(reference)s is not waiting for a %(step_type)s step")
            % {"reference": application.reference, "step_type": step_type}
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
    for _attempt in range(10):  # a process may hand one system step to the next
        application = Application.objects.with_process().get(pk=application.pk)
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


#: Statuses in which a process can wait for a step the system performs (issue-licence
#: and cancel-licence; a notify step completes as it is entered).
WAITING_FOR_SYSTEM = (Status.ISSUING, Status.PROCESSING)
PERFORM_SYSTEM_STEPS = "applications.perform_system_steps"


def resume_system_steps(older_than: dt.datetime) -> int:
    """Announce again the system step of every application that has waited for one since
    before ``older_than`` with no delivery of that announcement pending or failed.

    Why: the announcement (``system_step_due``) is written with the change that reached
    the step, so normally it cannot be lost; this is the sweeper's net for whatever
    still is (a message delivered by a subscriber that stopped early, rows restored
    from a backup, a step entered by a release with a bug). A failed delivery is left
    to the operator (``manage.py outbox --retry-failed``), so a step that fails for a
    reason that persists is not re-announced every minute. Runs from the sweeper
    (:mod:`bizportal.core.sweeps`); returns how many it announced.
    """
    in_hand = set(
        OutboxMessage.objects.filter(
            subscriber=PERFORM_SYSTEM_STEPS,
            status__in=(OutboxMessage.Status.PENDING, OutboxMessage.Status.FAILED),
            event__subject_type=Application._meta.label_lower,
        ).values_list("event__subject_id", flat=True)
    )
    waiting = Application.objects.filter(
        status__in=WAITING_FOR_SYSTEM, updated_at__lt=older_than
    ).values_list("pk", "public_id")
    count = 0
    for pk, public_id in waiting.iterator():
        if str(public_id) in in_hand:
            continue
        with transaction.atomic():
            # Locked: a delivery running now and this sweep must not both announce.
            application = _lock(Application(pk=pk))
            due = [
                step
                for step in ready_steps(application)
                if handler_for(step).performer == Performer.SYSTEM
            ]
            if application.status not in WAITING_FOR_SYSTEM or not due:
                continue
            step = due[0]
            events.publish(
                SYSTEM_STEP_DUE,
                application,
                {
                    "reference": application.reference or "",
                    "step": step.spec.id,
                    "type": step.spec.type,
                },
            )
            audit.record(
                "application.system_step_resumed",
                application,
                actor_label="Biz Portal sweeper",
                step=step.spec.id,
                type=step.spec.type,
            )
            count += 1
    return count


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
            _("Application %(reference)s is not waiting for message %(message)r")
            % {"reference": application.reference, "message": message}
        )
    previous = application.status
    note = str(payload.get("note", "")) if isinstance(payload.get("note"), str) else ""
    data = {k: v for k, v in payload.items() if k != "note"}
    transition = workflow.complete_step(
        application.process,  # type: ignore[arg-type]
        ready.task_id,
        Completion(data=data, note=note, action=message, label=gettext_noop("Message")),
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
        .select_related(
            "service", "agency", "applicant", "party", "process__version__definition", "licence"
        )
        .defer("process__version__source")
        .get(pk=application.pk)
    )


def _may_act(
    application: Application, actor: Any, performer: Performer, step: ReadyStep | None = None
) -> bool:
    """Whether ``actor`` is one of the people a step of this performer waits for."""
    if performer == Performer.APPLICANT:
        if application.filed_by_id is not None and application.filed_by_id == getattr(
            actor, "pk", None
        ):
            return True
        return may_act(actor, application.party, MandateAction.PREPARE, application.service_id)
    if performer == Performer.OFFICER:
        officer = bool(getattr(actor, "is_officer", False))
        if not officer or actor.agency_id != application.agency_id:
            return False
        if step is not None and step.spec.lane in SUPERVISOR_LANES:
            return bool(actor.has_role(StaffRole.AGENCY_SUPERVISOR))
        return True
    return False


def _waiting_for(application: Application, actor: Any, step: str) -> ReadyStep:
    """The waiting step ``actor`` means: by id when given, else the only one they may act on."""
    mine = [
        s
        for s in ready_steps(application)
        if _may_act(application, actor, handler_for(s).performer, s)
    ]
    if step:
        mine = [s for s in mine if step in (s.spec.id, s.task_id)]
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise ApplicationError(_("This application is not waiting for anything from you now"))
    shown = ", ".join(s.spec.id for s in mine)
    raise ValidationError(
        _("Please say which step (waiting: %(shown)s)") % {"shown": shown},
        code="step",
    )


def _waiting_step(application: Application, performer: Performer, actor: Any) -> ReadyStep:
    for step in ready_steps(application):
        if handler_for(step).performer == performer and _may_act(
            application, actor, performer, step
        ):
            return step
    raise ApplicationError(_("This application cannot be changed in its current status"))


def _require_may_prepare(application: Application, actor: Any) -> None:
    """Asked again at every change: a mandate revoked since the draft was opened stops
    the delegate's next save."""
    if not _may_act(application, actor, Performer.APPLICANT):
        if written_mandate_missing(
            actor, application.party, MandateAction.PREPARE, application.service_id
        ):
            raise ApplicationError(str(WRITTEN_MANDATE_MISSING))
        raise ApplicationError(_("You may not change this application"))


def _require_editable(application: Application) -> None:
    if not is_editable(application):
        raise ApplicationError(_("This application cannot be changed in its current status"))


def _extension(content_type: str) -> str:
    return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[content_type]

"""The step types the applications app contributes to the workflow's registry.

* ``applicant-data``: the applicant fills in (or corrects) and submits.
* ``officer-review``: an officer of the owning agency decides; the decisions are the
  step's ``decision`` field in the BPMN file, so a stage may offer approve / correct /
  reject, or sign off / return, without code.
* ``wait-for-message``: the process waits for an outside system's answer (an agency
  deciding in its own system) named by ``biz:message``.
* ``issue-licence`` / ``cancel-licence``: the system applies the decision to the
  licence register (new licence, new version, or cancellation).

Why here: these steps work on the application itself (its answers, its holder, its
licence), which this app owns. Payment, inspection and notification steps live in
the apps that own that work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bizportal.licences import services as licences
from bizportal.licences.models import Licence, VersionKind
from bizportal.workflow.engine import ParsedProcess, ReadyStep, StepSpec
from bizportal.workflow.steps import (
    Action,
    Completion,
    Performer,
    StepContext,
    StepError,
    StepHandler,
    process_checks,
    step_types,
)

from .models import Application, Kind, Status


@step_types.register("applicant-data")
class ApplicantDataStep(StepHandler):
    type = "applicant-data"
    performer = Performer.APPLICANT
    description = gettext_noop("The applicant fills in or corrects, and submits")

    def actions(self, step: StepSpec) -> list[Action]:
        return [Action("submit", gettext_noop("Submit"))]

    def act(
        self, ctx: StepContext, action: Action, values: Mapping[str, Any], note: str
    ) -> Completion | None:
        # Submission checks the whole application (answers, documents, terms, holder);
        # it has its own service, applications.services.submit.
        raise StepError(_("Submit through the application form"))

    def status(self, subject: Application, step: ReadyStep) -> str:
        if subject.signature_deadline is not None:
            return Status.AWAITING_SIGNATURE
        sent_back = subject.history.filter(step_type=self.type).exists()
        return Status.CORRECTION if sent_back else Status.DRAFT


@step_types.register("officer-review")
class OfficerReviewStep(StepHandler):
    """A review stage. Its decisions are the choices of the step's ``decision`` field;
    every decision but those listed in ``biz:noteOptionalFor`` (default: approve)
    needs a note, because the applicant is told why."""

    type = "officer-review"
    performer = Performer.OFFICER
    description = gettext_noop("An officer reviews and decides")
    options = {"noteOptionalFor": False}
    outputs = frozenset({"decision"})

    def check(self, step: StepSpec) -> list[str]:
        decision = step.field("decision")
        if decision is None or not decision.choices:
            return ["an officer-review step needs a 'decision' field with choices (formData)"]
        return []

    def actions(self, step: StepSpec) -> list[Action]:
        decision = step.field("decision")
        optional = set(step.options.get("noteOptionalFor", "approve").split())
        return [
            Action(choice, label, note_required=choice not in optional)
            for choice, label in (decision.choices if decision else ())
        ]

    def act(
        self, ctx: StepContext, action: Action, values: Mapping[str, Any], note: str
    ) -> Completion | None:
        return Completion(
            data={"decision": action.id}, note=note, action=action.id, label=action.label
        )

    def status(self, subject: Application, step: ReadyStep) -> str:
        return Status.REVIEW


@step_types.register("wait-for-message")
class WaitForMessageStep(StepHandler):
    """Waits for ``biz:message`` from an outside system; the step's fields say what the
    message must carry (checked before the process moves)."""

    type = "wait-for-message"
    performer = Performer.EXTERNAL
    description = gettext_noop("Waits for an outside system's answer")
    options = {"message": True}

    def status(self, subject: Application, step: ReadyStep) -> str:
        return Status.WAITING


def _draft(
    application: Application, agency_licence: Mapping[str, Any] | None = None
) -> licences.LicenceDraft:
    """The licence as the application asks for it; ``agency_licence`` is what an agency
    deciding in its own system sent with its approval (its number, conditions), kept in
    the licence's details beside the answers."""
    service = application.service
    details = dict(application.data)
    if agency_licence:
        details["agency_licence"] = dict(agency_licence)
    return licences.LicenceDraft(
        service=service,
        account=application.applicant,
        holder_kind=application.holder_kind or "person",
        holder_id=application.holder_id,
        holder_name=application.holder_name_th or application.applicant.display_name,
        holder_name_en=application.holder_name_en,
        business_name=str(application.data.get("business_name") or ""),
        details=details,
        application_reference=application.reference or "",
        validity_years=service.licence_validity_years,
    )


@step_types.register("issue-licence")
class IssueLicenceStep(StepHandler):
    """Issues what the application asked for: a new licence, or a new version of its
    licence with the amended details or the renewed validity."""

    type = "issue-licence"
    performer = Performer.SYSTEM
    description = gettext_noop("Biz Portal issues the signed e-licence")
    outputs = frozenset({"licence_number", "licence_version"})

    def perform(self, ctx: StepContext) -> Completion:
        application: Application = ctx.subject
        if application.kind == Kind.CANCEL:
            raise StepError(_("A cancellation needs a cancel-licence step, not issue-licence"))
        draft = _draft(application, ctx.data.get("agency_licence"))
        if application.kind == Kind.NEW:
            licence = licences.issue_licence(draft)
        else:
            assert application.licence is not None
            kind = VersionKind.RENEW if application.kind == Kind.RENEW else VersionKind.AMEND
            licence = licences.issue_version(application.licence, draft, kind)
        application.licence = licence
        application.issued_version = licence.version
        application.save(update_fields=["licence", "issued_version", "updated_at"])
        return Completion(
            data={"licence_number": licence.number, "licence_version": licence.version},
            note=f"{licence.number} v{licence.version}",
            action="issued",
            label=gettext_noop("Licence issued"),
        )

    def status(self, subject: Application, step: ReadyStep) -> str:
        return Status.ISSUING


@step_types.register("cancel-licence")
class CancelLicenceStep(StepHandler):
    """Records the surrender of the application's licence in the register."""

    type = "cancel-licence"
    performer = Performer.SYSTEM
    description = gettext_noop("Biz Portal records the licence as cancelled")

    def perform(self, ctx: StepContext) -> Completion:
        application: Application = ctx.subject
        licence: Licence | None = application.licence
        if application.kind != Kind.CANCEL or licence is None:
            raise StepError(_("A cancel-licence step belongs only to a cancellation"))
        reason = str(application.data.get("reason") or "").strip() or "-"
        licences.cancel_licence(
            licence, reason=reason, application_reference=application.reference or ""
        )
        return Completion(
            note=licence.number, action="cancelled", label=gettext_noop("Licence cancelled")
        )

    def status(self, subject: Application, step: ReadyStep) -> str:
        return Status.PROCESSING


def _starts_with_the_applicant(process: ParsedProcess) -> list[str]:
    """An application's process must let the applicant fill in and submit."""
    if not any(step.type == "applicant-data" for step in process.steps):
        return ["an application process needs an applicant-data step (fill in and submit)"]
    return []


process_checks.append(_starts_with_the_applicant)

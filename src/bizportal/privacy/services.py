"""Every change PDPA asks for: accepting notices, objections, data-subject requests and
their answers, the data export, and the retention job. Each writes its audit record in
the same transaction (core.audit)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bizportal.applications.models import Application, Status
from bizportal.contact import selectors as contact
from bizportal.core import audit
from bizportal.core.models import AuditEvent
from bizportal.core.pdf import render_pdf
from bizportal.identity.models import Mandate, Party
from bizportal.licences.models import Licence
from bizportal.payments.models import Invoice, Receipt

from . import retention, ropa, selectors
from .models import (
    OPTIONAL_PURPOSES,
    DataSubjectRequest,
    Objection,
    PrivacyAcceptance,
    PrivacyNotice,
)

#: Longest free text a person may send with a request.
MAX_DETAILS = 4000


# --- notices ---------------------------------------------------------------------------


@transaction.atomic
def publish_notice(notice: PrivacyNotice, *, actor: Any = None) -> PrivacyNotice:
    """Save a new notice version. Versions only go up, so an accepted text never changes
    under the person who accepted it."""
    if notice.pk is not None:
        raise ValidationError(_("A published notice cannot be changed: add a new version"))
    latest = PrivacyNotice.objects.filter(purpose=notice.purpose).order_by("-version").first()
    if latest is not None and notice.version <= latest.version:
        raise ValidationError(
            _("The version must be above %(version)s") % {"version": latest.version}
        )
    notice.full_clean()
    notice.save()
    audit.record(
        "privacy.notice_published",
        notice,
        actor=actor,
        purpose=notice.purpose,
        version=notice.version,
    )
    return notice


@transaction.atomic
def accept(user: Any, notices: list[PrivacyNotice]) -> int:
    """Record that the person accepted these versions; accepting twice is a no-op."""
    accepted = 0
    for notice in notices:
        _acceptance, created = PrivacyAcceptance.objects.get_or_create(user=user, notice=notice)
        if created:
            accepted += 1
            audit.record(
                "privacy.notice_accepted",
                notice,
                actor=user,
                purpose=notice.purpose,
                version=notice.version,
            )
    return accepted


@transaction.atomic
def set_objection(user: Any, purpose: str, *, objected: bool) -> None:
    """Object to (or withdraw the objection to) an optional purpose, PDPA s. 32."""
    if purpose not in OPTIONAL_PURPOSES:
        raise ValidationError(_("Only optional processing can be objected to"))
    if objected:
        _objection, changed = Objection.objects.get_or_create(user=user, purpose=purpose)
    else:
        changed = Objection.objects.filter(user=user, purpose=purpose).delete()[0] > 0
    if changed:
        audit.record(
            "privacy.objection_set" if objected else "privacy.objection_withdrawn",
            user,
            actor=user,
            purpose=purpose,
        )


# --- requests --------------------------------------------------------------------------


def legal_holds_for(user: Any) -> list[dict[str, str]]:
    """The legal holds that keep some of this person's data after a deletion request."""
    party_ids = _party_ids(user)
    present = {
        "receipts": Receipt.objects.filter(
            Q(invoice__application__applicant=user) | Q(invoice__application__party__in=party_ids)
        ).exists(),
        "licences": Licence.objects.filter(account=user).exists(),
        "audit": AuditEvent.objects.filter(actor=user).exists()
        or AuditEvent.objects.filter(
            object_type="identity.user", object_id=str(user.public_id)
        ).exists(),
    }
    return [
        {
            "key": hold.key,
            "what_th": hold.what_th,
            "what_en": hold.what_en,
            "law_th": hold.law_th,
            "law_en": hold.law_en,
            "years": str(hold.years),
        }
        for hold in retention.LEGAL_HOLDS
        if present[hold.key]
    ]


@transaction.atomic
def make_request(user: Any, kind: str, details: str = "") -> DataSubjectRequest:
    """Record a correction, deletion or objection request for the DPO to answer.

    A deletion request lists, at once, what the law keeps anyway, so the person sees
    why some data will stay before the DPO answers.
    """
    if kind not in DataSubjectRequest.Kind.values:
        raise ValidationError(_("Unknown kind of request"))
    details = details.strip()
    if len(details) > MAX_DETAILS:
        raise ValidationError(
            _("Details longer than %(limit)s characters") % {"limit": MAX_DETAILS}
        )
    if kind == DataSubjectRequest.Kind.CORRECTION and not details:
        raise ValidationError(_("Say which data is wrong and what it should be"))
    open_same = DataSubjectRequest.objects.select_for_update().filter(
        user=user,
        kind=kind,
        status__in=[DataSubjectRequest.Status.RECEIVED, DataSubjectRequest.Status.IN_PROGRESS],
    )
    if open_same.exists():
        raise ValidationError(_("A request of this kind is still open"))
    request = DataSubjectRequest.objects.create(
        user=user,
        kind=kind,
        details=details,
        retained=legal_holds_for(user) if kind == DataSubjectRequest.Kind.DELETION else [],
    )
    audit.record("privacy.request_made", request, actor=user, kind=kind)
    return request


@transaction.atomic
def answer_request(
    request: DataSubjectRequest, *, actor: Any, status: str, answer: str
) -> DataSubjectRequest:
    """The DPO's answer. A deletion answered *done* erases what the law lets go."""
    if status not in DataSubjectRequest.Status.values or status == "received":
        raise ValidationError(_("Unknown status"))
    request = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
    if not request.is_open:
        raise ValidationError(_("This request is already answered"))
    if status in ("done", "refused") and not answer.strip():
        raise ValidationError(_("Write the answer to the person"))
    erased: dict[str, int] = {}
    if status == "done" and request.kind == DataSubjectRequest.Kind.DELETION:
        erased = _erase(request.user, actor=actor)
    request.status = status
    request.answer = answer.strip()
    if status in ("done", "refused"):
        request.answered_at = timezone.now()
        request.answered_by = actor
    request.save()
    audit.record("privacy.request_answered", request, actor=actor, status=status, erased=erased)
    return request


#: Account fields kept while a legal hold applies: they identify the holder of the
#: licences and receipts that the law keeps.
_KEPT_UNDER_HOLD = {"citizen_id", "full_name_th", "full_name_en"}


def _erase(user: Any, *, actor: Any) -> dict[str, int]:
    drafts = list(Application.objects.filter(applicant=user, status=Status.DRAFT))
    deleted = sum(_delete_application(a) for a in drafts)
    held = bool(legal_holds_for(user))
    fields = {
        name: retention.blank_value(user._meta.get_field(name))
        for name in retention.personal_fields(type(user))
        if not (held and name in _KEPT_UNDER_HOLD)
    }
    for name, value in fields.items():
        setattr(user, name, value)
    user.is_active = held and user.is_active
    user.save(update_fields=[*fields, "is_active"])
    Objection.objects.filter(user=user).delete()
    audit.record(
        "privacy.account_erased",
        user,
        actor=actor,
        fields=sorted(fields),
        drafts=deleted,
        kept_under_law=held,
    )
    return {"drafts_deleted": deleted, "fields_blanked": len(fields)}


# --- export ----------------------------------------------------------------------------


def _party_ids(user: Any) -> list[int]:
    return [user.party_id] if getattr(user, "party_id", None) else []


def _row(obj: models.Model, *names: str) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def collect(user: Any) -> dict[str, Any]:
    """Everything the portal holds about the person (their own records only)."""
    party = user.party
    applications = (
        Application.objects.filter(applicant=user)
        .select_related("service", "licence")
        .prefetch_related("attachments", "history")
        .order_by("created_at")
    )
    invoices = (
        Invoice.objects.filter(application__applicant=user)
        .select_related("application")
        .order_by("created_at")
    )
    mandates = (
        Mandate.objects.filter(
            Q(grantor__in=_party_ids(user)) | Q(delegate=user) | Q(granted_by=user)
        )
        .select_related("grantor")
        .order_by("granted_at")
    )
    events = AuditEvent.objects.filter(
        Q(actor=user)
        | Q(object_type="identity.user", object_id=str(user.public_id))
        | (Q(on_behalf_of=party.key) if party else Q(pk__in=[]))
    ).order_by("at")
    directorships = (
        Party.objects.filter(directorships__citizen_id=user.citizen_id)
        if user.citizen_id
        else Party.objects.none()
    )
    return {
        "generated_at": timezone.now(),
        "account": _row(
            user,
            "public_id",
            "username",
            "citizen_id",
            "passport_no",
            "nationality",
            "full_name_th",
            "full_name_en",
            "email",
            "phone",
            "birth_date",
            "address",
            "identity_assurance",
            "date_joined",
            "last_login",
        ),
        "parties": [
            {
                **_row(p, "public_id", "kind", "key", "name_th", "name_en", "registered_address"),
                "relation": "self" if party and p.pk == party.pk else "director",
            }
            for p in ([party] if party else []) + list(directorships)
        ],
        "applications": [
            {
                **_row(
                    a,
                    "public_id",
                    "reference",
                    "kind",
                    "status",
                    "holder_id",
                    "holder_name_th",
                    "holder_name_en",
                    "created_at",
                    "submitted_at",
                    "decided_at",
                    "decision_reason",
                ),
                "service": a.service.slug,
                "answers": a.data,
                "documents": [
                    _row(
                        d,
                        "public_id",
                        "document_code",
                        "original_name",
                        "content_type",
                        "size",
                        "sha256",
                        "uploaded_at",
                    )
                    for d in a.attachments.all()
                ],
                "history": [
                    _row(h, "from_status", "to_status", "step_name", "action", "note")
                    for h in a.history.all()
                ],
            }
            for a in applications
        ],
        "payments": [
            {
                **_row(
                    i,
                    "public_id",
                    "number",
                    "amount",
                    "currency",
                    "status",
                    "created_at",
                    "paid_at",
                ),
                "application": i.application.reference,
                "receipt": _row(i.receipt, "number", "issued_at")
                if hasattr(i, "receipt")
                else None,
            }
            for i in invoices
        ],
        "licences": [
            _row(
                lic,
                "public_id",
                "number",
                "title_th",
                "title_en",
                "holder_id",
                "holder_name",
                "holder_name_en",
                "business_name",
                "status",
                "issued_at",
                "valid_from",
                "valid_until",
                "details",
            )
            for lic in Licence.objects.filter(account=user).order_by("issued_at")
        ],
        "mandates": [
            {
                **_row(
                    m,
                    "public_id",
                    "delegate_key",
                    "delegate_name",
                    "actions",
                    "valid_from",
                    "valid_until",
                    "status",
                    "granted_at",
                ),
                "grantor": m.grantor.key,
                "role": "delegate" if m.delegate_id == user.pk else "grantor",
            }
            for m in mandates
        ],
        "privacy": {
            "accepted": [
                {
                    "purpose": a.notice.purpose,
                    "version": a.notice.version,
                    "accepted_at": a.accepted_at,
                }
                for a in user.privacy_acceptances.select_related("notice")
            ],
            "objections": sorted(selectors.objections_of(user)),
            "requests": [
                _row(
                    r,
                    "public_id",
                    "kind",
                    "status",
                    "details",
                    "answer",
                    "created_at",
                    "answered_at",
                )
                for r in selectors.requests_of(user)
            ],
        },
        # Complaints, enquiries, contacts the helpdesk logged, application messages.
        "contact": contact.personal_data(user),
        "audit_events": [
            _row(e, "at", "action", "object_type", "object_id", "actor_label", "on_behalf_of")
            for e in events
        ],
    }


@transaction.atomic
def export_json(user: Any) -> bytes:
    """The person's data as JSON (PDPA s. 31: a commonly used machine-readable form)."""
    data = collect(user)
    audit.record("privacy.data_exported", user, actor=user, format="json")
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


@transaction.atomic
def export_pdf(user: Any) -> bytes:
    """The same data, for reading; the JSON stays the machine-readable copy."""
    data = collect(user)
    generated_at = data.pop("generated_at")
    audit.record("privacy.data_exported", user, actor=user, format="pdf")
    sections = []
    for title, value in data.items():
        items = [value] if isinstance(value, dict) else value
        sections.append((title, [[(k, _plain(v)) for k, v in item.items()] for item in items]))
    return render_pdf(
        "privacy/export_pdf.html",
        {"sections": sections, "user": user, "generated_at": generated_at},
    )


def _plain(value: Any) -> str:
    """A value as text for the PDF (nested answers as indented JSON)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
    return str(value)


# --- retention -------------------------------------------------------------------------


@dataclass
class RetentionResult:
    rule: str
    action: str
    days: int
    count: int


def _delete_application(application: Application) -> int:
    process = application.process
    for attachment in application.attachments.all():
        attachment.file.delete(save=False)
    application.delete()
    if process is not None:
        process.delete()
    return 1


def apply_retention(
    *, now: dt.datetime | None = None, dry_run: bool = False
) -> list[RetentionResult]:
    """Delete or anonymise what is past its period, rule by rule (each rule in its own
    transaction, audited with its count). A dry run only counts and writes nothing."""
    now = now or timezone.now()
    results = []
    for rule in retention.rules():
        due = rule.due(now, rule.days)
        if dry_run:
            results.append(RetentionResult(rule.key, rule.action, rule.days, due.count()))
            continue
        with transaction.atomic():
            count = _apply(rule, due)
            if count:
                audit.record(
                    "privacy.retention_applied",
                    ("privacy.retention", rule.key),
                    actor_label="apply_retention",
                    action_taken=rule.action,
                    days=rule.days,
                    count=count,
                )
        results.append(RetentionResult(rule.key, rule.action, rule.days, count))
    return results


def _apply(rule: retention.RetentionRule, due: Any) -> int:
    model = due.model
    if rule.action == "delete":
        if model is Application:
            return sum(_delete_application(a) for a in due.select_related("process"))
        return int(due.delete()[0])
    fields = retention.personal_fields(model)
    files = [n for n in fields if isinstance(model._meta.get_field(n), models.FileField)]
    count = 0
    for obj in due.select_for_update():
        for name in files:
            getattr(obj, name).delete(save=False)
        for name in fields:
            setattr(obj, name, retention.blank_value(model._meta.get_field(name)))
        obj.save(update_fields=list(fields))
        count += 1
    return count


#: The record's formats: CSV and JSON for machines, Excel and PDF for the DPO's file.
ROPA_FORMATS: dict[str, Callable[[], str | bytes]] = {
    "csv": ropa.as_csv,
    "json": ropa.as_json,
    "xlsx": ropa.as_xlsx,
    "pdf": ropa.as_pdf,
}


@transaction.atomic
def export_ropa(fmt: str, *, actor: Any = None) -> str | bytes:
    """The record of processing activities with the data-sharing agreements, its
    export audited (who took a copy of the record is itself a fact to keep)."""
    if fmt not in ROPA_FORMATS:
        raise ValidationError(", ".join(ROPA_FORMATS))
    audit.record(
        "privacy.ropa_exported",
        ("privacy.ropa", fmt),
        actor=actor,
        actor_label="" if actor else "manage.py export_ropa",
    )
    return ROPA_FORMATS[fmt]()

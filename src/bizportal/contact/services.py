"""Every change to cases, threads and the contact log happens here.

Each function checks everything it was given before it writes anything (text lengths,
the attachment's sniffed type and size, that a linked application is the person's own),
then writes the change, its audit record and its event in one transaction: a refused
request leaves nothing behind, and a committed one is always audited and announced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bizportal.applications.models import BEFORE_AGENCY, Application
from bizportal.catalog.models import Agency, Service
from bizportal.core import audit, authz, events, sequences
from bizportal.core.uploads import check_upload
from bizportal.identity.models import User
from bizportal.licences.models import Licence
from bizportal.service_levels import calendar

from .events import (
    APPLICATION_MESSAGE,
    CASE_ESCALATED,
    CASE_MESSAGE,
    CASE_OPENED,
    CASE_SHARED,
    COMPLAINT_CLOSED,
)
from .models import (
    Case,
    CaseAgency,
    CaseStatus,
    Category,
    Channel,
    ContactEntry,
    EntryType,
    Kind,
    Message,
    Side,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_SUBJECT = 200
MAX_NAME = 200
MAX_PHONE = 20
MAX_KEY = 100
ESCALATION_BATCH = 200

NOT_YOURS = _("No such application or licence in your account")


def _refuse(field: str, message: StrOrPromise, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def sla_days(kind: str) -> int:
    """Working days an agency has: a complaint to be settled, an enquiry answered."""
    if kind == Kind.COMPLAINT:
        return int(settings.CONTACT_COMPLAINT_DAYS)
    return int(settings.CONTACT_ENQUIRY_DAYS)


def _clean_text(value: str, field: str, *, limit: int, required: bool = True) -> str:
    text = (value or "").strip()
    if "\x00" in text:
        raise _refuse(field, _("The text holds a character not allowed"), "invalid")
    if required and not text:
        raise _refuse(field, _("Please write something here"), "required")
    if len(text) > limit:
        raise _refuse(
            field,
            gettext("The text is longer than %(limit)s characters") % {"limit": f"{limit:,}"},
            "max_length",
        )
    return text


def _choice(value: str, field: str, choices: Any) -> str:
    if value not in choices.values:
        raise _refuse(field, _("Please choose one of the options"), "invalid_choice")
    return value


def _checked_attachment(upload: UploadedFile | None) -> tuple[Any, str] | None:
    """The upload check every file in the portal goes through (``core.uploads``), and
    the file's digest; before anything is written."""
    if upload is None:
        return None
    try:
        checked = check_upload(upload)
    except ValidationError as refused:
        raise ValidationError({"attachment": refused.error_list}) from None
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return checked, digest.hexdigest()


_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def _save_message(message: Message, upload: UploadedFile | None, checked: Any) -> Message:
    """Store the message and its file; a failed insert deletes the stored file."""
    if upload is not None and checked is not None:
        info, digest = checked
        message.attachment_name = (upload.name or "attachment")[:255]
        message.attachment_type = info.content_type
        message.attachment_size = info.size
        message.attachment_sha256 = digest
        message.attachment.save(
            f"{message.public_id}{_EXTENSIONS[info.content_type]}", upload, save=False
        )
    stored = message.attachment.name if message.attachment else ""
    try:
        message.save()
    except Exception:
        if stored:
            message.attachment.storage.delete(stored)
        raise
    return message


# --- filing -------------------------------------------------------------------------


@dataclass(frozen=True)
class Filing:
    """What a person (or the staff member taking the call) says."""

    kind: str
    category: str
    subject: str
    body: str
    name: str = ""
    email: str = ""
    phone: str = ""
    service: Service | None = None
    application: Application | None = None
    licence: Licence | None = None
    also: tuple[Agency, ...] = ()
    channel: str = Channel.WEB


def _own_links(filing: Filing, person: User | None) -> None:
    """A case may name only the person's own application or licence. Anything else is
    refused with the same words whether it exists or not (nothing leaks)."""
    if filing.application is not None and (
        person is None or not authz.allowed(person, "applications.view", filing.application)
    ):
        raise _refuse("application", NOT_YOURS, "not_yours")
    if filing.licence is not None and (
        person is None or not authz.allowed(person, "licences.view", filing.licence)
    ):
        raise _refuse("licence", NOT_YOURS, "not_yours")


def _routing(filing: Filing) -> tuple[Agency, Service | None, list[Agency]]:
    """The owner agency (the application's, the licence's, else the service's) and the
    agencies it is shared with."""
    if filing.application is not None:
        owner, service = filing.application.agency, filing.application.service
    elif filing.licence is not None:
        owner, service = filing.licence.agency, filing.licence.service
    elif filing.service is not None:
        owner, service = filing.service.agency, filing.service
    else:
        raise _refuse(
            "service",
            _(
                "Please choose the service or application it is about, so it reaches the "
                "agency responsible"
            ),
            "required",
        )
    shared: list[Agency] = []
    for agency in filing.also:
        if agency.pk != owner.pk and agency.pk not in {a.pk for a in shared}:
            shared.append(agency)
    if len(shared) > 5:
        raise _refuse("also", _("At most 5 other agencies"), "too_many")
    return owner, service, shared


def _who(filing: Filing, person: User | None) -> tuple[str, str, str]:
    name = _clean_text(filing.name, "name", limit=MAX_NAME, required=False)
    phone = _clean_text(filing.phone, "phone", limit=MAX_PHONE, required=False)
    email = _clean_text(filing.email, "email", limit=254, required=False)
    if person is not None:
        email = email or person.email
        name = name or person.display_name
    elif not email:
        raise _refuse(
            "email",
            _("Please give an email address for the answer"),
            "required",
        )
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise _refuse("email", _("The email address is not valid"), "invalid") from None
    return name, email, phone


def file_case(
    filing: Filing,
    *,
    person: User | None = None,
    logged_by: User | None = None,
    attachment: UploadedFile | None = None,
) -> Case:
    """Open a complaint or enquiry for ``person`` (None: anonymous, email only), filed
    online by them or taken by ``logged_by`` (helpdesk or counter staff)."""
    kind = _choice(filing.kind, "kind", Kind)
    category = _choice(filing.category, "category", Category)
    channel = _choice(filing.channel, "channel", Channel)
    subject = _clean_text(filing.subject, "subject", limit=MAX_SUBJECT)
    body = _clean_text(filing.body, "body", limit=settings.CONTACT_MAX_MESSAGE)
    name, email, phone = _who(filing, person)
    if logged_by is not None and not authz.allowed(logged_by, "contact.helpdesk"):
        raise PermissionDenied("contact.helpdesk")
    _own_links(filing, person)
    owner, service, shared = _routing(filing)
    checked = _checked_attachment(attachment)
    with transaction.atomic():
        now = timezone.now()
        days = sla_days(kind)
        case = Case.objects.create(
            reference=sequences.next_number("CT"),
            kind=kind,
            category=category,
            channel=channel,
            subject=subject,
            body=body,
            person=person,
            name=name,
            email=email,
            phone=phone,
            follow_salt=secrets.token_hex(16),
            application=filing.application,
            licence=filing.licence,
            service=service,
            owner_agency=owner,
            sla_days=days,
            due_on=calendar.add_working_days(timezone.localdate(now), days),
            opened_at=now,
            logged_by=logged_by,
        )
        CaseAgency.objects.bulk_create(
            [CaseAgency(case=case, agency=owner, role=CaseAgency.Role.OWNER)]
            + [CaseAgency(case=case, agency=a, role=CaseAgency.Role.SHARED) for a in shared]
        )
        _save_message(
            Message(
                case=case,
                side=Side.PERSON,
                author=person,
                author_label=name or email,
                body=body,
            ),
            attachment,
            checked,
        )
        ContactEntry.objects.create(
            at=now,
            channel=channel,
            type=EntryType.COMPLAINT if kind == Kind.COMPLAINT else EntryType.ENQUIRY,
            person=person,
            person_key=(person.citizen_id or "") if person else email,
            person_name=name,
            application=filing.application,
            case=case,
            summary=subject,
            logged_by=logged_by,
        )
        audit.record(
            "contact.case_opened",
            case,
            actor=logged_by or person,
            actor_label="" if (logged_by or person) else f"anonymous <{email}>",
            reference=case.reference,
            kind=kind,
            channel=channel,
            owner=owner.code,
            shared=[a.code for a in shared],
            application=filing.application.reference if filing.application else "",
            due_on=str(case.due_on),
        )
        events.publish(
            CASE_OPENED,
            case,
            {
                "reference": case.reference,
                "kind": kind,
                "agency": owner.code,
                "agencies": [owner.code, *(a.code for a in shared)],
                "service": service.slug if service else "",
            },
            actor=logged_by or person,
        )
    return case


# --- the thread ---------------------------------------------------------------------


def _lock(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",)).select_related("owner_agency").get(pk=case.pk)
    )


def answer(case: Case, officer: User, body: str, attachment: UploadedFile | None = None) -> Message:
    """An officer of an agency the case concerns answers in its thread; the case is
    then *answered* (the person is told) until the person writes again."""
    if not authz.allowed(officer, "contact.answer", case):
        raise PermissionDenied("contact.answer")
    text = _clean_text(body, "body", limit=settings.CONTACT_MAX_MESSAGE)
    checked = _checked_attachment(attachment)
    with transaction.atomic():
        audit.hold_chain()
        case = _lock(case)
        _require_open(case)
        message = _save_message(
            Message(
                case=case,
                side=Side.AGENCY,
                author=officer,
                author_label=officer.display_name,
                agency_id=officer.agency_id,
                body=text,
            ),
            attachment,
            checked,
        )
        now = timezone.now()
        case.status = CaseStatus.ANSWERED
        case.answered_at = case.answered_at or now
        case.save(update_fields=["status", "answered_at", "updated_at"])
        _message_recorded(case, message, actor=officer)
    return message


def reply(
    case: Case, body: str, *, person: User | None, attachment: UploadedFile | None = None
) -> Message:
    """The person writes in the thread (signed in, or through the follow-up link:
    ``person`` None); an answered case is open again for the agency."""
    text = _clean_text(body, "body", limit=settings.CONTACT_MAX_MESSAGE)
    checked = _checked_attachment(attachment)
    with transaction.atomic():
        audit.hold_chain()
        case = _lock(case)
        _require_open(case)
        message = _save_message(
            Message(
                case=case,
                side=Side.PERSON,
                author=person,
                author_label=case.name or case.email,
                body=text,
            ),
            attachment,
            checked,
        )
        if case.status == CaseStatus.ANSWERED:
            case.status = CaseStatus.OPEN
            case.save(update_fields=["status", "updated_at"])
        _message_recorded(case, message, actor=person)
    return message


def _require_open(case: Case) -> None:
    if case.is_closed:
        raise _refuse(
            "body",
            _("This case is closed; please file a new one for anything further"),
            "closed",
        )


def _message_recorded(case: Case, message: Message, *, actor: User | None) -> None:
    audit.record(
        "contact.message_posted",
        case,
        actor=actor,
        actor_label="" if actor else f"anonymous <{case.email}>",
        reference=case.reference,
        message=str(message.public_id),
        side=message.side,
        attachment_sha256=message.attachment_sha256,
    )
    events.publish(
        CASE_MESSAGE,
        case,
        {
            "reference": case.reference,
            "kind": case.kind,
            "side": message.side,
            "agency": case.owner_agency.code,
        },
        actor=actor,
    )


# --- routing and closing ------------------------------------------------------------


def share(case: Case, agency: Agency, *, actor: User) -> Case:
    """The owner agency (or the helpdesk) brings one more agency into an open case."""
    if not (
        authz.allowed(actor, "contact.coordinate", case) or authz.allowed(actor, "contact.helpdesk")
    ):
        raise PermissionDenied("contact.coordinate")
    with transaction.atomic():
        audit.hold_chain()
        case = _lock(case)
        _require_open(case)
        if case.routing.filter(agency=agency).exists():
            raise _refuse(
                "agency",
                _("That agency already has this case"),
                "duplicate",
            )
        CaseAgency.objects.create(case=case, agency=agency, role=CaseAgency.Role.SHARED)
        audit.record(
            "contact.case_shared", case, actor=actor, reference=case.reference, agency=agency.code
        )
        events.publish(
            CASE_SHARED,
            case,
            {
                "reference": case.reference,
                "kind": case.kind,
                "agency": case.owner_agency.code,
                "shared_with": agency.code,
            },
            actor=actor,
        )
    return case


def close(case: Case, *, actor: User, note: str) -> Case:
    """The owner agency closes the case with what was done; the person is told and
    ``contact.complaint_closed`` is published (satisfaction surveys follow it)."""
    if not authz.allowed(actor, "contact.coordinate", case):
        raise PermissionDenied("contact.coordinate")
    text = _clean_text(note, "note", limit=settings.CONTACT_MAX_MESSAGE)
    with transaction.atomic():
        audit.hold_chain()
        case = _lock(case)
        _require_open(case)
        case.status = CaseStatus.CLOSED
        case.closed_at = timezone.now()
        case.closing_note = text
        case.save(update_fields=["status", "closed_at", "closing_note", "updated_at"])
        met = timezone.localdate(case.closed_at) <= case.due_on
        audit.record(
            "contact.case_closed",
            case,
            actor=actor,
            reference=case.reference,
            on_time=met,
            due_on=str(case.due_on),
        )
        events.publish(
            COMPLAINT_CLOSED,
            case,
            {
                "complaint": str(case.public_id),
                "person": str(case.person_id) if case.person_id else "",
                "email": case.email,
                "service": case.service.slug if case.service_id and case.service else "",
            },
            actor=actor,
        )
    return case


def escalate_overdue(*, today: dt.date | None = None) -> int:
    """Tell the owner agency's supervisors of every open case past its due date, once
    each (``escalated_at``); batches under ``skip_locked``, so overlapping sweeps never
    escalate one case twice."""
    today = today or timezone.localdate()
    done = 0
    while True:
        with transaction.atomic():
            audit.hold_chain()
            batch = list(
                Case.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(closed_at__isnull=True, escalated_at__isnull=True, due_on__lt=today)
                .select_related("owner_agency")
                .order_by("due_on", "pk")[:ESCALATION_BATCH]
            )
            if not batch:
                return done
            now = timezone.now()
            Case.objects.filter(pk__in=[c.pk for c in batch]).update(escalated_at=now)
            audit.record_many(
                "contact.case_escalated",
                [(c, {"reference": c.reference, "due_on": str(c.due_on)}) for c in batch],
                actor_label="Biz Portal",
            )
            events.publish_many(
                CASE_ESCALATED,
                [
                    (
                        c,
                        {
                            "reference": c.reference,
                            "kind": c.kind,
                            "agency": c.owner_agency.code,
                            "due_on": str(c.due_on),
                        },
                    )
                    for c in batch
                ],
                actor_label="Biz Portal",
            )
            done += len(batch)


# --- the contact log ----------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """A contact helpdesk or counter staff take: who, on which channel, about what."""

    channel: str
    type: str
    summary: str
    person_key: str = ""
    person_name: str = ""
    application_reference: str = ""


def person_of(key: str) -> User | None:
    """The entrepreneur's account a citizen ID names (None for anything else)."""
    if len(key) == 13 and key.isdigit():
        return User.objects.filter(citizen_id=key, role=User.Role.APPLICANT).first()
    return None


def log_contact(contact: Contact, *, actor: User) -> ContactEntry:
    """Write one contact in the log. An application named must be the identified
    person's own (by citizen ID): staff cannot tie a caller to someone else's file."""
    if not authz.allowed(actor, "contact.helpdesk"):
        raise PermissionDenied("contact.helpdesk")
    channel = _choice(contact.channel, "channel", Channel)
    kind = _choice(contact.type, "type", EntryType)
    summary = _clean_text(contact.summary, "summary", limit=settings.CONTACT_MAX_MESSAGE)
    key = _clean_text(contact.person_key, "person_key", limit=MAX_KEY, required=False)
    name = _clean_text(contact.person_name, "person_name", limit=MAX_NAME, required=False)
    person = person_of(key)
    application = None
    reference = _clean_text(
        contact.application_reference, "application_reference", limit=30, required=False
    )
    if reference:
        application = Application.objects.filter(reference=reference).first()
        if (
            application is None
            or person is None
            or not authz.allowed(person, "applications.view", application)
        ):
            raise _refuse(
                "application_reference",
                _("No application with this reference for this person (give their citizen ID too)"),
                "not_yours",
            )
    with transaction.atomic():
        entry = ContactEntry.objects.create(
            at=timezone.now(),
            channel=channel,
            type=kind,
            person=person,
            person_key=key,
            person_name=name or (person.display_name if person else ""),
            application=application,
            summary=summary,
            logged_by=actor,
        )
        audit.record(
            "contact.contact_logged",
            entry,
            actor=actor,
            channel=channel,
            type=kind,
            application=reference,
        )
    return entry


# --- the application's thread -------------------------------------------------------


def post_application_message(
    application: Application,
    body: str,
    *,
    author: User,
    attachment: UploadedFile | None = None,
) -> Message:
    """A question or answer on a submitted application: from its agency's officers
    (agency side) or from the people who may see it (applicant side)."""
    if authz.allowed(author, "applications.decide", application):
        side = Side.AGENCY
    elif authz.allowed(author, "applications.view", application) and not author.is_officer:
        side = Side.PERSON
    else:
        raise PermissionDenied("applications.view")
    if application.status in BEFORE_AGENCY:
        raise _refuse(
            "body",
            _("Questions can be sent once the application is submitted"),
            "not_submitted",
        )
    text = _clean_text(body, "body", limit=settings.CONTACT_MAX_MESSAGE)
    checked = _checked_attachment(attachment)
    with transaction.atomic():
        message = _save_message(
            Message(
                application=application,
                side=side,
                author=author,
                author_label=author.display_name,
                agency_id=application.agency_id if side == Side.AGENCY else None,
                body=text,
            ),
            attachment,
            checked,
        )
        audit.record(
            "contact.application_message",
            application,
            actor=author,
            reference=application.reference or "",
            message=str(message.public_id),
            side=side,
            attachment_sha256=message.attachment_sha256,
        )
        events.publish(
            APPLICATION_MESSAGE,
            application,
            {
                "reference": application.reference or "",
                "side": side,
                "agency": application.agency.code,
                "service": application.service.slug,
            },
            actor=author,
        )
    return message


def agencies(codes: Iterable[str]) -> tuple[Agency, ...]:
    """Agencies by code, for the forms (unknown codes are refused, not ignored)."""
    wanted = [code for code in codes if code]
    found = {a.code: a for a in Agency.objects.filter(code__in=wanted)}
    if len(found) != len(set(wanted)):
        raise _refuse("also", _("An agency chosen was not found"), "invalid")
    return tuple(found[code] for code in dict.fromkeys(wanted))

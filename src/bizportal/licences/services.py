"""The licence register: issue, re-issue as a new version, cancel, revoke, verify.

Issuing runs in one transaction: the number is taken from the locked yearly counter,
the PDF is rendered and signed with that number in it, and the register row, the
version with its file, the audit record and the event are written together. If
anything fails, nothing is committed (a file written for a rolled-back version is
removed again). Each issue is idempotent on the application reference it came from,
so a retried background task never issues twice.

Verification is read-only and public: it answers from the signature and the register,
and is deliberately not audited as personal-data access.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, Literal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from bizportal.catalog.models import Service
from bizportal.core import audit, authz, events, faults
from bizportal.core.sequences import hold_counter, next_number
from bizportal.core.tasks import enqueue_with_commit
from bizportal.core.templatetags.thai import localdate
from bizportal.core.thai import english_date, thai_date

from . import credentials, pades
from . import pdf as licence_pdf
from .events import (
    LICENCE_CANCELLED,
    LICENCE_EXPIRED,
    LICENCE_EXPIRY_APPROACHING,
    LICENCE_ISSUED,
    LICENCE_REINSTATED,
    LICENCE_REVOKED,
    LICENCE_SUSPENDED,
)
from .models import (
    ExpiryReminder,
    HolderKind,
    Licence,
    LicenceVersion,
    RevocationReason,
    RevocationRequest,
    VersionKind,
)
from .signers import trust_roots

logger = logging.getLogger(__name__)

Verdict = Literal["valid", "expired", "revoked", "suspended", "cancelled", "superseded"]
#: The register's verdicts, as the API documents them (one enum in the OpenAPI schema).
VERDICTS = ["valid", "expired", "revoked", "suspended", "cancelled", "superseded"]
Outcome = Literal["valid", "tampered", "untrusted", "not_signed", "unreadable"]
#: The one answer to "may I rely on this licence file?": the file's own check when it
#: fails, else the register's verdict on the licence (or ``not_found``). Only ``valid``
#: means yes.
FileVerdict = Literal[
    "valid",
    "expired",
    "revoked",
    "suspended",
    "cancelled",
    "superseded",
    "tampered",
    "untrusted",
    "not_signed",
    "unreadable",
    "not_found",
]
ChangeKind = Literal["amend", "renew", "cancel"]


class LicenceError(Exception):
    """An operation the licence's current state does not allow; ``str()`` is bilingual."""


# --- reading ----------------------------------------------------------------------


def verdict(
    licence: Licence, *, version: int | None = None, today: dt.date | None = None
) -> Verdict:
    """What the register says of ``licence`` (or of one of its versions) today.

    Revoked, suspended and cancelled win: they end every version. Then an earlier
    version is ``superseded`` by the current one. Then expiry, judged on the Bangkok
    calendar day.
    """
    today = today or timezone.localdate()
    if licence.status == Licence.Status.SUSPENDED and _suspension_over(licence, today):
        pass  # its last day passed: valid again, whether or not the sweeper has run yet
    elif licence.status != Licence.Status.VALID:
        return licence.status  # type: ignore[return-value]
    if version is not None and version != licence.version:
        return "superseded"
    if licence.valid_until is not None and licence.valid_until < today:
        return "expired"
    return "valid"


def _suspension_over(licence: Licence, today: dt.date) -> bool:
    return licence.suspended_until is not None and licence.suspended_until < today


def licence_status(licence: Licence, *, today: dt.date | None = None) -> Verdict:
    """The verdict on the licence as it stands (its current version)."""
    return verdict(licence, today=today)


def mask_citizen_id(value: str) -> str:
    """Show only the last three digits (PDPA): x-xxxx-xxxxx-67-8."""
    if len(value) != 13:
        return "x" * len(value)
    return f"x-xxxx-xxxxx-{value[10:12]}-{value[12]}"


def masked_holder_id(licence: Licence) -> str:
    """A person's citizen ID or passport is masked; a company's juristic ID is public record."""
    if licence.holder_kind == HolderKind.JURISTIC:
        return format_citizen_id(licence.holder_id)
    if licence.holder_id.startswith("P:"):
        _kind, nationality, passport = licence.holder_id.split(":", 2)
        return f"{nationality} passport ••••{passport[-3:]}"
    return mask_citizen_id(licence.holder_id)


def printed_holder_id(value: str, *, juristic: bool = False) -> str:
    """The holder's number as printed on the licence. A company's juristic ID is public
    record and printed in full (0-1055-56123-45-3); a person's citizen ID is masked
    (x-xxxx-xxxxx-45-0, PDPA) because the paper travels further than the register;
    a passport keeps its last three characters: ••••567 (GBR)."""
    if value.startswith("P:"):
        _kind, nationality, passport = value.split(":", 2)
        return f"••••{passport[-3:]} ({nationality})"
    if juristic:
        return format_citizen_id(value)
    return mask_citizen_id(value)


def format_citizen_id(value: str) -> str:
    """The printed form of a 13-digit ID: 1-2345-67890-12-3."""
    if len(value) != 13:
        return value
    return f"{value[0]}-{value[1:5]}-{value[5:10]}-{value[10:12]}-{value[12]}"


def renewal_window(
    licence: Licence, *, opens_days_before: int, late_days: int
) -> tuple[dt.date, dt.date] | None:
    """The days on which ``licence`` may be renewed: from ``opens_days_before`` its
    expiry to ``late_days`` after it (a late renewal, with a surcharge). None when the
    licence never expires."""
    if licence.valid_until is None:
        return None
    return (
        licence.valid_until - dt.timedelta(days=opens_days_before),
        licence.valid_until + dt.timedelta(days=late_days),
    )


def days_past_expiry(licence: Licence, *, today: dt.date | None = None) -> int:
    """How late a renewal is: 0 on or before the last valid day."""
    if licence.valid_until is None:
        return 0
    today = today or timezone.localdate()
    return max(0, (today - licence.valid_until).days)


def ensure_in_force(licence: Licence) -> None:
    """Refuse anything on a licence that was cancelled, revoked or is suspended."""
    number = licence.number
    if licence.status == Licence.Status.CANCELLED:
        raise LicenceError(
            _("Licence %(number)s was already cancelled on %(date)s")
            % {"number": number, "date": localdate(licence.cancelled_at)}
        )
    if licence.status == Licence.Status.REVOKED:
        raise LicenceError(
            _("Licence %(number)s has been revoked (on %(date)s); it can no longer be changed")
            % {"number": number, "date": localdate(licence.revoked_at)}
        )
    if licence.status == Licence.Status.SUSPENDED:
        raise LicenceError(_("Licence %(number)s is suspended") % {"number": number})


def check_change(
    licence: Licence,
    kind: ChangeKind,
    *,
    renew_opens_days_before: int = 90,
    renew_late_days: int = 0,
    today: dt.date | None = None,
) -> None:
    """Refuse, with the reason, a change the licence's state does not allow.

    * Nothing changes a revoked, suspended or cancelled licence (cancelling twice
      says so).
    * Amend: the licence must not have expired.
    * Renew: only inside the renewal window, and only for a licence that expires.
    """
    today = today or timezone.localdate()
    ensure_in_force(licence)
    number = licence.number
    expired = licence.valid_until is not None and licence.valid_until < today
    if kind == "amend" and expired:
        raise LicenceError(
            _(
                "Licence %(number)s has expired (it was valid until %(date)s); "
                "renew it before amending it"
            )
            % {"number": number, "date": localdate(licence.valid_until)}
        )
    if kind == "renew":
        window = renewal_window(
            licence, opens_days_before=renew_opens_days_before, late_days=renew_late_days
        )
        if window is None:
            raise LicenceError(
                _("Licence %(number)s does not expire, so it needs no renewal") % {"number": number}
            )
        opens, closes = window
        if today < opens:
            raise LicenceError(
                _(
                    "Licence %(number)s can be renewed from %(date)s "
                    "(%(days)s days before it expires)"
                )
                % {"number": number, "date": localdate(opens), "days": renew_opens_days_before}
            )
        if today > closes:
            raise LicenceError(
                _(
                    "The renewal period of licence %(number)s ended on %(date)s; "
                    "please apply for a new licence"
                )
                % {"number": number, "date": localdate(closes)}
            )


# --- issuing ----------------------------------------------------------------------


@dataclass(frozen=True)
class LicenceDraft:
    """Everything a licence version says, handed over by whoever decided to issue it."""

    service: Service
    account: Any
    holder_kind: str
    holder_id: str
    holder_name: str
    holder_name_en: str
    business_name: str
    details: Mapping[str, Any]
    application_reference: str
    validity_years: int
    actor: Any = None
    #: When the licence was granted, if not now: a licence carried over from an
    #: agency's earlier register keeps its date of issue (and so its expiry).
    issued_at: dt.datetime | None = None


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def valid_until_for(issued_on: dt.date, years: int) -> dt.date | None:
    """The last valid day: the day before the anniversary; 0 years means no expiry."""
    if years <= 0:
        return None
    return _add_years(issued_on, years) - dt.timedelta(days=1)


def renewed_validity(licence: Licence, years: int) -> tuple[dt.date | None, dt.date | None]:
    """A renewal continues the licence: from the day after its last valid day."""
    if licence.valid_until is None:
        return licence.valid_from, None
    start = licence.valid_until + dt.timedelta(days=1)
    return start, valid_until_for(start, years)


@transaction.atomic
def issue_licence(draft: LicenceDraft) -> Licence:
    """Issue a new licence (version 1); return the existing one if this application
    already led to a licence.

    Atomic on its own, not only inside the caller's transaction: a signature that
    fails must not leave a register row without a document, nor use up a number.

    Exactly once per application, however often it is retried or raced: the check
    runs under the lock of the licence counter (which the issue holds until commit
    anyway), so a second issue waits for the first, then finds its licence and takes
    no number; the unique application reference on the version is the backstop."""
    service = draft.service
    issued_at = draft.issued_at or timezone.now()
    issued_on = timezone.localtime(issued_at).date()
    hold_counter(service.licence_prefix, on=issued_on)
    existing = _version_for(draft.application_reference)
    if existing is not None:
        return existing.licence
    licence = Licence(
        number=next_number(service.licence_prefix, on=issued_on, gapless=True),
        service=service,
        agency=service.agency,
        account=draft.account,
        issued_at=issued_at,
        valid_from=issued_on,
        valid_until=valid_until_for(issued_on, draft.validity_years),
        version=1,
        status_index=credentials.allocate_status_index(service.agency),
    )
    _apply(licence, draft, service)
    licence.save()
    _issue_version(licence, draft, VersionKind.NEW, issued_at)
    faults.point("licence.signed")
    return licence


@transaction.atomic
def issue_version(licence: Licence, draft: LicenceDraft, kind: str) -> Licence:
    """Amend or renew: a new signed version of the same licence number; the previous
    version is superseded. Idempotent on the draft's application reference.

    Atomic, so a version that fails to sign leaves the previous one current (and the
    row lock below needs a transaction on PostgreSQL). The idempotency check runs
    under that lock, so a retry racing the first attempt waits and then finds it."""
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    if _version_for(draft.application_reference) is not None:
        return licence
    # The window was checked when the application started; a renewal decided after
    # the window closed still stands. A licence revoked meanwhile does not get one.
    ensure_in_force(licence)
    issued_at = timezone.now()
    if kind == VersionKind.RENEW:
        licence.valid_from, licence.valid_until = renewed_validity(licence, draft.validity_years)
        if licence.status == Licence.Status.EXPIRED:  # a late renewal brings it back
            licence.status = Licence.Status.VALID
    LicenceVersion.objects.filter(licence=licence, superseded_at__isnull=True).update(
        superseded_at=issued_at
    )
    licence.version += 1
    _apply(licence, draft, draft.service)
    licence.save()
    _issue_version(licence, draft, kind, issued_at)
    return licence


def _apply(licence: Licence, draft: LicenceDraft, service: Service) -> None:
    licence.holder_kind = draft.holder_kind
    licence.holder_id = draft.holder_id
    licence.holder_name = draft.holder_name
    licence.holder_name_en = draft.holder_name_en
    licence.business_name = draft.business_name
    licence.title_th = service.licence_title_th
    licence.title_en = service.licence_title_en
    licence.permits_th = service.licence_permits_th
    licence.permits_en = service.licence_permits_en
    licence.details = dict(draft.details)


def _version_for(application_reference: str) -> LicenceVersion | None:
    if not application_reference:
        return None
    return (
        LicenceVersion.objects.select_related("licence")
        .filter(application_reference=application_reference)
        .first()
    )


def _issue_version(
    licence: Licence, draft: LicenceDraft, kind: str, issued_at: dt.datetime
) -> LicenceVersion:
    """Write the version to the register now; its PDF is rendered and signed after commit.

    Rendering and signing take a good part of a second (timestamp and validation data
    included); inside the issuing transaction they held the licence counter's lock, and on
    SQLite the whole database, for that long. The register entry is what makes the
    licence exist (verification by number answers at once); the document follows from
    :func:`sign_version`, run by a task that commits or rolls back with this row.
    """
    version = LicenceVersion(
        licence=licence,
        number=licence.version,
        kind=kind,
        application_reference=draft.application_reference,
        issued_at=issued_at,
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        holder_name=licence.holder_name,
        business_name=licence.business_name,
        details=dict(draft.details),
    )
    version.payload = build_payload(licence, version)
    version.save()
    audit.record(
        "licence.issued" if kind == VersionKind.NEW else f"licence.{kind}ed",
        licence,
        actor=draft.actor,
        actor_label="" if draft.actor else "Biz Portal",
        number=licence.number,
        version=version.number,
        application=draft.application_reference,
        agency=licence.agency.code,
    )
    from .tasks import sign_licence_version  # the task module imports this one

    enqueue_with_commit(sign_licence_version, version.pk)
    return version


def sign_version(version_pk: int) -> LicenceVersion:
    """Render, sign and store the PDF of a registered version, exactly once.

    Idempotent: a version already signed is returned as is, so a task run twice (a
    worker killed after the commit, the sweeper re-enqueueing) stores one file. The
    heavy work happens before the row is locked; if another run stored a file meanwhile,
    this run's file is never written. ``licences.version_issued`` is announced here,
    when there is a document to fetch.
    """
    version = LicenceVersion.objects.select_related("licence__agency", "licence__service").get(
        pk=version_pk
    )
    if version.signed_at is not None:
        return version
    licence = _licence_as_issued(version)
    credential = version.credential or credentials.issue_credential(licence, version)
    unsigned = licence_pdf.render_licence_pdf(
        _pdf_context(licence, version), version.payload, credential=credential
    )
    signed = licence_pdf.sign_licence_pdf(
        unsigned, licence.agency, number=licence.number, valid_until=version.valid_until
    )
    sha256 = hashlib.sha256(signed).hexdigest()
    stored_name: str | None = None
    try:
        with transaction.atomic():
            current = LicenceVersion.objects.select_for_update().get(pk=version_pk)
            if current.signed_at is not None:
                return current
            current.pdf.save(f"v{current.number}.pdf", ContentFile(signed), save=False)
            stored_name = current.pdf.name
            current.pdf_sha256 = sha256
            current.credential = credential
            current.signed_at = timezone.now()
            current.save(update_fields=["pdf", "pdf_sha256", "credential", "signed_at"])
            _announce_signed(licence, current)
            faults.point("licence.document_stored")
    except BaseException:
        if stored_name:
            LicenceVersion._meta.get_field("pdf").storage.delete(stored_name)  # type: ignore[attr-defined]
        raise
    return current


def _announce_signed(licence: Licence, version: LicenceVersion) -> None:
    audit.record(
        "licence.signed",
        licence,
        actor_label="Biz Portal",
        number=licence.number,
        version=version.number,
        sha256=version.pdf_sha256,
    )
    events.publish(
        LICENCE_ISSUED,
        licence,
        {
            "number": licence.number,
            "version": version.number,
            "kind": version.kind,
            "application_reference": version.application_reference,
            "agency": licence.agency.code,
            "service": licence.service.slug,
        },
        actor_label="Biz Portal",
    )


def _licence_as_issued(version: LicenceVersion) -> Licence:
    """The licence as this version states it, for rendering.

    Usually the version is current and the licence row says the same. If a later version
    was registered before this one was signed, the row already says what the later one
    says; the version's own payload (written with it) restores what this one stated.
    """
    licence = version.licence
    if version.number == licence.version:
        return licence
    stated = copy.copy(licence)
    payload = version.payload
    stated.title_th, stated.title_en = payload["title"]["th"], payload["title"]["en"]
    stated.permits_th, stated.permits_en = payload["permits"]["th"], payload["permits"]["en"]
    stated.holder_name = version.holder_name
    stated.holder_name_en = payload["holder"].get("name_en", "")
    stated.business_name = version.business_name
    stated.details = version.details
    return stated


def versions_being_issued(older_than: dt.datetime) -> list[int]:
    """Registered versions still without a document since before ``older_than``."""
    return list(
        LicenceVersion.objects.filter(signed_at__isnull=True, registered_at__lt=older_than)
        .order_by("registered_at")
        .values_list("pk", flat=True)[:1000]
    )


def build_payload(licence: Licence, version: LicenceVersion) -> dict[str, Any]:
    """The machine-readable copy embedded in the PDF and kept on the version row. A
    person's citizen ID is masked here as on every public page (the PDF travels); the
    signed credential beside it carries it in full only where the service needs it."""
    agency = licence.agency
    return {
        "schema": credentials.payload_schema_url(),
        "schema_version": licence_pdf.PAYLOAD_SCHEMA_VERSION,
        "number": licence.number,
        "version": version.number,
        "kind": version.kind,
        "title": {"th": licence.title_th, "en": licence.title_en},
        "permits": {"th": licence.permits_th, "en": licence.permits_en},
        "holder": {
            "kind": licence.holder_kind,
            "name": licence.holder_name,
            "name_en": licence.holder_name_en,
            "id": masked_holder_id(licence) if licence.holder_id else "",
        },
        "business_name": licence.business_name,
        "issuer": {"code": agency.code, "name_th": agency.name_th, "name_en": agency.name_en},
        "service": licence.service.slug,
        "application_reference": version.application_reference,
        "issued_at": timezone.localtime(version.issued_at).date().isoformat(),
        "valid_from": version.valid_from.isoformat() if version.valid_from else None,
        "valid_until": version.valid_until.isoformat() if version.valid_until else None,
        "verify_url": licence_pdf.verify_url(
            licence.number, version.number, code=licence.check_code
        ),
        "credential": credentials.ATTACHMENT_NAME,
    }


def _conditions(details: Mapping[str, Any]) -> str:
    """The conditions an agency deciding in its own system attached to the licence."""
    agency_licence = details.get("agency_licence")
    if not isinstance(agency_licence, Mapping):
        return ""
    return str(agency_licence.get("conditions") or "").strip()


def _pdf_context(licence: Licence, version: LicenceVersion) -> dict[str, Any]:
    return {
        "licence": licence,
        "version": version,
        "agency": licence.agency,
        "application_reference": version.application_reference,
        "holder_is_company": licence.holder_kind == HolderKind.JURISTIC,
        "holder_id_display": printed_holder_id(
            licence.holder_id, juristic=licence.holder_kind == HolderKind.JURISTIC
        ),
        "premises_address": str(version.details.get("business_address") or "").strip(),
        "conditions": _conditions(version.details),
        "holder_has_passport": licence.holder_id.startswith("P:"),
        "issued_th": thai_date(version.issued_at),
        "issued_en": english_date(version.issued_at),
        "first_issued_th": thai_date(licence.issued_at),
        "first_issued_en": english_date(licence.issued_at),
        "valid_until_th": thai_date(version.valid_until),
        "valid_until_en": english_date(version.valid_until),
        "verify_url": licence_pdf.verify_url(
            licence.number, version.number, code=licence.check_code
        ),
    }


# --- ending a licence ---------------------------------------------------------------


@transaction.atomic
def cancel_licence(
    licence: Licence, *, reason: str, application_reference: str = "", actor: Any = None
) -> Licence:
    """The holder surrenders the licence; the verification page says so from then on."""
    reason = (reason or "").strip()
    if not reason:
        raise LicenceError(_("Please give the reason for cancelling"))
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    check_change(licence, "cancel")
    licence.status = Licence.Status.CANCELLED
    licence.cancelled_at = timezone.now()
    licence.cancellation_reason = reason
    licence.save(update_fields=["status", "cancelled_at", "cancellation_reason", "updated_at"])
    credentials.status_changed(licence.agency.code)
    audit.record(
        "licence.cancelled",
        licence,
        actor=actor,
        actor_label="" if actor else "Biz Portal",
        number=licence.number,
        application=application_reference,
        reason=reason,
    )
    events.publish(
        LICENCE_CANCELLED,
        licence,
        {
            "number": licence.number,
            "application_reference": application_reference,
            "agency": licence.agency.code,
            "service": licence.service.slug,
        },
        actor=actor,
    )
    return licence


@transaction.atomic
def revoke_licence(licence: Licence, reason: str, *, actor: Any) -> Licence:
    """Withdraw a licence; the verification page and API say so from then on."""
    reason = (reason or "").strip()
    if not reason:
        raise LicenceError(_("Please give the reason for revocation"))
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    if licence.status == Licence.Status.REVOKED:
        raise LicenceError(_("Licence %(number)s is already revoked") % {"number": licence.number})
    if licence.status == Licence.Status.CANCELLED:
        # The holder surrendered it: there is nothing left in force to withdraw, and the
        # public record should keep saying the holder cancelled it.
        raise LicenceError(
            _("Licence %(number)s was cancelled by its holder; there is nothing to revoke")
            % {"number": licence.number}
        )
    licence.status = Licence.Status.REVOKED
    licence.revoked_at = timezone.now()
    licence.revocation_reason = reason
    licence.save(update_fields=["status", "revoked_at", "revocation_reason", "updated_at"])
    credentials.status_changed(licence.agency.code)
    audit.record("licence.revoked", licence, actor=actor, number=licence.number, reason=reason)
    events.publish(
        LICENCE_REVOKED,
        licence,
        {
            "number": licence.number,
            "reason": reason,
            "agency": licence.agency.code,
            "service": licence.service.slug,
        },
        actor=actor,
    )
    return licence


# --- suspension and revocation by the agency (issue 14) -----------------------------


def _require_officer(licence: Licence, actor: Any, permission: str = "licences.manage") -> None:
    if not authz.allowed(actor, permission, licence):
        raise LicenceError(_("only the issuing agency's officers may do this"))


def _lock_licence(licence: Licence) -> Licence:
    return (
        Licence.objects.select_for_update().select_related("agency", "service").get(pk=licence.pk)
    )


@transaction.atomic
def suspend_licence(
    licence: Licence, *, reason: str, until: dt.date | None = None, actor: Any
) -> Licence:
    """The agency suspends a valid licence, until a date (its last day) or until
    reinstated; it verifies as suspended meanwhile and the holder is told."""
    licence = _lock_licence(licence)
    _require_officer(licence, actor)
    reason = (reason or "").strip()
    if not reason:
        raise LicenceError(_("Please give the reason for the suspension"))
    if verdict(licence) != "valid":
        raise LicenceError(
            _("only a valid licence can be suspended (it is %(verdict)s)")
            % {"verdict": verdict(licence)}
        )
    if until is not None and until <= timezone.localdate():
        raise LicenceError(_("the last day must be in the future"))
    licence.status = Licence.Status.SUSPENDED
    licence.suspended_until = until
    licence.suspension_reason = reason
    licence.save(update_fields=["status", "suspended_until", "suspension_reason", "updated_at"])
    credentials.status_changed(licence.agency.code)
    audit.record(
        "licence.suspended",
        licence,
        actor=actor,
        number=licence.number,
        until=until.isoformat() if until else "",
        reason=reason,
    )
    events.publish(
        LICENCE_SUSPENDED,
        licence,
        {
            "number": licence.number,
            "until": until.isoformat() if until else "",
            "reason": reason,
            "agency": licence.agency.code,
            "service": licence.service.slug,
        },
        actor=actor,
    )
    return licence


@transaction.atomic
def reinstate_licence(licence: Licence, *, actor: Any = None) -> Licence:
    """End a suspension: by an officer of the agency, or by the sweeper (``actor=None``)
    once the suspension's last day has passed."""
    licence = _lock_licence(licence)
    if actor is not None:
        _require_officer(licence, actor)
    elif not _suspension_over(licence, timezone.localdate()):
        raise LicenceError("the suspension has not ended")
    if licence.status != Licence.Status.SUSPENDED:
        raise LicenceError(_("this licence is not suspended"))
    licence.status = Licence.Status.VALID
    licence.suspended_until = None
    licence.save(update_fields=["status", "suspended_until", "updated_at"])
    credentials.status_changed(licence.agency.code)
    audit.record(
        "licence.reinstated",
        licence,
        actor=actor,
        actor_label="" if actor else "Biz Portal (the suspension ended)",
        number=licence.number,
    )
    events.publish(
        LICENCE_REINSTATED,
        licence,
        {"number": licence.number, "agency": licence.agency.code, "service": licence.service.slug},
        actor=actor,
    )
    return licence


def end_lapsed_suspensions() -> int:
    """Reinstate every licence whose suspension's last day has passed (the sweeper)."""
    lapsed = Licence.objects.filter(
        status=Licence.Status.SUSPENDED, suspended_until__lt=timezone.localdate()
    )
    count = 0
    for licence in lapsed.only("pk"):
        reinstate_licence(licence)
        count += 1
    return count


# --- terms running out ----------------------------------------------------------------

#: How many licences one sweep step handles in a transaction: big enough for a national
#: day's expiries in a few steps, small enough to hold row locks only briefly.
EXPIRY_BATCH = 500


def expire_lapsed_licences(*, today: dt.date | None = None) -> int:
    """Mark expired every valid licence whose last day has passed (the daily sweep).

    Verification already answers ``expired`` from the date alone; this makes the register
    say so too, and tells the holder once (audit entry and event per licence). Rows are
    taken in batches with ``skip_locked``, so overlapping sweeps never wait on each other
    and never expire a licence twice.
    """
    today = today or timezone.localdate()
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                Licence.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("agency", "service")
                .filter(status=Licence.Status.VALID, valid_until__lt=today)
                .order_by("valid_until", "pk")[:EXPIRY_BATCH]
            )
            if not batch:
                return total
            Licence.objects.filter(pk__in=[licence.pk for licence in batch]).update(
                status=Licence.Status.EXPIRED, updated_at=timezone.now()
            )
            _announce_expiries(batch)
        total += len(batch)


def _announce_expiries(batch: list[Licence]) -> None:
    def ended(licence: Licence) -> str:
        return licence.valid_until.isoformat() if licence.valid_until else ""

    audit.record_many(
        "licence.expired",
        [(licence, {"number": licence.number, "valid_until": ended(licence)}) for licence in batch],
        actor_label="Biz Portal (the term ended)",
    )
    events.publish_many(
        LICENCE_EXPIRED,
        [
            (
                licence,
                {
                    "number": licence.number,
                    "valid_until": ended(licence),
                    "agency": licence.agency.code,
                    "service": licence.service.slug,
                },
            )
            for licence in batch
        ],
        actor_label="Biz Portal",
    )


def send_expiry_reminders(*, today: dt.date | None = None) -> int:
    """Remind holders whose licence term runs out within a threshold, once per threshold.

    A licence with ``d`` days left is due the smallest threshold that is at least ``d``
    (90, 30, 7 by default): one issued with 60 days left hears at once, then again at
    30 and 7 days. The reminder row is unique per term, so a renewed licence starts afresh
    and a repeated sweep sends nothing twice.
    """
    today = today or timezone.localdate()
    sent = 0
    lower = 0
    for days in settings.LICENCE_EXPIRY_REMINDER_DAYS:
        while batch := _remind_within(today, lower, days):
            sent += batch
        lower = days + 1
    return sent


def _remind_within(today: dt.date, lower: int, days: int) -> int:
    already = ExpiryReminder.objects.filter(
        licence=OuterRef("pk"), valid_until=OuterRef("valid_until"), days_before=days
    )
    with transaction.atomic():
        due = list(
            Licence.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("agency", "service")
            .filter(
                status=Licence.Status.VALID,
                valid_until__gte=today + dt.timedelta(days=lower),
                valid_until__lte=today + dt.timedelta(days=days),
            )
            .exclude(Exists(already))
            .order_by("valid_until", "pk")[:EXPIRY_BATCH]
        )
        ExpiryReminder.objects.bulk_create(
            [
                ExpiryReminder(
                    licence=licence,
                    valid_until=licence.valid_until,  # type: ignore[misc]  # filtered above
                    days_before=days,
                )
                for licence in due
            ]
        )
        events.publish_many(
            LICENCE_EXPIRY_APPROACHING,
            [
                (
                    licence,
                    {
                        "number": licence.number,
                        "valid_until": str(licence.valid_until),
                        "days_left": (licence.valid_until - today).days,  # type: ignore[operator]
                        "agency": licence.agency.code,
                        "service": licence.service.slug,
                    },
                )
                for licence in due
            ],
            actor_label="Biz Portal",
        )
    return len(due)


@transaction.atomic
def request_revocation(
    licence: Licence, *, reason_code: str, note: str, actor: Any
) -> RevocationRequest:
    """An officer asks for a revocation (the maker); nothing changes until a supervisor
    of the agency approves it (the checker)."""
    licence = _lock_licence(licence)
    _require_officer(licence, actor)
    note = (note or "").strip()
    if reason_code not in RevocationReason.values:
        raise LicenceError(
            _("the reason is one of %(reasons)s") % {"reasons": ", ".join(RevocationReason.values)}
        )
    if not note:
        raise LicenceError(_("Please explain (the holder is told)"))
    if licence.status in (Licence.Status.REVOKED, Licence.Status.CANCELLED):
        raise LicenceError(_("this licence has already ended"))
    if licence.revocations.filter(state=RevocationRequest.State.PENDING).exists():
        raise LicenceError(_("a revocation already waits for approval"))
    request = RevocationRequest.objects.create(
        licence=licence, reason_code=reason_code, note=note, requested_by=actor
    )
    audit.record(
        "licence.revocation_requested",
        licence,
        actor=actor,
        number=licence.number,
        reason_code=reason_code,
        request=str(request.public_id),
    )
    return request


@transaction.atomic
def decide_revocation(
    request: RevocationRequest, *, approve: bool, actor: Any, note: str = ""
) -> RevocationRequest:
    """The checker: a supervisor of the licence's agency who did not ask approves (the
    licence is revoked) or declines (nothing changes)."""
    request = (
        RevocationRequest.objects.select_for_update().select_related("licence").get(pk=request.pk)
    )
    _require_officer(request.licence, actor, "licences.approve_revocation")
    if request.state != RevocationRequest.State.PENDING:
        raise LicenceError(_("this request was already decided"))
    if request.requested_by_id == getattr(actor, "pk", None):
        raise LicenceError(_("the officer who asked cannot approve it: another supervisor must"))
    request.state = (
        RevocationRequest.State.APPROVED if approve else RevocationRequest.State.DECLINED
    )
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = (note or "").strip()
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    audit.record(
        f"licence.revocation_{request.state}",
        request.licence,
        actor=actor,
        number=request.licence.number,
        request=str(request.public_id),
    )
    if approve:
        with translation.override(settings.LANGUAGE_CODE):  # the public record's language
            reason = f"{RevocationReason(request.reason_code).label}: {request.note}"
        revoke_licence(request.licence, reason, actor=actor)
    return request


LIFECYCLE_ACTIONS = (
    "suspend",
    "reinstate",
    "request_revocation",
    "approve_revocation",
    "decline_revocation",
)


def lifecycle_action(
    licence: Licence,
    *,
    action: str,
    actor: Any,
    reason: str = "",
    until: dt.date | None = None,
    reason_code: str = "",
) -> str:
    """One lifecycle action as the back office page and the API name it; returns what
    to tell the officer, or raises :class:`LicenceError` (nothing changed)."""
    if action == "suspend":
        suspend_licence(licence, reason=reason, until=until, actor=actor)
        return _("Licence suspended")
    if action == "reinstate":
        reinstate_licence(licence, actor=actor)
        return _("Licence reinstated")
    if action == "request_revocation":
        request_revocation(licence, reason_code=reason_code, note=reason, actor=actor)
        return _("Revocation sent for a supervisor's approval")
    if action not in LIFECYCLE_ACTIONS:
        raise LicenceError(_("no action %(action)r") % {"action": action})
    pending = licence.revocations.filter(state=RevocationRequest.State.PENDING).first()
    if pending is None:
        raise LicenceError(_("no revocation waits for approval"))
    approve = action == "approve_revocation"
    decide_revocation(pending, approve=approve, actor=actor, note=reason)
    if approve:
        return _("Revocation approved")
    return _("Revocation declined")


# --- verifying an uploaded file ---------------------------------------------------


MESSAGES: dict[Outcome, tuple[str, str]] = {
    "valid": (
        "ลายมือชื่ออิเล็กทรอนิกส์ถูกต้อง และไฟล์ไม่ถูกแก้ไขหลังลงนาม",
        "The electronic signature is valid and the file is unchanged since signing",
    ),
    "tampered": ("ไฟล์ถูกแก้ไขหลังลงนาม", "The file was changed after signing"),
    "untrusted": (
        "ลายมือชื่อไม่ได้มาจากหน่วยงานที่เชื่อถือได้",
        "The file is not signed by a trusted agency",
    ),
    "not_signed": ("ไฟล์นี้ไม่มีลายมือชื่ออิเล็กทรอนิกส์", "The file is not signed"),
    "unreadable": (
        "อ่านไฟล์ PDF ไม่ได้ ไฟล์อาจเสียหาย",
        "The PDF file cannot be read; it may be damaged",
    ),
}

#: What the whole check says when the file itself is sound but the register is not.
REGISTER_MESSAGES: dict[str, tuple[str, str]] = {
    "revoked": (
        "ลายมือชื่อถูกต้อง แต่ใบอนุญาตนี้ถูกเพิกถอนแล้ว ใช้ไม่ได้",
        "The signature is valid, but this licence has been revoked: do not rely on it",
    ),
    "suspended": (
        "ลายมือชื่อถูกต้อง แต่ใบอนุญาตนี้ถูกพักใช้อยู่ ใช้ไม่ได้",
        "The signature is valid, but this licence is suspended: do not rely on it",
    ),
    "expired": (
        "ลายมือชื่อถูกต้อง แต่ใบอนุญาตนี้หมดอายุแล้ว",
        "The signature is valid, but this licence has expired",
    ),
    "cancelled": (
        "ลายมือชื่อถูกต้อง แต่ผู้ถือใบอนุญาตขอยกเลิกแล้ว",
        "The signature is valid, but the holder has cancelled this licence",
    ),
    "superseded": (
        "ลายมือชื่อถูกต้อง แต่ไฟล์นี้เป็นฉบับเก่า มีฉบับใหม่แทนแล้ว",
        "The signature is valid, but this is an old version: a newer one replaced it",
    ),
    "not_found": (
        "ลายมือชื่อถูกต้อง แต่ไม่พบใบอนุญาตนี้ในทะเบียน",
        "The signature is valid, but this licence is not in the register",
    ),
}


@dataclass(frozen=True)
class PdfVerification:
    """What an uploaded licence file proves, in words a person and a machine can use."""

    outcome: Outcome
    signed: bool = False
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    untouched: bool = False
    signer: str = ""
    signed_at: dt.datetime | None = None
    #: PAdES baseline level the file reaches ("B-B", "B-T", "B-LT", "B-LTA"), and the
    #: trusted time of its signature time stamp (None without one).
    level: str = ""
    timestamped_at: dt.datetime | None = None
    payload: dict[str, Any] | None = None
    licence: Licence | None = None
    licence_status: Verdict | None = None
    version: LicenceVersion | None = None
    matches_record: bool = False
    details: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> FileVerdict:
        """The file's own failure, else the register's word on the licence it holds."""
        if self.outcome != "valid":
            return self.outcome
        if self.licence is None or self.licence_status is None:
            return "not_found"
        return self.licence_status

    @property
    def ok(self) -> bool:
        """True only when the file is sound *and* the licence is valid today."""
        return self.verdict == "valid"

    @property
    def message_th(self) -> str:
        return self._message[0]

    @property
    def message_en(self) -> str:
        return self._message[1]

    @property
    def _message(self) -> tuple[str, str]:
        return REGISTER_MESSAGES.get(self.verdict) or MESSAGES[self.outcome]

    def as_dict(self) -> dict[str, Any]:
        licence = self.licence
        return {
            "verdict": self.verdict,
            "ok": self.ok,
            "message": {"th": self.message_th, "en": self.message_en},
            "outcome": self.outcome,
            "signature_message": {
                "th": MESSAGES[self.outcome][0],
                "en": MESSAGES[self.outcome][1],
            },
            "signed": self.signed,
            "intact": self.intact,
            "valid": self.valid,
            "trusted": self.trusted,
            "untouched": self.untouched,
            "signer": self.signer,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "level": self.level or None,
            "timestamped_at": self.timestamped_at.isoformat() if self.timestamped_at else None,
            "matches_record": self.matches_record,
            "licence": None
            if licence is None
            else {
                "number": licence.number,
                "status": self.licence_status,
                "version": self.version.number if self.version else None,
                "current_version": licence.version,
                "issuer": licence.agency.name_en,
                "issuer_th": licence.agency.name_th,
                "holder_name": licence.holder_name,
                "business_name": licence.business_name,
                "issued_at": timezone.localtime(licence.issued_at).date().isoformat(),
                "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
            },
            "payload_number": (self.payload or {}).get("number"),
        }


def _signer_label(certificate: Any) -> str:
    subject = certificate.subject.native
    return str(
        subject.get("organization_name")
        or subject.get("common_name")
        or certificate.subject.human_friendly
    )


def _untouched(status: Any, signatures: list[Any]) -> bool:
    """Nothing but the signature's own revision, or after it only what PAdES long-term
    validation adds (the DSS, document time stamps): pyHanko's difference analysis
    calls that LTA_UPDATES, and any other change fails it."""
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE and len(signatures) == 1:
        return True
    if status.coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return False
    if any(signature.sig_object_type != "/DocTimeStamp" for signature in signatures[1:]):
        return False
    return bool(
        status.modification_level is not None
        and status.modification_level <= ModificationLevel.LTA_UPDATES
        and status.docmdp_ok
    )


@dataclass(frozen=True)
class SignatureCheck:
    """The file's own answer, before any register is asked: is it an agency-signed PDF,
    untouched since? ``signed_revision`` is the part the signature covers (where embedded
    data must be read from); ``facts`` are the fields every verification reports."""

    outcome: Outcome
    facts: dict[str, Any] = field(default_factory=dict)
    signed_revision: bytes = b""


def check_signature(data: bytes) -> SignatureCheck:
    """Validate the first signature of ``data`` against the trusted agency roots.

    Validation uses only what the file carries (its DSS: OCSP answers, CRLs,
    certificates) with fetching off, so a B-LT/B-LTA document verifies with the trust
    services down, years later; an old B-B licence (no DSS) verifies as it always did.
    Shared by licences and receipts: both are certified by the issuing agency.
    """
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as error:  # any parser failure means the same thing to the user
        logger.info("unreadable PDF uploaded for verification: %s", error)
        return SignatureCheck("unreadable", {"details": [str(error)]})
    if not signatures:
        return SignatureCheck("not_signed")
    embedded = signatures[0]
    try:
        context = pades.offline_context(reader, trust_roots())
        status = validate_pdf_signature(embedded, context)
        level = pades.level_of(reader, status)
    except Exception as error:  # a mangled CMS blob, byte range or DSS
        logger.info("signature could not be validated: %s", error)
        return SignatureCheck("tampered", {"signed": True, "details": [str(error)]})

    untouched = _untouched(status, signatures)
    facts: dict[str, Any] = {
        "signed": True,
        "intact": status.intact,
        "valid": status.valid,
        "trusted": status.trusted,
        "untouched": untouched,
        "signer": _signer_label(status.signing_cert),
        "signed_at": status.signer_reported_dt,
        "level": level,
        "timestamped_at": (
            status.timestamp_validity.timestamp if status.timestamp_validity else None
        ),
        "details": [str(item) for item in status.summary_fields()],
    }
    if not (status.intact and status.valid) or not untouched:
        return SignatureCheck("tampered", facts)
    byte_range = [int(value) for value in embedded.byte_range]
    signed_revision = data[: byte_range[2] + byte_range[3]]
    return SignatureCheck("valid" if status.trusted else "untrusted", facts, signed_revision)


def verify_pdf(data: bytes) -> PdfVerification:
    """Check a licence file: its signature (:func:`check_signature`), then what the
    register says of the licence its embedded ``licence.json`` names.

    The payload is read from the *signed revision* only, so data appended after signing
    can never be passed off as signed.
    """
    checked = check_signature(data)
    if checked.outcome in ("unreadable", "not_signed", "tampered"):
        return PdfVerification(outcome=checked.outcome, **checked.facts)
    payload = licence_pdf.read_payload(checked.signed_revision)
    if checked.outcome == "untrusted":
        return PdfVerification(outcome="untrusted", payload=payload, **checked.facts)
    licence, version = _signed_version(payload)
    return PdfVerification(
        outcome="valid",
        payload=payload,
        licence=licence,
        version=version,
        licence_status=(
            verdict(licence, version=version.number if version else None) if licence else None
        ),
        matches_record=bool(version and version.pdf_sha256 == hashlib.sha256(data).hexdigest()),
        **checked.facts,
    )


def _signed_version(
    payload: dict[str, Any] | None,
) -> tuple[Licence | None, LicenceVersion | None]:
    """The register entry a signed payload names: its licence and the version it is."""
    if not payload or not isinstance(payload.get("number"), str):
        return None, None
    licence = Licence.objects.select_related("agency").filter(number=payload["number"]).first()
    if licence is None:
        return None, None
    number = payload.get("version", 1)
    version = licence.versions.filter(number=number if isinstance(number, int) else 1).first()
    return licence, version

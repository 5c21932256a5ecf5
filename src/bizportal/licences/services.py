"""Issuing, revoking and verifying electronic licences.

Issuing runs in one transaction: the number is taken from a locked counter row, the
PDF is rendered and signed with that number in it, and the licence row, its file and
the audit record are written together. If anything fails, nothing is committed (the
file written for a rolled-back licence is removed again).

Verification is read-only and public: it answers from the signature and the
register, and is deliberately not audited as personal-data access.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, Literal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from bizportal.applications.models import Application
from bizportal.core import audit
from bizportal.core.sequences import next_number
from bizportal.core.thai import english_date, thai_date

from . import pdf as licence_pdf
from .models import Licence
from .signers import trust_roots

logger = logging.getLogger(__name__)

LicenceStatus = Literal["valid", "expired", "revoked"]
Outcome = Literal["valid", "tampered", "untrusted", "not_signed", "unreadable"]


class LicenceError(Exception):
    """An operation the licence's current state does not allow."""


# --- reading ----------------------------------------------------------------------


def licence_status(licence: Licence, *, today: dt.date | None = None) -> LicenceStatus:
    """Revoked wins over expired; expiry is judged on the Bangkok calendar day."""
    if licence.status == Licence.Status.REVOKED:
        return "revoked"
    today = today or timezone.localdate()
    if licence.valid_until is not None and licence.valid_until < today:
        return "expired"
    return "valid"


def mask_citizen_id(value: str) -> str:
    """Show only the last three digits (PDPA): x-xxxx-xxxxx-67-8."""
    if len(value) != 13:
        return "x" * len(value)
    return f"x-xxxx-xxxxx-{value[10:12]}-{value[12]}"


def format_citizen_id(value: str) -> str:
    """The printed form on ID cards: 1-2345-67890-12-3."""
    if len(value) != 13:
        return value
    return f"{value[0]}-{value[1:5]}-{value[5:10]}-{value[10:12]}-{value[12]}"


# --- issuing ----------------------------------------------------------------------


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


def _holder_name(applicant: Any) -> str:
    return str(
        applicant.full_name_th
        or applicant.full_name_en
        or applicant.get_full_name()
        or applicant.username
    )


def build_payload(licence: Licence, application: Application) -> dict[str, Any]:
    """The machine-readable copy embedded in the PDF and kept on the row."""
    agency = licence.agency
    return {
        "schema": licence_pdf.PAYLOAD_SCHEMA,
        "schema_version": licence_pdf.PAYLOAD_SCHEMA_VERSION,
        "number": licence.number,
        "title": {"th": licence.title_th, "en": licence.title_en},
        "permits": {"th": licence.permits_th, "en": licence.permits_en},
        "holder": {"name": licence.holder_name, "citizen_id": licence.holder_id},
        "business_name": licence.business_name,
        "issuer": {"code": agency.code, "name_th": agency.name_th, "name_en": agency.name_en},
        "service": application.service.slug,
        "application_reference": application.reference,
        "issued_at": timezone.localtime(licence.issued_at).date().isoformat(),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "verify_url": licence_pdf.verify_url(licence.number),
    }


def _pdf_context(licence: Licence, application: Application) -> dict[str, Any]:
    return {
        "licence": licence,
        "agency": licence.agency,
        "application_reference": application.reference,
        "holder_id_display": format_citizen_id(licence.holder_id),
        "issued_th": thai_date(licence.issued_at),
        "issued_en": english_date(licence.issued_at),
        "valid_until_th": thai_date(licence.valid_until),
        "valid_until_en": english_date(licence.valid_until),
        "verify_url": licence_pdf.verify_url(licence.number),
    }


def issue_licence(application: Application, *, actor: Any = None) -> Licence:
    """Issue the signed e-licence for ``application``; return the existing one if issued.

    The caller decides *whether* a licence is due (the application workflow calls
    this once the fee is paid); this function only makes sure it exists exactly once.
    """
    stored_name: str | None = None
    try:
        with transaction.atomic():
            # Lock the application so two workers cannot both issue for it.
            application = (
                Application.objects.select_for_update()
                .select_related("service", "agency", "applicant")
                .get(pk=application.pk)
            )
            existing = Licence.objects.filter(application=application).first()
            if existing is not None:
                return existing
            service = application.service
            issued_at = timezone.now()
            issued_on = timezone.localtime(issued_at).date()
            number = next_number(service.licence_prefix, on=issued_on)
            applicant = application.applicant
            licence = Licence(
                number=number,
                application=application,
                agency=application.agency,
                holder_name=_holder_name(applicant),
                holder_id=applicant.citizen_id or "",
                business_name=str(application.data.get("business_name") or ""),
                title_th=service.licence_title_th,
                title_en=service.licence_title_en,
                permits_th=service.licence_permits_th,
                permits_en=service.licence_permits_en,
                issued_at=issued_at,
                valid_until=valid_until_for(issued_on, service.licence_validity_years),
            )
            licence.payload = build_payload(licence, application)
            unsigned = licence_pdf.render_licence_pdf(
                _pdf_context(licence, application), licence.payload
            )
            signed = licence_pdf.sign_licence_pdf(unsigned, licence.agency, number=number)
            licence.pdf_sha256 = hashlib.sha256(signed).hexdigest()
            licence.pdf.save(f"{licence.public_id}.pdf", ContentFile(signed), save=False)
            stored_name = licence.pdf.name
            licence.save()
            audit.record(
                "licence.issued",
                licence,
                actor=actor,
                actor_label="" if actor else "Biz Portal",
                number=number,
                application=application.reference,
                agency=licence.agency.code,
                sha256=licence.pdf_sha256,
            )
            return licence
    except BaseException:
        if stored_name:
            Licence._meta.get_field("pdf").storage.delete(stored_name)  # type: ignore[attr-defined]
        raise


@transaction.atomic
def revoke_licence(licence: Licence, reason: str, *, actor: Any) -> Licence:
    """Withdraw a licence; the verification page and API say so from then on."""
    reason = (reason or "").strip()
    if not reason:
        raise LicenceError("กรุณาระบุเหตุผลการเพิกถอน / Please give the reason for revocation")
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    if licence.status == Licence.Status.REVOKED:
        raise LicenceError(
            f"ใบอนุญาต {licence.number} ถูกเพิกถอนแล้ว / Licence {licence.number} is already revoked"
        )
    licence.status = Licence.Status.REVOKED
    licence.revoked_at = timezone.now()
    licence.revocation_reason = reason
    licence.save(update_fields=["status", "revoked_at", "revocation_reason"])
    audit.record("licence.revoked", licence, actor=actor, number=licence.number, reason=reason)
    return licence


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
    payload: dict[str, Any] | None = None
    licence: Licence | None = None
    licence_status: LicenceStatus | None = None
    matches_record: bool = False
    details: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome == "valid"

    @property
    def message_th(self) -> str:
        return MESSAGES[self.outcome][0]

    @property
    def message_en(self) -> str:
        return MESSAGES[self.outcome][1]

    def as_dict(self) -> dict[str, Any]:
        licence = self.licence
        return {
            "outcome": self.outcome,
            "ok": self.ok,
            "message": {"th": self.message_th, "en": self.message_en},
            "signed": self.signed,
            "intact": self.intact,
            "valid": self.valid,
            "trusted": self.trusted,
            "untouched": self.untouched,
            "signer": self.signer,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "matches_record": self.matches_record,
            "licence": None
            if licence is None
            else {
                "number": licence.number,
                "status": self.licence_status,
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


def verify_pdf(data: bytes) -> PdfVerification:
    """Check the licence signature of ``data`` against the trusted agency roots.

    The embedded ``licence.json`` is read from the *signed revision* only, so data
    appended after signing can never be passed off as signed.
    """
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as error:  # any parser failure means the same thing to the user
        logger.info("unreadable PDF uploaded for verification: %s", error)
        return PdfVerification(outcome="unreadable", details=[str(error)])
    if not signatures:
        return PdfVerification(outcome="not_signed")
    embedded = signatures[0]
    try:
        status = validate_pdf_signature(embedded, ValidationContext(trust_roots=trust_roots()))
    except Exception as error:  # a mangled CMS blob or byte range
        logger.info("signature could not be validated: %s", error)
        return PdfVerification(outcome="tampered", signed=True, details=[str(error)])

    untouched = status.coverage == SignatureCoverageLevel.ENTIRE_FILE and len(signatures) == 1
    details = [str(item) for item in status.summary_fields()]
    common: dict[str, Any] = {
        "signed": True,
        "intact": status.intact,
        "valid": status.valid,
        "trusted": status.trusted,
        "untouched": untouched,
        "signer": _signer_label(status.signing_cert),
        "signed_at": status.signer_reported_dt,
        "details": details,
    }
    if not (status.intact and status.valid) or not untouched:
        return PdfVerification(outcome="tampered", **common)
    byte_range = [int(value) for value in embedded.byte_range]
    payload = licence_pdf.read_payload(data[: byte_range[2] + byte_range[3]])
    if not status.trusted:
        return PdfVerification(outcome="untrusted", payload=payload, **common)
    licence = None
    if payload and isinstance(payload.get("number"), str):
        licence = Licence.objects.select_related("agency").filter(number=payload["number"]).first()
    return PdfVerification(
        outcome="valid",
        payload=payload,
        licence=licence,
        licence_status=licence_status(licence) if licence else None,
        matches_record=bool(licence and licence.pdf_sha256 == hashlib.sha256(data).hexdigest()),
        **common,
    )

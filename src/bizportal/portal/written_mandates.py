"""Written mandates: a mandate issued as a signed PDF (PAdES), verifiable like a licence.

Some laws (004 §3.2(2)) accept a delegate only with a written power of attorney. For a
service marked ``requires_written_mandate``, the electronic mandate is therefore also
issued as a document: a PDF/A-3b in Thai and English (Sarabun), with the mandate's data
embedded as ``mandate.json`` and a QR code to its public verification page, certified
with the same signer plugin and PAdES profile as licences (B-LT, time-stamped, with
revocation data), and kept on the mandate (:func:`identity.services.store_mandate_document`).

Why here: the mandate lives in ``identity`` and the signing code in ``licences``, two
apps on one layer that may not import each other; the portal sits above both.

Why at acceptance and not at grant: only then is the delegate's account (and name)
known, and only then does the mandate take effect; an offer that is declined never
needs a document. The subscriber signs after the acceptance committed, so the
delegate's request never waits on the time-stamping service; until the document is
stored the delegate cannot act for such a service (``identity.acting.covers``).

Which agency signs: ``settings.MANDATE_SIGNING_AGENCY`` (the portal operator's agency
code) when set, else the agency of the first covered service that needs the document
(by slug), whose law asked for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from bizportal.catalog.models import Agency
from bizportal.core import safejson
from bizportal.core.thai import english_date, thai_date
from bizportal.identity.models import Mandate, MandateAction
from bizportal.identity.services import store_mandate_document
from bizportal.licences import pdf as licence_pdf
from bizportal.licences.services import check_signature, printed_holder_id

PAYLOAD_NAME = "mandate.json"
PAYLOAD_SCHEMA_VERSION = 1
TEMPLATE = "portal/mandate_pdf.html"
SIGNATURE_FIELD = "MandateSignature"

#: What the public page and an uploaded file say of a mandate. ``valid`` only when it
#: is accepted and today is within its period.
Status = Literal["valid", "not_yet_valid", "expired", "revoked", "not_in_force"]
FileOutcome = Literal[
    "valid", "tampered", "untrusted", "not_signed", "unreadable", "not_a_mandate", "not_found"
]

ACTION_WORDS = {
    MandateAction.PREPARE: ("จัดทำคำขอ", "prepare applications"),
    MandateAction.SUBMIT: ("ยื่นคำขอ", "submit applications"),
    MandateAction.PAY: ("ชำระค่าธรรมเนียม", "pay fees"),
    MandateAction.VIEW: ("ดูคำขอและใบอนุญาต", "view applications and licences"),
    MandateAction.RECEIVE: ("รับใบอนุญาต", "receive licences"),
}


def verify_url(mandate: Mandate) -> str:
    """The public page the QR code on the document leads to."""
    return settings.BASE_URL + reverse("portal:mandate-verify-reference", args=[mandate.public_id])


def signing_agency(mandate: Mandate) -> Agency:
    """Who certifies the document (see the module's docstring)."""
    code = str(getattr(settings, "MANDATE_SIGNING_AGENCY", "") or "")
    if code:
        return Agency.objects.get(code=code)
    service = mandate.written_services().select_related("agency").first()
    if service is None:
        raise ValueError(f"mandate {mandate.public_id} covers no service that needs a document")
    return service.agency


def _party_id(key: str, *, juristic: bool) -> str:
    return printed_holder_id(key, juristic=juristic) if key else ""


def build_payload(mandate: Mandate) -> dict[str, Any]:
    """The machine-readable copy embedded in the PDF. A person's ID is masked as on a
    licence (the paper travels); a company's juristic ID is public record."""
    grantor = mandate.grantor
    services = list(mandate.services.order_by("slug"))
    return {
        "type": "written-mandate",
        "schema_version": PAYLOAD_SCHEMA_VERSION,
        "reference": str(mandate.public_id),
        "grantor": {
            "kind": grantor.kind,
            "name_th": grantor.name_th,
            "name_en": grantor.name_en,
            "id": _party_id(grantor.key, juristic=grantor.is_company),
        },
        "delegate": {
            "name": mandate.delegate_name,
            "id": _party_id(mandate.delegate_key, juristic=False),
        },
        "services": [
            {"slug": s.slug, "name_th": s.name_th, "name_en": s.name_en} for s in services
        ],
        "every_service": not services,
        "actions": list(mandate.actions or []),
        "valid_from": mandate.valid_from.isoformat(),
        "valid_until": mandate.valid_until.isoformat(),
        "granted_at": mandate.granted_at.isoformat(),
        "accepted_at": mandate.answered_at.isoformat() if mandate.answered_at else None,
        "verify_url": verify_url(mandate),
    }


def render_pdf(mandate: Mandate, agency: Agency) -> bytes:
    """The unsigned PDF/A-3b with ``mandate.json`` attached (before signing: pyHanko
    appends the signature as an incremental update that covers the attachment)."""
    from weasyprint import Attachment

    from bizportal.core.pdf import render_pdf as render

    payload = build_payload(mandate)
    url = payload["verify_url"]
    services = list(mandate.services.order_by("slug"))
    context = {
        "mandate": mandate,
        "payload": payload,
        "agency": agency,
        "services": services,
        # In the order the grant form lists them (prepare, submit, pay, view, receive).
        "actions": [ACTION_WORDS[a] for a in MandateAction if a in (mandate.actions or [])],
        "valid_from_th": thai_date(mandate.valid_from),
        "valid_from_en": english_date(mandate.valid_from),
        "valid_until_th": thai_date(mandate.valid_until),
        "valid_until_en": english_date(mandate.valid_until),
        "accepted_th": thai_date(timezone.localtime(mandate.answered_at or timezone.now())),
        "accepted_en": english_date(timezone.localtime(mandate.answered_at or timezone.now())),
        "verify_url": url,
        "qr_data_uri": licence_pdf.qr_code(url).svg_data_uri(
            scale=4, border=4, dark="#000", light="#fff"
        ),
    }
    attachment = Attachment(
        string=licence_pdf.payload_bytes(payload),
        name=PAYLOAD_NAME,
        description="Machine-readable mandate data / ข้อมูลหนังสือมอบอำนาจสำหรับเครื่อง",
        relationship="Data",
    )
    return render(TEMPLATE, context, pdf_variant=licence_pdf.PDF_VARIANT, attachments=[attachment])


def issue_document(mandate: Mandate) -> Mandate:
    """Render, sign and store the written mandate of an accepted mandate (once).

    Idempotent: a mandate with its document, or one that needs none, is returned as
    is; one no longer accepted (declined, revoked before delivery) gets none.
    """
    mandate = (
        Mandate.objects.select_related("grantor").prefetch_related("services").get(pk=mandate.pk)
    )
    if (
        mandate.document_signed_at is not None
        or mandate.status != Mandate.Status.ACCEPTED
        or not mandate.needs_document
    ):
        return mandate
    agency = signing_agency(mandate)
    unsigned = render_pdf(mandate, agency)
    reference = str(mandate.public_id)
    signed = licence_pdf.sign_agency_pdf(
        unsigned,
        agency,
        label=reference,
        reason=f"หนังสือมอบอำนาจ {reference} / Written mandate {reference}",
        valid_until=mandate.valid_until,
        field_name=SIGNATURE_FIELD,
    )
    return store_mandate_document(mandate, signed, signer=agency.code)


def status_of(mandate: Mandate, today: dt.date | None = None) -> Status:
    """The mandate's standing today, as verification reports it."""
    today = today or timezone.localdate()
    if mandate.status == Mandate.Status.REVOKED:
        return "revoked"
    if mandate.status != Mandate.Status.ACCEPTED:
        return "not_in_force"
    if today > mandate.valid_until:
        return "expired"
    if today < mandate.valid_from:
        return "not_yet_valid"
    return "valid"


@dataclass(frozen=True)
class FileCheck:
    """What an uploaded written-mandate file proves: the file's own answer first (signed
    by a trusted agency, untouched since), then the portal's record of the mandate."""

    outcome: FileOutcome
    facts: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] | None = None
    mandate: Mandate | None = None
    status: Status | None = None
    matches_record: bool = False
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == "valid" and self.status == "valid"


def check_file(data: bytes) -> FileCheck:
    """Check an uploaded written mandate; the payload is read from the signed revision
    only, so nothing appended after signing can pass as signed."""
    digest = hashlib.sha256(data).hexdigest()
    checked = check_signature(data)
    if checked.outcome != "valid":
        return FileCheck(checked.outcome, checked.facts, sha256=digest)
    raw = licence_pdf.read_embedded_file_bytes(checked.signed_revision, PAYLOAD_NAME)
    payload: dict[str, Any] | None = None
    if raw is not None:
        try:
            loaded = safejson.loads(raw)
        except ValueError:
            loaded = None
        payload = loaded if isinstance(loaded, dict) else None
    if payload is None or payload.get("type") != "written-mandate":
        return FileCheck("not_a_mandate", checked.facts, sha256=digest)
    reference = _uuid_or_none(payload.get("reference"))
    mandate = (
        Mandate.objects.select_related("grantor")
        .prefetch_related("services")
        .filter(public_id=reference)
        .first()
        if reference is not None
        else None
    )
    if mandate is None:
        return FileCheck("not_found", checked.facts, payload, sha256=digest)
    return FileCheck(
        "valid",
        checked.facts,
        payload,
        mandate,
        status_of(mandate),
        matches_record=mandate.document_sha256 == digest,
        sha256=digest,
    )


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None

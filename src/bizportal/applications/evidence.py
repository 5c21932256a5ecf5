"""Once-only evidence: which of an application's documents the portal fetches through
the government data exchange instead of asking for an upload, and on which basis.

A document is fetched when the service declares it "from data service X"
(``exchange.DocumentSource``) and the applying party is someone that data service
holds records about (a Thai citizen or juristic ID of the kind it covers). The deciding
agency is the consumer; its legal mission, or else the party's consent given in the
form, is the basis. Whatever the exchange cannot answer, the applicant uploads.
Read-only here; ``services`` fetches and records consents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from bizportal.catalog.models import RequiredDocument
from bizportal.core.templatetags.thai import pick
from bizportal.exchange import gateway
from bizportal.exchange.gateway import Reason
from bizportal.exchange.models import Basis, DocumentSource, SubjectKind

from .models import Application

THAI_ID = re.compile(r"^[0-9]{13}$")

#: The consumer system named in the message log when the portal fetches for an agency.
PORTAL_SYSTEM = "bizportal-portal"


@dataclass(frozen=True)
class Evidence:
    """How one document of an application is to be had from the exchange."""

    document: RequiredDocument
    source: DocumentSource
    basis: str  # a Basis value; "none" until the party consents

    @property
    def provider(self) -> Any:
        return self.source.data_service.provider

    @property
    def needs_consent(self) -> bool:
        return self.basis == Basis.NONE

    def notice_th(self, application: Application) -> str:
        """The plain-Thai consent text the party agrees to, word for word."""
        names = ", ".join(f["th"] for f in self.source.field_labels())
        return (
            f"ข้าพเจ้ายินยอมให้{application.agency.name_th}ขอข้อมูล {names} ของ"
            f"{application.party.name_th or 'ข้าพเจ้า'}จาก{self.provider.name_th}"
            "ผ่านระบบแลกเปลี่ยนข้อมูลภาครัฐ เพื่อใช้แทน"
            f"{self.document.name_th} ในการพิจารณาคำขอ{application.service.name_th}เท่านั้น "
            "และทราบว่าถอนความยินยอมได้ทุกเมื่อที่หน้าข้อมูลส่วนบุคคลของข้าพเจ้า"
        )

    def notice_en(self, application: Application) -> str:
        """The same notice in English, for reading; the Thai text is what is recorded."""
        names = ", ".join(f["en"] for f in self.source.field_labels())
        return (
            f"I consent to {application.agency.name_en} obtaining {names} of "
            f"{application.party.name_en or application.party.name_th or 'me'} from "
            f"{self.provider.name_en} through the government data exchange, in place of "
            f"{self.document.name_en}, only to decide this application for "
            f"{application.service.name_en}; I know I can withdraw this consent at any time "
            "on my personal-data page."
        )


def purpose_of(application: Application, step: str) -> gateway.Purpose:
    return gateway.Purpose(
        service=application.service.slug,
        application=application.reference or str(application.public_id),
        step=step,
    )


def plan(application: Application, documents: Iterable[RequiredDocument]) -> dict[str, Evidence]:
    """Document code → how it is fetched, for the documents the exchange can supply for
    this application's party (the rest are uploads)."""
    documents = list(documents)
    party = application.party
    if party is None or not THAI_ID.match(party.key):
        return {}
    sources = {
        s.document_id: s
        for s in DocumentSource.objects.select_related("data_service__provider").filter(
            document__in=[d.pk for d in documents], data_service__is_active=True
        )
    }
    found: dict[str, Evidence] = {}
    for document in documents:
        source = sources.get(document.pk)
        if source is None or not SubjectKind(source.data_service.subject_kind).covers(party.kind):
            continue
        basis = gateway.standing_basis(
            application.agency,
            source.data_service,
            party.key,
            source.fields,
            purpose_of(application, "submit"),
        )
        found[document.code] = Evidence(document, source, basis)
    return found


def refusal_message(evidence: Evidence, reason: str) -> str:
    """What the applicant reads when a required document could not be fetched: always
    with the way on (consent or upload)."""
    names = {
        "provider": pick(evidence.provider, "name"),
        "document": pick(evidence.document, "name"),
    }
    if reason in (Reason.NO_LEGAL_BASIS, Reason.FIELDS_NOT_ALLOWED):
        return _("Consent to %(document)s being fetched from %(provider)s, or upload it") % names
    if reason == Reason.NOT_FOUND:
        return (
            _("%(provider)s holds no record of the applicant: please upload %(document)s") % names
        )
    if reason == Reason.PROVIDER_UNAVAILABLE:
        return (
            _("%(provider)s is not answering: upload %(document)s instead, or submit later") % names
        )
    message_th, message_en = Reason.MESSAGES[reason]
    thai = (get_language() or "th").startswith("th")
    return _("%(message)s: please upload %(document)s") % {
        **names,
        "message": message_th if thai else message_en,
    }

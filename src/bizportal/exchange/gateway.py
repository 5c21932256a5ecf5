"""The exchange gateway: the only way a consumer reaches a data service.

For each request it settles who asks (an agency, its system, its officer), for what (a
purpose: the licensing service, the application and its step), on which basis (the
person themselves, the agency's legal mission, or the person's consent) and which
fields that basis allows; asks the provider; returns only those fields; and writes the
message log (``exchange.log``) whatever the outcome. A refusal carries a reason code for
machines and a Thai and English message for people.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from bizportal.catalog.models import Agency

from . import log
from .models import Basis, Consent, DataService, MissionRule, Outcome
from .providers import NoSuchRecord, ProviderUnavailable, providers

#: The consumer code of the portal itself, for the one thing it asks on its own account:
#: a person's own record when they sign in. It is no agency (the catalogue lists the
#: agencies that license; the portal's operator is not one of them), so it has no
#: mission and can hold no consent: the gateway accepts it on the subject basis only,
#: and refuses it as an unknown consumer for anything else.
PLATFORM = "bizportal"


class Reason:
    """Machine-readable reasons for a request not answered, with what people read."""

    UNKNOWN_DATA_SERVICE = "unknown_data_service"
    UNKNOWN_CONSUMER = "unknown_consumer"
    OFFICER_NOT_OF_AGENCY = "officer_not_of_agency"
    UNKNOWN_FIELDS = "unknown_fields"
    INVALID_SUBJECT = "invalid_subject"
    NO_LEGAL_BASIS = "no_legal_basis"
    FIELDS_NOT_ALLOWED = "fields_not_allowed"
    NOT_FOUND = "not_found"
    PROVIDER_UNAVAILABLE = "provider_unavailable"

    # (Thai, English msgid): English is the message code; show gettext(English).
    # The Thai half stays for callers that still unpack the pair.
    MESSAGES = {
        UNKNOWN_DATA_SERVICE: ("ไม่มีบริการข้อมูลนี้", gettext_noop("There is no such data service")),
        UNKNOWN_CONSUMER: (
            "ไม่รู้จักหน่วยงานผู้ขอข้อมูล",
            gettext_noop("The requesting agency is not known"),
        ),
        OFFICER_NOT_OF_AGENCY: (
            "เจ้าหน้าที่ไม่ได้สังกัดหน่วยงานที่ขอข้อมูล",
            gettext_noop("The officer does not belong to the requesting agency"),
        ),
        UNKNOWN_FIELDS: (
            "ขอข้อมูลที่บริการนี้ไม่มี",
            gettext_noop("Fields were asked for that this data service does not hold"),
        ),
        INVALID_SUBJECT: (
            "เลขประจำตัวของเจ้าของข้อมูลไม่ถูกต้อง",
            gettext_noop("The data subject's identification number is not valid"),
        ),
        NO_LEGAL_BASIS: (
            "ไม่มีอำนาจตามกฎหมายหรือความยินยอมของเจ้าของข้อมูลสำหรับคำขอนี้",
            gettext_noop("Neither a legal mission nor the person's consent covers this request"),
        ),
        FIELDS_NOT_ALLOWED: (
            "ขอข้อมูลเกินกว่าที่อำนาจตามกฎหมายหรือความยินยอมครอบคลุม",
            gettext_noop("Fields were asked for beyond what the mission or consent covers"),
        ),
        NOT_FOUND: (
            "ผู้ให้บริการข้อมูลไม่พบข้อมูลของบุคคลนี้",
            gettext_noop("The provider holds no such record"),
        ),
        PROVIDER_UNAVAILABLE: (
            "ผู้ให้บริการข้อมูลไม่ตอบสนอง โปรดลองใหม่ภายหลัง",
            gettext_noop("The provider is not available, please try again later"),
        ),
    }


class Refused(Exception):
    """The gateway did not answer; ``reason`` is a :class:`Reason` code and
    ``message_id`` the message-log entry that records it."""

    def __init__(self, reason: str, message_id: uuid.UUID | None = None) -> None:
        self.reason = reason
        self.message_id = message_id
        self.message_th, self.message_en = Reason.MESSAGES[reason]
        super().__init__(gettext(self.message_en))


@dataclass(frozen=True)
class Consumer:
    """Who asks: an agency by code, the system it asks through and, when a person in the
    agency asks, the officer. ``subject_id`` is set when the data subject asks for their
    own record (signing in, prefilling their own form)."""

    agency: str
    system: str
    officer: Any = None
    subject_id: str = ""


@dataclass(frozen=True)
class Purpose:
    """What for: the licensing service (slug), the application and the step."""

    service: str = ""
    application: str = ""
    step: str = ""
    description: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


@dataclass(frozen=True)
class Answer:
    data: dict[str, Any]
    message_id: uuid.UUID
    provider: str
    basis: str
    at: datetime
    fields: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Decision:
    basis: str
    ref: str = ""
    reason: str = ""


def fetch(
    consumer: Consumer,
    data_service: str,
    subject_id: str,
    fields: list[str],
    purpose: Purpose,
) -> Answer:
    """The fields of ``subject_id``'s record that ``consumer`` may have for ``purpose``.

    Raises :class:`Refused` (logged) when the request has no basis or is malformed, or
    the provider holds nothing or does not answer."""
    entry: dict[str, Any] = {
        "consumer_agency": consumer.agency,
        "consumer_system": consumer.system,
        "officer": consumer.officer,
        "officer_name": _name_of(consumer.officer),
        "data_service": data_service,
        "provider": "",
        "subject_id": subject_id,
        "purpose": purpose.as_dict(),
        "fields_requested": sorted(set(fields)),
    }
    # The provider (named in the log and the answer) and the consumer agency's id come
    # in the same query as the data service: one round trip fewer on every request.
    service = (
        DataService.objects.select_related("provider")
        .filter(code=data_service, is_active=True)
        .annotate(consumer_id=Subquery(Agency.objects.filter(code=consumer.agency).values("pk")))
        .first()
    )
    if service is None:
        raise _refuse(entry, Reason.UNKNOWN_DATA_SERVICE)
    entry["provider"] = service.provider.code
    decision = _decide(consumer, service, subject_id, set(fields), purpose)
    if decision.reason:
        raise _refuse(entry, decision.reason, decision)
    entry.update(basis=decision.basis, basis_ref=decision.ref)
    try:
        record = providers[service.connector].fetch(
            subject_id, actor=consumer.officer, purpose=_purpose_text(purpose)
        )
    except ValidationError:
        raise _refuse(entry, Reason.INVALID_SUBJECT, decision) from None
    except NoSuchRecord:
        raise _refuse(entry, Reason.NOT_FOUND, decision, Outcome.NOT_FOUND) from None
    except ProviderUnavailable:
        raise _refuse(entry, Reason.PROVIDER_UNAVAILABLE, decision, Outcome.UNAVAILABLE) from None
    data = {name: record[name] for name in sorted(set(fields)) if name in record}
    written = log.append(
        **entry,
        fields_returned=sorted(data),
        outcome=Outcome.ANSWERED,
        response_digest=_digest(data),
    )
    return Answer(
        data, written.message_id, service.provider.code, decision.basis, written.at, sorted(data)
    )


def standing_basis(
    agency: Agency, service: DataService, subject_id: str, fields: list[str], purpose: Purpose
) -> str:
    """The basis a request would have now (a :class:`Basis` value, ``none`` if none),
    without asking the provider or writing the log: what an application form shows
    before the person decides whether to consent."""
    wanted = set(fields)
    if any(wanted <= set(rule.fields) for rule in _missions(agency.pk, service, purpose)):
        return Basis.MISSION
    if any(wanted <= set(c.fields) for c in _consents(agency.pk, service, subject_id)):
        return Basis.CONSENT
    return Basis.NONE


def _decide(
    consumer: Consumer, service: DataService, subject_id: str, fields: set[str], purpose: Purpose
) -> _Decision:
    agency_id = getattr(service, "consumer_id", None)
    if agency_id is None:
        return _platform_decision(consumer, service, subject_id, fields)
    if consumer.officer is not None and getattr(consumer.officer, "agency_id", None) != agency_id:
        return _Decision(Basis.NONE, reason=Reason.OFFICER_NOT_OF_AGENCY)
    if not fields or not fields <= set(service.field_names()):
        return _Decision(Basis.NONE, reason=Reason.UNKNOWN_FIELDS)
    if consumer.subject_id and consumer.subject_id == subject_id:
        return _Decision(Basis.SUBJECT, ref=subject_id)
    covered_in_part = False
    for rule in _missions(agency_id, service, purpose):
        if fields <= set(rule.fields):
            return _Decision(Basis.MISSION, ref=str(rule.pk))
        covered_in_part = True
    for consent in _consents(agency_id, service, subject_id):
        if fields <= set(consent.fields):
            return _Decision(Basis.CONSENT, ref=str(consent.public_id))
        covered_in_part = True
    return _Decision(
        Basis.NONE, reason=Reason.FIELDS_NOT_ALLOWED if covered_in_part else Reason.NO_LEGAL_BASIS
    )


def _platform_decision(
    consumer: Consumer, service: DataService, subject_id: str, fields: set[str]
) -> _Decision:
    """The portal itself (:data:`PLATFORM`, not an agency) reading a person's record for
    that person, with no officer in between; any other consumer without an agency is
    unknown."""
    if consumer.agency != PLATFORM or consumer.officer is not None:
        return _Decision(Basis.NONE, reason=Reason.UNKNOWN_CONSUMER)
    if not consumer.subject_id or consumer.subject_id != subject_id:
        return _Decision(Basis.NONE, reason=Reason.UNKNOWN_CONSUMER)
    if not fields or not fields <= set(service.field_names()):
        return _Decision(Basis.NONE, reason=Reason.UNKNOWN_FIELDS)
    return _Decision(Basis.SUBJECT, ref=subject_id)


def _missions(agency_id: int, service: DataService, purpose: Purpose) -> list[MissionRule]:
    today = timezone.localdate()
    for_service = Q(service__isnull=True)
    if purpose.service:
        for_service |= Q(service__slug=purpose.service)
    for_step = Q(step="")
    if purpose.step:
        for_step |= Q(step=purpose.step)
    return list(
        MissionRule.objects.filter(
            for_service,
            for_step,
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
            agency_id=agency_id,
            data_service=service,
            is_active=True,
            valid_from__lte=today,
        )
    )


def _consents(agency_id: int, service: DataService, subject_id: str) -> list[Consent]:
    """Consents in force now: read on every request, so a revocation applies at once."""
    now = timezone.now()
    return list(
        Consent.objects.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            subject_id=subject_id,
            agency_id=agency_id,
            data_service=service,
            revoked_at__isnull=True,
        )
    )


def _refuse(
    entry: dict[str, Any],
    reason: str,
    decision: _Decision | None = None,
    outcome: str = Outcome.REFUSED,
) -> Refused:
    written = log.append(
        **{
            **entry,
            "basis": decision.basis if decision else Basis.NONE,
            "basis_ref": decision.ref if decision else "",
            "fields_returned": [],
            "outcome": outcome,
            "reason": reason,
        }
    )
    return Refused(reason, written.message_id)


def _name_of(officer: Any) -> str:
    if officer is None:
        return ""
    return str(getattr(officer, "display_name", "") or officer)


def _purpose_text(purpose: Purpose) -> str:
    return " ".join(f"{k}={v}" for k, v in purpose.as_dict().items())


def _digest(data: dict[str, Any]) -> str:
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode()).hexdigest()

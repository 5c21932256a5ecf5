"""The data tracker: every access to a person's data, in one list they can read.

Two sources, both written synchronously with the access (so an access shows here as
soon as it happened): the exchange's message log (an agency obtaining the person's or
their company's registry data, answered or refused; the portal's own reads of the civil
registry, at sign-in and at the service counter, go through the exchange too) and the
audit trail's staff reads and actions on their applications (which officer of which
agency opened or decided what), including every act of a vendor's system acting for a
company under the company's approval (system users), and every act of a client
representative's (an accountant firm's) people for the company. A company's authorised persons
(directors, holders of a viewing mandate) see the company's accesses too, as they see
its applications.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop, pgettext_lazy

from bizportal.applications.models import Application
from bizportal.catalog.models import Agency
from bizportal.core.models import AuditEvent
from bizportal.core.pdf import render_pdf
from bizportal.exchange.gateway import PLATFORM
from bizportal.exchange.models import Basis, MessageLogEntry, Outcome
from bizportal.identity.acting import parties_visible_to
from bizportal.identity.models import Party

#: Most recent accesses shown and exported (a person with more asks for a copy of all).
LIMIT = 500

_AUDITED = {
    "application.viewed": gettext_noop("opened the application"),
    "application.printed_at_counter": gettext_noop("printed the application"),
    "application.looked_up_by_helpdesk": gettext_noop("looked up the application's status"),
}


#: What an exchange request reads as, and the basis of an officer opening an application.
ASKED = gettext_noop("asked for %(fields)s from %(source)s")
DECIDING = gettext_noop("deciding the application")
#: The basis of a helpdesk look-up: the reason the officer recorded.
HELPDESK = gettext_noop("helpdesk: %(reason)s")
#: What a system user's act reads as, and its basis.
SYSTEM_ACTED = gettext_noop("acted as a system for the company: %(action)s")
SYSTEM_BASIS = gettext_noop("the company's approval of the system")
#: What a client representative's (an accountant firm's) act reads as, and its basis.
FIRM_ACTED = gettext_noop("acted for the company as its representative: %(action)s")
FIRM_BASIS = gettext_noop("the company's approval of the firm")


def _in(lang: str, message: Any) -> str:
    """A message (msgid or lazy label) in one language."""
    with translation.override(lang):
        return gettext(message) if isinstance(message, str) else str(message)


def _both(message: Any) -> tuple[str, str]:
    """(Thai, English) of a message; a legacy "ไทย / English" label is split."""
    thai, english = _in("th", message), _in("en", message)
    if " / " in thai:
        halves = thai.split(" / ", 1)
        return halves[0], halves[-1]
    return thai, english


@dataclass(frozen=True)
class Access:
    at: datetime
    who: str
    agency_th: str
    agency_en: str
    what_th: str
    what_en: str
    subject: str
    purpose: str
    basis_th: str
    basis_en: str
    outcome_th: str
    outcome_en: str
    reference: str


def subjects_of(user: Any) -> dict[str, str]:
    """The ids whose accesses ``user`` sees (their own, their companies'), with names."""
    parties = Party.objects.filter(parties_visible_to(user)).distinct()
    return {party.key: party.name_th or party.key for party in parties}


def accesses(user: Any, limit: int = LIMIT) -> list[Access]:
    """Newest first, both sources merged."""
    subjects = subjects_of(user)
    if not subjects:
        return []
    agencies = {a.code: a for a in Agency.objects.all()}
    merged = sorted(
        [
            *_exchange(subjects, agencies, limit),
            *_staff(subjects, agencies, limit),
            *_systems(subjects, limit),
            *_representatives(subjects, limit),
        ],
        key=lambda access: access.at,
        reverse=True,
    )
    return list(islice(merged, limit))


#: The portal itself as a consumer (sign-in reads the person's own record): no agency of
#: the catalogue, named for the person all the same.
_PLATFORM = {PLATFORM: Agency(code=PLATFORM, name_th="บิซพอร์ทัล", name_en="Biz Portal")}


def _exchange(subjects: dict[str, str], agencies: dict[str, Agency], limit: int) -> list[Access]:
    entries = (
        MessageLogEntry.objects.filter(subject_id__in=list(subjects))
        .select_related("officer")
        .order_by("-seq")[:limit]
    )
    found = []
    for entry in entries:
        agency = agencies.get(entry.consumer_agency) or _PLATFORM.get(entry.consumer_agency)
        provider = agencies.get(entry.provider)
        basis = _both(Basis(entry.basis).label)
        outcome = _both(Outcome(entry.outcome).label)
        fields = ", ".join(entry.fields_returned or entry.fields_requested)
        source_th = provider.name_th if provider else entry.provider
        source_en = (provider.name_en or provider.name_th) if provider else entry.provider
        found.append(
            Access(
                at=entry.at,
                who=entry.officer_name or entry.consumer_system,
                agency_th=agency.name_th if agency else entry.consumer_agency,
                agency_en=(agency.name_en or agency.name_th) if agency else entry.consumer_agency,
                what_th=_in("th", ASKED) % {"fields": fields, "source": source_th},
                what_en=_in("en", ASKED) % {"fields": fields, "source": source_en},
                subject=subjects.get(entry.subject_id, entry.subject_id),
                purpose=_purpose(entry.purpose),
                basis_th=basis[0],
                basis_en=basis[-1],
                outcome_th=outcome[0],
                outcome_en=outcome[-1],
                reference=str(entry.message_id),
            )
        )
    return found


def _staff(subjects: dict[str, str], agencies: dict[str, Agency], limit: int) -> list[Access]:
    applications = {
        str(public_id): (reference, key)
        for public_id, reference, key in Application.objects.filter(
            party__key__in=list(subjects)
        ).values_list("public_id", "reference", "party__key")
    }
    if not applications:
        return []
    events = (
        AuditEvent.objects.filter(
            Q(action__in=list(_AUDITED)),
            object_type="applications.application",
            object_id__in=list(applications),
            actor__isnull=False,
        )
        .select_related("actor")
        .order_by("-seq")[:limit]
    )
    by_id = {a.pk: a for a in agencies.values()}
    found = []
    for event in events:
        officer = event.actor
        agency = by_id.get(getattr(officer, "agency_id", None) or 0)
        reference, key = applications[event.object_id]
        what_th, what_en = _both(_AUDITED[event.action])
        basis_th, basis_en = _basis(event)
        found.append(
            Access(
                at=event.at,
                who=getattr(officer, "display_name", "") or str(officer),
                agency_th=agency.name_th if agency else "",
                agency_en=(agency.name_en or agency.name_th) if agency else "",
                what_th=f"{what_th} {reference}",
                what_en=f"{what_en} {reference}",
                subject=subjects.get(key, key),
                purpose=f"application {reference}",
                basis_th=basis_th,
                basis_en=basis_en,
                outcome_th="",
                outcome_en="",
                reference=str(event.id),
            )
        )
    return found


def _basis(event: AuditEvent) -> tuple[str, str]:
    """Why the member of staff read it: deciding, or the helpdesk's recorded reason."""
    if event.action == "application.looked_up_by_helpdesk":
        reason = {"reason": str(event.data.get("reason", ""))}
        return _in("th", HELPDESK) % reason, _in("en", HELPDESK) % reason
    return _both(DECIDING)


def _systems(subjects: dict[str, str], limit: int) -> list[Access]:
    """Everything a system user did for the company, and its approval and revocation
    (audit events naming a ``system``, on behalf of one of the subjects)."""
    events = (
        AuditEvent.objects.filter(on_behalf_of__in=list(subjects), data__has_key="system")
        .select_related("actor")
        .order_by("-seq")[:limit]
    )
    basis_th, basis_en = _both(SYSTEM_BASIS)
    found = []
    for event in events:
        system = str(event.data.get("system", ""))
        who = event.actor_label if event.actor is None else event.actor.display_name
        found.append(
            Access(
                at=event.at,
                who=f"{who} ({system})",
                agency_th=str(event.data.get("vendor", "")),
                agency_en=str(event.data.get("vendor", "")),
                what_th=_in("th", SYSTEM_ACTED) % {"action": event.action},
                what_en=_in("en", SYSTEM_ACTED) % {"action": event.action},
                subject=subjects.get(event.on_behalf_of, event.on_behalf_of),
                purpose=str(event.data.get("approval", "")),
                basis_th=basis_th,
                basis_en=basis_en,
                outcome_th="",
                outcome_en="",
                reference=str(event.id),
            )
        )
    return found


def _representatives(subjects: dict[str, str], limit: int) -> list[Access]:
    """Everything a client representative's people did for the company, and its
    approval and revocation (audit events naming a ``representative``, on behalf of one
    of the subjects; a firm's systems are listed by :func:`_systems`)."""
    events = (
        AuditEvent.objects.filter(on_behalf_of__in=list(subjects), data__has_key="representative")
        .exclude(data__has_key="system")
        .select_related("actor")
        .order_by("-seq")[:limit]
    )
    basis_th, basis_en = _both(FIRM_BASIS)
    return [
        Access(
            at=event.at,
            who=event.actor_label if event.actor is None else event.actor.display_name,
            agency_th=str(event.data.get("representative", "")),
            agency_en=str(event.data.get("representative", "")),
            what_th=_in("th", FIRM_ACTED) % {"action": event.action},
            what_en=_in("en", FIRM_ACTED) % {"action": event.action},
            subject=subjects.get(event.on_behalf_of, event.on_behalf_of),
            purpose=str(event.data.get("representation", "")),
            basis_th=basis_th,
            basis_en=basis_en,
            outcome_th="",
            outcome_en="",
            reference=str(event.id),
        )
        for event in events
    ]


def _purpose(purpose: dict[str, Any]) -> str:
    return " · ".join(
        str(purpose[k]) for k in ("service", "application", "step", "description") if purpose.get(k)
    )


#: The CSV's column headings (message ids, written in the reader's language).
HEADINGS = (
    pgettext_lazy("tracker column", "time"),
    pgettext_lazy("tracker column", "who"),
    pgettext_lazy("tracker column", "agency"),
    pgettext_lazy("tracker column", "access"),
    pgettext_lazy("tracker column", "data of"),
    pgettext_lazy("tracker column", "purpose"),
    pgettext_lazy("tracker column", "basis"),
    pgettext_lazy("tracker column", "outcome"),
    pgettext_lazy("tracker column", "reference"),
)


def as_csv(rows: list[Access], lang: str) -> str:
    """The list as CSV (UTF-8 with a byte-order mark, so Excel reads the Thai)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    th = lang == "th"
    with translation.override(lang):
        writer.writerow([str(heading) for heading in HEADINGS])
    for row in rows:
        writer.writerow(
            [
                row.at.isoformat(timespec="seconds"),
                row.who,
                row.agency_th if th else row.agency_en,
                row.what_th if th else row.what_en,
                row.subject,
                row.purpose,
                row.basis_th if th else row.basis_en,
                row.outcome_th if th else row.outcome_en,
                row.reference,
            ]
        )
    return out.getvalue()


def as_pdf(user: Any) -> bytes:
    """The list for reading and keeping (Sarabun, Buddhist-era dates), both languages."""
    return render_pdf(
        "privacy/tracker_pdf.html",
        {"accesses": accesses(user), "user": user, "generated_at": timezone.now()},
    )

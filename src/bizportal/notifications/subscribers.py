"""Who is told what, when something happens elsewhere in the portal.

Each subscriber turns a domain event into the variables of its message (only those the
catalogue documents: :mod:`.catalogue`) and hands them to :func:`.services.notify`
with the recipients. The outbox delivers each event here after its change commits; a
rolled-back change tells nobody, and a redelivered event creates nothing twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import override

from bizportal.applications.events import SIGNATURE_REQUESTED, STATUS_CHANGED
from bizportal.applications.models import Application, Status
from bizportal.core import events
from bizportal.core.models import DomainEvent
from bizportal.core.thai import english_date, thai_date
from bizportal.identity.models import StaffRole, User
from bizportal.inspections.events import INSPECTION_SCHEDULED
from bizportal.licences.events import (
    LICENCE_EXPIRED,
    LICENCE_EXPIRY_APPROACHING,
    LICENCE_REINSTATED,
    LICENCE_REVOKED,
    LICENCE_SUSPENDED,
)
from bizportal.licences.models import Licence
from bizportal.payments.events import INVOICE_CLOSED, PAYMENT_FLAGGED
from bizportal.payments.models import Invoice, PaymentIssue
from bizportal.service_levels.events import AT_RISK as SLA_AT_RISK
from bizportal.service_levels.events import BREACHED as SLA_BREACHED

from .events import MESSAGE_REQUESTED
from .models import Audience
from .services import Recipient, notify

RECIPIENTS = ("applicant", "agency")


def _application(event: DomainEvent) -> Application:
    return Application.objects.select_related(
        "applicant", "agency", "service__agency", "licence", "party"
    ).get(public_id=event.subject_id)


def _application_by_pk(pk: int) -> Application:
    return Application.objects.select_related(
        "applicant", "agency", "service__agency", "licence", "party"
    ).get(pk=pk)


def _names(agency: Any) -> dict[str, str]:
    return {"name_th": agency.name_th, "name_en": agency.name_en}


def _person(user: User) -> dict[str, str]:
    return {"display_name": user.display_name, "full_name_en": user.full_name_en}


def application_context(application: Application) -> dict[str, Any]:
    """The documented variables of an application message (see catalogue samples)."""
    return {
        "application": {
            "reference": application.reference or "",
            "service": {
                "name_th": application.service.name_th,
                "name_en": application.service.name_en,
                "agency": _names(application.service.agency),
            },
            "agency": _names(application.agency),
            "applicant": _person(application.applicant),
            "holder_name_th": application.holder_name_th,
            "holder_name_en": application.holder_name_en,
            "party": {
                "name_th": application.party.name_th if application.party else "",
                "name_en": application.party.name_en if application.party else "",
            },
            "licence": {"number": application.licence.number if application.licence else ""},
        },
        "link": settings.BASE_URL + reverse("portal:application", args=[application.public_id]),
        "backoffice_link": settings.BASE_URL
        + reverse("backoffice:application", args=[application.public_id]),
    }


def _applicant(application: Application) -> Recipient:
    return Recipient(user=application.applicant, email=str(application.data.get("email") or ""))


def _tell_applicant(
    event: DomainEvent, key: str, application: Application, extra: dict[str, Any]
) -> None:
    context = {**application_context(application), **extra}
    notify(
        event.id,
        key,
        Audience.APPLICANT,
        [_applicant(application)],
        context,
        link=context["link"],
        application_reference=application.reference or "",
    )


def label_halves(label: Any) -> tuple[str, str]:
    """A choice label as (Thai, English) for the message templates' ``*_th``/``*_en``
    variables: a gettext label in each language, or the halves of a legacy
    "ไทย / English" label an app has not converted yet."""
    text = str(label)
    head, sep, tail = text.partition(" / ")
    if sep and any("\u0e00" <= char <= "\u0e7f" for char in head):
        return head, tail or head
    with override("th"):
        thai = str(label)
    with override("en"):
        english = str(label)
    return thai, english


@events.subscriber(STATUS_CHANGED, name="notifications.status_email")
def send_status_message(event: DomainEvent) -> None:
    """Tell the applicant the application's new status (a payment request is a message
    of its own kind, so a person can have it by SMS and the rest by email)."""
    application = _application(event)
    status = Status(event.payload["to_status"])
    status_th, status_en = label_halves(status.label)
    key = "payment_requested" if status == Status.AWAITING_PAYMENT else "status_changed"
    _tell_applicant(
        event,
        key,
        application,
        {
            "status_th": status_th,
            "status_en": status_en or status_th,
            "note": event.payload.get("note", ""),
            "licence_number": event.payload.get("licence_number", ""),
        },
    )


def agency_officers(
    agency_id: Any, roles: tuple[str, ...] = (StaffRole.AGENCY_OFFICER, StaffRole.AGENCY_SUPERVISOR)
) -> list[User]:
    """The agency's active staff in ``roles`` (by default everyone who works its
    worklist), with their preferences (one query)."""
    return list(
        User.objects.filter(
            agency_id=agency_id,
            is_active=True,
            role=User.Role.STAFF,
            groups__name__in=list(roles),
        )
        .select_related("contact_preference")
        .distinct()
        .order_by("pk")
    )


@events.subscriber(STATUS_CHANGED, name="notifications.officer_worklist")
def tell_officers_of_new_work(event: DomainEvent) -> None:
    """An application reaching review is new work for the agency's officers; one coming
    back from a correction request is a resubmission."""
    if event.payload["to_status"] != Status.REVIEW:
        return
    application = _application(event)
    resubmitted = event.payload.get("from_status") == Status.CORRECTION
    key = "officer.resubmitted" if resubmitted else "officer.worklist_new"
    context = {**application_context(application), "resubmitted": resubmitted}
    notify(
        event.id,
        key,
        Audience.OFFICER,
        [Recipient(user=officer) for officer in agency_officers(application.agency_id)],
        context,
        link=context["backoffice_link"],
        application_reference=application.reference or "",
    )


@events.subscriber(INVOICE_CLOSED, name="notifications.invoice_closed")
def tell_applicant_invoice_closed(event: DomainEvent) -> None:
    """An invoice that expired (or that finance cancelled) while the application still
    waits for payment leaves the applicant stuck unless told how to go on. One closed
    because the application was withdrawn or rejected is covered by that status message."""
    invoice = Invoice.objects.select_related("application").get(public_id=event.subject_id)
    if invoice.application.status != Status.AWAITING_PAYMENT:
        return
    application = _application_by_pk(invoice.application_id)
    status = Invoice.Status(event.payload["status"])
    state_th, state_en = label_halves(status.label)
    _tell_applicant(
        event,
        "invoice_closed",
        application,
        {
            "invoice": {"number": invoice.number, "amount": f"{invoice.amount:,.2f}"},
            "state_th": state_th,
            "state_en": (state_en or state_th).lower(),
            "reason": "" if status == Invoice.Status.EXPIRED else event.payload.get("reason", ""),
            "reissue": invoice.replacement is None,
            "pay_link": settings.BASE_URL + reverse("payments:invoice", args=[invoice.public_id]),
        },
    )


@events.subscriber(PAYMENT_FLAGGED, name="notifications.payment_flagged")
def tell_finance_of_flagged_payment(event: DomainEvent) -> None:
    """Money a provider took that cannot pay its invoice is owed back: the agency's
    finance officers are the ones who refund it."""
    issue = PaymentIssue.objects.select_related("invoice").get(public_id=event.subject_id)
    application = _application_by_pk(issue.invoice.application_id)
    kind = PaymentIssue.Kind(event.payload["kind"])
    kind_th, kind_en = label_halves(kind.label)
    context = {
        **application_context(application),
        "invoice": {"number": issue.invoice.number, "amount": f"{issue.invoice.amount:,.2f}"},
        "kind_th": kind_th,
        "kind_en": kind_en or kind_th,
        "amount": f"{issue.amount:,.2f}",
        "currency": issue.currency,
        "provider": event.payload.get("provider", ""),
        "finance_link": settings.BASE_URL
        + reverse("backoffice:finance-invoice", args=[issue.invoice.public_id]),
    }
    finance = agency_officers(issue.agency_id, (StaffRole.FINANCE,))
    notify(
        event.id,
        "officer.payment_flagged",
        Audience.OFFICER,
        [Recipient(user=officer) for officer in finance],
        context,
        link=context["finance_link"],
        application_reference=application.reference or "",
    )


@events.subscriber(MESSAGE_REQUESTED, name="notifications.step_message")
def send_step_message(event: DomainEvent) -> None:
    """The message a notify step of the process asked for."""
    application = _application(event)
    key = f"step.{event.payload['template']}"
    context = application_context(application)
    if event.payload["to"] == "agency":
        if not application.agency.email:
            return
        notify(
            event.id,
            key,
            Audience.AGENCY,
            [Recipient(mailbox=application.agency.email)],
            context,
            link=context["backoffice_link"],
            application_reference=application.reference or "",
        )
        return
    _tell_applicant(event, key, application, {})


@events.subscriber(INSPECTION_SCHEDULED, name="notifications.inspection_appointment")
def send_inspection_appointment(event: DomainEvent) -> None:
    """Tell the applicant when and where the premises will be inspected."""
    application = _application(event)
    when = parse_datetime(event.payload["scheduled_for"])
    _tell_applicant(
        event,
        "inspection_scheduled",
        application,
        {
            "scheduled_th": thai_date(when, with_time=True),
            "scheduled_en": english_date(when, with_time=True),
            "place": event.payload.get("place", ""),
        },
    )


@events.subscriber(SIGNATURE_REQUESTED, name="notifications.signature_request")
def send_signature_request(event: DomainEvent) -> None:
    """Ask the company's other directors to sign the application too, by the deadline."""
    application = _application(event)
    signer = event.payload.get("signed_by", "")
    directors = application.party.directorships.values_list("citizen_id", flat=True)
    others = (
        User.objects.filter(citizen_id__in=list(directors), is_active=True)
        .exclude(public_id=signer)
        .select_related("contact_preference")
        .order_by("pk")
    )
    deadline = parse_datetime(event.payload["deadline"])
    context = {
        **application_context(application),
        "deadline_th": thai_date(deadline, with_time=True),
        "deadline_en": english_date(deadline, with_time=True),
    }
    notify(
        event.id,
        "signature_requested",
        Audience.APPLICANT,
        [Recipient(user=director) for director in others],
        context,
        link=context["link"],
        application_reference=application.reference or "",
    )


LICENCE_CHANGES = {
    LICENCE_SUSPENDED.name: ("พักใช้", "suspended"),
    LICENCE_REINSTATED.name: ("คืนสิทธิ์ให้ใช้ได้อีกครั้ง", "reinstated"),
    LICENCE_REVOKED.name: ("เพิกถอน", "revoked"),
}


def licence_context(licence: Licence) -> dict[str, Any]:
    return {
        "licence": {
            "number": licence.number,
            "title_th": licence.title_th,
            "title_en": licence.title_en,
            "account": _person(licence.account),
            "agency": _names(licence.agency),
        },
        "link": settings.BASE_URL + reverse("portal:account"),
        "verify_link": settings.BASE_URL + reverse("licences:verify-number", args=[licence.number]),
    }


def _licence(event: DomainEvent) -> Licence:
    return Licence.objects.select_related("account__contact_preference", "agency").get(
        public_id=event.subject_id
    )


def send_licence_change(event: DomainEvent) -> None:
    """Tell the holder's account that the agency suspended, reinstated or revoked the
    licence, with the reason and the verification link."""
    licence = _licence(event)
    change_th, change_en = LICENCE_CHANGES[event.name]
    context = {
        **licence_context(licence),
        "change_th": change_th,
        "change_en": change_en,
        "until": event.payload.get("until", ""),
        "reason": event.payload.get("reason", ""),
    }
    notify(
        event.id,
        "licence_changed",
        Audience.APPLICANT,
        [Recipient(user=licence.account)],
        context,
        link=context["verify_link"],
    )


for _event_type in (LICENCE_SUSPENDED, LICENCE_REINSTATED, LICENCE_REVOKED):
    events.subscriber(_event_type, name=f"notifications.{_event_type.name}")(send_licence_change)


def send_licence_expiry(event: DomainEvent) -> None:
    """Tell the holder's account that the licence's term runs out soon (with the days
    left and the renewal link) or has run out (a late renewal may still be possible)."""
    licence = _licence(event)
    valid_until = dt.date.fromisoformat(event.payload["valid_until"])
    context = {
        **licence_context(licence),
        "expired": event.name == LICENCE_EXPIRED.name,
        "days_left": event.payload.get("days_left"),
        "valid_until_th": thai_date(valid_until),
        "valid_until_en": english_date(valid_until),
        # The renew button is a form on the account page (starting a renewal is a POST).
        "renew_link": f"{settings.BASE_URL}{reverse('portal:account')}#licence-{licence.public_id}",
    }
    notify(
        event.id,
        "licence_expiry",
        Audience.APPLICANT,
        [Recipient(user=licence.account)],
        context,
        link=context["renew_link"],
    )


for _event_type in (LICENCE_EXPIRY_APPROACHING, LICENCE_EXPIRED):
    events.subscriber(_event_type, name=f"notifications.{_event_type.name}")(send_licence_expiry)


@events.subscriber(SLA_AT_RISK, name="notifications.sla_at_risk")
@events.subscriber(SLA_BREACHED, name="notifications.sla_breached")
def send_service_level_alert(event: DomainEvent) -> None:
    """Warn the agency's officers that an application's due date is near, and its
    supervisors once it has passed (each once per application: the sweeper raises the
    event once). Without anyone in the role, the other role is told, so the warning is
    never lost; the agency's mailbox is copied."""
    application = _application(event)
    breached = event.name == SLA_BREACHED.name
    roles = (StaffRole.AGENCY_SUPERVISOR, StaffRole.AGENCY_OFFICER)
    if not breached:
        roles = roles[::-1]
    agency_id = application.agency_id
    staff = agency_officers(agency_id, roles[:1]) or agency_officers(agency_id, roles[1:])
    due_on = dt.date.fromisoformat(event.payload["due_on"])
    recipients = [Recipient(user=user) for user in staff]
    if application.agency.email:
        recipients.append(Recipient(mailbox=application.agency.email))
    notify(
        event.id,
        "officer.service_level",
        Audience.OFFICER,
        recipients,
        {
            **application_context(application),
            "breached": breached,
            "days_left": event.payload["days_left"],
            "overdue_days": -int(event.payload["days_left"]),
            "due_th": thai_date(due_on),
            "due_en": english_date(due_on),
        },
        link=settings.BASE_URL + reverse("backoffice:application", args=[application.public_id]),
        application_reference=application.reference or "",
    )

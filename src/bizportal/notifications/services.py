"""Telling people what happened: status changes, notify steps, inspection appointments.

Notifications subscribe to events (``applications.status_changed``,
``notifications.message_requested``, ``inspections.scheduled``): the change and its
event commit together, and the outbox relay delivers the event here after commit. A
rolled-back change never emails anyone, and a repeated delivery sends nothing twice
(the :class:`Notification` row is keyed on the event and channel).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.dateparse import parse_datetime

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
from bizportal.service_levels.events import AT_RISK as SLA_AT_RISK
from bizportal.service_levels.events import BREACHED as SLA_BREACHED

from .events import MESSAGE_REQUESTED
from .models import Notification

log = logging.getLogger(__name__)

MESSAGES_DIR = Path(__file__).resolve().parent / "templates" / "notifications" / "messages"
RECIPIENTS = ("applicant", "agency")


@functools.cache
def message_templates() -> tuple[str, ...]:
    """The templates a notify step may name (``notifications/messages/<name>.txt``)."""
    return tuple(sorted(path.stem for path in MESSAGES_DIR.glob("*.txt")))


def _application(event: DomainEvent) -> Application:
    return Application.objects.select_related(
        "applicant", "agency", "service__agency", "licence", "party"
    ).get(public_id=event.subject_id)


def _links(application: Application) -> dict[str, str]:
    return {
        "link": settings.BASE_URL + reverse("portal:application", args=[application.public_id]),
        "backoffice_link": settings.BASE_URL
        + reverse("backoffice:application", args=[application.public_id]),
    }


def _send(
    event: DomainEvent,
    application: Application | None,
    recipient: str | list[str],
    subject: str,
    body: str,
    *,
    user: User | None = None,
) -> None:
    """Send once per event: a redelivered event finds its row and sends nothing."""
    recipients = [recipient] if isinstance(recipient, str) else list(recipient)
    recipients = [address for address in recipients if address]
    if not recipients:
        return
    if Notification.objects.filter(event_id=event.id, channel=Notification.Channel.EMAIL).exists():
        return
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    Notification.objects.create(
        event_id=event.id,
        user=user or application.applicant,  # type: ignore[union-attr]
        channel=Notification.Channel.EMAIL,
        recipient=", ".join(recipients)[:254],
        subject=subject[:250],
        body=body,
        application_reference=(application.reference or "") if application else "",
    )


def _applicant_address(application: Application) -> str:
    return str(application.data.get("email") or application.applicant.email or "")


def _render_message(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """A message template's first line is the subject, the rest the body."""
    text = render_to_string(f"notifications/messages/{template}.txt", context).strip()
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip() + "\n"


@events.subscriber(STATUS_CHANGED, name="notifications.status_email")
def send_status_email(event: DomainEvent) -> None:
    """Email the applicant the application's new status."""
    application = _application(event)
    status = Status(event.payload["to_status"])
    status_th, _, status_en = str(status.label).partition(" / ")
    context = {
        "application": application,
        "status_th": status_th,
        "status_en": status_en or status_th,
        "note": event.payload.get("note", ""),
        "licence_number": event.payload.get("licence_number", ""),
        **_links(application),
    }
    subject = f"[Biz Portal] {application.reference or ''} {status.label}".strip()
    body = render_to_string("notifications/status_email.txt", context)
    _send(event, application, _applicant_address(application), subject, body)


@events.subscriber(MESSAGE_REQUESTED, name="notifications.step_message")
def send_step_message(event: DomainEvent) -> None:
    """The message a notify step of the process asked for."""
    application = _application(event)
    subject, body = _render_message(
        event.payload["template"], {"application": application, **_links(application)}
    )
    to = event.payload["to"]
    recipient = application.agency.email if to == "agency" else _applicant_address(application)
    _send(event, application, recipient, subject, body)


@events.subscriber(INSPECTION_SCHEDULED, name="notifications.inspection_appointment")
def send_inspection_appointment(event: DomainEvent) -> None:
    """Tell the applicant when and where the premises will be inspected."""
    application = _application(event)
    when = parse_datetime(event.payload["scheduled_for"])
    subject, body = _render_message(
        "inspection_scheduled",
        {
            "application": application,
            "scheduled_th": thai_date(when, with_time=True),
            "scheduled_en": english_date(when, with_time=True),
            "place": event.payload.get("place", ""),
            **_links(application),
        },
    )
    _send(event, application, _applicant_address(application), subject, body)


@events.subscriber(SIGNATURE_REQUESTED, name="notifications.signature_request")
def send_signature_request(event: DomainEvent) -> None:
    """Ask the company's other directors to sign the application too, by the deadline."""
    application = _application(event)
    signer = event.payload.get("signed_by", "")
    directors = application.party.directorships.values_list("citizen_id", flat=True)
    addresses = list(
        User.objects.filter(citizen_id__in=list(directors), is_active=True)
        .exclude(public_id=signer)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    deadline = parse_datetime(event.payload["deadline"])
    subject, body = _render_message(
        "signature_requested",
        {
            "application": application,
            "deadline_th": thai_date(deadline, with_time=True),
            "deadline_en": english_date(deadline, with_time=True),
            **_links(application),
        },
    )
    _send(event, application, addresses, subject, body)


LICENCE_CHANGES = {
    LICENCE_SUSPENDED.name: ("พักใช้", "suspended"),
    LICENCE_REINSTATED.name: ("คืนสิทธิ์ให้ใช้ได้อีกครั้ง", "reinstated"),
    LICENCE_REVOKED.name: ("เพิกถอน", "revoked"),
}


def send_licence_change_email(event: DomainEvent) -> None:
    """Tell the holder's account that the agency suspended, reinstated or revoked the
    licence, with the reason and the verification link."""
    licence = Licence.objects.select_related("account", "agency").get(public_id=event.subject_id)
    change_th, change_en = LICENCE_CHANGES[event.name]
    context = {
        "licence": licence,
        "change_th": change_th,
        "change_en": change_en,
        "until": event.payload.get("until", ""),
        "reason": event.payload.get("reason", ""),
        "verify_link": settings.BASE_URL + reverse("licences:verify-number", args=[licence.number]),
    }
    subject = f"[Biz Portal] {licence.number}: {change_th} / {change_en}"
    body = render_to_string("notifications/licence_change_email.txt", context)
    _send(event, None, licence.account.email, subject, body, user=licence.account)


for _event_type in (LICENCE_SUSPENDED, LICENCE_REINSTATED, LICENCE_REVOKED):
    events.subscriber(_event_type, name=f"notifications.{_event_type.name}")(
        send_licence_change_email
    )


def send_licence_expiry_email(event: DomainEvent) -> None:
    """Tell the holder's account that the licence's term runs out soon (with the days
    left and the renewal link) or has run out (a late renewal may still be possible)."""
    licence = Licence.objects.select_related("account", "agency").get(public_id=event.subject_id)
    valid_until = dt.date.fromisoformat(event.payload["valid_until"])
    expired = event.name == LICENCE_EXPIRED.name
    context = {
        "licence": licence,
        "expired": expired,
        "days_left": event.payload.get("days_left"),
        "valid_until_th": thai_date(valid_until),
        "valid_until_en": english_date(valid_until),
        # The renew button is a form on the account page (starting a renewal is a POST).
        "renew_link": f"{settings.BASE_URL}{reverse('portal:account')}#licence-{licence.public_id}",
        "verify_link": settings.BASE_URL + reverse("licences:verify-number", args=[licence.number]),
    }
    if expired:
        subject = f"[Biz Portal] {licence.number}: หมดอายุแล้ว / has expired"
    else:
        subject = (
            f"[Biz Portal] {licence.number}: จะหมดอายุใน {context['days_left']} วัน / "
            f"expires in {context['days_left']} days"
        )
    body = render_to_string("notifications/licence_expiry_email.txt", context)
    _send(event, None, licence.account.email, subject, body, user=licence.account)


for _event_type in (LICENCE_EXPIRY_APPROACHING, LICENCE_EXPIRED):
    events.subscriber(_event_type, name=f"notifications.{_event_type.name}")(
        send_licence_expiry_email
    )


def _staff_of(agency_id: int, role: str) -> list[User]:
    return list(
        User.objects.filter(agency_id=agency_id, groups__name=role, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .distinct()
    )


@events.subscriber(SLA_AT_RISK, name="notifications.sla_at_risk")
@events.subscriber(SLA_BREACHED, name="notifications.sla_breached")
def send_service_level_alert(event: DomainEvent) -> None:
    """Warn the agency's officers that an application's due date is near, and its
    supervisors once it has passed (each once per application: the sweeper raises the
    event once). Without anyone in the role, the other role is told, so the warning
    is never lost; the agency's mailbox is copied."""
    application = _application(event)
    breached = event.name == SLA_BREACHED.name
    roles = (StaffRole.AGENCY_SUPERVISOR, StaffRole.AGENCY_OFFICER)
    if not breached:
        roles = roles[::-1]
    staff = _staff_of(application.agency_id, roles[0]) or _staff_of(application.agency_id, roles[1])
    if not staff:
        log.warning("no staff of %s to alert about %s", application.agency.code, event.name)
        return
    due_on = dt.date.fromisoformat(event.payload["due_on"])
    context = {
        "application": application,
        "breached": breached,
        "days_left": event.payload["days_left"],
        "overdue_days": -int(event.payload["days_left"]),
        "due_th": thai_date(due_on),
        "due_en": english_date(due_on),
        **_links(application),
    }
    if breached:
        subject = f"[Biz Portal] {application.reference}: เกินกำหนดเวลา / past its due date"
    else:
        subject = f"[Biz Portal] {application.reference}: ใกล้ครบกำหนด / due soon"
    body = render_to_string("notifications/service_level_alert.txt", context)
    recipients = [user.email for user in staff] + [application.agency.email]
    _send(event, application, recipients, subject, body, user=staff[0])

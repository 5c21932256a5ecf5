"""Telling applicants what happened to their application.

Notifications subscribe to the applications' ``status_changed`` event: the change and
its event commit together, and the outbox relay delivers the event here after commit.
A rolled-back change never emails anyone, and a repeated delivery sends nothing twice
(the :class:`Notification` row is keyed on the event and channel).
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from bizportal.applications.events import STATUS_CHANGED
from bizportal.applications.models import Application, Status
from bizportal.core import events
from bizportal.core.models import DomainEvent

from .models import Notification

SUBSCRIBER_STATUS_EMAIL = "notifications.status_email"


@events.subscriber(STATUS_CHANGED, name=SUBSCRIBER_STATUS_EMAIL)
def send_status_email(event: DomainEvent) -> None:
    """Email the applicant the application's new status, once per event."""
    if Notification.objects.filter(event_id=event.id, channel=Notification.Channel.EMAIL).exists():
        return
    application = Application.objects.select_related("applicant", "service__agency").get(
        public_id=event.subject_id
    )
    user = application.applicant
    recipient = application.data.get("email") or user.email
    if not recipient:
        return
    status = Status(event.payload["to_status"])
    status_th, _, status_en = str(status.label).partition(" / ")
    context = {
        "application": application,
        "status_th": status_th,
        "status_en": status_en or status_th,
        "note": event.payload.get("note", ""),
        "licence_number": event.payload.get("licence_number", ""),
        "link": settings.BASE_URL + reverse("portal:application", args=[application.public_id]),
    }
    subject = f"[Biz Portal] {application.reference or ''} {status.label}".strip()
    body = render_to_string("notifications/status_email.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    Notification.objects.create(
        event_id=event.id,
        user=user,
        channel=Notification.Channel.EMAIL,
        recipient=recipient,
        subject=subject,
        body=body,
        application_reference=application.reference or "",
    )

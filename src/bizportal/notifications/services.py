"""Telling applicants what happened to their application.

A status change enqueues an outbox message in the same transaction; the outbox task
renders and sends it after commit, so a rolled-back change never emails anyone and a
crash after commit still sends exactly once (the delivery is keyed on the message id).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from bizportal.core import outbox
from bizportal.core.models import OutboxMessage

from .models import Notification

TOPIC_STATUS_EMAIL = "notifications.status_email"


def notify_status_change(application: Any, note: str = "", *, licence_number: str = "") -> None:
    """Queue the email that tells the applicant the application's new status."""
    outbox.enqueue(
        TOPIC_STATUS_EMAIL,
        {
            "application": str(application.public_id),
            "status": application.status,
            "note": note,
            "licence_number": licence_number,
        },
    )


@outbox.handler(TOPIC_STATUS_EMAIL)
def send_status_email(message: OutboxMessage) -> None:
    from bizportal.applications.models import Application, Status

    if Notification.objects.filter(outbox_id=message.id).exists():
        return
    application = Application.objects.select_related("applicant", "service__agency").get(
        public_id=message.payload["application"]
    )
    user = application.applicant
    recipient = application.data.get("email") or user.email
    if not recipient:
        return
    status = Status(message.payload["status"])
    status_th, _, status_en = str(status.label).partition(" / ")
    context = {
        "application": application,
        "status_th": status_th,
        "status_en": status_en or status_th,
        "note": message.payload.get("note", ""),
        "licence_number": message.payload.get("licence_number", ""),
        "link": settings.BASE_URL + reverse("portal:application", args=[application.public_id]),
    }
    subject = f"[Biz Portal] {application.reference or ''} {status.label}".strip()
    body = render_to_string("notifications/status_email.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    Notification.objects.create(
        outbox_id=message.id,
        user=user,
        channel=Notification.Channel.EMAIL,
        recipient=recipient,
        subject=subject,
        body=body,
        application_reference=application.reference or "",
    )

"""Who is invited to a survey, when something happens elsewhere in the portal.

A licence issued (any version: new, amendment, renewal) invites the applicant of the
application it answered; a complaint closed invites the person who made it. Each runs
in the outbox's task after the change commits; a redelivered event invites nobody twice
(one invitation per application and per complaint, in the database).
"""

from __future__ import annotations

import logging
import uuid

from bizportal.applications.models import Application
from bizportal.catalog.models import Service
from bizportal.core import events
from bizportal.core.models import DomainEvent
from bizportal.identity.models import User
from bizportal.licences.events import LICENCE_ISSUED

from . import services

log = logging.getLogger(__name__)

#: Published by the contact app (complaints and enquiries), which this app does not
#: import. Subscribing needs only the event's name, so it is described here without
#: :func:`events.declare`: the contact app's declaration stays the only one, and this
#: subscriber simply waits until events of that name are published.
COMPLAINT_CLOSED = events.EventType(
    name="contact.complaint_closed",
    description="A complaint was closed (declared by the contact app).",
    payload=("complaint", "person", "email", "service"),
)


@events.subscriber(LICENCE_ISSUED, name="surveys.invite_after_licence")
def invite_after_licence(event: DomainEvent) -> None:
    reference = event.payload.get("application_reference") or ""
    application = (
        Application.objects.select_related("applicant", "service__agency")
        .filter(reference=reference)
        .first()
    )
    if application is None:
        log.warning("licence issued for an unknown application %r", reference)
        return
    services.invite_for_application(application, event_id=event.id)


def _person(person: object) -> User | None:
    """The account the payload names: a user id (as agreed), or its public id; an
    unknown or malformed one invites by email only, rather than failing the event."""
    text = str(person or "").strip()
    if text.isdigit():
        return User.objects.filter(pk=int(text)).first()
    try:
        return User.objects.filter(public_id=uuid.UUID(text)).first() if text else None
    except ValueError:
        log.warning("complaint closed for an unrecognised person %r", text[:40])
        return None


@events.subscriber(COMPLAINT_CLOSED, name="surveys.invite_after_complaint")
def invite_after_complaint(event: DomainEvent) -> None:
    payload = event.payload
    service = (
        Service.objects.select_related("agency").filter(slug=payload.get("service") or "").first()
    )
    if service is None:
        return  # a complaint about no particular service: no service's survey to ask
    user = _person(payload.get("person"))
    invitee = services.Invitee(user=user, email=str(payload.get("email") or ""))
    services.invite_for_complaint(
        service, str(payload.get("complaint") or event.subject_id), invitee, event_id=event.id
    )

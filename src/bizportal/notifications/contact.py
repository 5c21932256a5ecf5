"""Who is told what when something happens to a complaint, an enquiry or an
application's message thread (the contact app's events).

The person hears of the filing (with the follow-up link an anonymous person needs),
each answer and the closing; the officers of every agency a case concerns hear of a new
case and of the person's messages; the owner agency's supervisors of an overdue case.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from bizportal.applications.models import Application
from bizportal.contact import selectors as contact
from bizportal.contact.events import (
    APPLICATION_MESSAGE,
    CASE_ESCALATED,
    CASE_MESSAGE,
    CASE_OPENED,
    CASE_SHARED,
    COMPLAINT_CLOSED,
)
from bizportal.contact.models import Case, Category, Kind, Side
from bizportal.core import events
from bizportal.core.models import DomainEvent
from bizportal.core.thai import english_date, thai_date
from bizportal.identity.models import StaffRole

from .models import Audience
from .services import Recipient, notify
from .subscribers import agency_officers, application_context, label_halves


def _case(event: DomainEvent) -> Case:
    return Case.objects.select_related("owner_agency", "person__contact_preference").get(
        public_id=event.subject_id
    )


def _halves(choices: type[models.TextChoices], value: str) -> tuple[str, str]:
    """The (Thai, English) label of a case's choice."""
    return label_halves(choices(value).label if value in choices.values else value)


def case_context(case: Case) -> dict[str, Any]:
    kind_th, kind_en = _halves(Kind, case.kind)
    category_th, category_en = _halves(Category, case.category)
    return {
        "reference": case.reference,
        "subject": case.subject,
        "kind_th": kind_th,
        "kind_en": kind_en,
        "category_th": category_th,
        "category_en": category_en,
        "agency": {"name_th": case.owner_agency.name_th, "name_en": case.owner_agency.name_en},
        "due_th": thai_date(case.due_on),
        "due_en": english_date(case.due_on),
    }


def _person_link(case: Case) -> str:
    if case.person_id is not None:
        return settings.BASE_URL + reverse("contact:case", args=[case.public_id])
    return settings.BASE_URL + contact.follow_path(case)


def tell_person(event: DomainEvent, case: Case, what: str) -> None:
    if case.person is not None:
        recipient = Recipient(user=case.person, email=case.email)
    elif case.email:
        recipient = Recipient(mailbox=case.email)
    else:
        return
    link = _person_link(case)
    notify(
        event.id,
        "contact.person",
        Audience.APPLICANT,
        [recipient],
        {
            "case": case_context(case),
            "what": what,
            "closing_note": case.closing_note,
            "link": link,
        },
        link=link,
    )


def tell_officers(event: DomainEvent, case: Case, what: str, recipients: list[Recipient]) -> None:
    link = settings.BASE_URL + reverse("contact:staff-case", args=[case.public_id])
    notify(
        event.id,
        "contact.officer",
        Audience.OFFICER,
        recipients,
        {"case": case_context(case), "what": what, "backoffice_link": link},
        link=link,
    )


def _officers_of(agency_ids: list[Any]) -> list[Recipient]:
    return [Recipient(user=user) for agency in agency_ids for user in agency_officers(agency)]


def _involved(case: Case) -> list[Any]:
    return list(case.routing.values_list("agency_id", flat=True))


@events.subscriber(CASE_OPENED, name="notifications.contact.case_opened")
def case_opened(event: DomainEvent) -> None:
    """Officers of every agency concerned have new work; the person gets the receipt
    (and, when anonymous, the only copy of the follow-up link)."""
    case = _case(event)
    tell_officers(event, case, "new", _officers_of(_involved(case)))
    tell_person(event, case, "opened")


@events.subscriber(CASE_SHARED, name="notifications.contact.case_shared")
def case_shared(event: DomainEvent) -> None:
    case = _case(event)
    agency = case.routing.filter(agency__code=event.payload["shared_with"]).first()
    if agency is not None:
        tell_officers(event, case, "new", _officers_of([agency.agency_id]))


@events.subscriber(CASE_MESSAGE, name="notifications.contact.case_message")
def case_message(event: DomainEvent) -> None:
    case = _case(event)
    if event.payload["side"] == Side.AGENCY:
        tell_person(event, case, "answered")
    else:
        tell_officers(event, case, "reply", _officers_of(_involved(case)))


@events.subscriber(COMPLAINT_CLOSED, name="notifications.contact.case_closed")
def case_closed(event: DomainEvent) -> None:
    tell_person(event, _case(event), "closed")


@events.subscriber(CASE_ESCALATED, name="notifications.contact.case_escalated")
def case_escalated(event: DomainEvent) -> None:
    """The owner agency's supervisors (its officers when it has none), and its mailbox."""
    case = _case(event)
    agency = case.owner_agency
    staff = agency_officers(agency.pk, (StaffRole.AGENCY_SUPERVISOR,)) or agency_officers(
        agency.pk, (StaffRole.AGENCY_OFFICER,)
    )
    recipients = [Recipient(user=user) for user in staff]
    if agency.email:
        recipients.append(Recipient(mailbox=agency.email))
    tell_officers(event, case, "escalated", recipients)


@events.subscriber(APPLICATION_MESSAGE, name="notifications.contact.application_message")
def application_message(event: DomainEvent) -> None:
    """A message on an application's thread tells the other side."""
    application = Application.objects.select_related(
        "applicant__contact_preference", "agency", "service__agency", "licence", "party"
    ).get(public_id=event.subject_id)
    context = application_context(application)
    to_officer = event.payload["side"] == Side.PERSON
    if to_officer:
        recipients = [Recipient(user=u) for u in agency_officers(application.agency_id)]
        audience, link = Audience.OFFICER, context["backoffice_link"]
    else:
        email = str(application.data.get("email") or "")
        recipients = [Recipient(user=application.applicant, email=email)]
        audience, link = Audience.APPLICANT, context["link"]
    notify(
        event.id,
        "contact.application_message",
        audience,
        recipients,
        {**context, "to_officer": to_officer},
        link=f"{link}#messages",
        application_reference=application.reference or "",
    )

"""Reading cases, threads and the contact log with the access rules applied.

Lists are keyset-paginated (a cursor of the last row's sort key and id) over the
indexes declared on the models, and read a constant number of queries whatever their
length. Anything a person may not see is "not found": nobody learns it exists.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from bizportal.catalog.models import Agency
from bizportal.core import authz
from bizportal.service_levels import calendar

from .models import Case, CaseAgency, CaseStatus, ContactEntry, Message

BAD_CURSOR = _("The page cursor (after) is not valid")
PAGE_SIZE = 25


# --- the follow-up link -------------------------------------------------------------


def follow_key(case: Case) -> str:
    """The secret of a case's follow-up link: an HMAC of its id and its own random
    salt under SECRET_KEY (a copy of the database alone does not give the links)."""
    return salted_hmac(
        "bizportal.contact.follow", f"{case.public_id}:{case.follow_salt}", algorithm="sha256"
    ).hexdigest()[:40]


def follow_path(case: Case) -> str:
    return reverse("contact:follow", args=[case.public_id, follow_key(case)])


def case_by_link(public_id: Any, key: str) -> Case:
    case = _cases().filter(public_id=public_id).first()
    if case is None or not hmac.compare_digest(follow_key(case), str(key)):
        raise Http404("no such case")
    return case


# --- one case -----------------------------------------------------------------------


def _cases() -> QuerySet[Case]:
    return Case.objects.select_related("owner_agency", "service", "application", "licence")


def case_for_person(user: Any, public_id: Any) -> Case:
    case = _cases().filter(public_id=public_id).first()
    if case is None or not authz.allowed(user, "contact.view_own", case):
        raise Http404("no such case")
    return case


def case_for_staff(user: Any, public_id: Any) -> Case:
    case = _cases().filter(public_id=public_id).first()
    if case is None or not authz.allowed(user, "contact.view", case):
        raise Http404("no such case")
    return case


def thread(case: Case) -> list[Message]:
    return list(case.messages.select_related("agency"))


def routing(case: Case) -> list[CaseAgency]:
    return list(case.routing.select_related("agency"))


def attachment_of(messages: Any, message_id: Any) -> Message:
    message = messages.filter(public_id=message_id).exclude(attachment="").first()
    if message is None:
        raise Http404("no such attachment")
    return message


def application_thread(application: Any, *, officer: bool) -> list[Message]:
    """An application's messages, each with the link to its file for this side."""
    name = "contact:officer-application-file" if officer else "contact:application-file"
    rows = list(Message.objects.filter(application=application).select_related("agency"))
    for message in rows:
        message.file_url = (  # type: ignore[attr-defined]
            reverse(name, args=[application.public_id, message.public_id])
            if message.attachment
            else ""
        )
    return rows


@dataclass(frozen=True)
class Standing:
    """A case's due date as pages show it (working days left, negative when overdue)."""

    due_on: dt.date
    days_left: int
    overdue: bool


def standing(case: Case, today: dt.date | None = None) -> Standing:
    ref = timezone.localdate(case.closed_at) if case.closed_at else (today or timezone.localdate())
    left = calendar.days_left(ref, case.due_on)
    return Standing(due_on=case.due_on, days_left=left, overdue=left < 0)


# --- lists --------------------------------------------------------------------------


@dataclass
class Page:
    items: list[Any]
    next_cursor: str = ""
    filters: dict[str, str] = field(default_factory=dict)


def _encode(*parts: str) -> str:
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode()


def _decode(cursor: str, count: int = 2) -> list[str] | None:
    if not cursor:
        return None
    try:
        if len(cursor) > 120:
            raise ValueError("too long")
        parts = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii").split("|")
        if len(parts) != count:
            raise ValueError("parts")
        number = int(parts[-1])
        if not 0 < number < 2**63:
            raise ValueError("id out of range")
    except (ValueError, UnicodeError):
        raise ValidationError({"after": [BAD_CURSOR]}, code="cursor") from None
    return parts


def cases_for_staff(
    user: Any, *, status: str = "", cursor: str = "", size: int = PAGE_SIZE
) -> Page:
    """The cases an officer's agency owns or shares, or (helpdesk) every agency's:
    earliest due first, keyset on (due_on, id)."""
    qs = Case.objects.all()
    if not authz.allowed(user, "contact.helpdesk"):
        qs = qs.filter(pk__in=CaseAgency.objects.filter(agency_id=user.agency_id).values("case_id"))
    if status in CaseStatus.values:
        qs = qs.filter(status=status)
    qs = qs.select_related("owner_agency", "service").order_by("due_on", "id")
    after = _decode(cursor)
    if after is not None:
        try:
            due = dt.date.fromisoformat(after[0])
        except ValueError:
            raise ValidationError({"after": [BAD_CURSOR]}, code="cursor") from None
        pk = int(after[1])
        qs = qs.filter(Q(due_on__gt=due) | Q(due_on=due, id__gt=pk))
    rows = list(qs[: size + 1])
    today = timezone.localdate()
    for case in rows:
        case.standing = standing(case, today)  # type: ignore[attr-defined]
    next_cursor = ""
    if len(rows) > size:
        last = rows[size - 1]
        next_cursor = _encode(last.due_on.isoformat(), str(last.pk))
    return Page(items=rows[:size], next_cursor=next_cursor)


def cases_of_person(user: Any, limit: int = 100) -> list[Case]:
    """The person's own cases, newest first (their portal page)."""
    rows = list(
        Case.objects.filter(person=user)
        .select_related("owner_agency", "service")
        .order_by("-opened_at", "-id")[:limit]
    )
    today = timezone.localdate()
    for case in rows:
        case.standing = standing(case, today)  # type: ignore[attr-defined]
    return rows


@dataclass(frozen=True)
class LogQuery:
    """The contact log's filters, as the helpdesk types them."""

    person: str = ""
    application: str = ""
    channel: str = ""
    type: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def search_log(query: LogQuery, *, cursor: str = "", size: int = PAGE_SIZE) -> Page:
    """Contact entries matching every filter given, newest first, keyset on (at, id)
    descending. A person is a citizen ID, phone or email as given (exact match, served
    by an index), or the account of that citizen ID."""
    qs = ContactEntry.objects.all()
    if query.person:
        qs = qs.filter(Q(person_key=query.person) | Q(person__citizen_id=query.person))
    if query.application:
        qs = qs.filter(application__reference=query.application)
    if query.channel:
        qs = qs.filter(channel=query.channel)
    if query.type:
        qs = qs.filter(type=query.type)
    if query.since:
        qs = qs.filter(at__gte=_start_of(query.since))
    if query.until:
        qs = qs.filter(at__lt=_start_of(query.until + dt.timedelta(days=1)))
    qs = qs.select_related("application", "case", "logged_by", "person").order_by("-at", "-id")
    after = _decode(cursor)
    if after is not None:
        try:
            at = dt.datetime.fromisoformat(after[0])
        except ValueError:
            raise ValidationError({"after": [BAD_CURSOR]}, code="cursor") from None
        if at.tzinfo is None:
            raise ValidationError({"after": [BAD_CURSOR]}, code="cursor")
        pk = int(after[1])
        qs = qs.filter(Q(at__lt=at) | Q(at=at, id__lt=pk))
    rows = list(qs[: size + 1])
    next_cursor = ""
    if len(rows) > size:
        last = rows[size - 1]
        next_cursor = _encode(last.at.isoformat(), str(last.pk))
    return Page(items=rows[:size], next_cursor=next_cursor)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- the contact page ---------------------------------------------------------------


def agency_contacts() -> list[Agency]:
    """Every agency of the catalogue with its contact details (one query)."""
    return list(
        Agency.objects.only(
            "code", "name_th", "name_en", "ministry_th", "ministry_en", "website", "email", "phone"
        ).order_by("name_th")
    )


# --- the person's data (privacy export) ---------------------------------------------


def personal_data(user: Any) -> dict[str, Any]:
    """What the contact app holds about a person, for their PDPA export: their cases
    with the threads, the contacts logged for them, their application messages."""
    cases = Case.objects.filter(person=user).prefetch_related("messages").order_by("opened_at")
    entries = ContactEntry.objects.filter(person=user).order_by("at")
    messages = (
        Message.objects.filter(application__isnull=False, author=user)
        .select_related("application")
        .order_by("created_at")
    )
    return {
        "cases": [
            {
                "reference": c.reference,
                "kind": c.kind,
                "category": c.category,
                "channel": c.channel,
                "subject": c.subject,
                "status": c.status,
                "opened_at": c.opened_at,
                "closed_at": c.closed_at,
                "email": c.email,
                "phone": c.phone,
                "messages": [
                    {
                        "side": m.side,
                        "author": m.author_label,
                        "body": m.body,
                        "attachment": m.attachment_name,
                        "at": m.created_at,
                    }
                    for m in c.messages.all()
                ],
            }
            for c in cases
        ],
        "contacts": [
            {"at": e.at, "channel": e.channel, "type": e.type, "summary": e.summary}
            for e in entries
        ],
        "application_messages": [
            {
                "application": m.application.reference if m.application else "",
                "body": m.body,
                "at": m.created_at,
            }
            for m in messages
        ],
    }

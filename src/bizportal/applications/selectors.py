"""Reading applications with the access rules applied.

People see the applications of the parties they may act for, as far as their grounds
reach (``applications/rules.py``); officers only their agency's. Anything else is
"not found", so an outsider cannot even learn that a reference exists.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from bizportal.catalog.bundles import bundle
from bizportal.core import authz
from bizportal.identity.acting import Acting
from bizportal.identity.models import MandateAction
from bizportal.licences.models import Licence

from .models import BEFORE_AGENCY, Application, Attachment


def for_applicant(user: Any, public_id: Any) -> Application:
    """An application the person may see for one of their parties (or filed at the counter)."""
    application = (
        Application.objects.with_process(
            "service__agency", "agency", "applicant", "party", "licence"
        )
        .filter(public_id=public_id)
        .first()
    )
    if application is None or not authz.allowed(user, "applications.view", application):
        raise Http404("no such application")
    return application


def for_officer(user: Any, public_id: Any) -> Application:
    """A submitted application of the officer's own agency (anything else: not found)."""
    if not getattr(user, "is_officer", False):
        raise Http404("no such application")
    application = (
        Application.objects.with_process("service__agency", "applicant", "party", "licence")
        .filter(public_id=public_id)
        .first()
    )
    if application is None or not authz.allowed(user, "applications.view", application):
        raise Http404("no such application")
    return application


def attachment_of(application: Application, attachment_id: Any) -> Attachment:
    try:
        return application.attachments.get(public_id=attachment_id)
    except Attachment.DoesNotExist:
        raise Http404("no such document") from None


def of_party(party: Any) -> QuerySet[Application]:
    """The applications of one party (the account page of whoever acts for it)."""
    return Application.objects.filter(party=party).with_process(
        "service__agency", "agency", "licence", "party"
    )


def of_acting(acting: Acting | None) -> QuerySet[Application]:
    """What the person sees of the party they act for: everything, as the party itself
    or a director; as a delegate (or through a client representative firm), the
    services of their grounds only, and without the *view* action only the applications
    they prepared themselves."""
    if acting is None:
        return Application.objects.none()
    applications = of_party(acting.party)
    if acting.basis not in ("mandate", "firm"):
        return applications
    services = acting.service_ids()
    if services is not None:
        applications = applications.filter(service_id__in=services)
    if not acting.may_any(MandateAction.VIEW):
        applications = applications.filter(applicant_id=acting.user.pk)
    return applications


def my_applications(user: Any) -> QuerySet[Application]:
    """The applications of the party the person acts for now (themselves by default)."""
    acting = getattr(user, "acting", None)
    if acting is None and getattr(user, "party", None) is not None:
        acting = Acting(user, user.party, "self")
    return of_acting(acting)


def licences_of(acting: Acting | None) -> QuerySet[Licence]:
    """The licences the party holds, as far as the grounds let the person see them."""
    if acting is None or not acting.may_any(MandateAction.VIEW, MandateAction.RECEIVE):
        return Licence.objects.none()
    licences = Licence.objects.filter(holder_id=acting.party.key)
    services = acting.service_ids()
    if services is not None:
        licences = licences.filter(service_id__in=services)
    return licences


@dataclass
class Page:
    items: list[Application]
    next_cursor: str


#: What a worklist row shows: never the service's form definitions or the answers.
WORKLIST_FIELDS = (
    "public_id",
    "reference",
    "kind",
    "status",
    "current_step",
    "holder_name_th",
    "submitted_at",
    "service__slug",
    "service__name_th",
    "service__name_en",
    "applicant__username",
    "applicant__full_name_th",
    "applicant__full_name_en",
    "applicant__first_name",
    "applicant__last_name",
)


def worklist(user: Any, *, status: str = "", cursor: str = "", size: int = 25) -> Page:
    """The agency's applications that reached it, oldest first, keyset-paginated on
    (submitted_at, id): a page is a range scan of ``worklist_at_agency_idx`` (or of
    ``worklist_idx`` with a status), so page 100 costs the same as page 1."""
    qs = Application.objects.filter(agency_id=user.agency_id)
    if status and status not in BEFORE_AGENCY:
        qs = qs.filter(status=status)
    else:
        qs = qs.exclude(status__in=BEFORE_AGENCY)
    qs = qs.select_related("service", "applicant").only(*WORKLIST_FIELDS)
    return by_submission(qs, cursor=cursor, size=size)


def by_submission(qs: QuerySet[Application], *, cursor: str = "", size: int = 25) -> Page:
    """One page of ``qs`` in submission order, keyset-paginated on (submitted_at, id);
    the cursor is refused (ValidationError) unless we made it."""
    qs = qs.order_by("submitted_at", "id")
    after = _decode(cursor)
    if after is not None:
        at, pk = after
        # The extra ``>=`` makes the cursor a range the index can start from.
        qs = qs.filter(submitted_at__gte=at).filter(
            Q(submitted_at__gt=at) | Q(submitted_at=at, id__gt=pk)
        )
    items = list(qs[: size + 1])
    next_cursor = _encode(items[size - 1]) if len(items) > size else ""
    return Page(items=items[:size], next_cursor=next_cursor)


def _encode(application: Application) -> str:
    assert application.submitted_at is not None
    raw = f"{application.submitted_at.isoformat()}|{application.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


BAD_CURSOR = _("The page cursor (after) is not valid")


def _decode(cursor: str) -> tuple[dt.datetime, int] | None:
    """The position a cursor of :func:`_encode` names; a cursor we did not make (wrong
    shape, naive or out-of-range time, id outside a bigint) is refused with a
    ValidationError (400), never passed on to the database."""
    if not cursor:
        return None
    try:
        if len(cursor) > 100:
            raise ValueError("too long")
        at, pk = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii").split("|")
        moment = dt.datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("naive time")
        moment = moment.astimezone(dt.UTC)
        number = int(pk)
        if not 0 < number < 2**63:
            raise ValueError("id out of range")
    except (ValueError, UnicodeError, OverflowError):
        raise ValidationError({"after": [BAD_CURSOR]}, code="cursor") from None
    return moment, number


def answer_rows(application: Any, lang: str) -> list[tuple[str, Any]]:
    """The answers as label/value pairs in form order, with choice labels."""
    ui = bundle(application.service, application.kind, offered_only=False).ui_schema
    rows = []
    for name in ui.get("order", []):
        if name not in application.data:
            continue
        field = ui.get("fields", {}).get(name, {})
        value = application.data[name]
        choice = field.get("choices", {}).get(str(value))
        if isinstance(value, bool):
            value = ("ใช่" if value else "ไม่ใช่") if lang == "th" else ("Yes" if value else "No")
        rows.append((field.get(f"label_{lang}", name), choice.get(lang) if choice else value))
    return rows

"""Reading applications with the access rules applied.

Applicants see only their own applications; officers only their agency's. Anything
else is "not found", so an outsider cannot even learn that a reference exists.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from bizportal.catalog.bundles import bundle

from .models import Application, Attachment


def for_applicant(user: Any, public_id: Any) -> Application:
    try:
        return Application.objects.select_related(
            "service__agency", "applicant", "process__version", "licence"
        ).get(public_id=public_id, applicant_id=user.pk)
    except Application.DoesNotExist:
        raise Http404("no such application") from None


def for_officer(user: Any, public_id: Any) -> Application:
    if not getattr(user, "is_officer", False):
        raise Http404("no such application")
    try:
        return (
            Application.objects.select_related(
                "service__agency", "applicant", "process__version", "licence"
            )
            .exclude(status="draft")
            .get(public_id=public_id, agency_id=user.agency_id)
        )
    except Application.DoesNotExist:
        raise Http404("no such application") from None


def attachment_of(application: Application, attachment_id: Any) -> Attachment:
    try:
        return application.attachments.get(public_id=attachment_id)
    except Attachment.DoesNotExist:
        raise Http404("no such document") from None


def my_applications(user: Any) -> QuerySet[Application]:
    return Application.objects.filter(applicant_id=user.pk).select_related(
        "service__agency", "agency", "process__version", "licence"
    )


@dataclass
class Page:
    items: list[Application]
    next_cursor: str


def worklist(user: Any, *, status: str = "", cursor: str = "", size: int = 25) -> Page:
    """The agency's submitted applications, oldest first, keyset-paginated on
    (submitted_at, id) so page 100 costs the same as page 1 (index ``worklist_idx``)."""
    qs = (
        Application.objects.filter(agency_id=user.agency_id)
        .exclude(status="draft")
        .select_related("service", "applicant")
        .order_by("submitted_at", "id")
    )
    if status:
        qs = qs.filter(status=status)
    after = _decode(cursor)
    if after is not None:
        at, pk = after
        qs = qs.filter(Q(submitted_at__gt=at) | Q(submitted_at=at, id__gt=pk))
    items = list(qs[: size + 1])
    next_cursor = _encode(items[size - 1]) if len(items) > size else ""
    return Page(items=items[:size], next_cursor=next_cursor)


def _encode(application: Application) -> str:
    assert application.submitted_at is not None
    raw = f"{application.submitted_at.isoformat()}|{application.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str) -> tuple[dt.datetime, int] | None:
    if not cursor:
        return None
    try:
        at, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return dt.datetime.fromisoformat(at), int(pk)
    except (ValueError, UnicodeDecodeError):
        return None


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

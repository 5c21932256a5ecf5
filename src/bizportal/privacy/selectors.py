"""Reading notices and requests (no writes here)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from .models import DataSubjectRequest, Objection, PrivacyAcceptance, PrivacyNotice, Purpose


def current_notices() -> list[PrivacyNotice]:
    """For each purpose, the newest version already in effect (none if never published)."""
    now = timezone.now()
    found = []
    for purpose in Purpose.values:
        notice = (
            PrivacyNotice.objects.filter(purpose=purpose, effective_from__lte=now)
            .order_by("-version")
            .first()
        )
        if notice is not None:
            found.append(notice)
    return found


def notice_version(purpose: str, version: int | None = None) -> PrivacyNotice:
    """One published version (the current one when ``version`` is None); 404 otherwise."""
    from django.http import Http404

    qs = PrivacyNotice.objects.filter(purpose=purpose, effective_from__lte=timezone.now())
    notice = (qs.filter(version=version) if version else qs.order_by("-version")).first()
    if notice is None:
        raise Http404("no such notice")
    return notice


def pending_notices(user: Any) -> list[PrivacyNotice]:
    """Current notices the person must accept and has not (a new version asks again)."""
    if not getattr(user, "is_authenticated", False):
        return []
    accepted = set(PrivacyAcceptance.objects.filter(user=user).values_list("notice_id", flat=True))
    return [n for n in current_notices() if n.requires_acceptance and n.pk not in accepted]


def objections_of(user: Any) -> set[str]:
    return set(Objection.objects.filter(user=user).values_list("purpose", flat=True))


def has_objected(user: Any, purpose: str) -> bool:
    """Whether optional processing for ``purpose`` must skip this person."""
    return Objection.objects.filter(user=user, purpose=purpose).exists()


def requests_of(user: Any) -> QuerySet[DataSubjectRequest]:
    return DataSubjectRequest.objects.filter(user=user)


def notice_versions(purpose: str) -> QuerySet[PrivacyNotice]:
    return PrivacyNotice.objects.filter(
        purpose=purpose, effective_from__lte=timezone.now()
    ).order_by("-version")


def acceptances_of(user: Any) -> QuerySet[PrivacyAcceptance]:
    return (
        PrivacyAcceptance.objects.filter(user=user)
        .select_related("notice")
        .order_by("-accepted_at")
    )

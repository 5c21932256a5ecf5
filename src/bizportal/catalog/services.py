"""Writing the catalogue: the only place services and agencies are saved."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import transaction
from django.db.models import F

from bizportal.core import audit

from .models import Agency, ApplicationType, RequiredDocument, SearchTerm, Service, Synonym
from .search import forget_synonyms, index_text, name_text

#: Longer tokens (a URL, a run of digits) are searchable but not vocabulary words.
MAX_TERM = 100


@transaction.atomic
def upsert_agency(code: str, **fields: Any) -> Agency:
    agency, created = Agency.objects.update_or_create(code=code, defaults=fields)
    audit.record("catalog.agency_created" if created else "catalog.agency_updated", agency)
    return agency


@transaction.atomic
def upsert_service(
    slug: str,
    *,
    documents: list[dict[str, Any]] | None = None,
    application_types: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Service:
    """Create or update a service, its documents and application types, and refresh its
    search text. A document with a ``kind`` belongs to that kind of application only."""
    service, created = Service.objects.update_or_create(slug=slug, defaults=fields)
    refresh_search_text(service)
    if documents is not None:
        keep = []
        for order, document in enumerate(documents):
            kind = document.get("kind", "")
            row, _ = RequiredDocument.objects.update_or_create(
                service=service,
                kind=kind,
                code=document["code"],
                defaults={**document, "kind": kind, "order": order},
            )
            keep.append(row.pk)
        service.documents.exclude(pk__in=keep).delete()
    if application_types is not None:
        kinds = []
        for entry in application_types:
            values = {k: v for k, v in entry.items() if k != "kind"}
            ApplicationType.objects.update_or_create(
                service=service, kind=entry["kind"], defaults=values
            )
            kinds.append(entry["kind"])
        service.application_types.exclude(kind__in=kinds).delete()
    audit.record("catalog.service_created" if created else "catalog.service_updated", service)
    return service


def refresh_search_text(service: Service) -> None:
    """Re-index one service after a change, and move the vocabulary's counts by the
    words it gained and lost."""
    previous = (
        Service.objects.filter(pk=service.pk).values_list("search_text", flat=True).first() or ""
    )
    service.search_text = index_text(service)
    service.search_name = name_text(service)
    Service.objects.filter(pk=service.pk).update(
        search_text=service.search_text, search_name=service.search_name
    )
    _count_terms(set(previous.split()), set(service.search_text.split()))


def _count_terms(before: set[str], after: set[str]) -> None:
    gained = {t for t in after - before if len(t) <= MAX_TERM}
    lost = {t for t in before - after if len(t) <= MAX_TERM}
    if gained:
        SearchTerm.objects.bulk_create(
            [SearchTerm(term=t, length=len(t), services=0) for t in sorted(gained)],
            ignore_conflicts=True,
        )
        SearchTerm.objects.filter(term__in=gained).update(services=F("services") + 1)
    if lost:
        SearchTerm.objects.filter(term__in=lost, services__gt=0).update(services=F("services") - 1)


@transaction.atomic
def rebuild_search_vocabulary() -> int:
    """Count every word of every service again, in bulk (after a bulk load, or nightly
    to undo any drift); returns the vocabulary's size."""
    counts: Counter[str] = Counter()
    texts = Service.objects.values_list("search_text", flat=True)
    for text in texts.iterator(chunk_size=2000):
        counts.update(t for t in set(text.split()) if len(t) <= MAX_TERM)
    SearchTerm.objects.all().delete()
    SearchTerm.objects.bulk_create(
        (SearchTerm(term=t, length=len(t), services=n) for t, n in counts.items()),
        batch_size=2000,
    )
    return len(counts)


@transaction.atomic
def save_synonyms(words: list[str], *, note: str = "", ring: Synonym | None = None) -> Synonym:
    """Create or change a synonym ring; the next search uses it."""
    ring = ring or Synonym()
    ring.words = ", ".join(w.strip() for w in words if w.strip())
    ring.note = note
    ring.save()
    audit.record("catalog.synonyms_saved", ring, words=ring.members())
    transaction.on_commit(forget_synonyms)
    return ring

"""Writing the catalogue: the only place services and agencies are saved."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from bizportal.core import audit

from .models import Agency, ApplicationType, RequiredDocument, Service
from .search import index_text


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
    service.search_text = index_text(service)
    Service.objects.filter(pk=service.pk).update(search_text=service.search_text)

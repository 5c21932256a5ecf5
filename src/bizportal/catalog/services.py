"""Writing the catalogue: the only place services and agencies are saved."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from bizportal.core import audit

from .models import (
    Agency,
    ApplicationType,
    HarvestRecord,
    HarvestRun,
    RequiredDocument,
    Service,
    ServiceSource,
)
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


@transaction.atomic
def replace_documents(service: Service, documents: list[dict[str, Any]]) -> None:
    """Make the service's own documents (not those of one kind of application) exactly
    ``documents``, keyed by code. Fields a caller does not give (``required_when``,
    ``kind``-specific documents) stay as they are; the service's update time moves, so
    its published description gets a new ETag."""
    keep = []
    for order, document in enumerate(documents):
        row, _ = RequiredDocument.objects.update_or_create(
            service=service, kind="", code=document["code"], defaults={**document, "order": order}
        )
        keep.append(row.pk)
    service.documents.filter(kind="").exclude(pk__in=keep).delete()
    service.save(update_fields=["updated_at"])
    audit.record(
        "catalog.service_documents_replaced", service, codes=[d["code"] for d in documents]
    )


# --- the harvest log (catalog.harvest) -------------------------------------------------


def start_harvest_run(source: str, *, create_agencies: bool, found: int) -> HarvestRun:
    return HarvestRun.objects.create(source=source, create_agencies=create_agencies, found=found)


def log_harvest_record(run: HarvestRun, **fields: Any) -> HarvestRecord:
    return HarvestRecord.objects.create(run=run, **fields)


def finish_harvest_run(
    run: HarvestRun, *, counts: dict[str, int], warnings: list[str]
) -> HarvestRun:
    for outcome, count in counts.items():
        setattr(run, outcome, count)
    run.warnings = warnings
    run.status = HarvestRun.Status.FINISHED
    run.finished_at = timezone.now()
    run.save()
    return run


def link_harvested_service(service: Service, *, uri: str, source: str) -> ServiceSource:
    """Remember where a harvested service comes from, so the next harvest finds it."""
    return ServiceSource.objects.create(service=service, uri=uri, source=source)

"""Writing the catalogue: the only place services, agencies and categories are saved."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bizportal.core import audit

from . import reference, selectors
from .manual import ManualError, check_service
from .models import (
    Agency,
    ApplicationType,
    Category,
    HarvestRecord,
    HarvestRun,
    RequiredDocument,
    SearchTerm,
    Service,
    ServiceCategory,
    ServiceSource,
    Synonym,
)
from .search import forget_synonyms, index_text, name_text

#: Longer tokens (a URL, a run of digits) are searchable but not vocabulary words.
MAX_TERM = 100

#: ``(kind, code)`` of a category, e.g. ``("industry", "56")``.
CategoryKey = tuple[str, str]
CATEGORY_FIELDS = ("name_th", "name_en", "description_th", "description_en", "order", "parent")


@transaction.atomic
def upsert_agency(code: str, **fields: Any) -> Agency:
    agency, created = Agency.objects.update_or_create(code=code, defaults=fields)
    audit.record("catalog.agency_created" if created else "catalog.agency_updated", agency)
    transaction.on_commit(selectors.forget_cached)
    return agency


@transaction.atomic
def upsert_service(
    slug: str,
    *,
    documents: list[dict[str, Any]] | None = None,
    application_types: list[dict[str, Any]] | None = None,
    categories: Iterable[CategoryKey] | None = None,
    **fields: Any,
) -> Service:
    """Create or update a service, its documents, application types and categories, and
    refresh its search text. A document with a ``kind`` belongs to that kind of
    application only. Invalid citizen-manual data or an unknown category raises
    :class:`ManualError` before anything is written."""
    existing = Service.objects.filter(slug=slug).first()
    candidate = existing or Service(slug=slug)
    for name, value in fields.items():
        setattr(candidate, name, value)
    check_service(candidate)
    wanted = _categories(categories) if categories is not None else None
    if (
        wanted
        and candidate.all_industries
        and any(c.kind == Category.Kind.INDUSTRY for c in wanted)
    ):
        raise ManualError(
            "categories",
            "บริการสำหรับธุรกิจทุกประเภทไม่ระบุประเภทอุตสาหกรรม / "
            "a service for every kind of business carries no industry",
        )
    service, created = Service.objects.update_or_create(slug=slug, defaults=fields)
    refresh_search_text(service)
    if wanted is not None:
        _set_categories(service, wanted)
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
    transaction.on_commit(selectors.forget_cached)
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


def _categories(keys: Iterable[CategoryKey]) -> list[Category]:
    """The categories ``keys`` name, in one query; an unknown one is refused by name."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return []
    kinds = {kind for kind, _ in wanted}
    codes = {code for _, code in wanted}
    found = {(c.kind, c.code): c for c in Category.objects.filter(kind__in=kinds, code__in=codes)}
    missing = [f"{kind}:{code}" for kind, code in wanted if (kind, code) not in found]
    if missing:
        raise ManualError(
            "categories",
            f"ไม่รู้จักหมวดหมู่ {', '.join(missing)} / unknown categories {', '.join(missing)}",
        )
    return [found[key] for key in wanted]


def _set_categories(service: Service, categories: list[Category]) -> None:
    ids = {c.pk for c in categories}
    links = ServiceCategory.objects.filter(service=service)
    links.exclude(category_id__in=ids).delete()
    have = set(links.values_list("category_id", flat=True))
    ServiceCategory.objects.bulk_create(
        [ServiceCategory(service=service, category_id=pk) for pk in sorted(ids - have)]
    )


def _reference_rows() -> list[tuple[str, reference.Ref, str | None, int]]:
    """(kind, entry, parent code, order) of every shipped category, parents first."""
    rows: list[tuple[str, reference.Ref, str | None, int]] = []
    for order, ref in enumerate(reference.TARGET_GROUPS):
        rows.append((Category.Kind.TARGET_GROUP, ref, None, order))
    for order, ref in enumerate(reference.LIFECYCLE):
        rows.append((Category.Kind.LIFECYCLE, ref, None, order))
    for order, (section, _divisions) in enumerate(reference.TSIC):
        rows.append((Category.Kind.INDUSTRY, section, None, order))
    for section, divisions in reference.TSIC:
        for order, division in enumerate(divisions):
            rows.append((Category.Kind.INDUSTRY, division, section.code, order))
    return rows


@transaction.atomic
def sync_reference_categories() -> tuple[int, int]:
    """Create the shipped categories that are missing and correct the ones that differ
    from the code (names, descriptions, order, TSIC section); returns (created, updated).

    Idempotent and bulk: run after every ``migrate`` it costs two reads when nothing
    changed. Categories an admin added are left alone."""
    existing = {(c.kind, c.code): c for c in Category.objects.select_for_update()}
    created = updated = 0
    for parents_pass in (True, False):
        new: list[Category] = []
        changed: list[Category] = []
        for kind, ref, parent_code, order in _reference_rows():
            if (parent_code is None) != parents_pass:
                continue
            parent = existing[(kind, parent_code)] if parent_code else None
            values = {
                "name_th": ref.name_th,
                "name_en": ref.name_en,
                "description_th": ref.description_th,
                "description_en": ref.description_en,
                "order": order,
                "parent_id": parent.pk if parent else None,
            }
            row = existing.get((kind, ref.code))
            if row is None:
                new.append(Category(kind=kind, code=ref.code, **values))
            elif any(getattr(row, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(row, name, value)
                row.updated_at = timezone.now()  # bulk_update does not apply auto_now
                changed.append(row)
        Category.objects.bulk_create(new)
        if new:
            # Read back rather than trust bulk_create to fill in keys on every engine.
            fresh = Category.objects.filter(
                kind__in={c.kind for c in new}, code__in={c.code for c in new}
            )
            existing.update({(row.kind, row.code): row for row in fresh})
        if changed:
            Category.objects.bulk_update(changed, [*CATEGORY_FIELDS, "updated_at"])
        created += len(new)
        updated += len(changed)
    if created or updated:
        transaction.on_commit(selectors.forget_cached)
        audit.record(
            "catalog.categories_synced",
            ("catalog.category", "reference"),
            actor_label="catalog/reference.py (มากับระบบ / shipped with the code)",
            created=created,
            updated=updated,
        )
    return created, updated


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

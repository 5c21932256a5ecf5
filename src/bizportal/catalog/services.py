"""Writing the catalogue: the only place services, agencies and categories are saved."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import connections, models, router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bizportal.core import audit, authz, events

from . import editor, reference, selectors
from .events import REVISION_CHANGED
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
    ServiceRevision,
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
            _("a service for every kind of business carries no industry"),
        )
    service, created = Service.objects.update_or_create(slug=slug, defaults=fields)
    refresh_search_text(service)
    if wanted is not None:
        _set_categories(service, wanted)
    if documents is not None:
        keep = []
        for order, document in enumerate(documents):
            kind = document.get("kind", "")
            row, _created = RequiredDocument.objects.update_or_create(
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
    _refresh_planner_statistics(SearchTerm)
    return len(counts)


def _refresh_planner_statistics(model: type[models.Model]) -> None:
    """After a bulk replace, tell PostgreSQL's planner what the table now holds: with
    the old statistics it scanned a 90,000-word vocabulary (13 ms) where its trigram
    index answers in 3 ms. Autovacuum would get there, but only later."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')  # a table name, no input


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
    kinds = {kind for kind, _code in wanted}
    codes = {code for _kind, code in wanted}
    found = {(c.kind, c.code): c for c in Category.objects.filter(kind__in=kinds, code__in=codes)}
    missing = [f"{kind}:{code}" for kind, code in wanted if (kind, code) not in found]
    if missing:
        raise ManualError(
            "categories",
            _("unknown categories %(codes)s") % {"codes": ", ".join(missing)},
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
            actor_label=gettext_noop("catalog/reference.py (shipped with the code)"),
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
        row, _created = RequiredDocument.objects.update_or_create(
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


# --- the service editor: revisions of the citizen manual (catalog.editor) -----------


class RevisionRefused(Exception):
    """A transition the revision's state or the four-eyes rule does not allow; the
    message is Thai / English."""


State = ServiceRevision.State


def _locked(revision: ServiceRevision) -> ServiceRevision:
    """The revision as stored now, locked until the transaction ends: two people
    pressing buttons on the same revision take turns and the second sees the first's
    outcome."""
    return ServiceRevision.objects.select_for_update().select_related("service").get(pk=revision.pk)


def _expect(revision: ServiceRevision, *states: str) -> None:
    if revision.state not in states:
        wanted = _(" or ").join(str(State(s).label) for s in states)
        raise RevisionRefused(
            _("revision %(number)s is %(state)s, this needs %(wanted)s")
            % {"number": revision.number, "state": State(revision.state).label, "wanted": wanted}
        )


def _announce(
    revision: ServiceRevision, actor: Any, from_state: str, action: str, note: str = ""
) -> None:
    """The audit row and the domain event of one transition, in its transaction."""
    service = revision.service
    audit.record(
        f"catalog.revision_{action}",
        revision,
        actor=actor,
        service=service.slug,
        number=revision.number,
        from_state=from_state,
        to_state=revision.state,
        note=note,
    )
    events.publish(
        REVISION_CHANGED,
        revision,
        {
            "service": service.slug,
            "agency": service.agency.code,
            "revision": str(revision.public_id),
            "number": revision.number,
            "from_state": from_state,
            "to_state": revision.state,
            "note": note,
        },
        actor=actor,
    )


def open_revision(service: Service) -> ServiceRevision | None:
    """The service's draft or revision in review, if any."""
    return (
        ServiceRevision.objects.filter(service=service, state__in=ServiceRevision.OPEN_STATES)
        .select_related("author", "reviewer", "based_on")
        .first()
    )


def _new_revision(
    service: Service, author: Any, content: editor.Content, based_on: ServiceRevision | None = None
) -> ServiceRevision:
    last = (
        ServiceRevision.objects.filter(service=service)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
        or 0
    )
    return ServiceRevision.objects.create(
        service=service,
        number=last + 1,
        content=content,
        base=editor.snapshot(service),
        author=author,
        based_on=based_on,
    )


@transaction.atomic
def start_draft(service: Service, actor: Any) -> ServiceRevision:
    """The service's open revision (a draft to continue, or the one in review), or a new
    draft holding the live content."""
    authz.require(actor, "catalog.edit_service", service)
    # Serialise starts: the service row's lock, then the one-open-revision constraint.
    Service.objects.select_for_update().filter(pk=service.pk).first()
    existing = open_revision(service)
    if existing is not None:
        return existing
    revision = _new_revision(service, actor, editor.snapshot(service))
    _announce(revision, actor, "", "started")
    return revision


@transaction.atomic
def save_draft(revision: ServiceRevision, actor: Any, raw: editor.Content) -> ServiceRevision:
    """Replace the draft's content with ``raw`` once all of it is valid
    (:class:`editor.DraftInvalid` names every problem; nothing is written then)."""
    authz.require(actor, "catalog.edit_service", revision.service)
    revision = _locked(revision)
    _expect(revision, State.DRAFT)
    content = editor.clean(revision.service, raw)
    if content != revision.content:
        revision.content = content
        revision.save(update_fields=["content", "updated_at"])
        audit.record(
            "catalog.revision_saved",
            revision,
            actor=actor,
            service=revision.service.slug,
            number=revision.number,
            fields=[c.field.name for c in editor.diff(revision.base, content)],
        )
    return revision


@transaction.atomic
def submit_revision(revision: ServiceRevision, actor: Any) -> ServiceRevision:
    """Send a draft for review; it must still be valid and change something."""
    authz.require(actor, "catalog.edit_service", revision.service)
    revision = _locked(revision)
    _expect(revision, State.DRAFT)
    editor.clean(revision.service, revision.content)
    if not editor.diff(editor.snapshot(revision.service), revision.content):
        raise RevisionRefused(_("this draft changes nothing in the published service"))
    revision.state = State.IN_REVIEW
    revision.submitted_at = timezone.now()
    revision.save(update_fields=["state", "submitted_at", "updated_at"])
    _announce(revision, actor, State.DRAFT, "submitted")
    return revision


@transaction.atomic
def withdraw_revision(revision: ServiceRevision, actor: Any) -> ServiceRevision:
    """Take a revision back from review to go on editing it."""
    authz.require(actor, "catalog.edit_service", revision.service)
    revision = _locked(revision)
    _expect(revision, State.IN_REVIEW)
    revision.state = State.DRAFT
    revision.save(update_fields=["state", "updated_at"])
    _announce(revision, actor, State.IN_REVIEW, "withdrawn")
    return revision


@transaction.atomic
def discard_draft(revision: ServiceRevision, actor: Any) -> ServiceRevision:
    """Give up a draft; it stays in the history as discarded."""
    authz.require(actor, "catalog.edit_service", revision.service)
    revision = _locked(revision)
    _expect(revision, State.DRAFT)
    revision.state = State.DISCARDED
    revision.save(update_fields=["state", "updated_at"])
    _announce(revision, actor, State.DRAFT, "discarded")
    return revision


def _decider(revision: ServiceRevision, actor: Any) -> ServiceRevision:
    authz.require(actor, "catalog.review_service", revision.service)
    revision = _locked(revision)
    _expect(revision, State.IN_REVIEW)
    if revision.author_id == getattr(actor, "pk", None):
        raise RevisionRefused(_("nobody approves or rejects their own revision (four eyes)"))
    return revision


@transaction.atomic
def approve_revision(revision: ServiceRevision, actor: Any, note: str = "") -> ServiceRevision:
    """Publish a revision: the service takes its content (through
    :func:`upsert_service`, which checks it again and refreshes the search text), the
    revision published before it becomes superseded, all in one transaction."""
    revision = _decider(revision, actor)
    service = revision.service
    content = editor.clean(service, revision.content)
    previous = (
        ServiceRevision.objects.select_for_update()
        .filter(service=service, state=State.PUBLISHED)
        .first()
    )
    if previous is not None:
        previous.state = State.SUPERSEDED
        previous.save(update_fields=["state", "updated_at"])
    upsert_service(
        service.slug, documents=_documents_for(service, content), **editor.apply_fields(content)
    )
    revision.state = State.PUBLISHED
    revision.reviewer = actor
    revision.review_note = note
    revision.reviewed_at = timezone.now()
    revision.save(update_fields=["state", "reviewer", "review_note", "reviewed_at", "updated_at"])
    _announce(revision, actor, State.IN_REVIEW, "published", note)
    return revision


def _documents_for(service: Service, content: editor.Content) -> list[dict[str, Any]]:
    """The revision's documents followed by the service's documents of one kind of
    application, which the editor does not show and ``upsert_service`` would drop."""
    others = RequiredDocument.objects.filter(service=service).exclude(kind="")
    kept = [
        {
            "kind": document.kind,
            "code": document.code,
            **{name: getattr(document, name) for name in editor.DOCUMENT_FIELDS if name != "code"},
        }
        for document in others.order_by("order", "id")
    ]
    return [*content["documents"], *kept]


@transaction.atomic
def reject_revision(revision: ServiceRevision, actor: Any, note: str) -> ServiceRevision:
    """Send a revision back with the reviewer's reasons: it stays in the history as
    rejected, and its content comes back to the author as a new draft."""
    if not note.strip():
        raise RevisionRefused(_("Please say why the revision goes back"))
    revision = _decider(revision, actor)
    revision.state = State.REJECTED
    revision.reviewer = actor
    revision.review_note = note.strip()
    revision.reviewed_at = timezone.now()
    revision.save(update_fields=["state", "reviewer", "review_note", "reviewed_at", "updated_at"])
    _announce(revision, actor, State.IN_REVIEW, "rejected", revision.review_note)
    draft = _new_revision(
        revision.service, revision.author, copy.deepcopy(revision.content), based_on=revision
    )
    _announce(draft, actor, "", "started")
    return revision

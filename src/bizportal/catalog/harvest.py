"""Harvesting an agency's CPSV-AP catalogue into ours (``manage.py harvest_catalog``).

Why: an agency that keeps its citizen manuals in its own system publishes them once as
CPSV-AP, and Biz Portal takes them in, so a business finds every licence in one place.

What a harvested service is here: catalogue information, published and searchable at
once, with the agency's own channels. It does not take applications on Biz Portal
(its "new licence" kind is disabled and it has no form, fee table or licence numbering)
until an admin configures those and enables it; its page says to apply through the
agency. A later harvest updates only what the RDF carries (:data:`CARRIED`), never that
configuration, so an admin's work survives the next harvest.

The rules, in the order they are applied:

* **The source** is a file or an http(s) URL of Turtle or JSON-LD (by extension or
  Content-Type), at most ``max_bytes``; remote JSON-LD contexts are not fetched. A
  source that cannot be read or parsed, or holds no ``cpsv:PublicService``, is refused
  with a clear message and nothing is written.
* **Validity.** The whole source is checked against the CPSV-AP and DCAT-AP shapes
  (:mod:`.shacl`). A violation belongs to every service from which its node can be
  reached (its cost, documents, authority...): those records are skipped with the
  messages in the log, the others are harvested. Violations of the catalogue itself are
  kept as the run's warnings. Records Biz Portal cannot hold (no URI, no processing time
  in days, a text longer than the column) are skipped the same way.
* **Agencies** are matched by our own agency URI, then ``dct:identifier`` = agency code,
  then the Thai or English name. An unknown authority skips its services and is named in
  the log, unless ``create_agencies`` is given: then it is created from the RDF. A
  harvest never changes an existing agency.
* **Services** are matched by the URI they were first harvested from, then (for our
  own URIs, as in a round trip) by slug. Unchanged records write nothing: no row, no
  audit event. A changed record updates the service through :mod:`.services` and logs
  one row with each changed field's before and after values: its harvest history.
* **Categories** (lifecycle events, target groups, TSIC sectors) are matched by kind and
  code to existing categories; an unknown code, or another vocabulary's concept, is left
  out and named in the record's warnings (on its log row, or on the run when the record
  is otherwise unchanged and leaves no row). A service for every kind of business keeps
  no industries.
* **Where to apply.** Biz Portal takes a service online only with a form and a fee
  table, which RDF does not carry: an online channel of a service without them is read
  as the agency's own channels. A new processing time that the service's steps no
  longer add up to clears the steps (the old ones stay in the log).

:mod:`.harvest_source` reads the source, :mod:`.harvest_records` reads its records; this
module decides and writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import prefetch_related_objects
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import services
from .harvest_records import (
    AgencyData,
    CategoryKey,
    Record,
    attribute,
    duration_days,
    read_records,
)
from .harvest_source import DEFAULT_MAX_BYTES, HarvestError, fetch, parse
from .manual import ManualError
from .models import Agency, ApplicationKind, Category, HarvestRun, Service, ServiceSource
from .rdf import AUDIENCE_FLAGS, Uris
from .shacl import violations

__all__ = ["DEFAULT_MAX_BYTES", "HarvestError", "carried", "duration_days", "harvest"]

MAX_MESSAGES = 20

#: The service fields a CPSV-AP record carries: what a harvest compares and updates.
CARRIED: tuple[str, ...] = (
    "name_th",
    "name_en",
    "summary_th",
    "summary_en",
    "who_may_apply_th",
    "who_may_apply_en",
    "manual_code",
    "processing_days",
    "fee_display_th",
    "fee_display_en",
    "channel",
    "channel_note_th",
    "channel_note_en",
    "licence_title_th",
    "licence_title_en",
    "licence_permits_th",
    "licence_permits_en",
    "licence_prefix",
    "service_kind",
    "criteria_th",
    "criteria_en",
    "legal_basis",
    "fee_items",
    "apply_url",
    "contact_office_th",
    "contact_office_en",
    "contact_address_th",
    "contact_address_en",
    "contact_phone",
    "contact_email",
    "opening_hours_th",
    "opening_hours_en",
    *AUDIENCE_FLAGS,
)
DOCUMENT_FIELDS = ("code", "name_th", "name_en", "note_th", "note_en", "required")
#: Category.kind -> the key its codes have among the carried values (and in the log).
CATEGORY_KEYS: dict[str, str] = {
    Category.Kind.LIFECYCLE: "lifecycle",
    Category.Kind.TARGET_GROUP: "target_groups",
    Category.Kind.INDUSTRY: "industries",
}


def carried(service: Service) -> dict[str, Any]:
    """What of a service its CPSV-AP description carries, in the form a record has:
    what a harvest compares, and what a round trip must keep. Reads the prefetched
    documents and categories."""
    values: dict[str, Any] = {name: getattr(service, name) for name in CARRIED}
    values["legal_basis"] = _laws(service.legal_basis)
    values["fee_items"] = _fee_lines(service.fee_items)
    values["agency"] = service.agency.code
    values["documents"] = sorted(
        (
            {name: getattr(d, name) for name in DOCUMENT_FIELDS}
            for d in service.documents.all()
            if not d.kind
        ),
        key=lambda d: d["code"],
    )
    values.update(category_values((c.kind, c.code) for c in service.categories.all()))
    return values


def category_values(keys: Iterable[CategoryKey]) -> dict[str, list[str]]:
    """``{"lifecycle": [...], "target_groups": [...], "industries": [...]}``, codes sorted."""
    found: dict[str, list[str]] = {name: [] for name in CATEGORY_KEYS.values()}
    for kind, code in keys:
        found[CATEGORY_KEYS[kind]].append(code)
    return {name: sorted(set(codes)) for name, codes in found.items()}


def _laws(value: Any) -> list[dict[str, str]]:
    """The legal basis as a record has it: a missing url is an empty one."""
    laws = value if isinstance(value, list) else []
    return [{"th": law["th"], "en": law["en"], "url": law.get("url") or ""} for law in laws]


def _fee_lines(value: Any) -> list[dict[str, Any]]:
    """Fee lines as a record has them: amounts as text to the satang ("500.00")."""
    lines = value if isinstance(value, list) else []
    return [
        {
            "th": line["th"],
            "en": line["en"],
            "amount": None
            if line.get("amount") is None
            else str(Decimal(str(line["amount"])).quantize(Decimal("0.01"))),
        }
        for line in lines
    ]


class Agencies:
    """Matches competent authorities to agencies (loaded once), creating them if asked."""

    def __init__(self, create: bool) -> None:
        self.create = create
        self.uris = Uris()
        self.by_code: dict[str, Agency] = {}
        self.by_name: dict[str, Agency] = {}
        for agency in Agency.objects.all():
            self._remember(agency)

    def _remember(self, agency: Agency) -> None:
        self.by_code[agency.code.lower()] = agency
        for name in (agency.name_th, agency.name_en):
            if name.strip():
                self.by_name[_norm(name)] = agency

    def match(self, data: AgencyData) -> Agency | None:
        code = self.uris.agency_code_of(data.uri) or data.identifier
        if found := self.by_code.get(code.lower()):
            return found
        for name in (data.fields["name_th"], data.fields["name_en"]):
            if name and (found := self.by_name.get(_norm(name))):
                return found
        return None

    def get_or_create(self, data: AgencyData) -> Agency | None:
        found = self.match(data)
        if found is not None or not self.create:
            return found
        code = self._free_code(data)
        # Optional details too long for their column (a website over 200 characters) are
        # left out; names were checked when the record was read.
        fields = {
            k: v
            for k, v in data.fields.items()
            if v and len(v) <= (getattr(Agency._meta.get_field(k), "max_length", None) or len(v))
        }
        agency = services.upsert_agency(code, **fields)
        self._remember(agency)
        return agency

    def _free_code(self, data: AgencyData) -> str:
        wanted = self.uris.agency_code_of(data.uri) or slugify(data.identifier)
        base = (wanted or slugify(data.fields["name_en"]) or "agency")[:36]
        code, n = base, 1
        while code.lower() in self.by_code:
            n += 1
            code = f"{base}-{n}"
        return code


def _chunks(values: list[str], size: int = 500) -> Iterable[list[str]]:
    return (values[i : i + size] for i in range(0, len(values), size))


def _norm(name: str) -> str:
    return " ".join(name.casefold().split())


class Harvester:
    """Applies the records of one source; counts what happened."""

    def __init__(self, source: str, *, create_agencies: bool) -> None:
        self.source = source
        self.agencies = Agencies(create_agencies)
        self.uris = Uris()
        self.counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0}
        self.by_uri: dict[str, Service] = {}
        self.by_slug: dict[str, Service] = {}
        # The categories records are matched to, by kind and code: one query, a few
        # hundred rows at most (TSIC divisions).
        self.categories = {(c.kind, c.code) for c in Category.objects.only("kind", "code")}
        #: What unchanged records left out: they write no row, so the run keeps it.
        self.warnings: list[str] = []

    def preload(self, records: Iterable[Record]) -> None:
        """The services the records may update, with their documents, in a few queries."""
        uris = [r.uri for r in records if r.uri]
        slugs = [s for u in uris if (s := self.uris.slug_of(u))]
        # In chunks: a database takes only so many parameters in one IN list.
        for chunk in _chunks(uris):
            links = ServiceSource.objects.filter(uri__in=chunk).select_related("service__agency")
            self.by_uri.update((link.uri, link.service) for link in links)
        for chunk in _chunks(slugs):
            found = Service.objects.filter(slug__in=chunk).select_related("agency")
            self.by_slug.update((service.slug, service) for service in found)
        prefetch_related_objects(
            [*self.by_uri.values(), *self.by_slug.values()], "documents", "categories"
        )

    def apply(self, record: Record, run: HarvestRun) -> str:
        """Create, update, leave or skip one record. Deciding reads only, so an unchanged
        record costs no write at all; each write is one transaction with its log row."""
        agency = self._agency(record)
        if agency is None or record.errors:
            return self._skip(record, run)
        existing = self.by_uri.get(record.uri) or self.by_slug.get(
            self.uris.slug_of(record.uri) or ""
        )
        fields = self._fields(record, existing)
        keys = self._categories(record, existing)
        changes = self._changes(existing, record, fields, agency, keys) if existing else {}
        if existing is not None and not changes:
            self.counts["unchanged"] += 1
            self.warnings += [f"<{record.uri}>: {w}" for w in record.warnings]
            return "unchanged"
        try:
            with transaction.atomic():
                if existing is None:
                    outcome = "created"
                    service = self._create(record, fields, agency, keys)
                else:
                    outcome = "updated"
                    service = self._update(existing, record, agency, changes, keys)
                services.log_harvest_record(
                    run,
                    uri=record.uri,
                    identifier=record.identifier[:250],
                    title=record.title,
                    service=service,
                    outcome=outcome,
                    changes=changes,
                    warnings=record.warnings[:MAX_MESSAGES],
                )
        except (DatabaseError, ManualError) as error:
            record.errors.append(_("could not be saved: %(error)s") % {"error": error})
            return self._skip(record, run)
        self.counts[outcome] += 1
        return outcome

    @staticmethod
    def _fields(record: Record, existing: Service | None) -> dict[str, Any]:
        """The record's fields as this service can hold them. Taking a service online is
        Biz Portal's configuration (a form and a fee table, which RDF does not carry):
        a service without them sends people to the agency's own channels instead of an
        online channel, and one an admin took online stays online."""
        fields = dict(record.fields)
        portal = Service.PORTAL_CHANNELS
        can_take = existing is not None and bool(existing.fee_table and existing.form_schema)
        online_here = can_take and existing is not None and existing.channel in portal
        if fields.get("channel") in portal and not can_take:
            fields["channel"] = Service.Channel.AGENCY
        elif online_here and existing and fields.get("channel") not in portal:
            fields.update(channel=existing.channel, apply_url=existing.apply_url)
        return fields

    def _categories(self, record: Record, existing: Service | None) -> list[CategoryKey]:
        """The record's categories that exist here; the others are named in its
        warnings and left out, as are industries of a service for every business."""
        keys: list[CategoryKey] = []
        for kind, code in dict.fromkeys(record.categories):
            if (kind, code) not in self.categories:
                record.warnings.append(
                    _("unknown category %(kind)s %(code)r: left out") % {"kind": kind, "code": code}
                )
            elif (
                kind == Category.Kind.INDUSTRY and existing is not None and existing.all_industries
            ):
                record.warnings.append(
                    _("the service is for every kind of business here: industry %(code)r left out")
                    % {"code": code}
                )
            else:
                keys.append((kind, code))
        return keys

    def _agency(self, record: Record) -> Agency | None:
        authority = record.authority
        if authority is None and not record.errors:
            record.errors.append(_("no cv:hasCompetentAuthority"))
        if record.errors or authority is None:
            return None
        agency = self.agencies.get_or_create(authority)
        if agency is None:
            names = " / ".join(
                n for n in (authority.fields["name_th"], authority.fields["name_en"]) if n
            )
            record.errors.append(
                _(
                    "unknown competent authority <%(uri)s> (%(names)s): add the agency first, "
                    "or harvest with --create-agencies"
                )
                % {"uri": authority.uri, "names": names}
            )
        return agency

    def _skip(self, record: Record, run: HarvestRun) -> str:
        services.log_harvest_record(
            run,
            uri=record.uri or str(record.node),
            identifier=record.identifier[:250],
            title=record.title,
            outcome="skipped",
            errors=record.errors[:MAX_MESSAGES],
            warnings=record.warnings[:MAX_MESSAGES],
        )
        self.counts["skipped"] += 1
        return "skipped"

    @staticmethod
    def _changes(
        service: Service,
        record: Record,
        fields: dict[str, Any],
        agency: Agency,
        keys: list[CategoryKey],
    ) -> dict[str, list[Any]]:
        """``{field: [before, after]}`` for every carried value the record changes.

        The steps are not carried, but they must add up to the processing time: when a
        new processing time breaks that, the steps are cleared, logged like a change."""
        before = carried(service)
        wanted = {
            **fields,
            "agency": agency.code,
            "documents": record.documents,
            **category_values(keys),
        }
        changes = {k: [before[k], v] for k, v in wanted.items() if before.get(k) != v}
        days = sum(step.get("days", 0) for step in service.steps or [])
        if "processing_days" in changes and service.steps and days != wanted["processing_days"]:
            changes["steps"] = [service.steps, []]
            record.warnings.append(
                _(
                    "the service's steps added up to %(days)d working days and the record says "
                    "%(wanted)s: the steps were cleared (the old ones are in this record's changes)"
                )
                % {"days": days, "wanted": wanted["processing_days"]}
            )
        return changes

    @staticmethod
    def _update(
        service: Service,
        record: Record,
        agency: Agency,
        changes: dict[str, list[Any]],
        keys: list[CategoryKey],
    ) -> Service:
        fields: dict[str, Any] = {
            k: new for k, (_old, new) in changes.items() if k in CARRIED or k == "steps"
        }
        if "agency" in changes:
            fields["agency"] = agency
        categories = keys if changes.keys() & set(CATEGORY_KEYS.values()) else None
        if fields or categories is not None:
            service = services.upsert_service(service.slug, categories=categories, **fields)
        if "documents" in changes:
            services.replace_documents(service, record.documents)
        return service

    def _create(
        self, record: Record, fields: dict[str, Any], agency: Agency, keys: list[CategoryKey]
    ) -> Service:
        slug = self._free_slug(record)
        service = services.upsert_service(
            slug,
            agency=agency,
            documents=record.documents,
            categories=keys,
            # Catalogue information only, until an admin configures the form, fees and
            # licence and enables new applications.
            application_types=[{"kind": ApplicationKind.NEW, "enabled": False}],
            form_schema={},
            fee_table="",
            is_published=True,
            **fields,
        )
        services.link_harvested_service(service, uri=record.uri, source=self.source)
        self.by_uri[record.uri] = service
        return service

    def _free_slug(self, record: Record) -> str:
        wanted = self.uris.slug_of(record.uri) or slugify(record.identifier)[:80]
        base = wanted or slugify(record.fields.get("name_en", ""))[:70] or "service"
        slug, n = base, 1
        while Service.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base[:70]}-{n}"
        return slug


def harvest(
    source: str,
    *,
    create_agencies: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    fmt: str | None = None,
) -> HarvestRun:
    """Harvest ``source``; raises :class:`HarvestError` (nothing written) if it cannot."""
    graph = parse(fetch(source, max_bytes=max_bytes, fmt=fmt))
    records = read_records(graph)
    if not records:
        raise HarvestError(
            _("%(source)s holds no cpsv:PublicService: nothing to harvest") % {"source": source}
        )
    warnings = attribute(graph, records, violations(graph))
    harvester = Harvester(source, create_agencies=create_agencies)
    harvester.preload(records)
    run = services.start_harvest_run(source, create_agencies=create_agencies, found=len(records))
    for record in records:
        harvester.apply(record, run)
    return services.finish_harvest_run(
        run, counts=harvester.counts, warnings=(warnings + harvester.warnings)[:100]
    )

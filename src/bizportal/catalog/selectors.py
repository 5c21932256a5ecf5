"""Reading the catalogue by its groupings: browse pages, facets and their counts.

Why one module: the browse pages, the search page's facets and the API filter the same
way (an industry section includes its divisions; ``industry=all`` means the services
every kind of business may need), so they must not drift apart.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connections
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils.translation import gettext_lazy as _

from .models import Agency, Category, Service, ServiceCategory

#: The value of ``industry`` that selects the services for every kind of business.
ALL_INDUSTRIES = "all"
#: Facet parameters and the category kind each selects (``agency`` is not a category).
FACET_KINDS: dict[str, str] = {
    "lifecycle": Category.Kind.LIFECYCLE,
    "target_group": Category.Kind.TARGET_GROUP,
    "industry": Category.Kind.INDUSTRY,
}
FACETS = ("agency", *FACET_KINDS)
MAX_FACET_VALUE = 40
#: Every agency and category code looks like this; anything else is unknown without asking
#: the database (a NUL byte would make PostgreSQL fail rather than find nothing).
CODE = re.compile(r"[A-Za-z0-9_-]{1,40}")
BAD_CURSOR = _("The page cursor (after) is not valid")
#: Fields a service card shows; the rest of a service is never read by a list.
CARD_FIELDS = (
    "slug",
    "name_th",
    "name_en",
    "summary_th",
    "summary_en",
    "processing_days",
    "fee_display_th",
    "fee_display_en",
    "channel",
    "agency__code",
    "agency__name_th",
    "agency__name_en",
)


class BadCursor(ValueError):
    """A page cursor this module did not make."""


@dataclass
class Facets:
    """What a request asked to filter by, resolved. ``chosen`` is the category each
    parameter named; ``categories`` what it selects (a section with its divisions);
    ``unknown`` what was not found (parameter -> the value given)."""

    agency: Agency | None = None
    chosen: dict[str, Category] = field(default_factory=dict)
    categories: dict[str, list[Category]] = field(default_factory=dict)
    all_industries: bool = False
    unknown: dict[str, str] = field(default_factory=dict)


def _value(params: Mapping[str, Any], name: str) -> str:
    raw = params.get(name, "")
    return raw.strip()[: MAX_FACET_VALUE + 1] if isinstance(raw, str) else ""


def resolve_facets(params: Mapping[str, Any], *, using: str = "default") -> Facets:
    """The agency and categories ``params`` name, in at most two queries. An industry
    section brings its divisions with it, so filtering by ``C`` finds services filed
    under ``10`` (food) too."""
    facets = Facets()
    for name in FACETS:
        code = _value(params, name)
        if code and not CODE.fullmatch(code):
            shown = "".join(ch if ch.isprintable() else "?" for ch in code[:MAX_FACET_VALUE])
            facets.unknown[name] = shown
    if (code := _value(params, "agency")) and "agency" not in facets.unknown:
        facets.agency = Agency.objects.using(using).filter(code=code).first()
        if facets.agency is None:
            facets.unknown["agency"] = code
    wanted: dict[str, str] = {}
    for name in FACET_KINDS:
        code = _value(params, name)
        if not code or name in facets.unknown:
            continue
        if name == "industry" and code == ALL_INDUSTRIES:
            facets.all_industries = True
            continue
        wanted[name] = code
    if wanted:
        condition = Q()
        for name, code in wanted.items():
            kind = FACET_KINDS[name]
            condition |= Q(kind=kind, code=code)
            if kind == Category.Kind.INDUSTRY:
                condition |= Q(kind=kind, parent__code=code, parent__kind=kind)
        found = list(Category.objects.using(using).filter(condition).select_related("parent"))
        for name, code in wanted.items():
            kind = FACET_KINDS[name]
            rows = [
                c
                for c in found
                if c.kind == kind and (c.code == code or (c.parent and c.parent.code == code))
            ]
            named = next((c for c in rows if c.code == code), None)
            if named is not None:
                facets.chosen[name] = named
                facets.categories[name] = rows
            else:
                facets.unknown[name] = code
    return facets


def in_categories(categories: list[Category], *, using: str = "default") -> QuerySet[Any]:
    """Ids of the services in any of ``categories`` (a subquery, never fetched)."""
    return (
        ServiceCategory.objects.using(using)
        .filter(category_id__in=[c.pk for c in categories])
        .values("service_id")
    )


def apply_facets(
    services: QuerySet[Service], facets: Facets, *, using: str = "default"
) -> QuerySet[Service]:
    """``services`` narrowed by every facet (they combine with AND)."""
    if facets.agency is not None:
        services = services.filter(agency=facets.agency)
    for rows in facets.categories.values():
        services = services.filter(id__in=in_categories(rows, using=using))
    if facets.all_industries:
        services = services.filter(all_industries=True)
    return services


def published(using: str = "default") -> QuerySet[Service]:
    return Service.objects.using(using).filter(is_published=True)


# --- the browse pages -----------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    items: list[Service]
    next_cursor: str


def encode_cursor(service: Service) -> str:
    raw = json.dumps([service.name_th, service.slug], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str] | None:
    """The (name, slug) a cursor of :func:`encode_cursor` names; anything else is
    refused with :class:`BadCursor`, never passed on to the database."""
    if not cursor:
        return None
    try:
        if len(cursor) > 700:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        name, slug = json.loads(raw)
        if not (isinstance(name, str) and isinstance(slug, str)) or len(name) > 250:
            raise ValueError("wrong shape")
        if len(slug) > 80 or any(ord(ch) < 32 for ch in name + slug):
            raise ValueError("wrong shape")
        name.encode("utf-8")  # a lone surrogate fails here, not in the driver
    except (ValueError, TypeError, UnicodeError, binascii.Error) as error:
        raise BadCursor(BAD_CURSOR) from error
    return name, slug


def services_page(services: QuerySet[Service], *, cursor: str = "", size: int = 50) -> Page:
    """One page of ``services`` in catalogue order (Thai name, then slug), keyset on that
    order: page 100 costs what page 1 does."""
    qs = services.select_related("agency").only(*CARD_FIELDS).order_by("name_th", "slug")
    after = decode_cursor(cursor)
    if after is not None:
        name, slug = after
        qs = qs.filter(name_th__gte=name).filter(
            Q(name_th__gt=name) | Q(name_th=name, slug__gt=slug)
        )
    items = list(qs[: size + 1])
    next_cursor = encode_cursor(items[size - 1]) if len(items) > size else ""
    return Page(items=items[:size], next_cursor=next_cursor)


def category_services(
    category: Category, *, cursor: str = "", size: int = 50, using: str = "default"
) -> Page:
    """The published services of a category; a TSIC section includes its divisions'."""
    ids = [category.pk]
    if category.kind == Category.Kind.INDUSTRY and category.parent_id is None:
        ids += list(
            Category.objects.using(using).filter(parent=category).values_list("pk", flat=True)
        )
    services = published(using).filter(
        id__in=ServiceCategory.objects.using(using).filter(category_id__in=ids).values("service_id")
    )
    return services_page(services, cursor=cursor, size=size)


#: How long the counts and the facet options may lag behind a change, in seconds. Writers
#: in ``services`` drop both at once; the limit covers other processes' local caches.
CACHE_SECONDS = 300
COUNTS_KEY = "catalog:category-counts:v1:{using}"
OPTIONS_KEY = "catalog:facet-options:v1:{using}"


SHOWCASE_KEY = "catalog:agency-showcase:v1:{using}:{per_agency}"
#: Services the home page names per agency.
SHOWCASE_SERVICES = 5


def forget_cached(using: str = "default") -> None:
    """Drop the cached counts, facet options and home-page showcase (after a write to
    the catalogue)."""
    cache.delete_many(
        [
            COUNTS_KEY.format(using=using),
            OPTIONS_KEY.format(using=using),
            SHOWCASE_KEY.format(using=using, per_agency=SHOWCASE_SERVICES),
        ]
    )


@dataclass(frozen=True)
class ServiceLink:
    slug: str
    name_th: str
    name_en: str


@dataclass(frozen=True)
class AgencyShowcase:
    """An agency on the home page: its first services by name and how many it has."""

    code: str
    name_th: str
    name_en: str
    published_count: int
    first_services: tuple[ServiceLink, ...]


def agency_showcase(using: str = "default") -> tuple[AgencyShowcase, ...]:
    """Every agency with its first ``SHOWCASE_SERVICES`` published services and its count,
    cached: at 90,000 services ranking every service within its agency took seconds."""
    key = SHOWCASE_KEY.format(using=using, per_agency=SHOWCASE_SERVICES)
    showcase: tuple[AgencyShowcase, ...] | None = cache.get(key)
    if showcase is None:
        showcase = _agency_showcase(using)
        cache.set(key, showcase, CACHE_SECONDS)
    return showcase


def _agency_showcase(using: str) -> tuple[AgencyShowcase, ...]:
    """Three queries whatever the size: agencies, a grouped count, and each agency's
    first services (:func:`_first_services`)."""
    agencies = list(
        Agency.objects.using(using)
        .order_by("name_th")
        .values_list("pk", "code", "name_th", "name_en")
    )
    counts = dict(
        published(using)
        .values("agency_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("agency_id", "n")
    )
    links = _first_services([pk for pk, *_ in agencies if counts.get(pk)], using)
    return tuple(
        AgencyShowcase(code, name_th, name_en, counts.get(pk, 0), tuple(links.get(pk, ())))
        for pk, code, name_th, name_en in agencies
    )


def _first_services(agency_ids: list[int], using: str) -> dict[int, list[ServiceLink]]:
    """Each agency's first ``SHOWCASE_SERVICES`` published services by name, in one query.

    Where the database allows a limit inside ``UNION ALL`` (PostgreSQL), one limited walk
    of the (agency, name, id) index per agency: ranking every service within its agency
    with a window function read all 90,000 rows (3.8 s). SQLite, the embedded
    single-machine database, takes the window function."""
    if not agency_ids:
        return {}
    columns = ("agency_id", "slug", "name_th", "name_en")
    if connections[using].features.supports_slicing_ordering_in_compound:
        parts = [
            published(using)
            .filter(agency_id=pk)
            .order_by("name_th", "id")
            .values_list(*columns)[:SHOWCASE_SERVICES]
            for pk in agency_ids
        ]
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    else:
        place = Window(RowNumber(), partition_by=[F("agency_id")], order_by=[F("name_th"), F("id")])
        rows = (
            published(using)
            .annotate(place=place)
            .filter(place__lte=SHOWCASE_SERVICES)
            .order_by("agency_id", "place")
            .values_list(*columns)
        )
    links: dict[int, list[ServiceLink]] = {}
    for agency_id, slug, name_th, name_en in rows:
        links.setdefault(agency_id, []).append(ServiceLink(slug, name_th, name_en))
    for agency_links in links.values():
        agency_links.sort(key=lambda link: (link.name_th, link.slug))  # a union keeps no order
    return links


def category_counts(using: str = "default") -> dict[int, int]:
    """:func:`count_by_category`, cached: at 90,000 services the grouped counts take
    0.2–0.7 s on PostgreSQL, too much for every visit to a browse page."""
    key = COUNTS_KEY.format(using=using)
    counts: dict[int, int] | None = cache.get(key)
    if counts is None:
        counts = count_by_category(using)
        cache.set(key, counts, CACHE_SECONDS)
    return counts


def count_by_category(using: str = "default") -> dict[int, int]:
    """Published services per category id, in two grouped queries. A TSIC section counts
    the distinct services of itself and its divisions (one filed under two divisions of
    a section counts once)."""
    links = ServiceCategory.objects.using(using).filter(service__is_published=True)
    counts = {
        row["category_id"]: row["n"]
        for row in links.values("category_id").annotate(n=Count("service_id")).order_by()
    }
    sections = (
        links.filter(category__kind=Category.Kind.INDUSTRY)
        .annotate(section=Coalesce("category__parent_id", "category_id"))
        .values("section")
        .annotate(n=Count("service_id", distinct=True))
        .order_by()
    )
    counts.update({row["section"]: row["n"] for row in sections})
    return counts


def all_industries_count(using: str = "default") -> int:
    return published(using).filter(all_industries=True).count()


@dataclass(frozen=True)
class Option:
    value: str
    name_th: str
    name_en: str


@dataclass(frozen=True)
class FacetOptions:
    """What the search page's filters offer, as plain values (cheap to cache and render)."""

    agencies: tuple[Option, ...]
    lifecycle: tuple[Option, ...]
    target_groups: tuple[Option, ...]
    #: Each TSIC section with its divisions.
    industries: tuple[tuple[Option, tuple[Option, ...]], ...]


def facet_options(using: str = "default") -> FacetOptions:
    """Every agency and category the filters offer, in two queries, cached."""
    key = OPTIONS_KEY.format(using=using)
    options: FacetOptions | None = cache.get(key)
    if options is None:
        options = _facet_options(using)
        cache.set(key, options, CACHE_SECONDS)
    return options


def _facet_options(using: str) -> FacetOptions:
    rows = list(
        Category.objects.using(using).values_list(
            "kind", "code", "name_th", "name_en", "id", "parent_id"
        )
    )
    by_kind: dict[str, list[Option]] = {}
    divisions: dict[int, list[Option]] = {}
    sections: list[tuple[int, Option]] = []
    for kind, code, name_th, name_en, pk, parent_id in rows:
        option = Option(code, name_th, name_en)
        if kind != Category.Kind.INDUSTRY:
            by_kind.setdefault(kind, []).append(option)
        elif parent_id is None:
            sections.append((pk, option))
        else:
            divisions.setdefault(parent_id, []).append(option)
    agencies = Agency.objects.using(using).values_list("code", "name_th", "name_en")
    return FacetOptions(
        agencies=tuple(Option(*row) for row in agencies),
        lifecycle=tuple(by_kind.get(Category.Kind.LIFECYCLE, [])),
        target_groups=tuple(by_kind.get(Category.Kind.TARGET_GROUP, [])),
        industries=tuple((section, tuple(divisions.get(pk, []))) for pk, section in sections),
    )

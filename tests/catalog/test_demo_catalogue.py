"""The demo catalogue: real Thai licences of many agencies, every citizen-manual field
filled, loaded twice without change."""

from __future__ import annotations

import re

import pytest

from bizportal.catalog import demo
from bizportal.catalog.manual import check_service
from bizportal.catalog.models import Agency, Category, Service, ServiceCategory

pytestmark = pytest.mark.django_db

#: Every service's manual must say these, in Thai and English.
BILINGUAL = (
    "name",
    "summary",
    "who_may_apply",
    "criteria",
    "fee_display",
    "fee_note",
    "channel_note",
    "official_form",
    "contact_office",
    "contact_address",
    "opening_hours",
    "complaint",
    "licence_title",
    "licence_permits",
)
BUDDHIST_ERA = re.compile(r"(พ\.ศ\.|พระพุทธศักราช) \d{4}")


def snapshot() -> tuple[int, int, int, list[tuple[str, str, str]]]:
    return (
        Service.objects.count(),
        Agency.objects.count(),
        ServiceCategory.objects.count(),
        sorted(Service.objects.values_list("slug", "search_text", "channel")),
    )


def test_the_demo_catalogue_loads_twice_without_change() -> None:
    demo.seed()
    first = snapshot()
    demo.seed()
    assert snapshot() == first
    services, agencies, links, _ = first
    assert services >= 40
    assert agencies >= 15
    assert Agency.objects.filter(services__isnull=False).distinct().count() >= 15
    assert links >= services * 3


def test_every_demo_service_is_fully_described() -> None:
    demo.seed()
    rows = Service.objects.select_related("agency").prefetch_related("documents", "categories")
    for service in rows:
        where = service.slug
        for name in BILINGUAL:
            for lang in ("th", "en"):
                assert getattr(service, f"{name}_{lang}").strip(), f"{where}: {name}_{lang}"
        assert service.contact_phone and service.contact_email, where
        assert service.manual_code and service.processing_days > 0, where
        assert service.steps, where
        assert sum(step["days"] for step in service.steps) == service.processing_days, where
        assert service.fee_items, where
        assert service.legal_basis, where
        # Real Acts, named with their Buddhist-era year.
        assert any(BUDDHIST_ERA.search(law["th"]) for law in service.legal_basis), where
        assert any("B.E." in law["en"] for law in service.legal_basis), where
        assert service.documents.exists(), where
        kinds = {category.kind for category in service.categories.all()}
        assert {"target_group", "lifecycle"} <= kinds, where
        # An industry of its own, or explicitly one for every kind of business.
        assert ("industry" in kinds) != service.all_industries, where
        check_service(service)  # the same checks every writer runs
        if service.applies_on_portal:
            assert service.fee_table and service.form_schema, where
        elif service.channel == "agency_online":
            assert service.apply_url.startswith("https://"), where
        else:
            assert service.channel == "counter", where


def test_both_ways_of_applying_are_in_the_demo() -> None:
    demo.seed()
    channels = set(Service.objects.values_list("channel", flat=True))
    assert {"online", "agency_online", "counter"} <= channels
    # The five services onboarded on Biz Portal keep their forms, fees and processes.
    onboarded = Service.objects.filter(slug__in=[s["slug"] for s in demo.SERVICES])
    assert onboarded.count() == 5
    for service in onboarded:
        entry = next(s for s in demo.SERVICES if s["slug"] == service.slug)
        assert service.applies_on_portal
        assert (service.fee_table, service.process_id) == (entry["fee_table"], entry["process_id"])
        assert service.form_schema == entry["form_schema"]
        assert service.application_types.count() == 4
    # Two catalogue services are taken online too, decided in the FDA's own system.
    for slug, extra in demo.DECIDED_IN_AGENCY_SYSTEMS.items():
        service = Service.objects.get(slug=slug)
        assert service.applies_on_portal and service.process_id == "agency_system_licence"
        assert service.form_schema == extra["form_schema"]
        assert service.application_types.count() == 4


def test_every_grouping_has_services_and_every_stage_is_covered() -> None:
    demo.seed()
    for code in ("start", "operate", "change", "close"):
        assert Category.objects.get(kind="lifecycle", code=code).services.exists(), code
    for category in Category.objects.filter(kind="target_group"):
        assert category.services.exists(), category.code
    industries = Category.objects.filter(kind="industry", services__isnull=False).distinct()
    assert industries.count() >= 20


def test_the_fixture_names_only_known_agencies_and_categories() -> None:
    data = demo.catalogue()
    codes = {agency["code"] for agency in data["agencies"]}
    known = set(Category.objects.values_list("kind", "code"))
    for entry in data["services"]:
        assert entry["agency"] in codes, entry["slug"]
        for kind, values in entry["categories"].items():
            for code in values:
                assert (kind, code) in known, (entry["slug"], kind, code)
    assert set(data["onboarded"]) == {s["slug"] for s in demo.SERVICES}

"""The groupings services belong to, and the database rules that keep them sound."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from bizportal.catalog import reference, services
from bizportal.catalog.manual import ManualError
from bizportal.catalog.models import Category, Service, ServiceCategory
from bizportal.core.models import AuditEvent
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def refused(**fields: object) -> bool:
    try:
        with transaction.atomic():
            Category.objects.create(name_th="ทดสอบ", name_en="Test", **fields)
    except IntegrityError:
        return True
    return False


def test_every_database_holds_the_shipped_groupings() -> None:
    """Synced after migrate: 5 target groups, the 4 lifecycle stages, TSIC 2009 to its
    21 sections and 88 divisions."""
    count = Category.objects.filter
    assert count(kind="target_group").count() == len(reference.TARGET_GROUPS) == 5
    assert list(count(kind="lifecycle").values_list("code", flat=True)) == [
        "start",
        "operate",
        "change",
        "close",
    ]
    assert count(kind="industry", parent__isnull=True).count() == 21
    assert count(kind="industry", parent__isnull=False).count() == 88


@pytest.mark.parametrize(
    ("division", "section"),
    [("01", "A"), ("10", "C"), ("33", "C"), ("47", "G"), ("56", "I"), ("79", "N"), ("99", "U")],
)
def test_tsic_divisions_sit_in_their_real_sections(division: str, section: str) -> None:
    row = Category.objects.select_related("parent").get(kind="industry", code=division)
    assert row.parent is not None and row.parent.code == section


def test_the_sync_is_idempotent_and_puts_back_what_was_changed() -> None:
    assert services.sync_reference_categories() == (0, 0)
    Category.objects.filter(kind="lifecycle", code="close").update(name_en="Shutting down")
    Category.objects.filter(kind="industry", code="56").delete()
    mine = Category.objects.create(
        kind="target_group", code="start-up", name_th="สตาร์ทอัพ", name_en="Start-ups"
    )
    events = AuditEvent.objects.filter(action="catalog.categories_synced").count()
    assert services.sync_reference_categories() == (1, 1)
    assert Category.objects.get(kind="lifecycle", code="close").name_en == "Closing a business"
    assert Category.objects.get(kind="industry", code="56").parent.code == "I"
    # What an admin added stays; the change is audited once.
    assert Category.objects.filter(pk=mine.pk).exists()
    assert AuditEvent.objects.filter(action="catalog.categories_synced").count() == events + 1
    assert services.sync_reference_categories() == (0, 0)


def test_the_database_refuses_categories_outside_the_rules() -> None:
    section = Category.objects.get(kind="industry", code="C")
    assert refused(kind="lifecycle", code="grow")  # the four stages are fixed
    assert refused(kind="industry", code="10", parent=None)  # a division needs its section
    assert refused(kind="industry", code="Z")  # no such section
    assert refused(kind="industry", code="D", parent=section)  # a section has no parent
    assert refused(kind="industry", code="1a", parent=section)
    assert refused(kind="target_group", code="Big Firms")  # a slug
    assert refused(kind="sector", code="x")  # unknown grouping
    assert refused(kind="target_group", code="sme")  # one code per grouping
    assert not refused(kind="target_group", code="social-enterprise")


def _service_refused(**fields: object) -> bool:
    service = ServiceFactory()
    try:
        with transaction.atomic():
            Service.objects.filter(pk=service.pk).update(**fields)
    except IntegrityError:
        return True
    return False


def test_the_database_refuses_services_that_cannot_be_applied_for_where_they_say() -> None:
    # Biz Portal cannot take an application it cannot price.
    assert _service_refused(channel="online", fee_table="")
    # The agency's own e-service must be named.
    assert _service_refused(channel="agency_online", apply_url="")
    assert _service_refused(channel="post")
    assert _service_refused(service_kind="permission")
    assert not _service_refused(channel="counter", fee_table="")
    assert not _service_refused(channel="agency_online", apply_url="https://www.rd.go.th")


def test_a_service_is_in_a_category_once() -> None:
    service = ServiceFactory()
    category = Category.objects.get(kind="lifecycle", code="start")
    ServiceCategory.objects.create(service=service, category=category)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceCategory.objects.create(service=service, category=category)


def test_upsert_sets_and_replaces_the_categories_of_a_service() -> None:
    service = ServiceFactory()
    keys = [("lifecycle", "start"), ("target_group", "sme"), ("industry", "56")]
    services.upsert_service(service.slug, agency=service.agency, categories=keys)
    assert sorted(service.categories.values_list("code", flat=True)) == ["56", "sme", "start"]
    services.upsert_service(
        service.slug, agency=service.agency, categories=[("lifecycle", "close")]
    )
    assert list(service.categories.values_list("code", flat=True)) == ["close"]
    # Leaving categories out leaves them alone.
    services.upsert_service(service.slug, agency=service.agency, name_en="Renamed")
    assert list(service.categories.values_list("code", flat=True)) == ["close"]


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        (
            {"categories": [("lifecycle", "grow")]},
            "categories",
            "unknown categories lifecycle:grow",
        ),
        (
            {"steps": [{"th": "ยื่น", "en": "Apply", "days": 3}]},
            "steps",
            "add up to 3 working days but the processing time is 15",
        ),
        ({"steps": [{"th": "ยื่น", "en": "", "days": 15}]}, "steps", "needs Thai and English"),
        ({"steps": [{"th": "ยื่น", "en": "Apply", "days": "15"}]}, "steps", "working days"),
        ({"legal_basis": [{"th": "พ.ร.บ."}]}, "legal_basis", "needs Thai and English"),
        (
            {"legal_basis": [{"th": "ก", "en": "A", "url": "javascript:alert(1)"}]},
            "legal_basis",
            "must start with https://",
        ),
        ({"legal_basis": "Food Act"}, "legal_basis", "must be a list"),
        ({"fee_items": [{"th": "ค่า", "en": "Fee", "amount": 1.5}]}, "fee_items", "amount"),
        ({"fee_items": [{"th": "ค่า", "en": "Fee", "amount": "-5"}]}, "fee_items", "amount"),
        ({"fee_items": [{"th": "ค่า", "en": "Fee", "amount": "1.005"}]}, "fee_items", "amount"),
        ({"fee_items": [{"th": "ค่า", "en": "Fee", "cost": "5"}]}, "fee_items", "unknown keys"),
        ({"channel": "online", "fee_table": ""}, "fee_table", "needs a fee table"),
        ({"channel": "agency_online", "apply_url": ""}, "apply_url", "needs its address"),
        (
            {"all_industries": True, "categories": [("industry", "56")]},
            "categories",
            "carries no industry",
        ),
    ],
)
def test_bad_citizen_manual_data_is_refused_and_nothing_is_written(
    fields: dict, field: str, words: str
) -> None:
    service = ServiceFactory(name_en="Before")
    with translation.override("en"), pytest.raises(ManualError) as refusal:
        services.upsert_service(service.slug, agency=service.agency, name_en="After", **fields)
    assert refusal.value.field == field
    assert words in str(refusal.value)
    service.refresh_from_db()
    assert service.name_en == "Before"
    assert not service.categories.exists()


def test_valid_citizen_manual_data_is_kept() -> None:
    service = ServiceFactory()
    services.upsert_service(
        service.slug,
        agency=service.agency,
        legal_basis=[{"th": "พระราชบัญญัติอาหาร พ.ศ. 2522", "en": "Food Act B.E. 2522 (1979)"}],
        fee_items=[
            {"th": "ค่าคำขอ", "en": "Application", "amount": "500.00"},
            {"th": "ตามขนาด", "en": "By size", "amount": None},
        ],
        channel="counter",
        fee_table="",
    )
    service.refresh_from_db()
    assert service.legal_basis[0]["en"].startswith("Food Act")
    assert not service.applies_on_portal

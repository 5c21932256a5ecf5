"""Catalogue search is served by a trigram index on both engines, and the index follows
every change to a service's search text."""

from __future__ import annotations

import pytest
from django.db import connection

from bizportal.catalog import demo, services
from bizportal.catalog.models import Agency, Service
from bizportal.catalog.search import search, segment
from bizportal.catalog.search_index import FTS_TABLE, TRGM_INDEX, ensure_sqlite_index

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_trgm index: PostgreSQL only"
)
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5: SQLite only")


@pytest.fixture
def catalogue(db) -> None:
    demo.seed()


def slugs(query: str) -> list[str]:
    return sorted(s.slug for s in search(query))


def _rename(slug: str, name_th: str) -> Service:
    service = Service.objects.get(slug=slug)
    return services.upsert_service(slug, name_th=name_th, agency=service.agency)


def test_a_renamed_service_is_found_by_its_new_name_and_not_its_old_one(catalogue) -> None:
    assert slugs("ยานอวกาศ") == []
    _rename("factory-licence", "ใบอนุญาตสร้างยานอวกาศ")
    assert slugs("ยานอวกาศ") == ["factory-licence"]
    _rename("factory-licence", "ใบอนุญาตต่อเรือดำน้ำ")
    assert slugs("เรือดำน้ำ") == ["factory-licence"]
    assert slugs("ยานอวกาศ") == []


def test_a_deleted_service_leaves_the_index(catalogue) -> None:
    Service.objects.filter(slug="tour-business-licence").delete()
    assert slugs("tour") == ["tour-guide-licence"]


def test_words_shorter_than_a_trigram_still_match(catalogue) -> None:
    agency = Agency.objects.get(code="bma")
    services.upsert_service(
        "food-shop-licence", agency=agency, name_en="Food shop licence (TV zone B2)"
    )
    assert slugs("tv") == ["food-shop-licence"]
    # (newmm splits "b2" into "b" and "2", which the richer catalogue's law years match.)
    assert slugs("tv food") == ["food-shop-licence"]
    assert slugs("tv tour") == []


def test_like_wildcards_in_a_word_are_taken_literally(catalogue) -> None:
    agency = Agency.objects.get(code="bma")
    services.upsert_service("food-shop-licence", agency=agency, manual_code="BMA_FOOD_01")
    assert "_food_01" in segment("BMA_FOOD_01")
    assert slugs("BMA_FOOD_01") == ["food-shop-licence"]
    # "_" would match any character in LIKE; here it must not (typo correction aside).
    literal = lambda q: [s.slug for s in search(q, correct=False)]  # noqa: E731
    assert literal("xfood") == []
    assert literal("_food_01") == ["food-shop-licence"]
    assert literal("_food_0_") == []


def test_a_query_of_many_words_needs_all_of_them(catalogue) -> None:
    assert slugs("ใบอนุญาต จำหน่าย อาหาร") == ["food-premises-notification", "food-shop-licence"]
    assert slugs("จำหน่าย โรงงาน") == []


def _bulk_services(count: int) -> None:
    """``count`` extra published services, so the planner has a reason to use the index."""
    template = Service.objects.get(slug="food-shop-licence")
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Service._meta.concrete_fields
        if f.attname not in {"id", "public_id", "slug", "name_th", "name_en", "search_text"}
    }
    Service.objects.bulk_create(
        Service(
            **fields,
            slug=f"bulk-{n}",
            name_th=f"บริการที่ {n}",
            name_en=f"Service number {n}",
            search_text=f"บริการ ที่ {n} service number {n} ใบอนุญาต",
        )
        for n in range(count)
    )


@postgresql_only
def test_postgresql_answers_the_search_from_the_trigram_index(catalogue) -> None:
    _bulk_services(3000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_service")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = search("จำหน่ายอาหาร").query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on " + TRGM_INDEX in plan, plan
    assert "UPPER" not in sql
    assert slugs("จำหน่ายอาหาร") == ["food-premises-notification", "food-shop-licence"]
    assert len(slugs("service number 1234")) == 1


@postgresql_only
def test_the_trigram_index_is_the_one_the_migration_made(db) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [TRGM_INDEX])
        (definition,) = cursor.fetchone()
    assert "gin (search_text gin_trgm_ops)" in definition


@sqlite_only
def test_sqlite_answers_the_search_from_the_fts5_trigram_table(catalogue) -> None:
    _bulk_services(3000)
    sql, params = search("จำหน่ายอาหาร").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    assert f"SCAN {FTS_TABLE} VIRTUAL TABLE INDEX" in plan, plan
    assert slugs("จำหน่ายอาหาร") == ["food-premises-notification", "food-shop-licence"]
    assert len(slugs("service number 1234")) == 1


@sqlite_only
def test_sqlite_restores_triggers_that_a_table_rebuild_dropped(catalogue) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {FTS_TABLE}_au")
    assert ensure_sqlite_index(connection) is True
    assert ensure_sqlite_index(connection) is False
    _rename("factory-licence", "ใบอนุญาตสร้างยานอวกาศ")
    assert slugs("ยานอวกาศ") == ["factory-licence"]


def test_the_search_page_shows_the_first_matches_and_asks_for_more_words(
    client, catalogue, monkeypatch
) -> None:
    from bizportal.portal import views

    monkeypatch.setattr(views, "SERVICE_PAGE_LIMIT", 2)
    page = client.get("/services/", {"q": "ใบอนุญาต"}).content.decode()
    assert page.count('<article class="card">') == 2
    assert "แสดง 2 บริการแรกสำหรับ “ใบอนุญาต” เพิ่มคำค้นเพื่อให้ผลแคบลง" in page
    everything = client.get("/services/").content.decode()
    assert "แสดง 2 บริการแรก ค้นหาด้วยคำค้นเพื่อดูบริการอื่น" in everything
    narrow = client.get("/services/", {"q": "ยาสูบ"}).content.decode()
    assert "พบ 1 บริการสำหรับ “ยาสูบ”" in narrow

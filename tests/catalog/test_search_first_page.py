"""The search page's first services, read fast at national scale (``search.first``):
the same services in the same order as scoring every match, the services whose names
hold every word found by walking the tie order, and the words' counts cached."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bizportal.catalog import demo, services
from bizportal.catalog import search as search_module
from bizportal.catalog.demo_synonyms import seed_synonyms
from bizportal.catalog.models import Service
from bizportal.catalog.search import find, first, ranked
from tests.factories import AgencyFactory, ServiceFactory

pytestmark = pytest.mark.django_db
CASES = json.loads((Path(__file__).parent / "relevance.json").read_text())
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL storage and indexes"
)


def _shops(count: int) -> None:
    """``count`` services named after one trade, indexed as the catalogue indexes."""
    agency = AgencyFactory()
    for n in range(count):
        service = ServiceFactory(
            agency=agency,
            slug=f"shop-{n}",
            name_th=f"ใบอนุญาตร้านกาแฟ สาขา {n}",
            name_en=f"Coffee shop licence, branch {n}",
            summary_th="สำหรับร้านที่ขายเครื่องดื่ม",
            summary_en="For shops that sell drinks",
            licence_title_th="ใบอนุญาตร้านกาแฟ",
            licence_title_en="Coffee shop licence",
            is_published=True,
        )
        services.refresh_search_text(service)


@pytest.mark.parametrize("count", [1, 3, 10, 51])
def test_the_first_page_is_what_scoring_every_match_gives(count: int) -> None:
    demo.seed()
    seed_synonyms()
    for case in CASES:
        result = ranked(case["query"])
        expected = list(result.services.values_list("slug", flat=True)[:count])
        assert [s.slug for s in first(result, count)] == expected, case["query"]


@pytest.fixture
def probing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Probe however few the expected matches (a test catalogue is small)."""
    monkeypatch.setattr(search_module, "PROBE_WORTH", 0)


def test_a_page_of_services_named_by_the_query_is_read_without_scoring_the_rest(
    probing,
) -> None:
    _shops(60)
    result = ranked("ร้านกาแฟ")
    with CaptureQueriesContext(connection) as queries:
        page = first(result, 10, ["slug", "name_th"])
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "CASE WHEN" not in sql  # nothing scored
    assert [s.slug for s in page] == list(result.services.values_list("slug", flat=True)[:10])


def test_when_too_few_names_hold_the_words_every_match_is_scored(probing) -> None:
    _shops(5)
    result = ranked("ร้านกาแฟ")
    with CaptureQueriesContext(connection) as queries:
        page = first(result, 10)
    assert "CASE WHEN" in " ".join(q["sql"] for q in queries.captured_queries)
    assert [s.slug for s in page] == list(result.services.values_list("slug", flat=True)[:10])


def test_a_word_the_catalogue_never_uses_ranks_by_its_synonyms_in_names(probing) -> None:
    seed_synonyms()  # "ร้านเหล้า" is a synonym of "สุรา"; no service says "ร้านเหล้า"
    agency = AgencyFactory()
    for n in range(12):
        service = ServiceFactory(
            agency=agency,
            slug=f"liquor-{n}",
            name_th=f"ใบอนุญาตขายสุรา ประเภทที่ {n}",
            name_en=f"Liquor sale licence, class {n}",
            licence_title_th="ใบอนุญาตขายสุรา",
            licence_title_en="Liquor licence",
            is_published=True,
        )
        services.refresh_search_text(service)
    result = ranked("ร้านเหล้า")
    with CaptureQueriesContext(connection) as queries:
        page = first(result, 5)
    assert "CASE WHEN" not in " ".join(q["sql"] for q in queries.captured_queries)
    assert [s.slug for s in page] == list(result.services.values_list("slug", flat=True)[:5])


def test_few_expected_matches_are_scored_without_a_probe() -> None:
    _shops(60)  # 60 expected: fewer than are worth a probe
    result = ranked("ร้านกาแฟ")
    with CaptureQueriesContext(connection) as queries:
        page = first(result, 10)
    assert "CASE WHEN" in queries.captured_queries[0]["sql"]
    assert [s.slug for s in page] == list(result.services.values_list("slug", flat=True)[:10])


def test_a_partial_match_is_scored_in_full() -> None:
    _shops(20)
    result = ranked("ร้านกาแฟ ยานอวกาศ")
    assert result.partial
    assert [s.slug for s in first(result, 5)] == list(
        result.services.values_list("slug", flat=True)[:5]
    )


def test_word_counts_are_read_once_then_from_the_cache() -> None:
    _shops(3)
    ranked("ร้านกาแฟ")
    with CaptureQueriesContext(connection) as queries:
        ranked("ร้านกาแฟ").services.exists()
    assert not [q for q in queries.captured_queries if "catalog_searchterm" in q["sql"]]


def test_a_number_is_never_corrected_to_another_number() -> None:
    _shops(3)
    assert search_module._nearest_word("12345", "default") is None
    assert search_module._nearest_word("coffe", "default") == "coffee"


def test_a_short_word_is_not_guessed_at() -> None:
    _shops(3)
    assert find("ice").corrected == ""  # "ce" or "rice" would be a guess
    assert find("cofee").corrected == "coffee"


@postgresql_only
def test_postgresql_keeps_the_search_columns_in_the_row() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = "
            "'catalog_service'::regclass AND attname IN ('search_text', 'search_name')"
        )
        assert dict(cursor.fetchall()) == {"search_text": "m", "search_name": "m"}
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'catalog_searchterm_trgm'"
        )
        assert "gin (term gin_trgm_ops)" in cursor.fetchone()[0]


@postgresql_only
def test_postgresql_walks_the_tie_order_index_for_the_first_page() -> None:
    _shops(300)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_service")
    base = Service.objects.filter(is_published=True)
    names = base.order_by(*search_module.TIE_ORDER).values_list("id", "search_name")
    sql, params = names[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "catalog_service_tie_idx" in plan, plan


def test_synonyms_no_service_uses_are_left_out_of_the_query() -> None:
    seed_synonyms()  # สุรา's ring includes ไวน์ and wine, which no service here says
    agency = AgencyFactory()
    liquor = ServiceFactory(agency=agency, slug="liquor", name_th="ใบอนุญาตขายสุรา")
    services.refresh_search_text(liquor)
    with CaptureQueriesContext(connection) as queries:
        found = [s.slug for s in find("ร้านเหล้า").services]
    sql = " ".join(q["sql"] for q in queries.captured_queries if "catalog_service" in q["sql"])
    assert found == ["liquor"]
    assert "สุรา" in sql and "ร้านเหล้า" in sql  # the word typed always stays
    assert "ไวน์" not in sql and "wine" not in sql

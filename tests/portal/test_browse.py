"""Browsing the catalogue by lifecycle stage, target group and industry, the search page's
facets, and services that are applied for at the agency rather than here."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bizportal.applications.models import Application
from bizportal.catalog import demo, services
from bizportal.catalog.models import Service
from bizportal.portal import views
from tests.factories import AgencyFactory, ApplicantFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db) -> None:
    demo.seed()


def cards(page: str) -> list[str]:
    """Slugs of the service cards on a page, in order."""
    return re.findall(r'<h2><a href="/services/([^/]+)/">', page)


def counted(page: str, name: str) -> int:
    match = re.search(re.escape(name) + r"</a> \((\d+)\)", page)
    assert match, name
    return int(match.group(1))


def test_the_browse_index_counts_each_grouping(client, catalogue) -> None:
    page = client.get("/browse/").content.decode()
    close = Service.objects.filter(categories__kind="lifecycle", categories__code="close")
    assert counted(page, "เลิกธุรกิจ") == close.count() >= 3
    sme = Service.objects.filter(categories__kind="target_group", categories__code="sme")
    assert counted(page, "วิสาหกิจขนาดกลางและขนาดย่อม (SME) และนิติบุคคล") == sme.count()
    # A section counts its divisions' services, each once.
    section_i = Service.objects.filter(categories__code__in=["I", "55", "56"]).distinct().count()
    assert counted(page, "I ที่พักแรมและบริการด้านอาหาร") == section_i
    everyone = Service.objects.filter(all_industries=True).count()
    assert counted(page, "บริการที่ธุรกิจทุกประเภทอาจต้องใช้") == everyone
    for href in ("/browse/lifecycle/start/", "/browse/target_group/sme/", "/browse/industry/C/"):
        assert href in page


def test_a_category_page_lists_its_published_services(client, catalogue) -> None:
    Service.objects.filter(slug="company-dissolution-registration").update(is_published=False)
    page = client.get("/browse/lifecycle/close/").content.decode()
    assert "<h1>เลิกธุรกิจ</h1>" in page
    assert sorted(cards(page)) == [
        "factory-closure-notification",
        "vat-deregistration",
    ]


def test_an_industry_section_includes_its_divisions(client, catalogue) -> None:
    page = client.get("/browse/industry/I/").content.decode()
    assert {"hotel-licence", "food-shop-licence", "liquor-sale-licence"} <= set(cards(page))
    assert 'href="/browse/industry/56/"' in page and 'href="/browse/industry/55/"' in page
    division = client.get("/browse/industry/55/").content.decode()
    assert cards(division) == ["hotel-licence"]
    # The breadcrumb leads back to the section.
    assert 'href="/browse/industry/I/"' in division


def test_unknown_groupings_and_categories_are_not_found(client, catalogue) -> None:
    assert client.get("/browse/sector/x/").status_code == 404
    assert client.get("/browse/lifecycle/grow/").status_code == 404
    assert client.get("/browse/industry/ZZ/").status_code == 404
    assert client.get("/browse/industry/%00/").status_code == 404
    assert client.get("/browse/industry/" + "9" * 300 + "/").status_code == 404


def test_category_pages_page_with_a_keyset_cursor(client, catalogue, monkeypatch) -> None:
    monkeypatch.setattr(views, "BROWSE_PAGE_SIZE", 4)
    seen: list[str] = []
    url = "/browse/target_group/sme/"
    for _ in range(20):
        page = client.get(url).content.decode()
        seen += cards(page)
        after = re.search(r'rel="next" href="\?after=([^"]+)"', page)
        if not after:
            break
        url = f"/browse/target_group/sme/?after={after.group(1)}"
    sme = Service.objects.filter(categories__code="sme", categories__kind="target_group")
    assert len(seen) == len(set(seen)) == sme.count()
    assert seen == [s.slug for s in sme.order_by("name_th", "slug")]


@pytest.mark.parametrize("cursor", ["zzz", "!!", "W10", "WyJhIl0", "WzEsMl0", "x" * 800])
def test_a_cursor_we_did_not_make_is_a_400_with_the_first_page(client, catalogue, cursor) -> None:
    response = client.get("/browse/lifecycle/start/", {"after": cursor})
    assert response.status_code == 400
    page = response.content.decode()
    assert "ตัวชี้หน้าไม่ถูกต้อง" in page
    assert cards(page)


def test_category_pages_cost_the_same_for_few_services_as_for_many(
    client, catalogue, django_assert_max_num_queries
) -> None:
    agency = AgencyFactory()
    few = ServiceFactory(agency=agency, slug="few-0")
    services.upsert_service(few.slug, agency=agency, categories=[("industry", "85")])
    # Counts and filter options are cached; measure the worst case, with both to compute.
    cache.clear()
    with CaptureQueriesContext(connection) as one:
        assert client.get("/browse/industry/P/").status_code == 200
    for n in range(1, 30):
        made = ServiceFactory(agency=AgencyFactory(), slug=f"many-{n}")
        services.upsert_service(made.slug, agency=made.agency, categories=[("industry", "85")])
    cache.clear()
    with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as many:
        page = client.get("/browse/industry/P/").content.decode()
    assert len(cards(page)) == 30
    assert len(one) == len(many)
    for url in ("/browse/", "/browse/lifecycle/start/"):
        with django_assert_max_num_queries(8):
            assert client.get(url).status_code == 200


# --- facets on the search page ---------------------------------------------------------


def test_facets_narrow_the_search_and_combine_with_words(client, catalogue) -> None:
    both = client.get("/services/", {"lifecycle": "close", "target_group": "individual"})
    assert cards(both.content.decode()) == ["vat-deregistration"]
    worded = client.get("/services/", {"q": "ภาษีมูลค่าเพิ่ม", "lifecycle": "start"}).content.decode()
    assert cards(worded) == ["vat-registration"]
    by_agency = client.get("/services/", {"agency": "diw", "lifecycle": "change"}).content.decode()
    assert cards(by_agency) == ["factory-expansion-licence"]
    # The chosen values stay selected in the form.
    assert '<option value="change" selected>' in by_agency
    assert '<option value="diw" selected>' in by_agency


def test_the_industry_facet_takes_a_section_a_division_or_all(client, catalogue) -> None:
    section = set(cards(client.get("/services/", {"industry": "I"}).content.decode()))
    division = set(cards(client.get("/services/", {"industry": "55"}).content.decode()))
    assert division == {"hotel-licence"} and division < section
    everyone = cards(client.get("/services/", {"industry": "all"}).content.decode())
    assert set(everyone) == set(
        Service.objects.filter(all_industries=True).values_list("slug", flat=True)
    )
    assert "vat-registration" in everyone


def test_unknown_facet_values_are_ignored_and_named(client, catalogue) -> None:
    response = client.get(
        "/services/",
        {"lifecycle": "grow", "agency": "nasa", "industry": "\x00", "q": "ภาษีมูลค่าเพิ่ม"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "ไม่รู้จักตัวกรองต่อไปนี้ จึงไม่ได้ใช้กรอง" in page
    assert "agency=nasa" in page and "lifecycle=grow" in page
    assert set(cards(page)) == {"vat-registration", "vat-deregistration"}


def test_the_search_page_with_facets_costs_a_bounded_number_of_queries(
    client, catalogue, django_assert_max_num_queries
) -> None:
    query = {"q": "ใบอนุญาต", "agency": "bma", "lifecycle": "start", "industry": "I"}
    client.get("/services/", query)  # synonym rings and the catalogue's size cached
    # Facets (2), their choices, the match and its check, word weights: a constant.
    with django_assert_max_num_queries(8):
        assert client.get("/services/", query).status_code == 200


# --- where to apply --------------------------------------------------------------------


def test_a_service_page_shows_its_manual_and_categories(client, catalogue) -> None:
    page = client.get("/services/hotel-licence/").content.decode()
    assert "พระราชบัญญัติโรงแรม พ.ศ. 2547" in page
    assert "หลักเกณฑ์ วิธีการ และเงื่อนไข" in page
    assert 'href="/browse/industry/55/"' in page
    assert 'href="/browse/lifecycle/start/"' in page
    assert "ช่องทางการร้องเรียน" in page and "1111" in page
    assert "สำเนา 1 ฉบับ" in page  # what to bring to the office


def test_a_service_of_the_agencys_e_service_links_there_and_offers_no_apply_button(
    client, catalogue
) -> None:
    client.force_login(ApplicantFactory())
    page = client.get("/services/vat-registration/").content.decode()
    assert 'href="https://www.rd.go.th"' in page
    assert "ไปยังระบบของหน่วยงาน" in page
    assert "/services/vat-registration/apply/" not in page
    assert "ยื่นคำขอออนไลน์" not in page


def test_a_counter_service_says_where_to_go_and_offers_no_apply_button(client, catalogue) -> None:
    client.force_login(ApplicantFactory())
    page = client.get("/services/hotel-licence/").content.decode()
    assert 'data-channel="counter"' in page
    assert "ยื่นคำขอด้วยตนเองที่สำนักงานของหน่วยงาน" in page
    assert "วันจันทร์ถึงวันศุกร์" in page
    assert "/services/hotel-licence/apply/" not in page


def test_an_onboarded_service_still_offers_to_apply_here(client, catalogue) -> None:
    client.force_login(ApplicantFactory())
    page = client.get("/services/food-shop-licence/").content.decode()
    assert "/services/food-shop-licence/apply/" in page


def test_applying_here_for_a_service_taken_at_the_agency_is_refused_and_creates_nothing(
    client, catalogue
) -> None:
    applicant = ApplicantFactory()
    client.force_login(applicant)
    response = client.post("/services/hotel-licence/apply/", follow=True)
    assert "ยื่นคำขอทางบิซพอร์ทัลไม่ได้" in response.content.decode()
    api = client.post(
        "/api/v1/applications/", {"service": "vat-registration"}, content_type="application/json"
    )
    assert api.status_code == 409, api.content
    assert api["Content-Type"] == "application/problem+json"
    assert "ยื่นคำขอทางบิซพอร์ทัลไม่ได้" in api.json()["detail"]
    assert not Application.objects.filter(applicant=applicant).exists()


def test_the_home_page_links_the_groupings(
    client, catalogue, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(9):
        page = client.get("/").content.decode()
    assert 'href="/browse/"' in page
    assert 'href="/browse/lifecycle/start/"' in page
    assert 'href="/browse/target_group/foreign-investor/"' in page


def test_cached_counts_and_filter_options_follow_a_change_once_committed(
    client, catalogue, django_capture_on_commit_callbacks
) -> None:
    before = counted(client.get("/browse/").content.decode(), "เลิกธุรกิจ")
    assert 'value="nasa"' not in client.get("/services/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.upsert_agency("nasa", name_th="องค์การอวกาศ", name_en="Space Agency")
        made = ServiceFactory(slug="closing-up")
        services.upsert_service(made.slug, agency=made.agency, categories=[("lifecycle", "close")])
    assert counted(client.get("/browse/").content.decode(), "เลิกธุรกิจ") == before + 1
    assert '<option value="nasa">องค์การอวกาศ</option>' in client.get("/services/").content.decode()


def test_the_home_page_names_each_agencys_first_services_and_counts_the_rest(
    client, catalogue, django_capture_on_commit_callbacks
) -> None:
    agency = AgencyFactory(code="many", name_th="กรมตัวอย่าง", name_en="Example Department")
    for n in range(7):
        ServiceFactory(agency=agency, slug=f"example-{n}", name_th=f"บริการตัวอย่าง {n}")
    ServiceFactory(agency=agency, slug="example-hidden", name_th="บริการ 0", is_published=False)
    page = client.get("/").content.decode()
    section = page[page.index('id="agency-many"') :].split("</section>")[0]
    assert re.findall(r'href="/services/([^/]+)/"', section) == [f"example-{n}" for n in range(5)]
    assert "(7 รายการ)" in section
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert not [q for q in queries.captured_queries if "catalog_service" in q["sql"]], (
        "the showcase is cached"
    )
    with django_capture_on_commit_callbacks(execute=True):
        made = ServiceFactory(agency=agency, slug="example-new", name_th="บริการก่อนใคร")
        services.upsert_service(made.slug, agency=agency)
    section = client.get("/").content.decode().split('id="agency-many"')[1].split("</section>")[0]
    assert 'href="/services/example-new/"' in section
    assert "(8 รายการ)" in section

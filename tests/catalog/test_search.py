"""Finding services by Thai or English words."""

import pytest

from bizportal.catalog import demo
from bizportal.catalog.search import search, segment


@pytest.fixture
def catalogue(db) -> None:
    demo.seed()


def slugs(query: str) -> list[str]:
    return sorted(s.slug for s in search(query))


def test_thai_text_is_segmented_into_words() -> None:
    assert segment("ใบอนุญาตจัดตั้งสถานที่จำหน่ายอาหาร") == ["ใบอนุญาต", "จัดตั้ง", "สถานที่", "จำหน่าย", "อาหาร"]


def test_a_thai_phrase_without_spaces_finds_the_food_shop(catalogue) -> None:
    # The licence (over 200 m²) and the notification (up to 200 m²) both sell food.
    assert slugs("จำหน่ายอาหาร") == ["food-premises-notification", "food-shop-licence"]


def test_a_thai_word_finds_every_service_that_mentions_it(catalogue) -> None:
    assert "liquor-sale-licence" in slugs("สุรา")
    assert slugs("โรงงาน") == [
        "factory-class2-notification",
        "factory-closure-notification",
        "factory-expansion-licence",
        "factory-licence",
        "food-production-licence",
        "health-hazard-business-licence",
    ]


def test_english_words_find_services_case_insensitively(catalogue) -> None:
    assert slugs("Food SHOP") == ["food-premises-notification", "food-shop-licence"]
    assert slugs("tour") == ["tour-business-licence", "tour-guide-licence"]


def test_the_agency_name_is_searchable(catalogue) -> None:
    assert slugs("กรมสรรพสามิต") == [
        "community-liquor-production-licence",
        "liquor-sale-licence",
        "tobacco-sale-licence",
    ]


def test_no_match_is_an_empty_result(catalogue) -> None:
    assert slugs("ยานอวกาศ") == []


def test_service_pages_show_the_citizen_manual(client, catalogue) -> None:
    response = client.get("/services/food-shop-licence/")
    page = response.content.decode()
    assert response.status_code == 200
    for expected in ["กรุงเทพมหานคร", "15 วันทำการ", "500–2,000 บาทต่อปี", "แผนผังภายในร้าน", "ออนไลน์"]:
        assert expected in page


def test_the_search_page_and_api_agree(client, catalogue) -> None:
    page = client.get("/services/", {"q": "ร้านอาหาร"}).content.decode()
    api = client.get("/api/v1/catalog/services/", {"q": "ร้านอาหาร"}).json()
    api_slugs = {s["slug"] for s in api["results"]}
    assert api_slugs
    for slug in api_slugs:
        assert f"/services/{slug}/" in page


def test_the_english_page_shows_english_names(client, catalogue) -> None:
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/services/factory-licence/").content.decode()
    assert "Factory operation licence" in page
    assert "30 working days" in page


def test_the_service_page_lists_the_new_licence_documents_and_points_holders_to_changes(
    client, catalogue
) -> None:
    page = client.get("/services/food-shop-licence/").content.decode()
    assert "แผนผังภายในร้าน" in page
    # The amendment's own evidence belongs to the amendment form, not this manual.
    assert "เอกสารแสดงการเปลี่ยนแปลง" not in page
    assert "มีใบอนุญาตนี้อยู่แล้ว? ขอแก้ไขรายการ ขอต่ออายุ ขอยกเลิกใบอนุญาต" in page
    assert 'href="/account/"' in page


def test_the_service_api_carries_the_form_definition(client, catalogue) -> None:
    body = client.get("/api/v1/catalog/services/food-shop-licence/").json()
    assert body["form_schema"]["properties"]["manager_citizen_id"]["format"] == "th-citizen-id"
    assert body["agency"]["code"] == "bma"
    assert [d["code"] for d in body["documents"]] == [
        "floor_plan",
        "premises_consent",
        "tax_registration",
        "food_handler_cert",
    ]
    kinds = {entry["kind"]: entry for entry in body["application_types"]}
    assert list(kinds) == ["new", "amend", "renew", "cancel"]
    assert [d["code"] for d in kinds["amend"]["documents"]] == ["change_evidence"]
    assert kinds["amend"]["fee_table"] == "fee_amendment"
    assert kinds["cancel"]["process"] == "licence_cancellation"
    assert kinds["cancel"]["documents"] == []
    assert kinds["renew"]["renew_opens_days_before"] == 90


def test_the_home_page_names_a_few_services_per_agency_and_links_the_rest(
    client, catalogue, django_assert_max_num_queries
) -> None:
    """At national scale an agency has thousands of services: the home page shows five and
    a count, in a constant number of queries."""
    from bizportal.catalog.models import Service
    from tests.factories import AgencyFactory, ServiceFactory

    agency = AgencyFactory(code="many", name_th="กรมบริการมากมาย", name_en="Department of Many")
    for n in range(7):
        ServiceFactory(agency=agency, slug=f"many-{n}", name_th=f"บริการที่ {n}")
    ServiceFactory(agency=agency, slug="hidden", name_th="บริการที่ซ่อน", is_published=False)
    with django_assert_max_num_queries(8):
        page = client.get("/").content.decode()
    assert page.count('href="/services/many-') == 5
    assert "บริการทั้งหมดของหน่วยงานนี้ (7 รายการ)" in page
    assert "/services/?agency=many" in page
    assert Service.objects.filter(agency=agency).count() == 8

    listing = client.get("/services/?agency=many").content.decode()
    assert listing.count('href="/services/many-') == 7
    assert "/services/hidden" not in listing
    assert "กรมบริการมากมาย" in listing
    narrowed = client.get("/services/", {"agency": "many", "q": "food"}).content.decode()
    assert '<option value="many" selected>' in narrowed

"""The catalogue API: category filters, the categories list, and the citizen manual in the
service detail."""

from __future__ import annotations

import pytest

from bizportal.catalog import demo
from bizportal.catalog.models import Service

pytestmark = pytest.mark.django_db
SERVICES = "/api/v1/catalog/services/"


@pytest.fixture
def catalogue(db) -> None:
    demo.seed()


def slugs(client, **params: str) -> list[str]:
    response = client.get(SERVICES, params)
    assert response.status_code == 200, response.content
    return [s["slug"] for s in response.json()["results"]]


def test_the_service_list_filters_by_category_and_agency(client, catalogue) -> None:
    assert slugs(client, lifecycle="close", target_group="individual") == ["vat-deregistration"]
    assert slugs(client, industry="55") == ["hotel-licence"]
    section = slugs(client, industry="I")
    assert {"hotel-licence", "food-shop-licence"} <= set(section)
    assert slugs(client, agency="diw", lifecycle="change") == ["factory-expansion-licence"]
    assert slugs(client, q="ภาษีมูลค่าเพิ่ม", lifecycle="start") == ["vat-registration"]
    everyone = slugs(client, industry="all")
    assert everyone == sorted(
        Service.objects.filter(all_industries=True).values_list("slug", flat=True)
    )


def test_the_summary_says_where_to_apply(client, catalogue) -> None:
    rows = {s["slug"]: s for s in client.get(SERVICES, {"agency": "rd"}).json()["results"]}
    assert rows["vat-registration"]["channel"] == "agency_online"
    assert rows["vat-registration"]["applies_on_portal"] is False
    food = client.get(SERVICES, {"industry": "56", "agency": "bma"}).json()["results"]
    assert {s["slug"]: s["applies_on_portal"] for s in food} == {
        "food-premises-notification": False,
        "food-shop-licence": True,
        "street-vending-permit": False,
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lifecycle": "grow"}, "lifecycle"),
        ({"target_group": "aliens"}, "target_group"),
        ({"industry": "ZZ"}, "industry"),
        ({"industry": "10x"}, "industry"),
        ({"agency": "nasa"}, "agency"),
        ({"lifecycle": "x" * 500}, "lifecycle"),
        ({"industry": "\x00"}, "industry"),
    ],
)
def test_an_unknown_filter_value_is_a_problem_naming_it(client, catalogue, params, field) -> None:
    response = client.get(SERVICES, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert list(body["errors"]) == [field]
    assert "ไม่รู้จักค่า" in body["errors"][field][0]


def test_filtering_costs_the_same_for_one_match_as_for_many(
    client, catalogue, django_assert_max_num_queries
) -> None:
    for params in ({"industry": "55"}, {"target_group": "sme", "industry": "C"}):
        with django_assert_max_num_queries(4):
            assert client.get(SERVICES, params).status_code == 200


def test_the_detail_carries_the_citizen_manual_and_categories(client, catalogue) -> None:
    body = client.get(f"{SERVICES}hotel-licence/").json()
    assert body["service_kind"] == "licence"
    assert body["channel"] == "counter" and body["apply_url"] == ""
    assert body["application_types"] == []
    assert body["legal_basis"][0]["th"] == "พระราชบัญญัติโรงแรม พ.ศ. 2547 และที่แก้ไขเพิ่มเติม"
    assert body["legal_basis"][0]["en"].startswith("Hotel Act B.E. 2547")
    assert body["criteria_th"] and body["criteria_en"]
    assert sum(step["days"] for step in body["steps"]) == body["processing_days"] == 30
    assert body["steps"][0]["unit_th"]
    assert body["fee_items"][0] == {
        "th": "ค่าธรรมเนียมใบอนุญาต ห้องพักละ",
        "en": "Licence fee, per room",
        "amount": "40.00",
    }
    for name in ("contact_office_th", "contact_address_en", "contact_phone", "contact_email"):
        assert body[name], name
    assert body["opening_hours_th"] and body["complaint_en"]
    categories = {(c["kind"], c["code"]): c for c in body["categories"]}
    assert categories[("industry", "55")]["section"] == "I"
    assert categories[("lifecycle", "start")]["section"] is None
    assert ("target_group", "sme") in categories
    assert body["documents"][0]["originals"] == 1


def test_an_onboarded_service_keeps_its_application_kinds(client, catalogue) -> None:
    body = client.get(f"{SERVICES}food-shop-licence/").json()
    assert body["applies_on_portal"] is True
    assert [k["kind"] for k in body["application_types"]] == ["new", "amend", "renew", "cancel"]
    assert {c["code"] for c in body["categories"]} >= {"56", "start"}


def test_the_categories_list_names_every_grouping(client, catalogue) -> None:
    everything = client.get("/api/v1/catalog/categories/").json()
    assert len(everything) == 5 + 4 + 21 + 88
    lifecycle = client.get("/api/v1/catalog/categories/", {"kind": "lifecycle"}).json()
    assert [c["code"] for c in lifecycle] == ["start", "operate", "change", "close"]
    industry = client.get("/api/v1/catalog/categories/", {"kind": "industry"}).json()
    food = next(c for c in industry if c["code"] == "10")
    assert food == {
        "kind": "industry",
        "code": "10",
        "name_th": "การผลิตผลิตภัณฑ์อาหาร",
        "name_en": "Manufacture of food products",
        "section": "C",
    }
    bad = client.get("/api/v1/catalog/categories/", {"kind": "sector"})
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["kind"]

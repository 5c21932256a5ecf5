"""Search that ranks: names count more than descriptions, rare words more than common
ones, synonyms find what the catalogue calls otherwise, a misspelt word is corrected."""

from __future__ import annotations

import pytest

from bizportal.catalog import services
from bizportal.catalog.demo_synonyms import seed_synonyms
from bizportal.catalog.models import SearchTerm, Service
from bizportal.catalog.search import find, plan, ranked
from tests.factories import AgencyFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def indexed(**fields) -> Service:  # type: ignore[no-untyped-def]
    """A service saved the way the catalogue saves one: indexed, counted."""
    service = ServiceFactory(**fields)
    services.refresh_search_text(service)
    return service


def order(query: str) -> list[str]:
    return [s.slug for s in ranked(query).services]


@pytest.fixture
def shops(db) -> None:
    agency = AgencyFactory(name_th="กรุงเทพมหานคร", name_en="Bangkok", short_name_th="กทม.")
    indexed(
        agency=agency,
        slug="mention",
        name_th="ใบอนุญาตจัดงานเทศกาล",
        name_en="Festival permit",
        summary_th="งานที่มีร้านอาหารชั่วคราวหลายร้าน",
        summary_en="Events with temporary food stalls",
        licence_title_th="ใบอนุญาตจัดงาน",
        licence_title_en="Event permit",
    )
    indexed(
        agency=agency,
        slug="named",
        name_th="ใบอนุญาตร้านอาหาร",
        name_en="Restaurant licence",
        summary_th="สำหรับร้านที่ขายอาหาร",
        summary_en="For shops selling food",
        licence_title_th="ใบอนุญาตร้านอาหาร",
        licence_title_en="Restaurant licence",
    )
    indexed(
        agency=agency,
        slug="liquor",
        name_th="ใบอนุญาตขายสุรา",
        name_en="Liquor sale licence",
        summary_th="ขายสุราและเบียร์",
        summary_en="Sale of liquor and beer",
        licence_title_th="ใบอนุญาตขายสุรา",
        licence_title_en="Liquor licence",
    )


def test_a_service_named_by_the_query_ranks_above_one_that_mentions_it(shops) -> None:
    assert order("ร้านอาหาร")[:2] == ["named", "mention"]
    assert order("restaurant") == ["named"]


def test_a_rare_word_weighs_more_than_a_common_one(shops) -> None:
    # "ใบอนุญาต" is in every service; "เทศกาล" in one: that one comes first.
    assert order("ใบอนุญาต เทศกาล") == ["mention"]
    assert order("ใบอนุญาต")[0] in {"named", "liquor", "mention"}
    assert len(order("ใบอนุญาต")) == 3


def test_synonyms_find_what_the_catalogue_calls_otherwise(shops) -> None:
    seed_synonyms()
    assert order("ร้านเหล้า") == ["liquor"]
    assert order("alcohol") == ["liquor"]
    assert "named" in order("eatery")
    # A Latin ring member is a whole word: "bar" is not in "barber".
    assert plan("barber").groups == ((("barber",),),)


def test_a_misspelt_word_is_corrected_and_the_page_says_so(shops, client) -> None:
    result = find("liqour")
    assert [s.slug for s in result.services] == ["liquor"]
    assert result.corrected == "liquor"
    page = client.get("/services/", {"q": "liqour"}).content.decode()
    assert "“liquor”" in page and "/services/liquor/" in page
    # A word the catalogue knows is never "corrected", even when nothing matches.
    assert find("liquor festival").corrected == ""
    assert list(find("ยานอวกาศ").services) == []


def test_the_vocabulary_follows_every_change(shops) -> None:
    liquor = Service.objects.get(slug="liquor")
    assert SearchTerm.objects.get(term="สุรา").services == 1
    liquor.summary_th = "ขายเบียร์"
    liquor.name_th = "ใบอนุญาตขายเบียร์"
    liquor.licence_title_th = "ใบอนุญาตขายเบียร์"
    liquor.save()
    services.refresh_search_text(liquor)
    assert SearchTerm.objects.get(term="สุรา").services == 0
    before = dict(SearchTerm.objects.values_list("term", "services"))
    services.rebuild_search_vocabulary()
    after = dict(SearchTerm.objects.values_list("term", "services"))
    assert {t: n for t, n in before.items() if n} == after


def test_the_search_page_lists_the_best_match_first(shops, client) -> None:
    page = client.get("/services/", {"q": "ร้านอาหาร"}).content.decode()
    assert page.index("/services/named/") < page.index("/services/mention/")


def test_ranking_costs_a_constant_number_of_queries(
    shops, client, django_assert_max_num_queries
) -> None:
    for n in range(20):
        indexed(slug=f"extra-{n}", name_th=f"ร้านอาหารสาขา {n}")
    client.get("/services/", {"q": "ร้านอาหาร"})  # synonyms and the catalogue size cached
    with django_assert_max_num_queries(6):
        page = client.get("/services/", {"q": "ร้านอาหาร"})
    assert page.status_code == 200


def test_without_a_service_for_every_word_those_with_some_are_shown(shops, client) -> None:
    result = ranked("liquor festival zzzz")
    assert result.partial and result.corrected == ""
    assert {s.slug for s in result.services} == {"liquor", "mention"}
    page = client.get("/services/", {"q": "liquor festival"}).content.decode()
    assert "No service matches every word" in page or "ไม่พบบริการที่ตรงกับทุกคำ" in page
    # One word that matches nothing is simply nothing.
    assert not ranked("zzzzzz").partial


def test_a_latin_word_matches_the_start_of_a_word_and_a_thai_word_anywhere(db) -> None:
    agency = AgencyFactory()
    indexed(
        agency=agency,
        slug="ice-factory",
        name_th="ใบอนุญาตผลิตน้ำแข็ง",
        name_en="Ice factory licence",
        licence_title_en="Ice factory licence",
    )
    indexed(
        agency=agency,
        slug="office",
        name_th="ใบอนุญาตตั้งสำนักงานบริการ",
        name_en="Service office licence",
        licence_title_en="Office licence",
    )
    assert [s.slug for s in find("ice").services] == ["ice-factory"]  # not licence, office
    assert [s.slug for s in find("fact").services] == ["ice-factory"]  # a word's start
    assert not find("actory", correct=False).services.exists()  # not its inside
    assert [s.slug for s in find("แข็ง").services] == ["ice-factory"]  # Thai: anywhere

"""The Information Advisor: questions that follow from earlier answers, the licences a
business needs in the order to obtain them with fees and days, the API, the pages, and
bundles of applications started together with their shared answers asked once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bizportal.advisor import engine, services
from bizportal.advisor.models import Bundle, Prerequisite, Question, Recommendation
from bizportal.applications.models import Application, Status
from bizportal.catalog import demo as catalog_demo
from bizportal.catalog.models import Service
from bizportal.core.models import AuditEvent
from tests.factories import ApplicantFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/advisor/recommendations"

#: "A restaurant in Bangkok selling beer, 60 seats", run by its owner.
RESTAURANT = {
    "business_form": "individual",
    "activity": "restaurant",
    "province": "bangkok",
    "area_sqm": 240,
    "seats": 60,
    "sells_alcohol": True,
    "sells_tobacco": False,
    "employees": 4,
    "foreign_staff": False,
    "turnover_over_vat": True,
    "signboard": True,
    "imports_exports": False,
    "brand": False,
}


@pytest.fixture
def advisor(db) -> None:
    catalog_demo.seed()
    services.load_questionnaire()


def slugs(answers: dict) -> list[str]:  # type: ignore[type-arg]
    return [a.service.slug for a in services.advise(answers).advice]


def test_the_restaurant_gets_the_right_licences_in_the_order_to_obtain_them(advisor) -> None:
    order = slugs(RESTAURANT)
    assert set(order) == {
        "commercial-registration",
        "vat-registration",
        "sso-employer-registration",
        "food-shop-licence",
        "liquor-sale-licence",
        "signboard-tax-filing",
    }
    # Registration first; VAT and the food-shop licence before the liquor licence.
    assert order[0] == "commercial-registration"
    assert order.index("vat-registration") < order.index("liquor-sale-licence")
    assert order.index("food-shop-licence") < order.index("liquor-sale-licence")


def test_smaller_premises_notify_instead_and_a_company_registers_as_one(advisor) -> None:
    order = slugs({**RESTAURANT, "area_sqm": 120, "business_form": "company", "foreign_share": 0})
    assert "food-premises-notification" in order and "food-shop-licence" not in order
    assert order[0] == "company-registration" and "commercial-registration" not in order


def test_questions_follow_from_earlier_answers(advisor) -> None:
    asked = services.questions()
    codes = [q.code for q in engine.applicable(asked, {"activity": "restaurant"})]
    assert "seats" in codes and "sells_alcohol" in codes and "machine_hp" not in codes
    factory = [q.code for q in engine.applicable(asked, {"activity": "factory"})]
    assert "machine_hp" in factory and "seats" not in factory
    # Changing an early answer drops the answers that followed from it.
    assert "seats" not in engine.relevant(asked, {"activity": "factory", "seats": 60})
    assert engine.next_question(asked, {}).code == "business_form"


def test_fees_and_working_days_add_up(advisor) -> None:
    result = services.advise(RESTAURANT)
    fees = {a.service.slug: result.fees[a.service.pk] for a in result.advice}
    # The food-shop fee comes from its fee table with the answered area: exact.
    assert fees["food-shop-licence"].exact and fees["food-shop-licence"].amount
    known = [f.amount for f in fees.values() if f.amount is not None]
    assert result.fee_total == sum(known, Decimal(0))
    days = {a.service.slug: a.service.processing_days for a in result.advice}
    assert result.days_one_by_one == sum(days.values())
    # Side by side: the liquor licence waits for the longest of what comes before it.
    liquor = next(a for a in result.advice if a.service.slug == "liquor-sale-licence")
    before = [a.earliest_day for a in result.advice if a.service.pk in liquor.after]
    assert liquor.earliest_day == max(before) + days["liquor-sale-licence"]
    assert result.days_side_by_side <= result.days_one_by_one


def test_the_api_answers_ordered_services_and_refuses_bad_answers(
    advisor, client, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(12):
        response = client.post(URL, {"answers": RESTAURANT}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert [s["order"] for s in body["services"]] == list(range(1, len(body["services"]) + 1))
    liquor = next(s for s in body["services"] if s["slug"] == "liquor-sale-licence")
    assert "food-shop-licence" in liquor["after"] and liquor["apply_here"] is True
    assert body["totals"]["working_days_side_by_side"] <= body["totals"]["working_days_one_by_one"]

    bad = client.post(
        URL,
        {"answers": {"activity": "spaceship", "seats": "many", "nope": 1}},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    errors = bad.json()["errors"]["answers"]
    assert set(errors) == {"activity", "seats", "nope"}
    partial = client.post(
        URL, {"answers": {"activity": "restaurant"}}, content_type="application/json"
    )
    assert "business_form" in [q["code"] for q in partial.json()["unanswered"]]


def test_the_pages_ask_one_question_at_a_time_then_advise(advisor, client) -> None:
    page = client.get("/advisor/")
    assert page.status_code == 200 and "ท่านจะประกอบกิจการในรูปแบบใด" in page.content.decode()
    refused = client.post("/advisor/", {"question": "business_form", "answer": "spaceship"})
    assert refused.status_code == 400 and "กรุณาเลือกหนึ่งข้อ" in refused.content.decode()
    answers = {
        k: ("yes" if v is True else "no" if v is False else str(v)) for k, v in RESTAURANT.items()
    }
    for _ in range(20):
        page = client.get("/advisor/", follow=True)
        if page.redirect_chain and page.redirect_chain[-1][0].endswith("/advisor/result/"):
            break
        code = page.context["question"].code
        client.post("/advisor/", {"question": code, "answer": answers[code]})
    result = page.content.decode()
    assert 'data-service="liquor-sale-licence"' in result
    assert result.index('data-service="commercial-registration"') < result.index(
        'data-service="liquor-sale-licence"'
    )
    assert "?change=seats" in result


def test_a_bundle_starts_the_applications_together_and_asks_shared_answers_once(
    advisor, client
) -> None:
    applicant = ApplicantFactory()
    client.force_login(applicant)
    session = client.session
    session["advisor_answers"] = RESTAURANT
    session.save()

    started = client.post("/advisor/start/")
    bundle = Bundle.objects.get(applicant=applicant)
    assert started["Location"] == f"/advisor/bundles/{bundle.public_id}/"
    drafts = [item.application for item in bundle.items.select_related("application__service")]
    assert [d.service.slug for d in drafts] == [
        "commercial-registration",
        "food-shop-licence",
        "liquor-sale-licence",
    ]  # the services Biz Portal takes, in the advised order
    assert all(d.status == Status.DRAFT for d in drafts)
    food = next(d for d in drafts if d.service.slug == "food-shop-licence")
    assert food.data["area_sqm"] == 240 and food.data["seats"] == 60  # from the advisor

    page = client.get(f"/advisor/bundles/{bundle.public_id}/").content.decode()
    assert 'name="business_name"' in page and 'name="phone"' in page
    assert 'name="seats"' not in page  # asked by one form only
    saved = client.post(
        f"/advisor/bundles/{bundle.public_id}/",
        {"business_name": "ร้านข้าวแกงป้าศรี", "phone": "0812345678"},
    )
    assert saved.status_code == 302
    for draft in Application.objects.filter(pk__in=[d.pk for d in drafts]):
        assert draft.data["business_name"] == "ร้านข้าวแกงป้าศรี"
        assert draft.data["phone"] == "0812345678"
    assert AuditEvent.objects.filter(action="advisor.bundle_started").exists()


def test_a_bad_shared_answer_changes_no_draft(advisor, client) -> None:
    applicant = ApplicantFactory()
    client.force_login(applicant)
    party = applicant.party
    bundle = services.start_bundle(applicant, party, RESTAURANT).bundle
    before = {d.pk: dict(d.data) for d in services.bundle_drafts(bundle)}
    refused = client.post(f"/advisor/bundles/{bundle.public_id}/", {"business_name": "x" * 5000})
    assert refused.status_code == 400
    after = {d.pk: dict(d.data) for d in services.bundle_drafts(bundle)}
    assert after == before


def test_someone_elses_bundle_is_not_found(advisor, client) -> None:
    owner = ApplicantFactory()
    bundle = services.start_bundle(owner, owner.party, RESTAURANT).bundle
    client.force_login(ApplicantFactory())
    assert client.get(f"/advisor/bundles/{bundle.public_id}/").status_code == 404


def test_conditions_must_be_feel_and_prerequisites_may_not_loop(advisor) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.check_condition("activity = = ")
    a, b = Service.objects.filter(slug__in=["vat-registration", "liquor-sale-licence"])
    with pytest.raises(ValidationError):
        services.check_no_cycle([(a.pk, b.pk), (b.pk, a.pk)])
    # The shipped questionnaire loads twice to the same rows.
    counts = (
        Question.objects.count(),
        Recommendation.objects.count(),
        Prerequisite.objects.count(),
    )
    services.load_questionnaire()
    assert counts == (
        Question.objects.count(),
        Recommendation.objects.count(),
        Prerequisite.objects.count(),
    )

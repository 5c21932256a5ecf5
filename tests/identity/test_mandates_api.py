"""The mandates API and acting for a party over the applications API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bizportal.applications.models import Application
from bizportal.identity.models import Mandate
from tests.factories import ApplicantFactory, CompanyFactory, ServiceFactory, give_mandate

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def period(days: int = 30) -> dict[str, str]:
    today = timezone.localdate()
    return {
        "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=days)).isoformat(),
    }


def test_a_director_grants_over_the_api_and_the_delegate_accepts_and_applies(client) -> None:
    director, delegate = ApplicantFactory(), ApplicantFactory()
    company = CompanyFactory(directors=[director])
    service = ServiceFactory()
    client.force_login(director)
    client.post("/account/acting/", {"party": str(company.public_id)})

    granted = client.post(
        "/api/v1/mandates/",
        {
            "delegate": delegate.citizen_id,
            "services": [service.slug],
            "actions": ["prepare", "submit", "view"],
            **period(),
        },
        content_type="application/json",
    )
    assert granted.status_code == 201, granted.content
    mandate_id = granted.json()["id"]
    assert granted.json()["grantor"] == company.key

    client.force_login(delegate)
    listed = client.get("/api/v1/mandates/").json()
    assert [m["id"] for m in listed["received"]] == [mandate_id]
    assert client.post(f"/api/v1/mandates/{mandate_id}/accept/").json()["status"] == "accepted"

    created = client.post(
        "/api/v1/applications/",
        {"service": service.slug, "party": company.key},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["holder"]["id"] == company.key
    other = client.post(
        "/api/v1/applications/",
        {"service": ServiceFactory().slug, "party": company.key},
        content_type="application/json",
    )
    assert other.status_code == 409
    assert other["Content-Type"] == PROBLEM
    assert "ไม่มีสิทธิ์ยื่นคำขอบริการนี้แทน" in other.json()["detail"]
    acts = client.get(f"/api/v1/mandates/{mandate_id}/").json()["acts"]
    assert "application.draft_created" in [act["action"] for act in acts]


def test_a_party_one_may_not_act_for_is_not_found(client) -> None:
    company = CompanyFactory(directors=[ApplicantFactory()])
    client.force_login(ApplicantFactory())
    answer = client.post(
        "/api/v1/applications/",
        {"service": ServiceFactory().slug, "party": company.key},
        content_type="application/json",
    )
    assert answer.status_code == 404 and answer["Content-Type"] == PROBLEM
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"delegate": "1234567890123", "actions": ["view"], **period()}, 400),
        ({"delegate": "", "actions": ["view"], **period()}, 400),
        ({"actions": ["view"], **period()}, 400),
        ({"delegate": "P:GBR:XA1234567", "actions": [], **period()}, 400),
        ({"delegate": "P:GBR:XA1234567", "actions": ["fly"], **period()}, 400),
        ({"delegate": "P:GBR:XA1234567", "actions": ["view"], **period(-5)}, 400),
        (
            {"delegate": "P:GBR:XA1234567", "actions": ["view"], "services": ["nope"], **period()},
            400,
        ),
    ],
)
def test_a_bad_grant_is_problem_json_and_saves_nothing(client, body, status) -> None:
    client.force_login(ApplicantFactory())
    answer = client.post("/api/v1/mandates/", body, content_type="application/json")
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"] == PROBLEM
    assert not Mandate.objects.exists()


def test_only_the_sides_of_a_mandate_see_or_answer_it(client) -> None:
    owner, delegate = ApplicantFactory(), ApplicantFactory()
    mandate = give_mandate(owner, delegate, accept=False)
    client.force_login(ApplicantFactory())
    assert client.get(f"/api/v1/mandates/{mandate.public_id}/").status_code == 404
    assert client.post(f"/api/v1/mandates/{mandate.public_id}/accept/").status_code == 404
    client.force_login(owner)
    answer = client.post(f"/api/v1/mandates/{mandate.public_id}/accept/")
    assert answer.status_code == 409  # the grantor cannot accept for the delegate
    assert client.post(f"/api/v1/mandates/{mandate.public_id}/revoke/").status_code == 200
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.REVOKED


def test_staff_have_no_mandates(client) -> None:
    from tests.factories import OfficerFactory

    client.force_login(OfficerFactory())
    assert client.get("/api/v1/mandates/").status_code == 403

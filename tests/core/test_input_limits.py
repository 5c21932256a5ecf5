"""Input limits: what outside testers sent to make the API answer 500, and what it
answers now (problem+json 400/413, nothing stored), plus the bounds on drafts."""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.test import Client

from bizportal.applications.models import Application, Status
from bizportal.core import safejson
from bizportal.core.models import AuditEvent
from tests.factories import ApplicantFactory, OfficerFactory, ServiceFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/applications/"
PROBLEM = "application/problem+json"

DEEP = b"[" * 10_000 + b"]" * 10_000
BAD_BODIES = {
    "10,000-deep array": DEEP,
    "33-deep objects": b'{"a":' * 33 + b"1" + b"}" * 33,
    "lone surrogate": b'{"service": "\\ud800"}',
    "surrogate in a key": b'{"\\udfff": 1}',
    "NUL": b'{"service": "a\\u0000b"}',
    "1e400": b'{"service": 1e400}',
    "-1e400": b'{"answers": {"seats": -1e400}}',
    "NaN": b'{"service": NaN}',
    "Infinity": b'{"service": Infinity}',
    "invalid UTF-8": b'{"service": "\xff\xfe"}',
    "5000-digit integer": b'{"service": ' + b"9" * 5000 + b"}",
}


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and THAI.search(body["title"])  # Accept-Language default
    return body


THAI = re.compile("[\u0e00-\u0e7f]")


@pytest.fixture
def applicant_client(client: Client):
    applicant = ApplicantFactory()
    client.force_login(applicant)
    client.applicant = applicant  # type: ignore[attr-defined]
    return client


@pytest.fixture
def service(db):
    return ServiceFactory()


# --- the JSON parser ------------------------------------------------------------


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_bad_json_is_a_400_problem_and_creates_nothing(applicant_client, service, name) -> None:
    response = applicant_client.post(URL, BAD_BODIES[name], content_type="application/json")

    body = problem(response, 400)
    assert THAI.search(body["detail"]) and " / " not in body["detail"]  # in Thai only
    assert not Application.objects.exists()


def test_a_body_over_the_bound_is_413(applicant_client, service, settings) -> None:
    settings.BIZPORTAL_JSON_MAX_BYTES = 1000
    body = json.dumps({"service": service.slug, "party": "x" * 2000}).encode()

    problem(applicant_client.post(URL, body, content_type="application/json"), 413)
    assert not Application.objects.exists()


def test_the_bounds_let_ordinary_json_through(applicant_client, service) -> None:
    body = json.dumps({"service": service.slug, "kind": "new"}, ensure_ascii=False)
    assert applicant_client.post(URL, body, content_type="application/json").status_code == 201


def test_the_loader_refuses_each_case_and_accepts_32_levels() -> None:
    assert safejson.loads(b"[" * 32 + b"]" * 32, depth=32)
    assert safejson.loads('{"ชื่อ": "ร้าน 😀", "n": 1.5e300}') == {"ชื่อ": "ร้าน 😀", "n": 1.5e300}
    for data in (*BAD_BODIES.values(), b"[" * 33 + b"]" * 33):
        with pytest.raises(safejson.JsonRefused):
            safejson.loads(data, depth=32)
    with pytest.raises(safejson.JsonRefused) as caught:
        safejson.loads(b"[1]" * 10, limit=5)
    assert caught.value.status == 413


# --- cursors --------------------------------------------------------------------

CRAFTED_CURSORS = [
    "not base64!",
    base64.urlsafe_b64encode(b"2026-01-01T00:00:00|1|2").decode(),
    base64.urlsafe_b64encode(b"2026-01-01T00:00:00|1").decode(),  # naive time
    base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|99999999999999999999999").decode(),
    base64.urlsafe_b64encode(b"0001-01-01T00:00:00+14:00|1").decode(),
    base64.urlsafe_b64encode(b"9999-12-31T23:59:59-14:00|1").decode(),
    base64.urlsafe_b64encode("2026-01-01T00:00:00+00:00|١".encode()).decode(),
    "A" * 5000,
]


@pytest.mark.parametrize("cursor", CRAFTED_CURSORS)
def test_a_crafted_worklist_cursor_is_a_400_problem(client: Client, cursor: str) -> None:
    client.force_login(OfficerFactory())
    body = problem(client.get(f"{URL}worklist/", {"after": cursor}), 400)
    assert "after" in body["errors"]


def test_a_crafted_cursor_on_the_worklist_page_says_so(client: Client) -> None:
    client.force_login(OfficerFactory())
    response = client.get("/backoffice/worklist/", {"after": CRAFTED_CURSORS[3]})
    assert response.status_code == 400
    assert "ตัวชี้หน้าไม่ถูกต้อง" in response.content.decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        base64.b64encode(b"p=a%00b").decode(),
        base64.b64encode("p=\udcff".encode("utf-8", "surrogatepass")).decode(),
    ],
)
def test_a_crafted_catalogue_cursor_is_a_400_problem(client: Client, cursor: str) -> None:
    ServiceFactory()
    problem(client.get("/api/v1/catalog/services/", {"cursor": cursor}), 400)


def test_the_worklist_cursor_it_made_still_works(client: Client, service) -> None:
    from bizportal.applications import selectors
    from tests.journeys import submitted

    first, second = submitted(service=service), submitted(service=service)
    officer = OfficerFactory(agency=service.agency)
    page = selectors.worklist(officer, size=1)
    client.force_login(officer)
    body = client.get(f"{URL}worklist/", {"after": page.next_cursor}).json()
    assert [item["id"] for item in body["results"]] == [str(second.public_id)]
    assert first.pk != second.pk


# --- drafts ---------------------------------------------------------------------


@pytest.fixture
def draft(applicant_client, service) -> Application:
    response = applicant_client.post(
        URL, {"service": service.slug}, content_type="application/json"
    )
    assert response.status_code == 201
    return Application.objects.get(public_id=response.json()["id"])


def patch(client: Client, draft: Application, answers: dict):
    return client.patch(
        f"{URL}{draft.public_id}/", {"answers": answers}, content_type="application/json"
    )


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"is_admin": True}, "is_admin"),
        ({"business_name": "x" * 10_000_000}, "business_name"),
        ({"business_address": "x" * 2001}, "business_address"),
        ({"seats": 5001}, "seats"),
        ({"area_sqm": 0}, "area_sqm"),
        ({"area_sqm": 1e300}, "area_sqm"),
        ({"phone": ["0812345678"] * 3}, "phone"),
        ({"email": {"nested": "x"}}, "email"),
    ],
)
def test_answers_no_draft_may_hold_are_refused_and_nothing_saved(
    applicant_client, draft: Application, answers: dict, field: str, settings
) -> None:
    settings.BIZPORTAL_JSON_MAX_BYTES = 40 * 1024 * 1024  # the draft bound, not the parser's
    before = dict(draft.data)

    body = problem(patch(applicant_client, draft, answers), 400)

    assert field in body["errors"]
    # In the reader's language (Thai by default), from the catalogue.
    assert all(THAI.search(str(message)) for message in body["errors"][field])
    draft.refresh_from_db()
    assert draft.data == before
    assert not AuditEvent.objects.filter(action="application.answers_saved").exists()


@pytest.mark.parametrize("size", [10_000_000, 20_000_000])
def test_a_10_mb_answer_is_stopped_by_the_parser_bound(
    applicant_client, draft: Application, size: int
) -> None:
    problem(patch(applicant_client, draft, {"business_name": "x" * size}), 413)


def test_an_incomplete_draft_with_text_in_a_number_field_is_still_saved(
    applicant_client, draft: Application
) -> None:
    response = patch(applicant_client, draft, {"seats": "forty", "business_name": "ร้านป้าศรี"})
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.data["seats"] == "forty"


def test_the_draft_page_explains_over_long_text_and_keeps_nothing(
    applicant_client, draft: Application
) -> None:
    before = dict(draft.data)
    response = applicant_client.post(
        f"/applications/{draft.public_id}/edit/",
        {"business_name": "ร้าน" * 1000, "seats": "10"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "may have at most 2000 characters" in html or "ยาวได้ไม่เกิน" in html
    draft.refresh_from_db()
    assert draft.data == before


def test_a_party_may_hold_only_so_many_open_drafts(applicant_client, settings) -> None:
    settings.MAX_OPEN_DRAFTS_PER_PARTY = 2
    services = [ServiceFactory() for _ in range(3)]
    for service in services[:2]:
        created = applicant_client.post(
            URL, {"service": service.slug}, content_type="application/json"
        )
        assert created.status_code == 201

    refused = applicant_client.post(
        URL, {"service": services[2].slug}, content_type="application/json"
    )

    body = problem(refused, 409)
    assert "ยังไม่ได้ยื่นครบ 2 รายการแล้ว" in body["detail"]
    assert Application.objects.filter(status=Status.DRAFT).count() == 2
    # The page says the same.
    page = applicant_client.post(f"/services/{services[2].slug}/apply/", follow=True)
    assert "ยังไม่ได้ยื่นครบ 2 รายการแล้ว" in page.content.decode()
    assert Application.objects.count() == 2

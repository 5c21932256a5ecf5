"""The back office's results: the officer's own agency only, averages and distributions
per question, a CSV of the aggregates, at a fixed number of queries."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bizportal.core.models import AuditEvent
from bizportal.identity.models import StaffRole
from bizportal.surveys import services
from tests.factories import OfficerFactory, ServiceFactory, StaffFactory

from .conftest import GOOD, design, invitation_for

pytestmark = pytest.mark.django_db

URL = "/backoffice/surveys/"


def _answer(service: Any, **changes: list[str]) -> None:
    services.answer(invitation_for(service), {**GOOD, **changes})


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_results_show_averages_distributions_and_counts(surveyed: Any) -> None:
    _answer(surveyed)
    _answer(surveyed, overall=["2"], channel=["counter"], liked=["staff"], comment=["รอนาน"])
    _answer(surveyed, overall=["5"], liked=[], comment=[])
    invitation_for(surveyed)  # invited, not answered
    officer = OfficerFactory(agency=surveyed.agency)
    page = _client(officer).get(URL, {"service": surveyed.slug})
    assert page.status_code == 200
    body = page.content.decode()
    assert "data-invited>4<" in body and "data-responses>3<" in body
    assert "data-average>4.0<" in body  # (5 + 2 + 5) / 3
    assert "รอนาน" in body and "ดีมาก" in body  # the latest comments
    (read,) = AuditEvent.objects.filter(action="surveys.results_viewed")
    assert read.actor == officer and read.data["count"] == 2

    export = _client(officer).get(URL + "results.csv", {"service": surveyed.slug})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    overall = {r["option"]: r for r in rows if r["question"] == "overall"}
    assert overall["5"]["count"] == "2" and overall["2"]["count"] == "1"
    assert overall["5"]["average"] == "4.0" and overall["5"]["answered"] == "3"
    liked = {r["option"]: r["count"] for r in rows if r["question"] == "liked"}
    assert liked == {"speed": "1", "staff": "2", "clarity": "0"}
    assert "รอนาน" not in export.content.decode()  # free texts stay on the audited page


def test_another_agency_sees_none_of_it(surveyed: Any) -> None:
    _answer(surveyed, comment=["ความลับของหน่วยงาน"])
    surveyed.name_th = "บริการของหน่วยงานเอ"
    surveyed.save()
    elsewhere = ServiceFactory(name_th="บริการของหน่วยงานบี")
    design(elsewhere)
    for role in (StaffRole.AGENCY_OFFICER, StaffRole.AGENCY_SUPERVISOR, StaffRole.AGENCY_ADMIN):
        outsider = OfficerFactory(agency=elsewhere.agency, roles=[role])
        for path in (URL, URL + "results.csv"):
            response = _client(outsider).get(path, {"service": surveyed.slug})
            assert response.status_code == 200
            body = response.content.decode()
            # (the slug asked for comes back only in the language switch's return path)
            assert f'value="{surveyed.slug}"' not in body and f",{surveyed.slug}," not in body
            assert surveyed.name_th not in body and "ความลับของหน่วยงาน" not in body
            assert elsewhere.name_th in body or f",{elsewhere.slug}," in body
    for role in (StaffRole.EXECUTIVE, StaffRole.FINANCE, StaffRole.COUNTER_OFFICER):
        assert _client(StaffFactory(roles=[role])).get(URL).status_code == 404
    assert Client().get(URL).status_code == 302  # to the sign-in page


def _queries(client: Client, service: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, {"service": service.slug}).status_code == 200
    return len(captured.captured_queries)


def test_the_results_page_costs_the_same_for_one_answer_or_twenty(
    surveyed: Any, django_assert_max_num_queries: Any
) -> None:
    client = _client(OfficerFactory(agency=surveyed.agency))
    _answer(surveyed)
    client.get(URL)  # warm the session and the staff second factor
    one = _queries(client, surveyed)
    for n in range(19):
        _answer(surveyed, overall=[str(n % 5 + 1)], comment=[f"ความเห็น {n}"])
    twenty = _queries(client, surveyed)
    assert one == twenty, (one, twenty)
    with django_assert_max_num_queries(one):
        client.get(URL, {"service": surveyed.slug})

"""Days left on the officer's worklist (constant queries, sortable by due date, at-risk
and overdue flagged) and on the officer's and the applicant's application pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from bizportal.applications.models import Status
from bizportal.service_levels import calendar
from bizportal.service_levels import services as sla
from tests.factories import ApplicationFactory, OfficerFactory, ServiceFactory

pytestmark = pytest.mark.django_db

BANGKOK = dt.timezone(dt.timedelta(hours=7))
TODAY = dt.date(2026, 4, 29)


def arrived(service, day: dt.date, **kwargs):
    moment = dt.datetime.combine(day, dt.time(10), tzinfo=BANGKOK)
    kwargs.setdefault("status", Status.REVIEW)
    application = ApplicationFactory(service=service, submitted=True, submitted_at=moment, **kwargs)
    sla.refresh_clock(application)
    return application


def rows(page: str) -> list[tuple[str, str]]:
    """(reference, sla state) per worklist row, in page order."""
    return re.findall(
        r'<td><a href="/backoffice/applications/[^"]+/">([^<]+)</a></td>.*?data-sla="(\w+)"',
        page,
        re.DOTALL,
    )


@pytest.fixture
def officer_client(client):
    service = ServiceFactory()  # 15 working days
    officer = OfficerFactory(agency=service.agency)
    client.force_login(officer)
    client.service = service
    return client


def test_the_worklist_shows_days_left_and_sorts_by_due_date(officer_client) -> None:
    service = officer_client.service
    with freeze_time(dt.datetime.combine(TODAY, dt.time(9), tzinfo=BANGKOK)):
        on_track = arrived(service, dt.date(2026, 4, 27))
        overdue = arrived(service, dt.date(2026, 4, 1))  # due 28 April
        start = next(
            TODAY - dt.timedelta(days=n)
            for n in range(40)
            if calendar.add_working_days(TODAY - dt.timedelta(days=n), 15)
            == calendar.add_working_days(TODAY, 1)
        )
        at_risk = arrived(service, start)
        done = arrived(
            service,
            dt.date(2026, 3, 2),
            status=Status.ISSUED,
            decided_at=dt.datetime(2026, 3, 10, 10, tzinfo=BANGKOK),
        )
        page = officer_client.get("/backoffice/worklist/").content.decode()
        assert "ระยะเวลาที่เหลือ" in page
        assert dict(rows(page)) == {
            overdue.reference: "breached",
            at_risk.reference: "at_risk",
            on_track.reference: "on_track",
            done.reference: "met",
        }
        assert "เกินกำหนด 1 วันทำการ" in page  # 28 April due, 29 April today
        assert "28 เม.ย. 2569" in page or "28 เมษายน 2569" in page
        by_due = officer_client.get("/backoffice/worklist/", {"sort": "due"}).content.decode()
        # Open ones only, earliest due first.
        assert [ref for ref, _ in rows(by_due)] == [
            overdue.reference,
            at_risk.reference,
            on_track.reference,
        ]


def test_due_date_pages_keyset_and_refuse_a_forged_cursor(officer_client) -> None:
    service = officer_client.service
    with freeze_time(dt.datetime.combine(TODAY, dt.time(9), tzinfo=BANGKOK)):
        for n in range(30):
            arrived(service, TODAY - dt.timedelta(days=n))
        first = officer_client.get("/backoffice/worklist/", {"sort": "due"}).content.decode()
        after = re.search(r"after=([\w=-]+)", first)
        assert after is not None
        second = officer_client.get(
            "/backoffice/worklist/", {"sort": "due", "after": after.group(1)}
        ).content.decode()
    assert len(rows(first)) == 25 and len(rows(second)) == 5
    assert not set(rows(first)) & set(rows(second))
    forged = officer_client.get("/backoffice/worklist/", {"sort": "due", "after": "bm90IG91cnM="})
    assert forged.status_code == 400


@pytest.mark.parametrize("sort", ["", "due"])
def test_the_worklist_reads_the_clocks_without_a_query_per_row(officer_client, sort) -> None:
    service = officer_client.service

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = officer_client.get("/backoffice/worklist/", {"sort": sort})
        assert response.status_code == 200
        return len(captured)

    arrived(service, TODAY)
    arrived(service, TODAY - dt.timedelta(days=3))
    few = queries()
    for n in range(20):
        arrived(service, TODAY - dt.timedelta(days=n))
    assert queries() == few


def test_application_pages_show_the_due_date_in_the_buddhist_era(client) -> None:
    service = ServiceFactory()
    with freeze_time(dt.datetime.combine(TODAY, dt.time(9), tzinfo=BANGKOK)):
        application = arrived(service, dt.date(2026, 4, 27))  # due 19 May 2026
        due = calendar.add_working_days(dt.date(2026, 4, 27), 15)
        client.force_login(OfficerFactory(agency=service.agency))
        officer_page = client.get(f"/backoffice/applications/{application.public_id}/")
        client.force_login(application.applicant)
        applicant_page = client.get(f"/applications/{application.public_id}/")
    for response in (officer_page, applicant_page):
        assert response.status_code == 200
        page = response.content.decode()
        assert f'data-due="{due:%Y-%m-%d}"' in page
        assert f"{due.day} พฤษภาคม 2569" in page
        assert "กำหนดเวลาตามคู่มือ (15 วันทำการ)" in page

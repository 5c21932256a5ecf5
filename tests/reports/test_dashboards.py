"""The dashboards: who sees which figures, figures equal the database, filters and the
drill-down list behind a figure."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bizportal.applications.models import BEFORE_AGENCY, FINAL_STATUSES, Application
from bizportal.core.models import AuditEvent
from bizportal.identity.models import StaffRole
from bizportal.payments.models import Invoice
from bizportal.reports import refresh
from bizportal.reports.definitions import Filters, Scope, registry
from bizportal.reports.library import percentile
from bizportal.reports.models import ApplicationFact, DecisionFact, PaymentFact
from tests.factories import AgencyFactory, ApplicantFactory, OfficerFactory, StaffFactory
from tests.journeys import submitted

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def kpis(html: str) -> list[str]:
    return re.findall(r'data-kpi="\d+">([^<]*)<', html)


@pytest.fixture
def executive() -> Any:
    return StaffFactory(roles=[StaffRole.EXECUTIVE])


def test_refresh_counts_every_submitted_application_once(history: list[Application]) -> None:
    submitted_count = Application.objects.exclude(status__in=BEFORE_AGENCY).count()
    assert ApplicationFact.objects.aggregate(n=Sum("applications"))["n"] == submitted_count == 3
    decided = Application.objects.filter(status__in=FINAL_STATUSES).count()
    assert (DecisionFact.objects.aggregate(n=Sum("decisions"))["n"] or 0) == decided
    paid = Invoice.objects.filter(status=Invoice.Status.PAID)
    assert (PaymentFact.objects.aggregate(n=Sum("payments"))["n"] or 0) == paid.count()


def test_incremental_refresh_moves_a_changed_application(history: list[Application]) -> None:
    waiting = history[-1]
    before = dict(ApplicationFact.objects.values_list("status").annotate(n=Sum("applications")))
    Application.objects.filter(pk=waiting.pk).update(status="withdrawn")
    Application.objects.get(pk=waiting.pk).save()  # the update touches updated_at
    assert refresh.refresh() >= 1
    after = dict(ApplicationFact.objects.values_list("status").annotate(n=Sum("applications")))
    assert after.get("withdrawn", 0) == before.get("withdrawn", 0) + 1
    assert sum(after.values()) == sum(before.values())


def test_nothing_changed_recomputes_nothing(history: list[Application]) -> None:
    refresh.refresh()
    rows = list(ApplicationFact.objects.values_list("id", flat=True))
    assert refresh.refresh(now=None) >= 0
    # The overlap window re-reads the last minutes, but the counts stay the same.
    assert ApplicationFact.objects.aggregate(n=Sum("applications"))["n"] == 3
    assert rows  # rows existed before


def test_executive_sees_every_report_and_national_totals(
    history: list[Application], executive: Any
) -> None:
    client = client_for(executive)
    index = client.get(reverse("reports:index"))
    assert index.status_code == 200
    for slug in ("volumes", "processing", "money", "people", "geography"):
        assert reverse("reports:dashboard", args=[slug]) in index.content.decode()
    page = client.get(reverse("reports:dashboard", args=["volumes"]))
    assert page.status_code == 200
    assert kpis(page.content.decode())[0] == "3"
    assert "<svg" in page.content.decode()


def test_supervisor_sees_only_their_agency(history: list[Application]) -> None:
    agency = history[0].agency
    supervisor = OfficerFactory(agency=agency, roles=[StaffRole.AGENCY_SUPERVISOR])
    other = OfficerFactory(agency=AgencyFactory(), roles=[StaffRole.AGENCY_SUPERVISOR])
    mine = client_for(supervisor).get(reverse("reports:dashboard", args=["volumes"]))
    theirs = client_for(other).get(reverse("reports:dashboard", args=["volumes"]))
    expected = Application.objects.filter(agency=agency).exclude(status__in=BEFORE_AGENCY).count()
    assert kpis(mine.content.decode())[0] == str(expected)
    assert kpis(theirs.content.decode())[0] == "0"
    # Asking for another agency's figures is refused, with the reason.
    refused = client_for(other).get(
        reverse("reports:dashboard", args=["volumes"]), {"agency": agency.pk}
    )
    assert refused.status_code == 400
    assert "error-summary" in refused.content.decode()


def test_counter_officer_sees_what_they_filed_only(history: list[Application]) -> None:
    counter = StaffFactory(roles=[StaffRole.COUNTER_OFFICER])
    client = client_for(counter)
    assert client.get(reverse("reports:dashboard", args=["money"])).status_code == 404
    page = client.get(reverse("reports:dashboard", args=["volumes"]))
    assert page.status_code == 200
    assert kpis(page.content.decode())[0] == "0"  # the history was filed online
    Application.objects.filter(pk=history[0].pk).update(filed_by=counter, channel="counter")
    Application.objects.get(pk=history[0].pk).save()
    refresh.refresh()
    page = client.get(reverse("reports:dashboard", args=["volumes"]))
    assert kpis(page.content.decode())[0] == "1"


@pytest.mark.parametrize(
    "roles", [[StaffRole.AGENCY_OFFICER], [StaffRole.HELPDESK], [StaffRole.AGENCY_ADMIN]]
)
def test_other_staff_and_applicants_see_no_reports(db: None, roles: list[str]) -> None:
    staff = OfficerFactory(roles=roles)
    assert client_for(staff).get(reverse("reports:index")).status_code == 404
    assert (
        client_for(ApplicantFactory())
        .get(reverse("reports:dashboard", args=["volumes"]))
        .status_code
        == 404
    )
    anonymous = Client().get(reverse("reports:dashboard", args=["volumes"]))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_finance_sees_money_of_their_agency_only(history: list[Application]) -> None:
    finance = OfficerFactory(agency=history[0].agency, roles=[StaffRole.FINANCE])
    client = client_for(finance)
    assert client.get(reverse("reports:dashboard", args=["volumes"])).status_code == 404
    page = client.get(reverse("reports:dashboard", args=["money"]))
    assert page.status_code == 200
    collected = sum(
        i.amount
        for i in Invoice.objects.filter(status="paid", application__agency=history[0].agency)
    )
    assert kpis(page.content.decode())[0] == f"{collected:,.2f}"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2026-13-01"}, "start"),
        ({"start": "2026-05-01", "end": "2026-04-01"}, "end"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "start"),
        ({"service": "abc"}, "service"),
    ],
)
def test_bad_filters_are_refused_with_the_reason(
    executive: Any, query: dict[str, str], field: str
) -> None:
    response = client_for(executive).get(reverse("reports:dashboard", args=["volumes"]), query)
    assert response.status_code == 400
    body = response.content.decode()
    assert f'href="#{field}"' in body
    assert 'aria-invalid="true"' in body


def test_unknown_report_is_404(executive: Any) -> None:
    assert client_for(executive).get(reverse("reports:dashboard", args=["nope"])).status_code == 404


def test_every_report_renders_in_a_fixed_number_of_queries(history: list[Application], executive: Any) -> None:
    client = client_for(executive)
    urls = [reverse("reports:dashboard", args=[slug]) for slug, _report in registry]

    def queries() -> list[int]:
        counts = []
        for url in urls:
            client.get(url)  # warm caches (calendar, session)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured))
        return counts

    few = queries()
    for _ in range(3):
        submitted()
    refresh.refresh()
    assert queries() == few


def test_drill_down_lists_the_applications_behind_a_figure(
    history: list[Application], executive: Any
) -> None:
    client = client_for(executive)
    page = client.get(reverse("reports:dashboard", args=["volumes"])).content.decode()
    links = re.findall(r'href="(/backoffice/reports/applications/\?[^"]+status=review[^"]*)"', page)
    assert links, "the status table links to its applications"
    listing = client.get(links[0].replace("&amp;", "&"))
    assert listing.status_code == 200
    body = listing.content.decode()
    in_review = Application.objects.filter(status="review")
    for application in in_review:
        assert application.reference in body
    for application in Application.objects.exclude(status="review").exclude(
        status__in=BEFORE_AGENCY
    ):
        assert application.reference not in body
    event = AuditEvent.objects.filter(action="reports.applications_listed").latest("seq")
    assert event.actor == executive


def test_drill_down_keeps_to_the_viewer_scope(history: list[Application]) -> None:
    other = OfficerFactory(agency=AgencyFactory(), roles=[StaffRole.AGENCY_SUPERVISOR])
    listing = client_for(other).get(reverse("reports:applications"))
    assert listing.status_code == 200
    for application in history:
        assert application.reference not in listing.content.decode()
    bad = client_for(other).get(reverse("reports:applications"), {"status": "nonsense"})
    assert bad.status_code == 400
    cursor = client_for(other).get(reverse("reports:applications"), {"after": "garbage"})
    assert cursor.status_code == 400


def test_percentile_is_nearest_rank() -> None:
    assert percentile({}, 0.5) is None
    assert percentile({1: 1, 2: 1, 3: 1, 10: 1}, 0.5) == 2
    assert percentile({1: 9, 30: 1}, 0.9) == 1
    assert percentile({1: 8, 30: 2}, 0.9) == 30


def test_scope_of_roles(db: None) -> None:
    assert Scope.of(ApplicantFactory()) is None
    assert Scope.of(StaffFactory(roles=[StaffRole.EXECUTIVE])).national
    supervisor = OfficerFactory(roles=[StaffRole.AGENCY_SUPERVISOR])
    assert Scope.of(supervisor).agency_id == supervisor.agency_id
    default = Filters.default()
    assert (default.end - default.start).days < 366

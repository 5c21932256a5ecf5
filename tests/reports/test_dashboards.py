"""The dashboards: who sees which figures, figures equal the database, filters and the
drill-down list behind a figure."""

from __future__ import annotations

import datetime as dt
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
from bizportal.reports.definitions import FilterError, Filters, Scope, registry
from bizportal.reports.library import percentile
from bizportal.reports.models import (
    ApplicationFact,
    ApplicationMonth,
    DecisionMonth,
    PaymentMonth,
    ProvinceMonth,
)
from tests.factories import AgencyFactory, ApplicantFactory, OfficerFactory, StaffFactory
from tests.journeys import approve_everything, submitted

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


def rollups() -> dict[str, list[tuple[Any, ...]]]:
    """Every roll-up's rows as comparable tuples (ids left out)."""
    return {
        rollup.model.__name__: sorted(
            (tuple(getattr(row, name) for name in (*rollup.keys, *rollup.sums)))
            for row in rollup.model.objects.all()
        )
        for rollup in refresh.ROLLUPS
    }


def statuses() -> dict[str, int]:
    return dict(ApplicationMonth.objects.values_list("status").annotate(n=Sum("applications")))


def test_refresh_counts_every_submitted_application_once(history: list[Application]) -> None:
    submitted_count = Application.objects.exclude(status__in=BEFORE_AGENCY).count()
    assert ApplicationFact.objects.count() == submitted_count == 3
    assert ApplicationMonth.objects.aggregate(n=Sum("applications"))["n"] == 3
    assert ProvinceMonth.objects.aggregate(n=Sum("applications"))["n"] == 3
    decided = Application.objects.filter(status__in=FINAL_STATUSES).count()
    assert (DecisionMonth.objects.aggregate(n=Sum("decisions"))["n"] or 0) == decided
    paid = Invoice.objects.filter(status=Invoice.Status.PAID)
    assert (PaymentMonth.objects.aggregate(n=Sum("payments"))["n"] or 0) == paid.count()
    assert refresh.totals()["collected"] == sum(invoice.amount for invoice in paid)


def test_incremental_refresh_moves_a_changed_application(history: list[Application]) -> None:
    waiting = history[-1]
    before = statuses()
    Application.objects.filter(pk=waiting.pk).update(status="withdrawn")
    Application.objects.get(pk=waiting.pk).save()  # the update touches updated_at
    assert refresh.refresh() >= 1
    after = statuses()
    assert after.get("withdrawn", 0) == before.get("withdrawn", 0) + 1
    assert sum(after.values()) == sum(before.values())
    assert ApplicationFact.objects.get(application=waiting).decided_on is not None


def test_incremental_refresh_equals_a_rebuild(history: list[Application]) -> None:
    """Whatever happened in between, moving counts ends where recounting does."""
    submitted()  # new
    approve_everything(history[-1])  # decided and paid
    moved = history[0]
    Application.objects.filter(pk=moved.pk).update(province="Chiang Mai", channel="counter")
    Application.objects.get(pk=moved.pk).save()
    refresh.refresh()
    refresh.refresh()  # the overlap reads the same rows again: nothing moves twice
    moved_counts = rollups()
    refresh.refresh(full=True)
    assert rollups() == moved_counts
    assert ProvinceMonth.objects.filter(province="เชียงใหม่").exists()


def test_a_roll_up_that_disagrees_is_rebuilt(history: list[Application]) -> None:
    expected = rollups()
    ApplicationMonth.objects.all().delete()  # e.g. a partial restore
    waiting = history[-1]
    Application.objects.filter(pk=waiting.pk).update(status="withdrawn")
    Application.objects.get(pk=waiting.pk).save()
    refresh.refresh()
    assert sum(statuses().values()) == 3
    assert statuses().get("withdrawn") == 1
    assert rollups()["ProvinceMonth"] == expected["ProvinceMonth"]


def test_nothing_changed_moves_nothing(history: list[Application]) -> None:
    refresh.refresh()
    before = rollups()
    refresh.refresh()  # the overlap window re-reads the last minutes
    assert rollups() == before
    assert ApplicationMonth.objects.aggregate(n=Sum("applications"))["n"] == 3


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
        ({"start": "2026-13"}, "start"),
        ({"start": "2026-13-01"}, "start"),
        ({"start": "2026-05", "end": "2026-04"}, "end"),
        ({"start": "2020-01", "end": "2026-01"}, "start"),
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


def test_every_report_renders_in_a_fixed_number_of_queries(
    history: list[Application], executive: Any
) -> None:
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


def test_periods_are_whole_months(db: None) -> None:
    scope = Scope.of(StaffFactory(roles=[StaffRole.EXECUTIVE]))
    assert scope is not None
    filters = Filters.parse({"start": "2026-02", "end": "2026-02-10"}, scope)
    assert (filters.start, filters.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert filters.as_query() == {"start": "2026-02", "end": "2026-02"}
    default = Filters.default(dt.date(2026, 3, 15))
    assert (default.start, default.end) == (dt.date(2025, 4, 1), dt.date(2026, 3, 31))
    assert Filters.parse({"start": "2025-01", "end": "2026-12"}, scope).end.year == 2026
    with pytest.raises(FilterError):
        Filters.parse({"start": "2024-12", "end": "2026-12"}, scope)  # 25 months


def test_backlog_links_to_the_open_applications_of_its_age(
    history: list[Application], executive: Any
) -> None:
    client = client_for(executive)
    page = client.get(reverse("reports:dashboard", args=["processing"])).content.decode()
    behind = r'href="(/backoffice/reports/applications/\?[^"]+submitted_to=[^"]*)"'
    links = list(dict.fromkeys(re.findall(behind, page)))  # a chart bar and a table row
    assert len(links) == 6, "each of the backlog's buckets links to its applications"
    newest = client.get(links[0].replace("&amp;", "&")).content.decode()
    assert history[-1].reference in newest  # submitted today: 0–7 days
    older = client.get(links[1].replace("&amp;", "&")).content.decode()
    assert history[-1].reference not in older
    bad = client.get(reverse("reports:applications"), {"submitted_from": "yesterday"})
    assert bad.status_code == 400

"""The demo's year of generated history: spread over what the dashboards group by,
consistent with itself (decisions after submissions, clocks, steps, invoices), summed
by the aggregates, and harmless to the pages that list and open applications."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client

from bizportal.applications.models import FINAL_STATUSES, Application, StatusChange
from bizportal.backoffice import demo as staff_demo
from bizportal.catalog import demo as catalog_demo
from bizportal.contact.models import Case
from bizportal.identity.models import User
from bizportal.payments.models import Invoice
from bizportal.reports import demo as history
from bizportal.reports import refresh
from bizportal.reports.models import (
    ApplicationFact,
    ApplicationMonth,
    DecisionMonth,
    PaymentMonth,
    StepFact,
    StepMonth,
)
from bizportal.service_levels import calendar
from bizportal.service_levels.models import Clock, StepClock
from bizportal.surveys import demo as surveys_demo
from bizportal.surveys.models import Invitation, Response

SIZE = 300


@pytest.fixture
def generated(db: Any) -> history.Summary:
    catalog_demo.seed()
    staff_demo.seed()
    surveys_demo.load_designs()
    summary = history.generate(SIZE)
    refresh.refresh(full=True)
    return summary


def test_the_history_spreads_over_what_the_reports_group_by(generated: history.Summary) -> None:
    apps = Application.objects.filter(reference__startswith="BH-")
    assert generated.applications == apps.count() == SIZE
    channels = Counter(apps.values_list("channel", flat=True))
    assert set(channels) == {"online", "counter", "agency"}
    assert channels["online"] > channels["counter"] > 0
    # Counter applications were filed by the demo counter officer, the others by nobody.
    assert set(apps.filter(channel="counter").values_list("filed_by__username", flat=True)) == {
        "counter.osc"
    }
    assert not apps.exclude(channel="counter").filter(filed_by__isnull=False).exists()
    provinces = Counter(apps.values_list("province", flat=True))
    assert len(provinces) >= 30
    assert provinces.most_common(1)[0][0] == "กรุงเทพมหานคร"
    statuses = Counter(apps.values_list("status", flat=True))
    assert set(statuses) == {"issued", "completed", "rejected", "withdrawn"}
    assert set(statuses) <= set(FINAL_STATUSES)
    assert statuses["issued"] > SIZE / 2
    agencies = set(apps.values_list("agency__code", flat=True))
    assert agencies == {"dbd", "bma", "excise", "diw", "dot", "fda"}
    assert apps.values("service").distinct().count() == 7
    months = {app.submitted_at.strftime("%Y-%m") for app in apps.only("submitted_at")}
    assert len(months) >= 12
    # The applicants are invented people, each with their own party.
    people = User.objects.filter(username__startswith="history-")
    assert people.count() == generated.people
    assert not apps.exclude(applicant__in=people).exists()
    assert all(app.party.key == app.applicant.citizen_id for app in apps.select_related("party"))


def test_decisions_clocks_steps_and_payments_are_consistent(generated: history.Summary) -> None:
    apps = list(Application.objects.filter(reference__startswith="BH-").select_related("sla_clock"))
    assert all(app.decided_at > app.submitted_at for app in apps)
    assert all(app.decided_at < dt.datetime.now(dt.UTC) for app in apps)
    assert all(app.created_at <= app.submitted_at for app in apps)
    late = 0
    for app in apps:
        clock = app.sla_clock
        assert clock.stopped_at == app.decided_at
        start = app.submitted_at.astimezone(calendar_tz()).date()
        # Due dates are the calendar's own (the generator counts working days faster).
        assert clock.due_on == calendar.add_working_days(start, clock.sla_days + clock.paused_days)
        decided = app.decided_at.astimezone(calendar_tz()).date()
        assert clock.state == ("met" if decided <= clock.due_on else "breached")
        late += clock.state == "breached"
    assert 0 < late < len(apps) / 3
    steps = StepClock.objects.filter(clock__application__reference__startswith="BH-")
    assert generated.step_clocks == steps.count() > SIZE / 2
    for step in steps.select_related("clock__application"):
        app = step.clock.application
        assert app.submitted_at <= step.started_at < step.completed_at <= app.decided_at
    assert {"review", "inspection", "document_check", "sign_off"} <= set(
        steps.values_list("step", flat=True)
    )
    # Nothing withdrawn has a completed agency step; every application has its history.
    assert not steps.filter(clock__application__status="withdrawn").exists()
    assert StatusChange.objects.filter(application__reference__startswith="BH-").values(
        "application"
    ).distinct().count() == len(apps)
    invoices = Invoice.objects.filter(number__startswith="INVH-")
    assert generated.invoices == invoices.count() > SIZE / 2
    assert set(invoices.values_list("status", flat=True)) == {"paid"}
    assert len(set(invoices.values_list("provider", flat=True))) >= 4
    for invoice in invoices.select_related("application"):
        assert invoice.created_at < invoice.paid_at < invoice.application.decided_at
        assert invoice.application.status == "issued"
    responses = Response.objects.filter(application__reference__startswith="BH-")
    assert generated.responses == responses.count() > 0
    assert not Invitation.objects.filter(answered_at__isnull=True).exists()
    assert generated.cases == Case.objects.filter(reference__startswith="CH-").count() > 0


def calendar_tz() -> Any:
    from django.utils import timezone

    return timezone.get_default_timezone()


def test_the_aggregates_sum_to_the_applications(generated: history.Summary) -> None:
    assert ApplicationFact.objects.count() == SIZE
    assert ApplicationMonth.objects.aggregate(n=Sum("applications"))["n"] == SIZE
    assert DecisionMonth.objects.aggregate(n=Sum("decisions"))["n"] == SIZE
    assert StepFact.objects.aggregate(n=Sum("steps"))["n"] == generated.step_clocks
    assert StepMonth.objects.aggregate(n=Sum("steps"))["n"] == generated.step_clocks
    paid = PaymentMonth.objects.aggregate(n=Sum("payments"), amount=Sum("amount"))
    invoices = Invoice.objects.aggregate(amount=Sum("amount"))
    assert (paid["n"], paid["amount"]) == (generated.invoices, invoices["amount"])
    assert set(ApplicationFact.objects.values_list("channel", flat=True)) == {
        "online",
        "counter",
        "agency",
    }


def test_the_same_seed_gives_the_same_history(db: Any) -> None:
    catalog_demo.seed()
    staff_demo.seed()
    first = history.generate(40, today=dt.date(2026, 11, 30))
    rows = list(
        Application.objects.order_by("reference").values_list(
            "reference", "service__slug", "province", "status", "submitted_at", "decided_at"
        )
    )
    Case.objects.all().delete()
    for model in (Invoice, StatusChange, Clock):
        model.objects.all().delete()
    Response.objects.all().delete()
    Invitation.objects.all().delete()
    Application.objects.all().delete()
    User.objects.filter(username__startswith="history-").delete()
    from bizportal.identity.models import Party

    Party.objects.all().delete()
    assert history.generate(40, today=dt.date(2026, 11, 30)) == first
    assert (
        list(
            Application.objects.order_by("reference").values_list(
                "reference", "service__slug", "province", "status", "submitted_at", "decided_at"
            )
        )
        == rows
    )


def _ok(client: Client, path: str) -> Any:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response


def test_pages_that_list_and_open_generated_applications_still_work(
    generated: history.Summary, client: Client
) -> None:
    apps = Application.objects.filter(reference__startswith="BH-", agency__code="bma")
    officer = User.objects.get(username="officer.bma")
    client.force_login(officer)
    worklist = _ok(client, "/backoffice/worklist/")
    assert "BH-" in worklist.content.decode()
    _ok(client, "/api/v1/applications/worklist/")
    for status in ("issued", "rejected", "withdrawn"):
        app = apps.filter(status=status).first()
        assert app is not None, status
        page = _ok(client, f"/backoffice/applications/{app.public_id}/")
        assert app.reference in page.content.decode()
    counter = Client()
    counter.force_login(User.objects.get(username="counter.osc"))
    assert counter.get("/backoffice/", follow=True).status_code == 200
    supervisor = Client()
    supervisor.force_login(User.objects.get(username="supervisor.bma"))
    for path in ("/backoffice/surveys/", "/backoffice/worklist/"):
        _ok(supervisor, path)
    executive = Client()
    executive.force_login(User.objects.get(username="admin"))
    _ok(executive, "/backoffice/statistics/")
    for slug in ("volumes", "processing", "money", "people", "geography"):
        _ok(executive, f"/backoffice/reports/{slug}/")
    finance = Client()
    finance.force_login(User.objects.get(username="finance.bma"))
    _ok(finance, "/backoffice/finance/reports/")
    # The applicant: the list of their applications and each one's page.
    app = apps.filter(status="issued").select_related("applicant").first()
    assert app is not None
    applicant = Client()
    applicant.force_login(app.applicant)
    mine = _ok(applicant, "/account/")
    assert app.reference in mine.content.decode()
    _ok(applicant, "/api/v1/applications/")
    for own in Application.objects.filter(applicant=app.applicant):
        page = _ok(applicant, f"/applications/{own.public_id}/")
        assert own.reference in page.content.decode()


def test_the_dashboards_show_the_whole_history(generated: history.Summary) -> None:
    from django.utils import timezone

    from bizportal.reports.definitions import Filters, Scope, registry

    today = timezone.localdate()
    filters = Filters(start=today - dt.timedelta(days=366), end=today)  # 13 months
    national = Scope(roles=frozenset({"executive"}))
    volumes = registry["volumes"].run(national, filters)
    assert volumes.kpis[0].value == SIZE
    assert volumes.kpis[1].value == SIZE  # all decided
    geography = registry["geography"].run(national, filters)
    assert geography.kpis[0].value >= 30
    money = registry["money"].run(national, filters)
    assert money.kpis and money.kpis[0].value
    for slug, report in registry:
        assert report.run(national, filters).tables, slug

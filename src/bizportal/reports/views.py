"""The dashboards: a report's KPI tiles, charts and tables, filtered, with every figure
linked to the list of applications behind it.

Only aggregates are shown here (no person); the drill-down list shows applications,
so it is an audited read and is limited to the viewer's scope like the figures.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bizportal.applications import selectors as applications
from bizportal.applications.models import (
    BEFORE_AGENCY,
    FINAL_STATUSES,
    Application,
    Channel,
    Kind,
    Status,
)
from bizportal.catalog.models import Agency, Service
from bizportal.core import audit, authz
from bizportal.core.db import reporting_db

from . import charts, provinces
from .definitions import (
    FilterError,
    Filters,
    Report,
    ReportResult,
    Scope,
    add_months,
    registry,
    reports_for,
)
from .exports import long_date
from .formatting import month_label

#: The files every report downloads as (``reports:export``), with their link texts.
EXPORT_LINKS = (("xlsx", "Excel (.xlsx)"), ("pdf", "PDF"), ("csv", "CSV"))

#: Drill-down parameters besides the report filters, and what each may hold.
DRILL_CHOICES = {
    "status": {*Status.values, "open"},
    "kind": set(Kind.values),
    "channel": set(Channel.values),
}


def _scope(request: HttpRequest) -> Scope:
    if not request.user.is_authenticated:
        raise _Login
    authz.require(request.user, "reports.view")
    scope = Scope.of(request.user)
    assert scope is not None
    return scope


class _Login(Exception):
    pass


def _login(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('backoffice:login')}?next={request.get_full_path()}")


def index(request: HttpRequest) -> HttpResponse:
    """``/backoffice/reports/``: the reports the viewer's roles open."""
    try:
        scope = _scope(request)
    except _Login:
        return _login(request)
    return render(request, "reports/index.html", {"reports": reports_for(scope), "scope": scope})


def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """``/backoffice/reports/<slug>/``: one report with its filters."""
    try:
        scope = _scope(request)
    except _Login:
        return _login(request)
    report = _report(slug, scope)
    try:
        filters = Filters.parse(request.GET, scope)
    except FilterError as error:
        return _filter_error(request, report, scope, error)
    result = report.run(scope, filters)
    return render(request, "reports/dashboard.html", _context(request, result))


def _report(slug: str, scope: Scope) -> Report:
    if slug not in registry or not registry[slug].visible_to(scope):
        raise Http404("no such report")
    return registry[slug]


def _filter_error(
    request: HttpRequest, report: Report, scope: Scope, error: FilterError
) -> HttpResponse:
    context = {
        "report": report,
        "reports": reports_for(scope),
        "error": error,
        "form": _form(scope, Filters.default(), request.GET),
    }
    return render(request, "reports/dashboard.html", context, status=400)


def _context(request: HttpRequest, result: ReportResult) -> dict[str, Any]:
    query = result.filters.as_query()
    tables = []
    for table in result.tables:
        link = _linker(query, table)
        tables.append(
            {
                "table": table,
                "svg": charts.svg(table, link=link),
                "rows": [
                    {
                        "cells": [(column, row.get(column.key)) for column in table.columns],
                        "link": link(row) if link is not None else "",
                    }
                    for row in table.rows
                ],
            }
        )
    return {
        "report": result.report,
        "result": result,
        "reports": reports_for(result.scope),
        "tables": tables,
        "form": _form(result.scope, result.filters, request.GET),
        "query": urlencode(query),
        "export_links": EXPORT_LINKS,
    }


def _linker(query: dict[str, str], table: Any) -> charts.Link | None:
    """How a row of ``table`` links to the applications behind it (None: it does not)."""
    drill = table.drill
    if drill is None:
        return None
    return lambda row: drill_url(query, drill(row))


def drill_url(query: dict[str, str], drill: dict[str, str]) -> str:
    return f"{reverse('reports:applications')}?{urlencode({**query, **drill})}"


def _form(scope: Scope, filters: Filters, data: Any) -> dict[str, Any]:
    """What the filter form offers: agencies for a national viewer, the services of the
    agency in view, and the values given (kept when they were wrong)."""
    db = reporting_db()
    agency = scope.agency_id or filters.agency_id
    services = Service.objects.using(db).order_by("name_th")
    if agency:
        services = services.filter(agency_id=agency)
    return {
        "agencies": list(Agency.objects.using(db).order_by("name_th"))
        if scope.agency_id is None
        else [],
        "services": list(services.only("id", "name_th", "name_en")),
        "provinces": sorted(provinces.PROVINCES, key=lambda province: province.name_th),
        "months": _months(filters),
        "values": {
            **filters.as_query(),
            **{k: v for k, v in data.items() if k in ("agency", "service", "province")},
            **{k: v[:7] for k, v in data.items() if k in ("start", "end") and v},
        },
    }


def _months(filters: Filters) -> list[tuple[str, str]]:
    """The months a period may start or end in, newest first: the last three years and
    any month already chosen (a link may carry an older one)."""
    newest = timezone.localdate().replace(day=1)
    oldest = min(add_months(newest, -(3 * 12 - 1)), filters.start)
    months = []
    month = max(newest, filters.end.replace(day=1))
    while month >= oldest:
        months.append((f"{month:%Y-%m}", month_label(month)))
        month = add_months(month, -1)
    return months


@audit.audited_read(
    "reports.applications_listed",
    "applications.application",
    filters=(
        "start",
        "end",
        "agency",
        "service",
        "province",
        "status",
        "kind",
        "channel",
        "submitted_from",
        "submitted_to",
    ),
)
def applications_behind(request: HttpRequest) -> HttpResponse:
    """``/backoffice/reports/applications/``: the applications behind a figure, in
    submission order, a page at a time; only what the viewer's scope covers."""
    try:
        scope = _scope(request)
    except _Login:
        return _login(request)
    try:
        filters = Filters.parse(request.GET, scope)
        rows = _behind(scope, filters, request.GET)
        page = applications.by_submission(rows, cursor=request.GET.get("after", ""), size=50)
    except FilterError as error:
        return render(request, "reports/applications.html", {"error": error}, status=400)
    except ValidationError as error:
        return render(
            request,
            "reports/applications.html",
            {"error": FilterError("after", error.messages[0])},
            status=400,
        )
    audit.saw(request, page.items)
    query = {k: v for k, v in request.GET.items() if k != "after"}
    return render(
        request,
        "reports/applications.html",
        {
            "page": page,
            "filters": filters,
            "described": _described(filters, request.GET),
            "next": f"?{urlencode({**query, 'after': page.next_cursor})}"
            if page.next_cursor
            else "",
            "may_open": _may_open(request.user, page.items),
        },
    )


def _may_open(user: Any, items: list[Application]) -> set[int]:
    """The applications the viewer may open in the back office: an officer's own
    agency's (no query per row: the rule is the worklist's)."""
    if not authz.allowed(user, "backoffice.worklist"):
        return set()
    return {application.pk for application in items if application.agency_id == user.agency_id}


def _behind(scope: Scope, filters: Filters, data: Any) -> Any:
    rows = Application.objects.using(reporting_db()).exclude(status__in=BEFORE_AGENCY)
    start = timezone.make_aware(dt.datetime.combine(filters.start, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time.min))
    rows = rows.filter(submitted_at__gte=start, submitted_at__lt=end)
    rows = _submitted_between(rows, data)
    agency = scope.agency_id or filters.agency_id
    if agency:
        rows = rows.filter(agency_id=agency)
    if scope.filed_by_id is not None:
        rows = rows.filter(filed_by_id=scope.filed_by_id)
    if filters.service_id:
        rows = rows.filter(service_id=filters.service_id)
    if filters.province:
        rows = rows.filter(province__in=provinces.spellings(filters.province))
    for name, allowed in DRILL_CHOICES.items():
        value = data.get(name, "")
        if not value:
            continue
        if value not in allowed:
            raise FilterError(name, _("Choose from the list."))
        if name == "status" and value == "open":
            rows = rows.exclude(status__in=FINAL_STATUSES)
        else:
            rows = rows.filter(**{name: value})
    return rows.select_related("service", "agency").only(
        "public_id",
        "reference",
        "kind",
        "status",
        "channel",
        "province",
        "submitted_at",
        "decided_at",
        "agency_id",
        "service_id",
        "service__name_th",
        "service__name_en",
        "service__slug",
        "agency__name_th",
        "agency__name_en",
        "agency__code",
    )


def _submitted_between(rows: Any, data: Any) -> Any:
    """Narrow to the days a figure counts (the backlog's age buckets) within the months."""
    for name, lookup in (("submitted_from", "gte"), ("submitted_to", "lt")):
        value = data.get(name, "")
        if not value:
            continue
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise FilterError(
                name, _("Enter the date as year-month-day, e.g. 2026-01-31.")
            ) from None
        if lookup == "lt":
            day += dt.timedelta(days=1)
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        rows = rows.filter(**{f"submitted_at__{lookup}": moment})
    return rows


def _described(filters: Filters, data: Any) -> list[tuple[str, str]]:
    """The filters in words, above the list."""
    described = []
    for label, name, choices in (
        (_("Status"), "status", {**dict(Status.choices), "open": _("Still open")}),
        (_("Type of application"), "kind", dict(Kind.choices)),
        (_("Channel"), "channel", dict(Channel.choices)),
    ):
        value = data.get(name, "")
        if value:
            described.append((label, str(choices.get(value, value))))
    if filters.province:
        described.append((_("Province"), filters.province))
    days = [data.get(name, "") for name in ("submitted_from", "submitted_to")]
    if any(days):
        described.append(
            (
                _("Submitted"),
                " – ".join(long_date(dt.date.fromisoformat(day)) if day else "…" for day in days),
            )
        )
    return described

"""Pages that give a report as a file: at once for a short period, else prepared in the
background with a status page and a download link for the requester only.

Why the split at :data:`DIRECT_MONTHS`: a quarter of roll-ups renders within a request;
a longer period (up to two years, every agency) may not, and a request that times out
leaves the person with nothing. Every file handed out is written to the audit trail.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from bizportal.core import audit, authz

from . import exports, tasks
from .definitions import FilterError, Filters, Report, Scope, months_between, registry
from .models import Export, ExportStatus

#: The longest period (months) whose file is made within the request.
DIRECT_MONTHS = 3
#: Seconds between two looks of the status page at an export being prepared.
REFRESH_SECONDS = 3


def _lookup(slug: str) -> Report | None:
    try:
        return registry[slug]
    except LookupError:
        return None


def _report(request: HttpRequest, slug: str) -> tuple[Report, Scope]:
    """The report if the viewer may open it; otherwise the 404 of an unknown report."""
    scope = Scope.of(request.user)
    report = _lookup(slug)
    if report is None or scope is None or not report.visible_to(scope):
        raise Http404("no such report")
    return report, scope


def _no_store(response: Any) -> Any:
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
def export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    """The report ``slug`` as ``fmt`` (xlsx, pdf or csv) for the filters in the query."""
    file_format = exports.FORMATS.get(fmt)
    if file_format is None:
        raise Http404("no such file format")
    report, scope = _report(request, slug)
    try:
        filters = Filters.parse(request.GET, scope)
    except FilterError as error:
        response = render(
            request,
            "reports/export_status.html",
            {"report": report, "problem": str(error), "field": error.field},
            status=400,
        )
        return _no_store(response)
    if months_between(filters.start, filters.end) > DIRECT_MONTHS:
        queued = tasks.request_export(request.user, report, fmt, filters)
        return redirect("reports:export-status", public_id=queued.public_id)
    data = file_format.render(report.run(scope, filters))
    with transaction.atomic():
        audit.record(
            "report.exported",
            ("report", report.slug),
            actor=request.user,
            format=fmt,
            **filters.as_query(),
        )
    response = HttpResponse(data, content_type=file_format.content_type)
    name = exports.filename(report.slug, filters.start, filters.end, file_format.extension)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _no_store(response)


def _mine(request: HttpRequest, public_id: uuid.UUID | str) -> Export:
    """The requester's own export; anyone else gets the same 404 as a wrong id."""
    found = Export.objects.filter(public_id=public_id).first()
    if found is None or not authz.allowed(request.user, "reports.download", found):
        raise Http404("no such export")
    return found


@require_GET
@login_required
def export_status(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """How far the file is; refreshes itself until it is ready or has failed."""
    found = _mine(request, public_id)
    report = _lookup(found.report)
    finished = found.status in (ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.EXPIRED)
    again = (
        f"{reverse('reports:dashboard', args=[found.report])}?{_query(found.parameters)}"
        if report is not None
        else ""
    )
    download = (
        reverse("reports:export-download", kwargs={"public_id": found.public_id})
        if found.status == ExportStatus.DONE and found.file
        else ""
    )
    response = render(
        request,
        "reports/export_status.html",
        {
            "export": found,
            "report": report,
            "finished": finished,
            "download": download,
            "refresh": REFRESH_SECONDS,
            "format_name": found.file_format.upper(),
            "period": _period(found),
            "again": again,
            "kept_days": settings.BIZPORTAL_REPORT_EXPORT_DAYS,
        },
    )
    if not finished:
        response["Retry-After"] = str(REFRESH_SECONDS)
    return _no_store(response)


def _query(parameters: dict[str, Any] | None) -> str:
    """The report's filters as a query in the filter form's order (a JSON column on
    PostgreSQL keeps its keys in an order of its own)."""
    order = ("start", "end", "agency", "service", "province")
    stored = parameters or {}
    return urlencode([(name, stored[name]) for name in order if stored.get(name)])


def _period(found: Export) -> str:
    parameters = found.parameters or {}
    try:
        start, end = (
            dt.date.fromisoformat(parameters["start"]),
            dt.date.fromisoformat(parameters["end"]),
        )
    except (KeyError, TypeError, ValueError):
        return ""
    return f"{exports.long_date(start)} – {exports.long_date(end)}"


@require_GET
@login_required
def export_download(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The prepared file, for its requester only; audited. Not ready yet: the status page."""
    found = _mine(request, public_id)
    if found.status != ExportStatus.DONE or not found.file:
        return redirect("reports:export-status", public_id=found.public_id)
    file_format = exports.FORMATS.get(found.file_format)
    if file_format is None:
        raise Http404("no such file format")
    with transaction.atomic():
        audit.record(
            "report.export_downloaded",
            found,
            actor=request.user,
            report=found.report,
            format=found.file_format,
        )
    response = FileResponse(
        found.file.open("rb"),
        content_type=file_format.content_type,
        as_attachment=True,
        filename=(found.file.name or "").rsplit("/", 1)[-1],
    )
    return _no_store(response)

"""Read-only statistics for executives: how many applications, where, how fast.

Aggregates only (no personal data), one grouped query per table so the page costs the
same at one application or ten million.
"""

from __future__ import annotations

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bizportal.applications.models import BEFORE_AGENCY, FINAL_STATUSES, Application, Status
from bizportal.catalog.models import Agency
from bizportal.core.db import reporting_db
from bizportal.licences.models import Licence
from bizportal.service_levels.models import Clock
from bizportal.service_levels.models import State as SlaState

from .views import staff_only


@staff_only("backoffice.statistics")
def overview(request: HttpRequest) -> HttpResponse:
    """``/backoffice/statistics/``: per agency, applications by status and time to decide.

    Read from the reporting database (the read replica when there is one): aggregates
    over every application are the heaviest reads, and a second of lag does not matter.
    """
    db = reporting_db()
    submitted = Application.objects.using(db).exclude(status__in=BEFORE_AGENCY)
    by_agency = (
        submitted.values("agency_id")
        .annotate(
            total=Count("id"),
            waiting=Count("id", filter=~Q(status__in=FINAL_STATUSES)),
            issued=Count("id", filter=Q(status=Status.ISSUED)),
            rejected=Count("id", filter=Q(status=Status.REJECTED)),
            by_company=Count("id", filter=Q(holder_kind="juristic")),
            at_counter=Count("id", filter=Q(filed_by__isnull=False)),
            average=Avg(
                ExpressionWrapper(
                    F("decided_at") - F("submitted_at"), output_field=DurationField()
                ),
                filter=Q(decided_at__isnull=False),
            ),
        )
        .order_by("agency_id")
    )
    agencies = {agency.pk: agency for agency in Agency.objects.using(db)}
    service_levels = _service_levels_by_agency(db)
    rows = [
        {
            **row,
            "agency": agencies.get(row["agency_id"]),
            "sla": service_levels.get(row["agency_id"], {}),
        }
        for row in by_agency
    ]
    licences = [
        (Licence.Status(status).label, n)
        for status, n in Licence.objects.using(db)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by("status")
    ]
    return render(
        request,
        "backoffice/statistics.html",
        {
            "rows": rows,
            "total": sum(row["total"] for row in rows),
            "licences": licences,
            "drafts": Application.objects.using(db).filter(status__in=BEFORE_AGENCY).count(),
        },
    )


def _service_levels_by_agency(db: str) -> dict[int, dict[str, int | None]]:
    """Per agency, from the same service-level clocks the worklists show: open
    applications at risk or overdue, and decided ones that met their due date or not
    (with the share met, in percent)."""
    open_clock = Q(stopped_at__isnull=True)
    rows = (
        Clock.objects.using(db)
        .values("agency_id")
        .annotate(
            at_risk=Count("id", filter=open_clock & Q(state=SlaState.AT_RISK)),
            overdue=Count("id", filter=open_clock & Q(state=SlaState.BREACHED)),
            met=Count("id", filter=Q(state=SlaState.MET)),
            late=Count("id", filter=Q(stopped_at__isnull=False, state=SlaState.BREACHED)),
        )
        .order_by("agency_id")
    )
    result: dict[int, dict[str, int | None]] = {}
    for row in rows:
        decided = row["met"] + row["late"]
        result[row["agency_id"]] = {
            "at_risk": row["at_risk"],
            "overdue": row["overdue"],
            "met": row["met"],
            "late": row["late"],
            "met_percent": round(100 * row["met"] / decided) if decided else None,
        }
    return result

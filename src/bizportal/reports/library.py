"""The catalogue of reports: volumes, processing, money, people and geography.

Each report sums the aggregate tables (:mod:`bizportal.reports.models`) within the
viewer's scope, a fixed handful of grouped queries whatever the period or the size of
the history; names of agencies and services are read once per report. People figures
(surveys, complaints) come from their own small tables.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bizportal.applications.models import FINAL_STATUSES, Channel, Kind, Status
from bizportal.catalog.models import Agency, Service
from bizportal.contact.models import Case, CaseStatus, Category
from bizportal.core.db import reporting_db
from bizportal.core.templatetags.thai import pick
from bizportal.identity.models import StaffRole
from bizportal.payments.models import Refund, RefundReason
from bizportal.surveys.models import Answer

from .definitions import (
    Chart,
    Column,
    ColumnKind,
    Filters,
    Kpi,
    Report,
    ReportResult,
    Scope,
    Table,
    registry,
)
from .models import (
    ApplicationFact,
    ApplicationMonth,
    ApplicationProvinceMonth,
    DecisionMonth,
    PaymentMonth,
    ProvinceMonth,
    StepMonth,
)

NATIONAL = frozenset({StaffRole.EXECUTIVE, StaffRole.PLATFORM_ADMIN})
SUPERVISION = NATIONAL | {StaffRole.AGENCY_SUPERVISOR}
#: Open applications older than these many days fall in the next bucket of the backlog.
AGE_BUCKETS = (7, 15, 30, 60, 90)

APPLICATIONS = Column("applications", _("Applications"), ColumnKind.COUNT)


def _scoped(rows: QuerySet[Any], scope: Scope, filters: Filters) -> QuerySet[Any]:
    """``rows`` of the viewer's agency (or the chosen one) and the chosen service."""
    agency = scope.agency_id or filters.agency_id
    if agency:
        rows = rows.filter(agency_id=agency)
    if filters.service_id:
        rows = rows.filter(service_id=filters.service_id)
    return rows


def monthly(model: Any, scope: Scope, filters: Filters) -> QuerySet[Any]:
    """The rows of the monthly roll-up ``model`` in the period and the viewer's scope."""
    rows = model.objects.using(reporting_db()).filter(
        month__gte=filters.start, month__lte=filters.end
    )
    if scope.filed_by_id is not None:
        return rows.none()  # a counter officer's figures come from what they filed only
    return _scoped(rows, scope, filters)


def per_application(scope: Scope, filters: Filters) -> QuerySet[Any]:
    """Each application submitted in the period, in the viewer's scope and every filter,
    with ``month`` and ``applications`` to sum like a roll-up. Read for the slices the
    roll-ups do not cut (a counter officer's own filings, the open applications by age),
    which an index keeps small."""
    rows = ApplicationFact.objects.using(reporting_db()).filter(
        day__gte=filters.start, day__lte=filters.end
    )
    rows = _scoped(rows, scope, filters)
    if filters.province:
        rows = rows.filter(province=filters.province)
    if scope.filed_by_id is not None:
        rows = rows.filter(filed_by_id=scope.filed_by_id)
    return rows.annotate(month=TruncMonth("day"), applications=Value(1))


def applications(scope: Scope, filters: Filters) -> QuerySet[Any]:
    """What application counts are summed from: the monthly roll-up (cut by province
    when one is chosen), or for a counter officer the applications they filed (a small
    slice, through its index)."""
    if scope.filed_by_id is not None:
        return per_application(scope, filters)
    if filters.province:
        return monthly(ApplicationProvinceMonth, scope, filters).filter(province=filters.province)
    return monthly(ApplicationMonth, scope, filters)


def _names(model: Any, ids: Iterable[int]) -> dict[int, str]:
    rows = model.objects.using(reporting_db()).only("name_th", "name_en")
    found = rows.in_bulk({i for i in ids if i})
    return {pk: str(pick(obj, "name")) for pk, obj in found.items()}


def _by_month(rows: QuerySet[Any], **sums: Any) -> list[dict[str, Any]]:
    return list(rows.values("month").annotate(**sums).order_by("month"))


def _drill(**fixed: str) -> Any:
    def drill(row: dict[str, Any]) -> dict[str, str]:
        return {
            name: str(row[key]) for name, key in fixed.items() if row.get(key) not in (None, "")
        }

    return drill


def _choice_rows(
    rows: Iterable[Mapping[str, Any]], key: str, labels: dict[str, Any]
) -> list[dict[str, Any]]:
    return [{**row, "label": str(labels.get(row[key], row[key]))} for row in rows]


def _slowest_first(row: dict[str, Any]) -> float:
    return -float(row["p90"] or 0)


def percentile(histogram: dict[int, int], fraction: float) -> float | None:
    """The ``fraction`` quantile (nearest rank) of values counted in ``histogram``."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, -(-int(total * fraction * 1000) // 1000))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return float(value)
    return float(max(histogram))


@registry.register("volumes")
class Volumes(Report):
    slug = "volumes"
    title = _("Application volumes")
    description = _("Applications by month, agency, service, type, channel and status.")
    roles = SUPERVISION | {StaffRole.COUNTER_OFFICER}

    def run(self, scope: Scope, filters: Filters) -> ReportResult:
        rows = applications(scope, filters)

        def grouped(field: str, name: str) -> list[dict[str, Any]]:
            """Sums by one dimension, added up by the database: each a small answer,
            where the whole cube would ship every row of the roll-up to Python."""
            sums = rows.order_by().values_list(field).annotate(n=Sum("applications"))
            ranked = sorted(sums, key=lambda item: (-item[1], str(item[0])))
            return [{name: value, "applications": n} for value, n in ranked]

        by_status = grouped("status", "status")
        total = sum(row["applications"] for row in by_status)
        decided = sum(row["applications"] for row in by_status if row["status"] in FINAL_STATUSES)
        issued = sum(row["applications"] for row in by_status if row["status"] == Status.ISSUED)
        result = ReportResult(self, scope, filters)
        result.kpis = [
            Kpi(_("Applications submitted"), total),
            Kpi(_("Decided"), decided),
            Kpi(_("Still open"), total - decided),
            Kpi(_("Licences issued"), issued),
        ]

        by_agency = grouped("agency_id", "agency_id")
        agencies = _names(Agency, (r["agency_id"] for r in by_agency))
        by_service = grouped("service_id", "service_id")
        services = _names(Service, (r["service_id"] for r in by_service))
        months = sorted(grouped("month", "month"), key=lambda row: row["month"])
        name = Column("label", pgettext_lazy("report column", "Name"))
        result.tables = [
            Table(
                "months",
                _("Applications by month"),
                (Column("month", _("Month"), ColumnKind.MONTH), APPLICATIONS),
                months,
                Chart("line", "month", ("applications",)),
            ),
            Table(
                "agencies",
                _("By agency"),
                (Column("label", _("Agency")), APPLICATIONS),
                [{**r, "label": agencies.get(r["agency_id"], "")} for r in by_agency],
                Chart("hbar", "label", ("applications",)),
                _drill(agency="agency_id"),
            ),
            Table(
                "services",
                _("By service"),
                (Column("label", _("Service")), APPLICATIONS),
                [{**r, "label": services.get(r["service_id"], "")} for r in by_service],
                Chart("hbar", "label", ("applications",)),
                _drill(service="service_id"),
            ),
            Table(
                "kinds",
                _("By type of application"),
                (name, APPLICATIONS),
                _choice_rows(
                    sorted(grouped("kind", "kind"), key=lambda row: row["kind"]),
                    "kind",
                    dict(Kind.choices),
                ),
                Chart("bar", "label", ("applications",)),
                _drill(kind="kind"),
            ),
            Table(
                "channels",
                _("By channel"),
                (name, APPLICATIONS),
                _choice_rows(
                    sorted(grouped("channel", "channel"), key=lambda row: row["channel"]),
                    "channel",
                    dict(Channel.choices),
                ),
                Chart("bar", "label", ("applications",)),
                _drill(channel="channel"),
            ),
            Table(
                "statuses",
                _("By status now"),
                (name, APPLICATIONS),
                _choice_rows(
                    by_status,
                    "status",
                    dict(Status.choices),
                ),
                Chart("hbar", "label", ("applications",)),
                _drill(status="status"),
            ),
        ]
        return result


@registry.register("processing")
class Processing(Report):
    slug = "processing"
    title = _("Processing times and service levels")
    description = _(
        "Working days to a decision per service and per step, bottlenecks, the backlog by "
        "age and decisions within the promised time."
    )
    roles = SUPERVISION

    def run(self, scope: Scope, filters: Filters) -> ReportResult:
        # One grouped read of the decisions; the KPIs and the per-service table are
        # summed from it.
        cells = list(
            self._decisions(scope, filters)
            .order_by()
            .values_list("service_id", "working_days", "on_time")
            .annotate(n=Sum("decisions"))
        )
        steps = monthly(StepMonth, scope, filters)
        result = ReportResult(self, scope, filters)
        per_service = self._per_service(cells)
        overall: dict[int, int] = defaultdict(int)
        timed = {"n": 0, "on_time": 0}
        for _service, working_days, on_time, n in cells:
            overall[working_days] += n
            if on_time is not None:
                timed["n"] += n
                timed["on_time"] += n if on_time else 0
        backlog = self._backlog(scope, filters)
        result.kpis = [
            Kpi(_("Decisions"), sum(overall.values())),
            Kpi(_("Median working days"), percentile(overall, 0.5), ColumnKind.DAYS),
            Kpi(_("90th percentile, working days"), percentile(overall, 0.9), ColumnKind.DAYS),
            Kpi(
                _("Decided within the promised time"),
                timed["on_time"] / timed["n"] if timed["n"] else None,
                ColumnKind.PERCENT,
            ),
            Kpi(_("Open applications"), sum(row["applications"] for row in backlog)),
        ]
        days = (
            Column("decisions", _("Decisions"), ColumnKind.COUNT),
            Column("median", _("Median working days"), ColumnKind.DAYS),
            Column("p90", _("90th percentile"), ColumnKind.DAYS),
            Column("on_time", _("Within the promised time"), ColumnKind.PERCENT),
        )
        result.tables = [
            Table(
                "services",
                _("Working days to a decision, per service"),
                (Column("label", _("Service")), *days),
                per_service,
                Chart("hbar", "label", ("median", "p90")),
                _drill(service="service_id"),
                _("Decisions are counted in every province.") if filters.province else "",
            ),
            Table(
                "steps",
                _("Steps that take longest (bottlenecks)"),
                (Column("label", _("Step")), Column("service", _("Service")), *days),
                self._per_step(steps),
                Chart("hbar", "label", ("p90",)),
                _drill(service="service_id"),
                self._steps_note(filters),
            ),
            Table(
                "backlog",
                _("Open applications by age"),
                (Column("label", _("Days since submission")), APPLICATIONS),
                backlog,
                Chart("bar", "label", ("applications",)),
                _drill(status="status", submitted_from="from", submitted_to="to"),
            ),
        ]
        return result

    def _steps_note(self, filters: Filters) -> Any:
        note = _("Ordered by the 90th percentile: the slowest steps first.")
        if filters.province:
            return format_lazy("{} {}", note, _("Steps are counted in every province."))
        return note

    def _decisions(self, scope: Scope, filters: Filters) -> QuerySet[Any]:
        """Decisions of the period, as a histogram of working days (every province:
        processing times are the agency's, not the applicant's province's)."""
        return monthly(DecisionMonth, scope, filters)

    def _per_service(self, cells: list[tuple[int, int, bool | None, int]]) -> list[dict[str, Any]]:
        histograms: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        on_time: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for service, working_days, timely, n in cells:
            histograms[service][working_days] += n
            if timely is not None:
                on_time[service][0] += n if timely else 0
                on_time[service][1] += n
        names = _names(Service, histograms)
        rows = [
            {
                "service_id": service,
                "label": names.get(service, ""),
                "decisions": sum(histogram.values()),
                "median": percentile(histogram, 0.5),
                "p90": percentile(histogram, 0.9),
                "on_time": on_time[service][0] / on_time[service][1]
                if on_time[service][1]
                else None,
            }
            for service, histogram in histograms.items()
        ]
        return sorted(rows, key=_slowest_first)

    def _per_step(self, steps: QuerySet[Any]) -> list[dict[str, Any]]:
        histograms: dict[tuple[int, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
        on_time: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
        labels: dict[tuple[int, str], str] = {}
        for row in steps.values(
            "service_id", "step", "step_name", "working_days", "on_time"
        ).annotate(n=Sum("steps")):
            key = (row["service_id"], row["step"])
            labels[key] = row["step_name"] or row["step"]
            histograms[key][row["working_days"]] += row["n"]
            on_time[key][0] += row["n"] if row["on_time"] else 0
            on_time[key][1] += row["n"]
        names = _names(Service, (service for service, _step in histograms))
        rows = [
            {
                "service_id": key[0],
                "label": labels[key],
                "service": names.get(key[0], ""),
                "decisions": sum(histogram.values()),
                "median": percentile(histogram, 0.5),
                "p90": percentile(histogram, 0.9),
                "on_time": on_time[key][0] / on_time[key][1] if on_time[key][1] else None,
            }
            for key, histogram in histograms.items()
        ]
        return sorted(rows, key=_slowest_first)[:20]

    def _backlog(self, scope: Scope, filters: Filters) -> list[dict[str, Any]]:
        """Open applications submitted in the period, by how long ago (calendar days to
        the period's end)."""
        rows = per_application(scope, filters).filter(decided_on__isnull=True)
        # COUNT(*): the open applications' partial index answers alone (index-only).
        per_day = rows.values("day").annotate(n=Count("*")).order_by()
        until = min(filters.end, timezone.localdate())
        buckets = [0] * (len(AGE_BUCKETS) + 1)
        for row in per_day:
            age = (until - row["day"]).days
            index = next(
                (i for i, limit in enumerate(AGE_BUCKETS) if age <= limit), len(AGE_BUCKETS)
            )
            buckets[index] += row["n"]
        bounds = [0, *[limit + 1 for limit in AGE_BUCKETS]]
        result = []
        for i, count in enumerate(buckets):
            low = bounds[i]
            high = AGE_BUCKETS[i] if i < len(AGE_BUCKETS) else None
            result.append(
                {
                    "label": f"{low}–{high}" if high is not None else f"> {low - 1}",
                    "applications": count,
                    "status": "open",
                    # submitted between these dates: the drill-down list's days
                    "from": (until - dt.timedelta(days=high)).isoformat()
                    if high is not None
                    else "",
                    "to": (until - dt.timedelta(days=low)).isoformat(),
                }
            )
        return result


@registry.register("money")
class Money(Report):
    slug = "money"
    title = _("Fees collected and refunded")
    description = _("Collections per month, agency and payment channel; refunds by reason.")
    roles = NATIONAL | {StaffRole.AGENCY_SUPERVISOR, StaffRole.FINANCE}

    def run(self, scope: Scope, filters: Filters) -> ReportResult:
        payments = monthly(PaymentMonth, scope, filters)
        result = ReportResult(self, scope, filters)
        totals = payments.aggregate(n=Sum("payments"), amount=Sum("amount"))
        refunds = self._refunds(scope, filters)
        refunded = sum((row["amount"] for row in refunds), Decimal("0.00"))
        result.kpis = [
            Kpi(_("Collected"), totals["amount"] or Decimal("0.00"), ColumnKind.MONEY),
            Kpi(_("Payments"), totals["n"] or 0),
            Kpi(_("Refunded"), refunded, ColumnKind.MONEY),
            Kpi(
                _("Net of refunds"),
                (totals["amount"] or Decimal("0.00")) - refunded,
                ColumnKind.MONEY,
            ),
        ]
        money = (
            Column("payments", _("Payments"), ColumnKind.COUNT),
            Column("amount", _("Amount (baht)"), ColumnKind.MONEY),
        )
        by_agency = list(
            payments.values("agency_id")
            .annotate(payments=Sum("payments"), amount=Sum("amount"))
            .order_by("-amount")
        )
        agencies = _names(Agency, (r["agency_id"] for r in by_agency))
        result.tables = [
            Table(
                "months",
                _("Collections by month"),
                (Column("month", _("Month"), ColumnKind.MONTH), *money),
                _by_month(payments, payments=Sum("payments"), amount=Sum("amount")),
                Chart("line", "month", ("amount",)),
                note=_("Fees are counted in every province.") if filters.province else "",
            ),
            Table(
                "agencies",
                _("Collections by agency"),
                (Column("label", _("Agency")), *money),
                [{**r, "label": agencies.get(r["agency_id"], "")} for r in by_agency],
                Chart("hbar", "label", ("amount",)),
            ),
            Table(
                "channels",
                _("Collections by payment channel"),
                (Column("label", _("Channel")), *money),
                [
                    {**r, "label": r["provider"] or "–"}
                    for r in payments.values("provider")
                    .annotate(payments=Sum("payments"), amount=Sum("amount"))
                    .order_by("-amount")
                ],
                Chart("bar", "label", ("amount",)),
            ),
            Table(
                "refunds",
                _("Refunds by reason"),
                (
                    Column("label", _("Reason")),
                    Column("refunds", _("Refunds"), ColumnKind.COUNT),
                    Column("amount", _("Amount (baht)"), ColumnKind.MONEY),
                ),
                refunds,
                Chart("bar", "label", ("amount",)),
            ),
        ]
        return result

    def _refunds(self, scope: Scope, filters: Filters) -> list[dict[str, Any]]:
        rows = Refund.objects.using(reporting_db()).filter(
            state=Refund.State.COMPLETED,
            completed_at__date__gte=filters.start,
            completed_at__date__lte=filters.end,
        )
        agency = scope.agency_id or filters.agency_id
        if agency:
            rows = rows.filter(agency_id=agency)
        if filters.service_id:
            rows = rows.filter(invoice__application__service_id=filters.service_id)
        if scope.filed_by_id is not None:
            rows = rows.none()
        grouped = (
            rows.values("reason_code")
            .annotate(refunds=Count("id"), amount=Sum("amount"))
            .order_by("-amount")
        )
        return _choice_rows(grouped, "reason_code", dict(RefundReason.choices))


@registry.register("people")
class People(Report):
    slug = "people"
    title = _("Satisfaction and complaints")
    description = _(
        "Satisfaction scores per agency and service; complaints by category and outcome."
    )
    roles = SUPERVISION

    def run(self, scope: Scope, filters: Filters) -> ReportResult:
        answers = Answer.objects.using(reporting_db()).filter(
            rating__isnull=False,
            response__submitted_at__date__gte=filters.start,
            response__submitted_at__date__lte=filters.end,
        )
        cases = Case.objects.using(reporting_db()).filter(
            opened_at__date__gte=filters.start, opened_at__date__lte=filters.end
        )
        agency = scope.agency_id or filters.agency_id
        if agency:
            answers = answers.filter(response__agency_id=agency)
            cases = cases.filter(Q(owner_agency_id=agency) | Q(agencies__id=agency)).distinct()
        if filters.service_id:
            answers = answers.filter(response__service_id=filters.service_id)
            cases = cases.filter(service_id=filters.service_id)
        overall = answers.aggregate(score=Avg("rating"), responses=Count("response", distinct=True))
        by_service = list(
            answers.values("response__service_id")
            .annotate(score=Avg("rating"), responses=Count("response", distinct=True))
            .order_by("-responses")
        )
        services = _names(Service, (r["response__service_id"] for r in by_service))
        complaints = cases.filter(kind="complaint")
        outcome = list(
            complaints.values("category")
            .annotate(
                cases=Count("id", distinct=True),
                open=Count("id", filter=Q(status=CaseStatus.OPEN), distinct=True),
                answered=Count("id", filter=Q(status=CaseStatus.ANSWERED), distinct=True),
                closed=Count("id", filter=Q(status=CaseStatus.CLOSED), distinct=True),
            )
            .order_by("-cases")
        )
        result = ReportResult(self, scope, filters)
        result.kpis = [
            Kpi(_("Average satisfaction (1–5)"), overall["score"], ColumnKind.SCORE),
            Kpi(_("Survey responses"), overall["responses"] or 0),
            Kpi(pgettext_lazy("report", "Complaints"), sum(row["cases"] for row in outcome)),
            Kpi(_("Enquiries"), cases.filter(kind="enquiry").count()),
        ]
        result.tables = [
            Table(
                "satisfaction",
                _("Satisfaction per service"),
                (
                    Column("label", _("Service")),
                    Column("score", _("Average score"), ColumnKind.SCORE),
                    Column("responses", _("Responses"), ColumnKind.COUNT),
                ),
                [{**r, "label": services.get(r["response__service_id"], "")} for r in by_service],
                Chart("hbar", "label", ("score",)),
            ),
            Table(
                "complaints",
                _("Complaints by category and outcome"),
                (
                    Column("label", pgettext_lazy("complaint", "Category")),
                    Column("cases", pgettext_lazy("report", "Complaints"), ColumnKind.COUNT),
                    Column("open", _("Awaiting an answer"), ColumnKind.COUNT),
                    Column("answered", _("Answered"), ColumnKind.COUNT),
                    Column("closed", pgettext_lazy("complaints", "Closed"), ColumnKind.COUNT),
                ),
                _choice_rows(outcome, "category", dict(Category.choices)),
                Chart("hbar", "label", ("cases",)),
            ),
        ]
        return result


@registry.register("geography")
class Geography(Report):
    slug = "geography"
    title = _("Applications by province")
    description = _("Where applicants' businesses are, on a map of Thailand and in a table.")
    roles = SUPERVISION | {StaffRole.COUNTER_OFFICER}

    def run(self, scope: Scope, filters: Filters) -> ReportResult:
        if scope.filed_by_id is None:
            rows = monthly(ProvinceMonth, scope, filters)
            if filters.province:
                rows = rows.filter(province=filters.province)
            issued = Q(issued=True)
        else:
            rows, issued = per_application(scope, filters), Q(status=Status.ISSUED)
        by_province = [
            {
                "province": row["province"] or "",
                "applications": row["n"],
                "issued": row["issued"] or 0,
            }
            for row in rows.values("province")
            .annotate(n=Sum("applications"), issued=Sum("applications", filter=issued))
            .order_by("-n")
        ]
        located = [row for row in by_province if row["province"]]
        result = ReportResult(self, scope, filters)
        result.kpis = [
            Kpi(_("Provinces with applications"), len(located)),
            Kpi(_("Applications"), sum(row["applications"] for row in by_province)),
            Kpi(
                _("Without a province"),
                sum(row["applications"] for row in by_province if not row["province"]),
            ),
        ]
        result.tables = [
            Table(
                "provinces",
                _("Applications by province"),
                (
                    Column("province", _("Province")),
                    APPLICATIONS,
                    Column("issued", _("Licences issued"), ColumnKind.COUNT),
                ),
                located,
                Chart("map", "province", ("applications",)),
                _drill(province="province"),
            ),
        ]
        return result

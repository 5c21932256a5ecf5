"""Finance and treasury reports: collections per day, agency and channel; what is due to
each agency (collected less refunded); refunds; outstanding invoices.

Every total is summed by the database (grouped aggregates, a fixed number of queries
whatever the period), from the reporting database; the Excel and PDF files are built
from the same :class:`FinanceReport`, so the page, the spreadsheet and the PDF agree.
A finance officer's report covers their agency; an executive's covers all.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from typing import Any

from django.db.models import Count, Min, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from bizportal.catalog.models import Agency
from bizportal.core.db import reporting_db
from bizportal.core.pdf import render_pdf
from bizportal.core.thai import thai_date

from .models import Invoice, Refund

ZERO = Decimal("0.00")
MAX_DAYS = 366


@dataclass
class FinanceReport:
    start: dt.date
    end: dt.date
    agency: Agency | None
    collections: list[dict[str, Any]] = field(default_factory=list)
    remittance: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    outstanding: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Decimal] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def days(self) -> list[tuple[dt.date, Decimal]]:
        """Collections per day over the whole period (days without any: zero)."""
        per_day: dict[dt.date, Decimal] = {}
        for row in self.collections:
            per_day[row["day"]] = per_day.get(row["day"], ZERO) + row["total"]
        span = (self.end - self.start).days + 1
        return [
            (day, per_day.get(day, ZERO))
            for day in (self.start + dt.timedelta(days=i) for i in range(span))
        ]


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time.min)),
        timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)),
    )


def _scoped(queryset: QuerySet[Any], agency: Agency | None, path: str) -> QuerySet[Any]:
    return queryset if agency is None else queryset.filter(**{path: agency})


def build(start: dt.date, end: dt.date, *, agency: Agency | None) -> FinanceReport:
    """The report for local days ``start``..``end`` (inclusive); ``agency`` None: all."""
    db = reporting_db()
    since, until = _bounds(start, end)
    local = timezone.get_current_timezone()
    report = FinanceReport(start=start, end=end, agency=agency)
    agencies = {a.pk: a for a in Agency.objects.using(db).only("id", "code", "name_th", "name_en")}
    paid = _scoped(
        Invoice.objects.using(db).filter(
            status=Invoice.Status.PAID, paid_at__gte=since, paid_at__lt=until
        ),
        agency,
        "application__agency",
    )
    for row in (
        paid.annotate(day=TruncDate("paid_at", tzinfo=local))
        .values("day", "application__agency_id", "provider")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("day", "application__agency_id", "provider")
    ):
        report.collections.append(
            {
                "day": row["day"],
                "agency": agencies.get(row["application__agency_id"]),
                "provider": row["provider"],
                "count": row["n"],
                "total": row["total"] or ZERO,
            }
        )
    refunded = _scoped(
        Refund.objects.using(db).filter(
            state=Refund.State.COMPLETED, completed_at__gte=since, completed_at__lt=until
        ),
        agency,
        "agency",
    )
    refunds_by_agency = {
        row["agency_id"]: row
        for row in refunded.values("agency_id").annotate(n=Count("id"), total=Sum("amount"))
    }
    collected_by_agency = {
        row["application__agency_id"]: row
        for row in paid.values("application__agency_id").annotate(
            n=Count("id"), total=Sum("amount")
        )
    }
    for agency_id in sorted(
        set(refunds_by_agency) | set(collected_by_agency),
        key=lambda pk: agencies[pk].code if pk in agencies else str(pk),
    ):
        collected = (collected_by_agency.get(agency_id) or {}).get("total") or ZERO
        given_back = (refunds_by_agency.get(agency_id) or {}).get("total") or ZERO
        report.remittance.append(
            {
                "agency": agencies.get(agency_id),
                "payments": (collected_by_agency.get(agency_id) or {}).get("n", 0),
                "collected": collected,
                "refunds": (refunds_by_agency.get(agency_id) or {}).get("n", 0),
                "refunded": given_back,
                "net": collected - given_back,
            }
        )
    report.refunds = [
        {
            "number": row["number"],
            "completed_at": row["completed_at"],
            "agency": agencies.get(row["agency_id"]),
            "invoice": row["invoice__number"],
            "provider": row["provider"],
            "reason": row["reason_code"],
            "amount": row["amount"],
        }
        for row in refunded.order_by("completed_at", "id").values(
            "number",
            "completed_at",
            "agency_id",
            "invoice__number",
            "provider",
            "reason_code",
            "amount",
        )
    ]
    pending = _scoped(
        Invoice.objects.using(db).filter(status=Invoice.Status.PENDING),
        agency,
        "application__agency",
    )
    report.outstanding = [
        {
            "agency": agencies.get(row["application__agency_id"]),
            "count": row["n"],
            "total": row["total"] or ZERO,
            "oldest": row["oldest"],
        }
        for row in pending.values("application__agency_id")
        .annotate(n=Count("id"), total=Sum("amount"), oldest=Min("created_at"))
        .order_by("application__agency_id")
    ]
    # The grand totals, summed by the database once more (not from the rows above), so
    # a test, the page and the files can all be held to the database's own figures.
    sums = paid.aggregate(collected=Sum("amount"), payments=Count("id"))
    refund_sums = refunded.aggregate(refunded=Sum("amount"), refunds=Count("id"))
    pending_sums = pending.aggregate(outstanding=Sum("amount"), invoices=Count("id"))
    report.totals = {
        "collected": sums["collected"] or ZERO,
        "refunded": refund_sums["refunded"] or ZERO,
        "net": (sums["collected"] or ZERO) - (refund_sums["refunded"] or ZERO),
        "outstanding": pending_sums["outstanding"] or ZERO,
    }
    report.counts = {
        "payments": sums["payments"],
        "refunds": refund_sums["refunds"],
        "outstanding": pending_sums["invoices"],
    }
    return report


def agency_filter(user: Any) -> tuple[bool, Agency | None]:
    """(may see every agency, the one agency otherwise)."""
    if user.has_role("executive"):
        return True, None
    return False, user.agency


# --- the chart --------------------------------------------------------------------------


def collections_svg(report: FinanceReport, *, width: int = 720, height: int = 240) -> str:
    """A bar chart of collections per day, as inline SVG (no script, no CDN). The page
    shows the same figures in a table for screen readers; the SVG has a title."""
    days = report.days
    top = max((total for _, total in days), default=ZERO) or Decimal(1)
    left, bottom, right, upper = 64, 28, 8, 12
    plot_w, plot_h = width - left - right, height - bottom - upper
    bar_w = plot_w / max(len(days), 1)
    title = _("Collections per day (THB)")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="chart-title" class="chart">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<line x1="{left}" y1="{upper + plot_h}" x2="{width - right}" y2="{upper + plot_h}" '
        'stroke="#555" stroke-width="1"/>',
    ]
    for fraction in (Decimal(0), Decimal("0.5"), Decimal(1)):
        y = upper + plot_h - float(fraction) * plot_h
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#333">{top * fraction:,.0f}</text>'
        )
    label_every = max(1, len(days) // 10)
    for i, (day, total) in enumerate(days):
        h = float(total / top) * plot_h
        x = left + i * bar_w
        parts.append(
            f'<rect x="{x + bar_w * 0.1:.1f}" y="{upper + plot_h - h:.1f}" '
            f'width="{bar_w * 0.8:.1f}" height="{h:.1f}" fill="#1d4f91">'
            f"<title>{escape(day.isoformat())}: {total:,.2f}</title></rect>"
        )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - 10}" font-size="10" '
                f'text-anchor="middle" fill="#333">{day:%d/%m}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


# --- files ------------------------------------------------------------------------------

MONEY = "#,##0.00"


def _name(agency: Agency | None) -> str:
    return f"{agency.name_th} / {agency.name_en}" if agency is not None else "—"


def to_xlsx(report: FinanceReport) -> bytes:
    """The report as an Excel workbook: real numbers with number formats, dates as
    dates, a totals row per sheet (the database's own sums) and a chart."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    book = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[list[Any]], money: list[int]) -> Any:
        ws = book.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append(row)
        for index in money:
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = MONEY
        for column, width in zip("ABCDEFGH", (14, 44, 16, 14, 16, 16, 16, 16), strict=False):
            ws.column_dimensions[column].width = width
        ws.freeze_panes = "A2"
        return ws

    summary = book.active
    summary.title = "Summary"
    scope = _name(report.agency) if report.agency else _("All agencies")
    summary.append([_("Finance report"), scope])
    summary.append([_("From"), report.start])
    summary.append([_("To"), report.end])
    summary.append([_("Collected"), report.totals["collected"]])
    summary.append([pgettext("finance report", "Refunded"), report.totals["refunded"]])
    summary.append([_("Net due"), report.totals["net"]])
    summary.append([_("Outstanding"), report.totals["outstanding"]])
    for row in summary.iter_rows(min_row=2, max_row=3, min_col=2, max_col=2):
        row[0].number_format = "yyyy-mm-dd"
    for row in summary.iter_rows(min_row=4, max_row=7, min_col=2, max_col=2):
        row[0].number_format = MONEY
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 48

    rows = [
        [r["day"], _name(r["agency"]), r["provider"], r["count"], r["total"]]
        for r in report.collections
    ]
    rows.append([_("Total"), "", "", report.counts["payments"], report.totals["collected"]])
    ws = sheet(
        "Collections",
        [
            _("Day"),
            _("Agency"),
            _("Channel"),
            _("Payments"),
            _("Amount (THB)"),
        ],
        rows,
        [5],
    )
    for (cell,) in ws.iter_rows(min_row=2, max_row=len(rows), min_col=1, max_col=1):
        cell.number_format = "yyyy-mm-dd"
    for cell in ws[ws.max_row]:
        cell.font = bold

    daily = book.create_sheet("Daily")
    daily.append([_("Day"), _("Amount (THB)")])
    for day, total in report.days:
        daily.append([day, total])
        daily.cell(row=daily.max_row, column=1).number_format = "yyyy-mm-dd"
        daily.cell(row=daily.max_row, column=2).number_format = MONEY
    daily.column_dimensions["A"].width = 14
    daily.column_dimensions["B"].width = 18
    chart = BarChart()
    chart.title = "Collections per day (THB)"
    chart.y_axis.title = "THB"
    chart.add_data(
        Reference(daily, min_col=2, min_row=1, max_row=daily.max_row), titles_from_data=True
    )
    chart.set_categories(Reference(daily, min_col=1, min_row=2, max_row=daily.max_row))
    chart.width, chart.height = 24, 10
    daily.add_chart(chart, "D2")

    rows = [
        [_name(r["agency"]), r["payments"], r["collected"], r["refunds"], r["refunded"], r["net"]]
        for r in report.remittance
    ]
    rows.append(
        [
            _("Total"),
            report.counts["payments"],
            report.totals["collected"],
            report.counts["refunds"],
            report.totals["refunded"],
            report.totals["net"],
        ]
    )
    ws = sheet(
        "Remittance",
        [
            _("Agency"),
            pgettext("remittance column", "Payments"),
            _("Collected"),
            _("Refunds"),
            pgettext("finance report", "Refunded"),
            _("Net due"),
        ],
        rows,
        [3, 5, 6],
    )
    for cell in ws[ws.max_row]:
        cell.font = bold

    rows = [
        [
            r["number"],
            timezone.localtime(r["completed_at"]).replace(tzinfo=None),
            _name(r["agency"]),
            r["invoice"],
            r["reason"],
            r["amount"],
        ]
        for r in report.refunds
    ]
    rows.append([_("Total"), None, "", "", "", report.totals["refunded"]])
    ws = sheet(
        "Refunds",
        [
            _("Number"),
            _("Completed"),
            _("Agency"),
            _("Invoice"),
            _("Reason"),
            _("Amount (THB)"),
        ],
        rows,
        [6],
    )
    for (cell,) in ws.iter_rows(min_row=2, max_row=len(rows), min_col=2, max_col=2):
        cell.number_format = "yyyy-mm-dd hh:mm"
    for cell in ws[ws.max_row]:
        cell.font = bold

    rows = [
        [
            _name(r["agency"]),
            r["count"],
            r["total"],
            timezone.localtime(r["oldest"]).date() if r["oldest"] else None,
        ]
        for r in report.outstanding
    ]
    rows.append([_("Total"), report.counts["outstanding"], report.totals["outstanding"], None])
    ws = sheet(
        "Outstanding",
        [_("Agency"), _("Invoices"), _("Amount (THB)"), _("Oldest")],
        rows,
        [3],
    )
    for (cell,) in ws.iter_rows(min_row=2, max_row=len(rows), min_col=4, max_col=4):
        cell.number_format = "yyyy-mm-dd"
    for cell in ws[ws.max_row]:
        cell.font = bold

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(report: FinanceReport) -> bytes:
    """The report as a PDF (Thai first, English alongside; Buddhist-era dates)."""
    return render_pdf(
        "payments/finance_report_pdf.html",
        {
            "report": report,
            "chart": collections_svg(report),
            "start_th": thai_date(report.start),
            "end_th": thai_date(report.end),
            "generated_th": thai_date(timezone.now(), with_time=True),
        },
    )


def period(start_text: str, end_text: str) -> tuple[dt.date, dt.date, str]:
    """The period asked for (``YYYY-MM-DD``), defaulting to the last 30 days; returns
    (start, end, error message or "")."""
    today = timezone.localdate()
    try:
        end = dt.date.fromisoformat(end_text) if end_text else today
        start = dt.date.fromisoformat(start_text) if start_text else end - dt.timedelta(days=29)
    except ValueError:
        return (
            today - dt.timedelta(days=29),
            today,
            _("Dates are YYYY-MM-DD"),
        )
    if start > end:
        return end, end, _("The start is after the end")
    if (end - start).days >= MAX_DAYS:
        return (
            end - dt.timedelta(days=MAX_DAYS - 1),
            end,
            _("At most %(days)s days") % {"days": MAX_DAYS},
        )
    return start, end, ""

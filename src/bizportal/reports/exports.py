"""Files of a report: Excel (with native charts), CSV and PDF, from one ReportResult.

Why one module over the typed result: the dashboard, the three files and the open-data
file read the same :class:`~bizportal.reports.definitions.ReportResult`, so a figure in
the spreadsheet is the figure on the screen. Numbers stay numbers in Excel (formatted by
the column's kind), are written unformatted in CSV and formatted for reading in PDF;
months are the same text label everywhere (``ม.ค. 2569`` on Thai files, ``Jan 2026``
otherwise) so the three files agree. Texts come in the active language: the caller
(view or background task) activates the requester's language.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from bizportal.core.pdf import render_pdf
from bizportal.core.thai import english_date, thai_date

from . import formatting
from .definitions import Column, ColumnKind, ReportResult, Table

#: The font every cell of the workbook names (Excel uses it where installed).
FONT = "Sarabun"
#: The rows a "map" table charts in a spreadsheet: the top of the list, read as bars.
MAP_TOP = 20
#: Excel number formats per column kind; percentages are fractions 0..1.
NUMBER_FORMATS = {
    ColumnKind.COUNT: "#,##0",
    ColumnKind.MONEY: "#,##0.00",
    ColumnKind.DAYS: "0.0",
    ColumnKind.PERCENT: "0.0%",
    ColumnKind.SCORE: "0.00",
}
#: Kinds whose column total means something (a sum of days or percentages does not).
SUMMABLE = (ColumnKind.COUNT, ColumnKind.MONEY)


def thai_language() -> bool:
    return (get_language() or "th").startswith("th")


def month_label(value: Any) -> str:
    """A first-of-month date as the month's short name and year (Buddhist era in Thai),
    written as the dashboard writes it."""
    if not isinstance(value, dt.date):
        return "" if value is None else str(value)
    return formatting.month_label(value)


def long_date(value: dt.date) -> str:
    return thai_date(value) if thai_language() else english_date(value)


def file_rows(table: Table) -> list[dict[str, Any]]:
    """The rows as every file lists them: a map's rows largest first (its spreadsheet
    chart shows the top of that list), every other table in the report's order."""
    if table.chart is None or table.chart.kind != "map" or not table.chart.values:
        return table.rows
    key = table.chart.values[0]
    return sorted(table.rows, key=lambda row: row.get(key) or 0, reverse=True)


def raw_value(column: Column | ColumnKind, value: Any) -> Any:
    """A value for a machine-read file: numbers unformatted, months as their label."""
    kind = column.kind if isinstance(column, Column) else column
    if value is None:
        return ""
    if kind == ColumnKind.MONTH:
        return month_label(value)
    if kind == ColumnKind.TEXT:
        return str(value)
    return value


def text_value(kind: ColumnKind, value: Any) -> str:
    """A value as a reader sees it in a PDF: as on the dashboard."""
    return formatting.value_text(value, kind)


def _number(value: Any) -> float | int:
    if isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return float(str(value))


def filter_lines(result: ReportResult) -> list[tuple[str, str]]:
    """What the figures cover, as (label, text) lines at the top of every file."""
    # Imported here: catalog models are not needed to build the definitions.
    from bizportal.catalog.models import Agency, Service
    from bizportal.core.templatetags.thai import pick

    filters = result.filters
    lines = [
        (_("Period"), f"{long_date(filters.start)} – {long_date(filters.end)}"),
    ]
    agency = Agency.objects.filter(pk=filters.agency_id).first() if filters.agency_id else None
    lines.append((_("Agency"), str(pick(agency, "name")) if agency else _("All agencies")))
    service = Service.objects.filter(pk=filters.service_id).first() if filters.service_id else None
    lines.append((_("Service"), str(pick(service, "name")) if service else _("All services")))
    lines.append((_("Province"), filters.province or _("All provinces")))
    if result.scope.filed_by_id is not None:
        lines.append((_("Applications"), _("Only those you filed at the counter")))
    generated = timezone.localtime()
    when = (
        thai_date(generated, with_time=True)
        if thai_language()
        else english_date(generated, with_time=True)
    )
    lines.append((_("Prepared"), when))
    return lines


# --- Excel -------------------------------------------------------------------------

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str, taken: set[str]) -> str:
    """A name Excel accepts (≤ 31 characters, none of ``[]:*?/\\``, not starting or
    ending with an apostrophe, unique in the workbook, case-insensitively)."""
    base = _SHEET_FORBIDDEN.sub(" ", str(title)).strip().strip("'").strip() or _("Table")
    base = " ".join(base.split())
    name = base[:31].rstrip()
    number = 2
    while name.casefold() in taken:
        suffix = f" ({number})"
        name = base[: 31 - len(suffix)].rstrip() + suffix
        number += 1
    taken.add(name.casefold())
    return name


class _Formats:
    """The workbook's formats, each naming the Sarabun font."""

    def __init__(self, workbook: Any) -> None:
        base = {"font_name": FONT, "font_size": 11}
        self.title = workbook.add_format({**base, "bold": True, "font_size": 14})
        self.label = workbook.add_format({**base, "bold": True})
        self.text = workbook.add_format(base)
        self.header = workbook.add_format(
            {**base, "bold": True, "bg_color": "#E8EEF7", "bottom": 1, "text_wrap": True}
        )
        self.number_header = workbook.add_format(
            {**base, "bold": True, "bg_color": "#E8EEF7", "bottom": 1, "text_wrap": True}
        )
        self.number_header.set_align("right")
        self.numbers = {
            kind: workbook.add_format({**base, "num_format": fmt})
            for kind, fmt in NUMBER_FORMATS.items()
        }
        self.totals = {
            kind: workbook.add_format({**base, "num_format": fmt, "bold": True, "top": 1})
            for kind, fmt in NUMBER_FORMATS.items()
        }
        self.total_label = workbook.add_format({**base, "bold": True, "top": 1})
        self.note = workbook.add_format({**base, "italic": True, "font_color": "#555555"})


def _write_value(sheet: Any, row: int, col: int, column: Column, value: Any, f: _Formats) -> None:
    if value is None or value == "":
        sheet.write_blank(row, col, None, f.text)
    elif column.numeric:
        sheet.write_number(row, col, _number(value), f.numbers[column.kind])
    else:
        sheet.write_string(row, col, str(raw_value(column, value)), f.text)


def _cell(row: int, col: int) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    return str(xl_rowcol_to_cell(row, col))


def _add_chart(workbook: Any, sheet: Any, name: str, table: Table, first: int, count: int) -> None:
    """A native chart of the table's rows ``first .. first+count-1``, beside the table."""
    chart_def = table.chart
    if chart_def is None or count == 0:
        return
    keys = [column.key for column in table.columns]
    if chart_def.category not in keys:
        return
    series = [key for key in chart_def.values if key in keys]
    if not series:
        return
    if chart_def.kind == "line":
        chart = workbook.add_chart({"type": "line"})
    elif chart_def.kind in ("hbar", "map"):
        chart = workbook.add_chart({"type": "bar"})
        count = min(count, MAP_TOP) if chart_def.kind == "map" else count
    else:
        chart = workbook.add_chart({"type": "column"})
    category_col = keys.index(chart_def.category)
    font = {"name": FONT}
    for key in series:
        col = keys.index(key)
        chart.add_series(
            {
                "name": [name, first - 1, col],
                "categories": [name, first, category_col, first + count - 1, category_col],
                "values": [name, first, col, first + count - 1, col],
            }
        )
    chart.set_title({"name": str(table.title), "name_font": {**font, "size": 12}})
    chart.set_legend({"position": "bottom", "font": font} if len(series) > 1 else {"none": True})
    chart.set_x_axis({"num_font": font})
    chart.set_y_axis({"num_font": font})
    if chart_def.kind in ("hbar", "map"):
        chart.set_y_axis({"reverse": True, "num_font": font})
    height = max(320, min(18 * count + 120, 900)) if chart_def.kind in ("hbar", "map") else 320
    chart.set_size({"width": 640, "height": height})
    sheet.insert_chart(first - 1, len(keys) + 1, chart)


def _width(values: list[str]) -> float:
    return min(max([len(value) for value in values] + [8]) + 2, 60)


def _summary_sheet(workbook: Any, name: str, result: ReportResult, f: _Formats) -> None:
    sheet = workbook.add_worksheet(name)
    sheet.write_string(0, 0, str(result.report.title), f.title)
    row = 2
    lines = filter_lines(result)
    for label, value in lines:
        sheet.write_string(row, 0, label, f.label)
        sheet.write_string(row, 1, value, f.text)
        row += 1
    if result.kpis:
        row += 1
        sheet.write_string(row, 0, _("Indicator"), f.header)
        sheet.write_string(row, 1, _("Value"), f.number_header)
        row += 1
        for kpi in result.kpis:
            sheet.write_string(row, 0, str(kpi.label), f.text)
            _write_value(sheet, row, 1, Column("value", "", kpi.kind), kpi.value, f)
            row += 1
    labels = [str(kpi.label) for kpi in result.kpis] + [label for label, _v in lines]
    sheet.set_column(0, 0, _width(labels))
    sheet.set_column(1, 1, 40)


def _table_sheet(workbook: Any, name: str, table: Table, f: _Formats) -> None:
    sheet = workbook.add_worksheet(name)
    sheet.write_string(0, 0, str(table.title), f.title)
    if table.note:
        sheet.write_string(1, 0, str(table.note), f.note)
    header_row = 2
    rows = file_rows(table)
    for col, column in enumerate(table.columns):
        header = f.number_header if column.numeric else f.header
        sheet.write_string(header_row, col, str(column.label), header)
        for index, values in enumerate(rows):
            _write_value(sheet, header_row + 1 + index, col, column, values.get(column.key), f)
        texts = [str(column.label)] + [
            text_value(column.kind, values.get(column.key)) for values in rows[:500]
        ]
        sheet.set_column(col, col, _width(texts))
    first, last = header_row + 1, header_row + len(rows)
    summable = [c for c in table.columns if c.kind in SUMMABLE]
    if rows and summable:
        total_row = last + 1
        sheet.write_string(total_row, 0, pgettext("sum of a column", "Total"), f.total_label)
        for col, column in enumerate(table.columns):
            if col == 0:
                continue
            if column.kind in SUMMABLE:
                total = table.total(column.key)
                sheet.write_formula(
                    total_row,
                    col,
                    f"=SUM({_cell(first, col)}:{_cell(last, col)})",
                    f.totals[column.kind],
                    _number(total),
                )
            else:
                sheet.write_blank(total_row, col, None, f.total_label)
    sheet.freeze_panes(header_row + 1, 0)
    _add_chart(workbook, sheet, name, table, first, len(rows))


def to_xlsx(result: ReportResult) -> bytes:
    """A workbook: a summary sheet (filters and KPIs), then one sheet per table with
    its native chart beside it and a total row under counts and money."""
    import xlsxwriter

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    workbook.set_properties({"title": str(result.report.title), "author": _("Biz Portal")})
    formats = _Formats(workbook)
    taken: set[str] = set()
    _summary_sheet(workbook, sheet_name(_("Summary"), taken), result, formats)
    for table in result.tables:
        _table_sheet(workbook, sheet_name(str(table.title), taken), table, formats)
    workbook.close()
    return output.getvalue()


# --- CSV ---------------------------------------------------------------------------


def csv_number(value: Any) -> Any:
    """Unformatted: no thousands separators; a Decimal keeps its digits."""
    if isinstance(value, float):
        return repr(value)
    return value


def to_csv(result: ReportResult) -> bytes:
    """UTF-8 with a byte-order mark (Excel then reads the Thai); first a block with the
    report's title, filters and KPIs, then each table as a block: its title, the header,
    the rows and a blank line."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow([str(result.report.title)])
    for label, value in filter_lines(result):
        writer.writerow([label, value])
    for kpi in result.kpis:
        writer.writerow([str(kpi.label), csv_number(raw_value(kpi.kind, kpi.value))])
    writer.writerow([])
    for table in result.tables:
        writer.writerow([str(table.title)])
        writer.writerow([str(column.label) for column in table.columns])
        for row in file_rows(table):
            writer.writerow(
                [csv_number(raw_value(column, row.get(column.key))) for column in table.columns]
            )
        writer.writerow([])
    return ("\ufeff" + output.getvalue()).encode("utf-8")


# --- PDF ---------------------------------------------------------------------------


def _chart_svg(table: Table) -> str:
    if table.chart is None or not table.rows:
        return ""
    from . import charts

    return str(charts.svg(table))


def pdf_context(result: ReportResult) -> dict[str, Any]:
    """What the PDF template shows, every value already formatted for reading."""
    tables = []
    for table in result.tables:
        rows = file_rows(table)
        totals: list[str] | None = None
        if rows and any(column.kind in SUMMABLE for column in table.columns):
            totals = [
                text_value(column.kind, table.total(column.key)) if column.kind in SUMMABLE else ""
                for column in table.columns
            ]
            totals[0] = pgettext("sum of a column", "Total")
        tables.append(
            {
                "title": str(table.title),
                "note": str(table.note),
                "columns": [(str(c.label), c.numeric) for c in table.columns],
                "rows": [
                    [(text_value(c.kind, row.get(c.key)), c.numeric) for c in table.columns]
                    for row in rows
                ],
                "totals": totals,
                "svg": _chart_svg(table),
            }
        )
    return {
        "title": str(result.report.title),
        "description": str(result.report.description),
        "filters": filter_lines(result),
        "kpis": [(str(kpi.label), text_value(kpi.kind, kpi.value)) for kpi in result.kpis],
        "tables": tables,
    }


def to_pdf(result: ReportResult) -> bytes:
    """A4 landscape, Sarabun: title, filters, KPI boxes, each table under its SVG chart."""
    language = "th" if thai_language() else "en"
    return render_pdf("reports/report_pdf.html", pdf_context(result), language=language)


# --- Formats -----------------------------------------------------------------------


@dataclass(frozen=True)
class FileFormat:
    extension: str
    content_type: str
    render: Callable[[ReportResult], bytes]


FORMATS: dict[str, FileFormat] = {
    "xlsx": FileFormat(
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        to_xlsx,
    ),
    "csv": FileFormat("csv", "text/csv; charset=utf-8", to_csv),
    "pdf": FileFormat("pdf", "application/pdf", to_pdf),
}


def filename(slug: str, start: dt.date, end: dt.date, extension: str) -> str:
    """ASCII, so every browser keeps it: ``volumes-2026-01-01-2026-03-31.xlsx``."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", slug) or "report"
    return f"{safe}-{start.isoformat()}-{end.isoformat()}.{extension}"

"""Report exports: the Excel, CSV and PDF files agree with the database; large periods
are prepared in the background for their requester only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import include, path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from bizportal.applications.models import Application, Status
from bizportal.core import sweeps
from bizportal.core.models import AuditEvent
from bizportal.core.thai import THAI_MONTHS_SHORT
from bizportal.identity.models import StaffRole
from bizportal.reports import export_views, exports, refresh, tasks
from bizportal.reports import urls as report_urls
from bizportal.reports.definitions import (
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
from bizportal.reports.models import ApplicationFact, Export, ExportStatus
from bizportal.urls import urlpatterns as site_urlpatterns
from tests import journeys
from tests.factories import OfficerFactory, ServiceFactory, StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

# The reports app's urls.py is written elsewhere; these are the patterns it is to add.
export_patterns = [
    path("<slug:slug>/export.<str:fmt>", export_views.export, name="export"),
    path("exports/<uuid:public_id>/", export_views.export_status, name="export-status"),
    path("exports/<uuid:public_id>/download", export_views.export_download, name="export-download"),
]
urlpatterns = [
    path(
        "backoffice/reports/",
        include(([*export_patterns, *report_urls.urlpatterns], "reports")),
    ),
    *site_urlpatterns,
]

SLUG = "test-export-volumes"
TITLE = "รายงานทดสอบจำนวนคำขอ"


class ServiceVolumes(Report):
    """A small report over the aggregates: applications per service, per month and per
    province, with the share past the first review."""

    slug = SLUG
    title = TITLE
    description = "Test report"
    roles = frozenset({StaffRole.EXECUTIVE, StaffRole.AGENCY_SUPERVISOR})

    def run(self, scope: Scope, filters: Filters) -> ReportResult:
        facts = ApplicationFact.objects.filter(day__range=(filters.start, filters.end))
        if filters.agency_id:
            facts = facts.filter(agency_id=filters.agency_id)
        by_service: Counter[str] = Counter()
        decided: Counter[str] = Counter()
        by_month: Counter[dt.date] = Counter()
        by_province: Counter[str] = Counter()
        for fact in facts.select_related("service"):
            by_service[fact.service.slug] += 1
            by_month[fact.day.replace(day=1)] += 1
            by_province[fact.province or "-"] += 1
            if fact.status != Status.REVIEW:
                decided[fact.service.slug] += 1
        services = Table(
            key="services",
            title=gettext_lazy("Service"),
            columns=(
                Column("service", gettext_lazy("Service"), ColumnKind.TEXT),
                Column("applications", gettext_lazy("Applications"), ColumnKind.COUNT),
                Column("share", gettext_lazy("Progress"), ColumnKind.PERCENT),
            ),
            rows=[
                {"service": name, "applications": n, "share": decided[name] / n}
                for name, n in sorted(by_service.items())
            ],
            chart=Chart("bar", "service", ("applications",)),
        )
        months = Table(
            key="months",
            title="คำขอรายเดือน/ต่อเดือน: [ทั้งหมด] ที่ยื่นเข้ามาในช่วงเวลาที่เลือก",
            columns=(
                Column("month", gettext_lazy("Period"), ColumnKind.MONTH),
                Column("applications", gettext_lazy("Applications"), ColumnKind.COUNT),
            ),
            rows=[{"month": m, "applications": n} for m, n in sorted(by_month.items())],
            chart=Chart("line", "month", ("applications",)),
        )
        provinces = Table(
            key="provinces",
            title=gettext_lazy("Province"),
            columns=(
                Column("province", gettext_lazy("Province"), ColumnKind.TEXT),
                Column("applications", gettext_lazy("Applications"), ColumnKind.COUNT),
            ),
            rows=[{"province": p, "applications": n} for p, n in sorted(by_province.items())],
            chart=Chart("map", "province", ("applications",)),
        )
        total = sum(by_service.values())
        return ReportResult(
            report=self,
            scope=scope,
            filters=filters,
            kpis=[Kpi(gettext_lazy("Applications"), total, ColumnKind.COUNT)],
            tables=[services, months, provinces],
        )


@pytest.fixture(autouse=True)
def _registered() -> Iterator[None]:
    registry.register(SLUG)(ServiceVolumes)
    yield
    registry._plugins.pop(SLUG, None)


@pytest.fixture
def data() -> dict[str, Any]:
    """Three submitted applications on two services, one of them approved; aggregates
    refreshed."""
    first, second = ServiceFactory(), ServiceFactory()
    applications = [
        journeys.submitted(first),
        journeys.submitted(first),
        journeys.submitted(second),
    ]
    journeys.approve_everything(applications[0])
    refresh.refresh(full=True)
    return {"services": (first, second), "applications": applications}


def submitted_count() -> int:
    return Application.objects.exclude(submitted_at=None).count()


@pytest.fixture
def executive(client: Client) -> Any:
    user = StaffFactory(roles=[StaffRole.EXECUTIVE])
    client.force_login(user)
    return user


def short_period() -> dict[str, str]:
    today = timezone.localdate()
    return {"start": (today - dt.timedelta(days=30)).isoformat(), "end": today.isoformat()}


def long_period() -> dict[str, str]:
    today = timezone.localdate()
    return {"start": (today - dt.timedelta(days=200)).isoformat(), "end": today.isoformat()}


def test_the_workbook_has_thai_headers_numbers_totals_and_native_charts(
    data: dict[str, Any], client: Client, executive: Any, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    response = client.get(
        reverse("reports:export", args=[SLUG, "xlsx"]), short_period(), HTTP_ACCEPT_LANGUAGE="th"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content), data_only=True)
    assert book.sheetnames[0] == "สรุป"
    assert all(len(name) <= 31 for name in book.sheetnames)
    assert len(book.sheetnames) == 4
    summary = book["สรุป"]
    assert summary["A1"].value == TITLE
    labels = {row[0].value: row[1].value for row in summary.iter_rows(min_row=3) if row[0].value}
    today = timezone.localdate()
    assert str(today.year + 543) in labels["ช่วงวันที่"]
    assert labels["หน่วยงาน"] == "ทุกหน่วยงาน"
    assert labels["คำขอ"] == submitted_count() == 3
    assert summary["A1"].font.name == "Sarabun"

    services = book[book.sheetnames[1]]
    header = [cell.value for cell in services[3]]
    assert header == ["บริการ", "คำขอ", "ความคืบหน้า"]
    rows = list(services.iter_rows(min_row=4, max_row=5, values_only=True))
    assert sorted(row[1] for row in rows) == [1, 2]
    assert all(isinstance(row[1], int) for row in rows)
    assert services.cell(row=4, column=2).number_format == "#,##0"
    assert services.cell(row=4, column=3).number_format == "0.0%"
    shares = {row[1]: row[2] for row in rows}
    assert shares == {1: 0, 2: 0.5}
    total = [cell.value for cell in services[6]]
    assert total[0] == "รวม" and total[1] == submitted_count()
    assert services.cell(row=4, column=1).font.name == "Sarabun"

    months = book[book.sheetnames[2]]
    assert len(book.sheetnames[2]) <= 31 and "[" not in book.sheetnames[2]
    month_cell = months.cell(row=4, column=1).value
    assert month_cell == THAI_MONTHS_SHORT[today.month - 1] + f" {today.year + 543}"

    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
        assert len(charts) == 3
        assert b"<c:lineChart>" in archive.read("xl/charts/chart2.xml")
        assert b"<c:barChart>" in archive.read("xl/charts/chart3.xml")

    audit = AuditEvent.objects.filter(action="report.exported").get()
    assert audit.data["format"] == "xlsx"
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice:
        book_path = tmp_path / "report.xlsx"
        book_path.write_bytes(response.content)
        subprocess.run(
            [
                soffice,
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp_path),
                str(book_path),
            ],
            check=True,
            timeout=180,
            capture_output=True,
        )
        assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


def test_month_labels_are_buddhist_era_in_thai_and_gregorian_in_english() -> None:
    with translation.override("th"):
        assert exports.month_label(dt.date(2026, 1, 1)) == "ม.ค. 2569"
    with translation.override("en"):
        assert exports.month_label(dt.date(2026, 1, 1)) == "Jan 2026"


def test_sheet_names_are_safe_short_and_unique() -> None:
    taken: set[str] = set()
    long = "ก" * 40 + "[x]/y"
    first = exports.sheet_name(long, taken)
    second = exports.sheet_name(long, taken)
    assert len(first) == 31 and len(second) <= 31 and first != second
    assert second.endswith("(2)")
    assert exports.sheet_name("'a:b*c?'", taken) == "a b c"


def test_the_csv_lists_each_table_as_in_the_report(
    data: dict[str, Any], client: Client, executive: Any
) -> None:
    response = client.get(
        reverse("reports:export", args=[SLUG, "csv"]), short_period(), HTTP_ACCEPT_LANGUAGE="th"
    )
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == [TITLE]
    scope = Scope.of(executive)
    assert scope is not None
    with translation.override("th"):
        result = ServiceVolumes().run(scope, Filters.parse(short_period(), scope))
        blocks: list[list[list[str]]] = []
        for line in lines[lines.index([]) + 1 :]:
            if not line:
                continue
            if len(line) == 1 and (not blocks or len(blocks[-1]) > 1):
                blocks.append([line])
            else:
                blocks[-1].append(line)
        assert len(blocks) == len(result.tables)
        for block, table in zip(blocks, result.tables, strict=True):
            assert block[0] == [str(table.title)]
            assert block[1] == [str(column.label) for column in table.columns]
            expected = [
                [
                    str(exports.csv_number(exports.raw_value(c, row.get(c.key))))
                    for c in table.columns
                ]
                for row in exports.file_rows(table)
            ]
            assert block[2:] == expected
    services = blocks[0]
    assert block_total(services, 1) == submitted_count() == 3
    assert {row[2] for row in services[2:]} == {"0.5", "0.0"}  # fractions, unformatted


def block_total(block: list[list[str]], column: int) -> int:
    return sum(int(row[column]) for row in block[2:])


def test_the_pdf_shows_the_thai_title_and_the_figures(
    data: dict[str, Any], client: Client, executive: Any, tmp_path: Path
) -> None:
    pytest.importorskip("bizportal.reports.charts")
    response = client.get(
        reverse("reports:export", args=[SLUG, "pdf"]), short_period(), HTTP_ACCEPT_LANGUAGE="th"
    )
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert TITLE in text
    assert "ทุกหน่วยงาน" in text
    assert str(timezone.localdate().year + 543) in text


def test_a_long_period_is_prepared_in_the_background_for_its_requester_only(
    data: dict[str, Any], client: Client, executive: Any
) -> None:
    response = client.get(
        reverse("reports:export", args=[SLUG, "xlsx"]), long_period(), HTTP_ACCEPT_LANGUAGE="th"
    )
    assert response.status_code == 302
    export = Export.objects.get()
    assert response["Location"] == reverse("reports:export-status", args=[export.public_id])
    # The immediate backend of the tests has run the task already.
    assert export.status == ExportStatus.DONE and export.progress == 100
    months = {name: day[:7] for name, day in long_period().items()}  # periods are months
    assert export.language == "th" and export.parameters == months
    assert export.file and export.file.name.endswith(".xlsx")
    assert str(export.public_id) in export.file.name

    status = client.get(response["Location"])
    assert status.status_code == 200
    download_url = reverse("reports:export-download", args=[export.public_id])
    assert download_url in status.content.decode()
    assert b'http-equiv="refresh"' not in status.content

    download = client.get(download_url)
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert content.startswith(b"PK")
    assert AuditEvent.objects.filter(action="report.export_downloaded").count() == 1

    # Running the task again leaves the finished file as it is.
    name = export.file.name
    assert tasks.build(export.pk) == "skipped"
    export.refresh_from_db()
    assert export.file.name == name and export.status == ExportStatus.DONE

    other = Client()
    other.force_login(StaffFactory(roles=[StaffRole.EXECUTIVE]))
    assert other.get(download_url).status_code == 404
    assert other.get(response["Location"]).status_code == 404


def test_a_failed_build_says_why_and_can_run_again(data: dict[str, Any], executive: Any) -> None:
    export = Export.objects.create(
        public_id="00000000-0000-4000-8000-000000000001",
        requested_by=executive,
        report=SLUG,
        file_format="csv",
        parameters={"start": "2026-13-01", "end": "2026-12-31"},
        language="en",
    )
    assert tasks.build(export.pk) == ExportStatus.FAILED
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert export.error == "Choose a month from the list."
    assert not export.file
    export.parameters = long_period()
    export.save()
    assert tasks.build(export.pk) == ExportStatus.DONE
    export.refresh_from_db()
    assert export.progress == 100 and export.error == ""
    content = export.file.read().decode("utf-8-sig")
    assert content.startswith(TITLE)


def test_the_status_page_refreshes_while_the_file_is_prepared(
    client: Client, executive: Any
) -> None:
    export = Export.objects.create(
        public_id="00000000-0000-4000-8000-000000000002",
        requested_by=executive,
        report=SLUG,
        file_format="pdf",
        parameters=long_period(),
        language="th",
        status=ExportStatus.RUNNING,
        progress=60,
    )
    page = client.get(reverse("reports:export-status", args=[export.public_id]))
    assert page.status_code == 200
    assert b'http-equiv="refresh"' in page.content
    assert b'value="60"' in page.content
    assert page["Retry-After"] == "3"
    download = client.get(reverse("reports:export-download", args=[export.public_id]))
    assert download.status_code == 302


def test_bad_format_slug_or_filters(client: Client, executive: Any) -> None:
    assert client.get(reverse("reports:export", args=[SLUG, "docx"])).status_code == 404
    assert client.get(reverse("reports:export", args=["no-such-report", "xlsx"])).status_code == 404
    response = client.get(
        reverse("reports:export", args=[SLUG, "xlsx"]),
        {"start": "2026-02-30", "end": "2026-03-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "Choose a month from the list." in response.content.decode()
    response = client.get(
        reverse("reports:export", args=[SLUG, "csv"]),
        {"start": "2026-03-01", "end": "2026-02-01"},
    )
    assert response.status_code == 400
    assert not Export.objects.exists()


def test_people_without_the_report_get_a_404(data: dict[str, Any], client: Client) -> None:
    client.force_login(OfficerFactory(roles=[StaffRole.AGENCY_OFFICER]))
    assert client.get(reverse("reports:export", args=[SLUG, "csv"])).status_code == 404
    counter = StaffFactory(roles=[StaffRole.COUNTER_OFFICER])
    client.force_login(counter)
    assert client.get(reverse("reports:export", args=[SLUG, "csv"])).status_code == 404


def test_a_supervisor_exports_their_agency_only(data: dict[str, Any], client: Client) -> None:
    first_service = data["services"][0]
    supervisor = OfficerFactory(agency=first_service.agency, roles=[StaffRole.AGENCY_SUPERVISOR])
    client.force_login(supervisor)
    response = client.get(reverse("reports:export", args=[SLUG, "csv"]), short_period())
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    expected = ApplicationFact.objects.filter(agency=first_service.agency).count()
    assert expected == 2
    kpi = [line for line in lines[:12] if line and line[0] in ("คำขอ", "Applications")]
    assert int(kpi[0][1]) == expected
    other = client.get(
        reverse("reports:export", args=[SLUG, "csv"]),
        {**short_period(), "agency": str(data["services"][1].agency_id)},
    )
    assert other.status_code == 400


def test_a_pdf_renders_thai_kpis_and_tables(tmp_path: Path) -> None:
    """Without charts (their SVG is tested with the page below): the template itself."""
    scope = Scope(roles=frozenset({StaffRole.EXECUTIVE}))
    filters = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
    table = Table(
        key="months",
        title="คำขอรายเดือน",
        columns=(
            Column("month", gettext_lazy("Period"), ColumnKind.MONTH),
            Column("applications", gettext_lazy("Applications"), ColumnKind.COUNT),
            Column("amount", "ยอดเงิน", ColumnKind.MONEY),
            Column("share", "สัดส่วน", ColumnKind.PERCENT),
        ),
        rows=[
            {"month": dt.date(2026, 1, 1), "applications": 1234, "amount": 5.5, "share": 0.25},
            {"month": dt.date(2026, 2, 1), "applications": 7, "amount": 10, "share": 1},
        ],
    )
    result = ReportResult(
        report=ServiceVolumes(),
        scope=scope,
        filters=filters,
        kpis=[Kpi(gettext_lazy("Applications"), 1241, ColumnKind.COUNT)],
        tables=[table],
    )
    with translation.override("th"):
        data = exports.to_pdf(result)
    assert data.startswith(b"%PDF")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(data)
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert TITLE in text
    assert "1 มกราคม 2569" in text and "ม.ค. 2569" in text and "ก.พ. 2569" in text
    assert "1,234" in text and "1,241" in text and "15.50" in text and "25.0%" in text
    assert "ทุกหน่วยงาน" in text


def test_a_map_is_charted_in_excel_as_bars_of_the_top_twenty() -> None:
    scope = Scope(roles=frozenset({StaffRole.EXECUTIVE}))
    rows = [{"province": f"จังหวัด {n}", "applications": n} for n in range(1, 26)]
    table = Table(
        key="provinces",
        title=gettext_lazy("Province"),
        columns=(
            Column("province", gettext_lazy("Province")),
            Column("applications", gettext_lazy("Applications"), ColumnKind.COUNT),
        ),
        rows=rows,
        chart=Chart("map", "province", ("applications",)),
    )
    result = ReportResult(
        report=ServiceVolumes(),
        scope=scope,
        filters=Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31)),
        tables=[table],
    )
    with translation.override("en"):
        data = exports.to_xlsx(result)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
    assert "<c:barChart>" in chart and '<c:barDir val="bar"/>' in chart
    assert "$A$4:$A$23" in chart and "$B$4:$B$23" in chart
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), data_only=True)["Province"]
    assert [sheet.cell(row=r, column=2).value for r in (4, 5, 28)] == [25, 24, 1]
    assert sheet.cell(row=29, column=2).value == sum(range(1, 26))
    assert sheet.cell(row=3, column=1).value == "Province"


def test_every_report_of_the_catalogue_exports_to_every_format(
    data: dict[str, Any], client: Client, executive: Any, tmp_path: Path
) -> None:
    """The five reports of the library, as files: the volumes' total equals the database."""
    from openpyxl import load_workbook

    slugs = [slug for slug, _report in registry if slug != SLUG]
    assert {"volumes", "processing", "money", "people", "geography"} <= set(slugs)
    for slug in slugs:
        for fmt in ("xlsx", "csv", "pdf"):
            response = client.get(
                reverse("reports:export", args=[slug, fmt]),
                short_period(),
                HTTP_ACCEPT_LANGUAGE="th",
            )
            assert response.status_code == 200, (slug, fmt)
            if fmt == "xlsx":
                book = load_workbook(io.BytesIO(response.content), data_only=True)
                assert book.sheetnames[0] == "สรุป" and len(book.sheetnames) >= 2
            elif fmt == "csv":
                assert response.content.startswith(b"\xef\xbb\xbf")
            else:
                assert response.content.startswith(b"%PDF")
    result = registry["volumes"].run(
        Scope.of(executive),  # type: ignore[arg-type]
        Filters.parse(short_period(), Scope.of(executive)),  # type: ignore[arg-type]
    )
    totals = {kpi.value for kpi in result.kpis}
    assert submitted_count() in totals


def lost_export(executive: Any, attempts: int) -> Export:
    return Export.objects.create(
        public_id=uuid.uuid4(),
        requested_by=executive,
        report=SLUG,
        file_format="csv",
        parameters={
            "start": f"{timezone.localdate():%Y-%m}",
            "end": f"{timezone.localdate():%Y-%m}",
        },
        language="en",
        queued_at=timezone.now() - dt.timedelta(hours=1),
        attempts=attempts,
    )


def test_an_export_whose_task_was_lost_is_queued_again_then_given_up(
    data: dict[str, Any], executive: Any, django_capture_on_commit_callbacks: Any
) -> None:
    lost = lost_export(executive, attempts=1)
    recent = lost_export(executive, attempts=1)
    Export.objects.filter(pk=recent.pk).update(queued_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeps.sweep(deliver=False).due["reports.exports"] == 1
    lost.refresh_from_db()
    assert lost.status == ExportStatus.DONE and lost.attempts == 2 and lost.file
    recent.refresh_from_db()
    assert recent.status == ExportStatus.QUEUED  # its task may still be in the queue
    hopeless = lost_export(executive, attempts=tasks.MAX_ATTEMPTS)
    assert tasks.requeue_stalled(timezone.now() - dt.timedelta(minutes=5)) == 0
    hopeless.refresh_from_db()
    assert hopeless.status == ExportStatus.FAILED
    assert hopeless.error == "The file could not be prepared. Please ask for it again."


def test_old_files_are_removed_and_the_page_says_so(
    data: dict[str, Any], client: Client, executive: Any
) -> None:
    response = client.get(reverse("reports:export", args=[SLUG, "xlsx"]), long_period())
    export = Export.objects.get()
    assert export.status == ExportStatus.DONE
    stored = export.file.name
    assert export.file.storage.exists(stored)
    assert tasks.remove_expired() == 0  # prepared today
    later = timezone.now() + dt.timedelta(days=settings.BIZPORTAL_REPORT_EXPORT_DAYS + 1)
    assert tasks.remove_expired(later) == 1
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED and not export.file
    assert not export.file.storage.exists(stored)
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "this one has been removed" in page
    assert f'href="{reverse("reports:dashboard", args=[SLUG])}?start=' in page
    download = client.get(reverse("reports:export-download", args=[export.public_id]))
    assert download.status_code == 302 and download["Location"] == response["Location"]

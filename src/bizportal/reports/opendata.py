"""Open data: each agency's monthly licensing statistics as anonymised CSV files.

Why: the issue asks for the figures the dashboards show to be open to everyone, the
way data.go.th publishes government statistics, and listed in the DCAT catalogue so
harvesters (data.go.th, other portals) find them. The files are read from the aggregate
tables (:mod:`.models`), never from applications, so no person can appear in them:

- one file per agency and calendar month, complete months only (the current month is
  still moving); a month is published from the agency's first application on;
- one row per service, kind of application, channel and province, with counts only:
  applications submitted that month and, of those, how many are approved (licence
  issued or service completed), rejected, withdrawn and still in progress *now* (the
  aggregates keep each application's current status, so an old month's file changes
  while its applications are decided; the ETag says when);
- no officer, no applicant, no application number: ``filed_by`` is never read;
- small-cell suppression (:func:`suppress`): a count of 1 to 4 is left blank, and so is
  any other count of the row from which a blank could be worked out; the ``suppressed``
  column names the blank cells of each row. Zero is published as 0.

The CSV follows the data.go.th conventions: UTF-8 (no byte-order mark), one header row
of English snake_case names, ISO months (``2026-01``), comma separated, numbers
without thousands separators. Thai and English names of each service are columns, so
a reader needs no look-up table.

The catalogue learns of the datasets through :data:`bizportal.catalog.rdf.contributions`
(:class:`OpenDataCatalogue`, registered when this module is imported from
``ReportsConfig.ready``): the catalog app cannot import reports.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, DateTimeField, Min, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import get_language
from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDFS, SKOS, XSD

from bizportal.applications.models import Status
from bizportal.catalog.models import Agency, Service
from bizportal.catalog.rdf import IANA_MEDIA_TYPES, CatalogueGraph, contributions
from bizportal.core.thai import THAI_MONTHS, THAI_MONTHS_SHORT, to_buddhist_year

from .models import ApplicationFact

#: Where the files are served (the root urlconf includes ``opendata_urls`` here). URIs
#: are promises, so they are written out rather than reversed (as in catalog.rdf).
PATH = "/open-data/"
#: A count below this (and above zero) is never published.
SUPPRESS_BELOW = 5
#: The licence of the files unless the operator names another (settings.OPEN_DATA_LICENSE).
DEFAULT_LICENSE = "https://creativecommons.org/licenses/by/4.0/"

EU_FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_DATA_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")

#: The counts of a row: the applications submitted, then what became of them.
SUBMITTED = "applications_submitted"
OUTCOMES: dict[str, tuple[str, ...]] = {
    "approved": (Status.ISSUED, Status.COMPLETED),
    "rejected": (Status.REJECTED,),
    "withdrawn": (Status.WITHDRAWN,),
}
IN_PROGRESS = "in_progress"
BREAKDOWN = (*OUTCOMES, IN_PROGRESS)
COUNTS = (SUBMITTED, *BREAKDOWN)
DIMENSIONS = (
    "month",
    "agency_code",
    "service_code",
    "service_name_th",
    "service_name_en",
    "kind",
    "channel",
    "province",
)
SUPPRESSED = "suppressed"
COLUMNS = (*DIMENSIONS, *COUNTS, SUPPRESSED)
_STATUS_COLUMN = {status: column for column, statuses in OUTCOMES.items() for status in statuses}


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, written ``YYYY-MM`` in URLs and files."""

    year: int
    month: int

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month | None:
        """``2026-01`` -> Month; None for anything else (``2026-1``, ``2026-13``)."""
        if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
            return None
        year, month = int(text[:4]), int(text[5:])
        return cls(year, month) if 1 <= month <= 12 and year >= 1 else None

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label_th(self) -> str:
        return f"{THAI_MONTHS[self.month - 1]} {to_buddhist_year(self.year)}"

    @property
    def label_en(self) -> str:
        return self.first_day.strftime("%B %Y")

    @property
    def label(self) -> str:
        """Short, in the reader's language: ``ม.ค. 2569`` / ``Jan 2026``."""
        if (get_language() or "th").startswith("th"):
            return f"{THAI_MONTHS_SHORT[self.month - 1]} {to_buddhist_year(self.year)}"
        return self.first_day.strftime("%b %Y")


def current_month(today: dt.date | None = None) -> Month:
    return Month.of(today or timezone.localdate())


def months_between(first: Month, last: Month) -> list[Month]:
    months: list[Month] = []
    month = first
    while month <= last:
        months.append(month)
        month = month.next()
    return months


@dataclass(frozen=True)
class AgencyDataset:
    """One agency's dataset: its complete months from its first application on."""

    agency: Agency
    first: Month
    last: Month

    @property
    def months(self) -> list[Month]:
        return months_between(self.first, self.last)

    def publishes(self, month: Month) -> bool:
        return self.first <= month <= self.last


def datasets(today: dt.date | None = None) -> list[AgencyDataset]:
    """Every agency with an application submitted before the current month, by code.

    One query: each agency's first day is a correlated subquery that reads one entry of
    the (agency, day) index, so the cost follows the number of agencies, not of facts.
    """
    current = current_month(today)
    first_day = (
        ApplicationFact.objects.filter(agency=OuterRef("pk"), day__lt=current.first_day)
        .order_by("day")
        .values("day")[:1]
    )
    agencies = (
        Agency.objects.annotate(first_day=Subquery(first_day))
        .filter(first_day__isnull=False)
        .order_by("code")
    )
    last = current.previous()
    return [AgencyDataset(agency, Month.of(agency.first_day), last) for agency in agencies]


def dataset_of(code: str, today: dt.date | None = None) -> AgencyDataset | None:
    """The agency's dataset, or None when the agency is unknown or has no complete month."""
    agency = Agency.objects.filter(code=code).first()
    if agency is None:
        return None
    current = current_month(today)
    first = ApplicationFact.objects.filter(agency=agency, day__lt=current.first_day).aggregate(
        first=Min("day")
    )["first"]
    if first is None:
        return None
    return AgencyDataset(agency, Month.of(first), current.previous())


# --- the file ------------------------------------------------------------------------


def rows(agency: Agency, month: Month) -> list[dict[str, Any]]:
    """The month's rows, unsuppressed: the sums of the aggregate table per service,
    kind, channel and province, sorted by them."""
    facts = (
        ApplicationFact.objects.filter(
            agency=agency, day__gte=month.first_day, day__lt=month.next().first_day
        )
        .values_list("service", "kind", "channel", "province", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    grouped: dict[tuple[int, str, str, str], dict[str, int]] = {}
    for service_id, kind, channel, province, status, n in facts:
        counts = grouped.setdefault((service_id, kind, channel, province), dict.fromkeys(COUNTS, 0))
        counts[SUBMITTED] += n
        counts[_STATUS_COLUMN.get(status, IN_PROGRESS)] += n
    services = Service.objects.in_bulk({key[0] for key in grouped})
    found: list[dict[str, Any]] = []
    for (service_id, kind, channel, province), counts in grouped.items():
        service = services[service_id]
        found.append(
            {
                "month": str(month),
                "agency_code": agency.code,
                "service_code": service.slug,
                "service_name_th": service.name_th,
                "service_name_en": service.name_en,
                "kind": kind,
                "channel": channel,
                "province": province,
                **counts,
            }
        )
    found.sort(key=lambda row: tuple(row[name] for name in DIMENSIONS))
    return found


def suppress(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its small counts blanked (``None``) and named in ``suppressed``.

    Primary: every count of 1 to ``SUPPRESS_BELOW - 1``; when the total is that small,
    every count of the row (a zero beside it would tell what became of the few).
    Secondary: the breakdown sums to the total, so while the blank cells of the
    breakdown could be worked out from it (one blank cell; or blanks that can only all
    be 1 or all be 4), the smallest published count of the breakdown is blanked too.
    """
    counts = {name: int(row[name]) for name in COUNTS}
    small = {name for name, n in counts.items() if 0 < n < SUPPRESS_BELOW}
    if SUBMITTED in small:
        small = set(COUNTS)
    else:
        while (blanks := [name for name in BREAKDOWN if name in small]) and _disclosed(
            [counts[name] for name in blanks]
        ):
            rest = [name for name in BREAKDOWN if name not in small]
            if not rest:
                break
            small.add(min(rest, key=lambda name: (counts[name], BREAKDOWN.index(name))))
    published = dict(row)
    for name in small:
        published[name] = None
    published[SUPPRESSED] = " ".join(name for name in COUNTS if name in small)
    return published


def _disclosed(blanks: list[int]) -> bool:
    """Whether blank cells of 1..4 each could be recovered from their known sum."""
    total = sum(blanks)
    return len(blanks) == 1 or total == len(blanks) or total == (SUPPRESS_BELOW - 1) * len(blanks)


def csv_bytes(agency: Agency, month: Month) -> bytes:
    """The published file: header row, then the suppressed rows (UTF-8, CRLF as RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows(agency, month):
        writer.writerow(suppress(row))
    return buffer.getvalue().encode("utf-8")


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def file_name(agency: Agency, month: Month) -> str:
    return f"{agency.code}-{month}.csv"


def license_url() -> str:
    return str(getattr(settings, "OPEN_DATA_LICENSE", "") or DEFAULT_LICENSE)


# --- the DCAT catalogue ---------------------------------------------------------------


def dataset_uri(base: str, agency: Agency) -> URIRef:
    """The dataset is a section of the open-data page (it dereferences to it)."""
    return URIRef(f"{base}{PATH}#{agency.code}")


def file_url(base: str, agency: Agency, month: Month) -> str:
    return f"{base}{PATH}{agency.code}/{month}.csv"


@contributions.register("open-data")
class OpenDataCatalogue:
    """Each agency's monthly statistics as a ``dcat:Dataset`` of the portal's catalogue,
    one ``dcat:Distribution`` (a CSV file) per complete month."""

    def newest(self) -> QuerySet[Any]:
        """The start of the current month once a complete month has data: a new month
        adds a distribution to every dataset, so it moves the catalogue's ETag."""
        start = timezone.make_aware(dt.datetime.combine(current_month().first_day, dt.time.min))
        return (
            ApplicationFact.objects.filter(day__lt=start.date())
            # Cast: a bare parameter in a select list has no type on PostgreSQL.
            .annotate(updated_at=Cast(Value(start), output_field=DateTimeField()))
            .order_by()
        )

    def add_to(self, graph: CatalogueGraph, catalogue: URIRef) -> None:
        for dataset in datasets():
            graph.add(catalogue, DCAT.dataset, describe(graph, dataset))


def describe(graph: CatalogueGraph, dataset: AgencyDataset) -> URIRef:
    base = graph.uris.base
    agency = dataset.agency
    node = dataset_uri(base, agency)
    page = graph.document(f"{base}{PATH}")
    graph.typed(node, DCAT.Dataset)
    graph.identifier(node, f"open-data/{agency.code}")
    graph.text(
        node,
        DCTERMS.title,
        f"สถิติการขออนุญาตรายเดือนของ{agency.name_th}",
        f"Monthly licensing statistics of {agency.name_en or agency.name_th}",
    )
    graph.text(
        node,
        DCTERMS.description,
        f"จำนวนคำขออนุญาตที่ยื่นต่อ{agency.name_th}ผ่านบิซพอร์ทัลในแต่ละเดือน "
        "แยกตามบริการ ประเภทคำขอ ช่องทาง และจังหวัด พร้อมจำนวนที่อนุมัติ ไม่อนุมัติ "
        "ถอนคำขอ และอยู่ระหว่างดำเนินการ ไม่มีข้อมูลส่วนบุคคล "
        f"จำนวน 1 ถึง {SUPPRESS_BELOW - 1} ไม่เผยแพร่ (เว้นว่าง)",
        f"Applications submitted to {agency.name_en or agency.name_th} through Biz "
        "Portal each month, by service, kind of application, channel and province, with "
        "how many were approved, rejected, withdrawn or are in progress. Counts only, "
        f"no personal data; counts of 1 to {SUPPRESS_BELOW - 1} are left blank.",
    )
    graph.add(node, DCTERMS.publisher, graph.agency(agency))
    for keyword in ("สถิติ", "ใบอนุญาต", "คำขออนุญาต"):
        graph.add(node, DCAT.keyword, Literal(keyword, lang="th"))
    for keyword in ("statistics", "licences", "applications"):
        graph.add(node, DCAT.keyword, Literal(keyword, lang="en"))
    theme = EU_DATA_THEME.GOVE
    if graph.first_time(theme):
        graph.typed(theme, SKOS.Concept)
        graph.text(theme, SKOS.prefLabel, "รัฐบาลและภาคสาธารณะ", "Government and public sector")
    graph.add(node, DCAT.theme, theme)
    monthly = EU_FREQUENCY.MONTHLY
    if graph.first_time(monthly):
        graph.typed(monthly, DCTERMS.Frequency)
    graph.add(node, DCTERMS.accrualPeriodicity, monthly)
    period = URIRef(f"{node}-period")
    graph.typed(period, DCTERMS.PeriodOfTime)
    graph.add(period, DCAT.startDate, Literal(dataset.first.first_day, datatype=XSD.date))
    end = dataset.last.next().first_day - dt.timedelta(days=1)
    graph.add(period, DCAT.endDate, Literal(end, datatype=XSD.date))
    graph.add(node, DCTERMS.temporal, period)
    graph.add(node, DCTERMS.spatial, graph.thailand())
    for code in ("THA", "ENG"):
        graph.add(node, DCTERMS.language, graph.language(code))
    graph.add(node, DCAT.landingPage, page)
    for month in dataset.months:
        graph.add(node, DCAT.distribution, _distribution(graph, agency, month))
    return node


def _distribution(graph: CatalogueGraph, agency: Agency, month: Month) -> URIRef:
    base = graph.uris.base
    node = URIRef(f"{base}{PATH}#{agency.code}-{month}")
    url = URIRef(file_url(base, agency, month))
    graph.typed(node, DCAT.Distribution)
    graph.identifier(node, f"open-data/{agency.code}/{month}")
    graph.text(
        node,
        DCTERMS.title,
        f"สถิติเดือน{month.label_th} (CSV)",
        f"Statistics for {month.label_en} (CSV)",
    )
    graph.add(node, DCAT.accessURL, url)
    graph.add(node, DCAT.downloadURL, url)
    media = URIRef(IANA_MEDIA_TYPES + "text/csv")
    if graph.first_time(media):
        graph.typed(media, DCTERMS.MediaType, DCTERMS.MediaTypeOrExtent)
    graph.add(node, DCAT.mediaType, media)
    csv_type = EU_FILE_TYPE.CSV
    if graph.first_time(csv_type):
        graph.typed(csv_type, DCTERMS.MediaTypeOrExtent)
    graph.add(node, DCTERMS.format, csv_type)
    # Available from the first day after the month.
    graph.add(node, DCTERMS.issued, Literal(month.next().first_day, datatype=XSD.date))
    licence = URIRef(license_url())
    if graph.first_time(("licence", licence)):
        graph.typed(licence, DCTERMS.LicenseDocument)
    graph.add(node, DCTERMS.license, licence)
    graph.add(node, DCTERMS.conformsTo, _schema(graph))
    return node


def _schema(graph: CatalogueGraph) -> URIRef:
    """The columns, described on the open-data page (its ``#columns`` section)."""
    node = URIRef(f"{graph.uris.base}{PATH}#columns")
    if graph.first_time(node):
        graph.typed(node, DCTERMS.Standard)
        graph.text(
            node,
            DCTERMS.title,
            "โครงสร้างไฟล์สถิติการขออนุญาตรายเดือน",
            "Columns of the monthly licensing statistics",
        )
        graph.add(node, RDFS.comment, Literal(", ".join(COLUMNS)))
    return node


def published_files(today: dt.date | None = None) -> Iterator[tuple[AgencyDataset, Month]]:
    """Every (dataset, month) published: for listings and tests."""
    for dataset in datasets(today):
        for month in dataset.months:
            yield dataset, month

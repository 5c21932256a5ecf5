"""Open data: the monthly CSV per agency equals the aggregates, suppressed; the public
pages; the DCAT datasets in the catalogue, valid against the official shapes."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.conf import settings
from django.utils import timezone
from freezegun import freeze_time
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

from bizportal.applications.models import Application, Status
from bizportal.catalog import rdf, shacl
from bizportal.core.thai import THAI_MONTHS_SHORT
from bizportal.identity.models import User
from bizportal.reports import opendata
from bizportal.reports.models import ApplicationFact
from bizportal.reports.opendata import Month, suppress
from bizportal.reports.refresh import refresh
from tests import journeys
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def next_month_noon() -> dt.datetime:
    """Noon on the 2nd of next month, local: this month is then complete."""
    following = Month.of(timezone.localdate()).next().first_day
    return timezone.make_aware(dt.datetime.combine(following, dt.time(12))) + dt.timedelta(days=1)


@pytest.fixture
def history():
    """This month: six applications for one service (five issued, one under review) and
    two for another (under review), refreshed into the aggregates."""
    busy = ServiceFactory(like="food-shop-licence")
    quiet = ServiceFactory(like="food-shop-licence", agency=busy.agency)
    for _ in range(5):
        journeys.issued(busy)
    journeys.submitted(busy)
    journeys.submitted(quiet)
    journeys.submitted(quiet)
    refresh(full=True)
    return busy, quiet


def read_csv(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


def test_the_csv_equals_the_aggregates_with_small_cells_blank(client, history) -> None:
    busy, quiet = history
    agency, month = busy.agency, Month.of(timezone.localdate())
    facts = ApplicationFact.objects.filter(agency=agency)
    assert facts.count() == 8
    with freeze_time(next_month_noon()):
        response = client.get(f"/open-data/{agency.code}/{month}.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content
    assert not body.startswith(b"\xef\xbb\xbf")  # UTF-8 without a byte-order mark
    assert body.splitlines()[0].decode() == ",".join(opendata.COLUMNS)
    found = {row["service_code"]: row for row in read_csv(body)}
    assert set(found) == {busy.slug, quiet.slug}
    row = found[busy.slug]
    assert row["month"] == str(month) and row["agency_code"] == agency.code
    assert row["service_name_th"] == busy.name_th and row["service_name_en"] == busy.name_en
    assert (row["kind"], row["channel"]) == ("new", "online")
    # 6 submitted, 5 issued; the one in progress is blank (1-4), and rejected (0) is
    # blanked too, or the one in progress could be worked out as 6 - 5 - 0 - 0.
    assert row["applications_submitted"] == "6"
    assert row["approved"] == "5"
    assert row["withdrawn"] == "0"
    assert row["in_progress"] == "" and row["rejected"] == ""
    assert row["suppressed"] == "rejected in_progress"
    # Two applications: the whole row is blank, zeros included.
    small = found[quiet.slug]
    assert all(small[name] == "" for name in opendata.COUNTS)
    assert small["suppressed"] == " ".join(opendata.COUNTS)
    # The unsuppressed rows are the sums of the aggregate table.
    raw = {r["service_code"]: r for r in opendata.rows(agency, month)}
    assert raw[busy.slug][opendata.SUBMITTED] == facts.filter(service=busy).count()
    assert raw[busy.slug]["approved"] == facts.filter(service=busy, status=Status.ISSUED).count()
    assert raw[busy.slug]["in_progress"] == 1
    assert raw[quiet.slug][opendata.SUBMITTED] == 2


def test_the_file_holds_no_person_and_no_officer(history) -> None:
    busy, _quiet = history
    body = opendata.csv_bytes(busy.agency, Month.of(timezone.localdate())).decode()
    header = body.splitlines()[0].split(",")
    assert header == list(opendata.COLUMNS)
    assert not {"filed_by", "applicant", "officer", "name", "public_id"} & set(header)
    applications = Application.objects.filter(agency=busy.agency)
    assert applications.count() == 8
    for application in applications:
        assert str(application.public_id) not in body
    for user in User.objects.all():
        for value in (user.username, user.first_name, user.last_name, user.email):
            if value:
                assert value not in body, value


@pytest.mark.parametrize(
    ("counts", "blank"),
    [
        ((10, 5, 5, 0, 0), set()),
        ((10, 6, 3, 0, 1), {"rejected", "in_progress"}),  # 3 and 1: sum 4 of two cells
        ((9, 8, 1, 0, 0), {"rejected", "withdrawn"}),  # one blank: the next smallest too
        ((10, 8, 1, 1, 0), {"rejected", "withdrawn", "in_progress"}),  # 1+1: both are 1
        ((12, 4, 4, 4, 0), {"approved", "rejected", "withdrawn", "in_progress"}),  # all 4
        ((3, 3, 0, 0, 0), set(opendata.COUNTS)),  # a small total blanks the row
        ((0, 0, 0, 0, 0), set()),
    ],
)
def test_small_cells_are_suppressed_so_that_none_can_be_worked_out(counts, blank) -> None:
    row = dict(zip(opendata.COUNTS, counts, strict=True))
    published = suppress(row)
    assert {name for name in opendata.COUNTS if published[name] is None} == blank
    assert published["suppressed"] == " ".join(n for n in opendata.COUNTS if n in blank)
    for name in set(opendata.COUNTS) - blank:
        assert published[name] == row[name]
        assert not 0 < published[name] < opendata.SUPPRESS_BELOW


def test_the_current_month_is_not_published(client, history) -> None:
    busy, _quiet = history
    month = Month.of(timezone.localdate())
    assert client.get(f"/open-data/{busy.agency.code}/{month}.csv").status_code == 404
    page = client.get("/open-data/")
    assert page.status_code == 200
    assert f"/open-data/{busy.agency.code}/{month}.csv" not in page.content.decode()
    assert opendata.datasets() == []
    with freeze_time(next_month_noon()):
        page = client.get("/open-data/")
        assert f"/open-data/{busy.agency.code}/{month}.csv" in page.content.decode()
        assert [d.months for d in opendata.datasets()] == [[month]]


def test_unknown_agencies_and_bad_months_are_404(client, history) -> None:
    busy, _quiet = history
    code, month = busy.agency.code, Month.of(timezone.localdate())
    with freeze_time(next_month_noon()):
        assert client.get(f"/open-data/{code}/{month}.csv").status_code == 200
        for path in (
            f"/open-data/no-such-agency/{month}.csv",
            f"/open-data/{code}/{month.year}-13.csv",
            f"/open-data/{code}/{month.year}-00.csv",
            f"/open-data/{code}/{month.previous()}.csv",  # before its first application
            f"/open-data/{code}/{month.next()}.csv",  # the current month then
            f"/open-data/{code}/{month.next().next()}.csv",
            f"/open-data/{ServiceFactory().agency.code}/{month}.csv",  # an agency without data
        ):
            assert client.get(path).status_code == 404, path
        assert client.get(f"/open-data/{code}/{month.year}-1.csv").status_code == 404
        assert client.post(f"/open-data/{code}/{month}.csv").status_code == 405


def test_a_file_answers_304_while_it_is_unchanged_and_needs_no_sign_in(client, history) -> None:
    busy, _quiet = history
    url = f"/open-data/{busy.agency.code}/{Month.of(timezone.localdate())}.csv"
    with freeze_time(next_month_noon()):
        first = client.get(url)
        assert first.status_code == 200 and "public" in first["Cache-Control"]
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # A count of the month changes (a refresh after late decisions): a new ETag.
    late = ApplicationFact.objects.filter(service=busy, status=Status.ISSUED).first()
    ApplicationFact.objects.filter(pk=late.pk).update(status=Status.REJECTED)
    with freeze_time(next_month_noon()):
        changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_month_arithmetic() -> None:
    assert str(Month(2026, 12).next()) == "2027-01"
    assert str(Month(2026, 1).previous()) == "2025-12"
    assert Month.parse("2026-02") == Month(2026, 2)
    assert Month.parse("2026-2") is None and Month.parse("2026-13") is None
    assert Month.parse("abcd-ef") is None
    assert [str(m) for m in opendata.months_between(Month(2025, 11), Month(2026, 2))] == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]


def test_each_agency_is_a_dcat_dataset_with_a_distribution_per_month(client, history) -> None:
    busy, _quiet = history
    agency, month = busy.agency, Month.of(timezone.localdate())
    base = settings.BASE_URL
    with freeze_time(next_month_noon()):
        response = client.get("/catalog.ttl")
    graph = Graph().parse(data=response.content, format="turtle")
    catalogue = URIRef(f"{base}/catalog")
    dataset = URIRef(f"{base}/open-data/#{agency.code}")
    assert (catalogue, DCAT.dataset, dataset) in graph
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    assert (dataset, DCTERMS.publisher, URIRef(f"{base}/catalog/agencies/{agency.code}")) in graph
    titles = {(t.language, str(t)) for t in graph.objects(dataset, DCTERMS.title)}
    assert ("en", f"Monthly licensing statistics of {agency.name_en}") in titles
    assert ("th", f"สถิติการขออนุญาตรายเดือนของ{agency.name_th}") in titles
    assert graph.value(dataset, DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
    )
    period = graph.value(dataset, DCTERMS.temporal)
    assert graph.value(period, DCAT.startDate) == Literal(month.first_day, datatype=XSD.date)
    distributions = list(graph.objects(dataset, DCAT.distribution))
    assert len(distributions) == 1
    (distribution,) = distributions
    url = URIRef(f"{base}/open-data/{agency.code}/{month}.csv")
    assert graph.value(distribution, DCAT.downloadURL) == url
    assert graph.value(distribution, DCAT.accessURL) == url
    assert graph.value(distribution, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/text/csv"
    )
    assert graph.value(distribution, DCTERMS.issued) == Literal(
        month.next().first_day, datatype=XSD.date
    )
    assert graph.value(distribution, DCTERMS.license) is not None
    # The download URL answers with the file.
    with freeze_time(next_month_noon()):
        assert client.get(str(url).removeprefix(base)).status_code == 200
    found = shacl.violations(graph, shacl.DCAT_AP_SHAPES)
    assert found == [], "\n".join(map(str, found))
    assert shacl.violations(graph) == []


@pytest.mark.usefixtures("history")
def test_no_dataset_before_a_month_is_complete_and_the_etag_moves_when_one_is() -> None:
    graph = rdf.catalogue_graph([], None)
    assert not [s for s in graph.subjects(RDF.type, DCAT.Dataset) if "/open-data/" in str(s)]
    with freeze_time(next_month_noon()):
        graph = rdf.catalogue_graph([], None)
    assert [s for s in graph.subjects(RDF.type, DCAT.Dataset) if "/open-data/" in str(s)]
    now = rdf.catalogue_state()
    with freeze_time(next_month_noon()):
        later = rdf.catalogue_state()
    assert later.etag != now.etag
    start = Month.of(timezone.localdate()).next().first_day
    assert later.last_modified == timezone.make_aware(dt.datetime.combine(start, dt.time.min))


@pytest.mark.parametrize(
    ("language", "heading", "label"),
    [
        ("th", "ข้อมูลเปิด: สถิติการขออนุญาตรายเดือน", "label_th_short"),
        ("en", "Open data: monthly licensing statistics", "label_en_short"),
    ],
)
def test_the_page_lists_the_files_in_the_readers_language(
    client, history, language, heading, label
):
    busy, _quiet = history
    month = Month.of(timezone.localdate())
    expected = {
        "label_th_short": f"{THAI_MONTHS_SHORT[month.month - 1]} {month.year + 543}",
        "label_en_short": month.first_day.strftime("%b %Y"),
    }[label]
    with freeze_time(next_month_noon()):
        page = client.get("/open-data/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert heading in page
    assert f'id="{busy.agency.code}"' in page
    assert f"{expected}</a>" in page
    assert "applications_submitted" in page and "suppressed" in page

"""Finance reports: the page, the Excel workbook and the PDF agree with the database."""

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bizportal.identity.models import StaffRole
from bizportal.payments import refunds, reports
from bizportal.payments.models import Invoice, Refund
from tests import journeys
from tests.factories import OfficerFactory, ServiceFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def money() -> dict[str, Any]:
    """Two agencies' payments, a completed refund, and an unpaid invoice."""
    service = ServiceFactory()
    first = [journeys.pay(journeys.approve_everything(journeys.submitted(service))) for _ in "ab"]
    agency = first[0].agency
    other = journeys.pay(journeys.approve_everything(journeys.submitted(ServiceFactory())))
    unpaid = journeys.approve_everything(journeys.submitted(service))
    invoice = Invoice.objects.get(application=first[0])
    maker = OfficerFactory(agency=agency, roles=[StaffRole.FINANCE])
    checker = OfficerFactory(agency=agency, roles=[StaffRole.FINANCE])
    refund = refunds.request_refund(
        invoice, amount=Decimal("300.00"), reason_code="overpaid", note="x", actor=maker
    )
    refunds.decide_refund(refund, approve=True, actor=checker)
    # What the provider's confirmation does (the HTTP path: test_refunds.py).
    refunds._record_answer(refund.pk, "completed", "SBRTEST", "refunded", None)
    assert Refund.objects.get().state == "completed"
    return {
        "agency": agency,
        "other_agency": other.agency,
        "finance": maker,
        "unpaid": Invoice.objects.get(application=unpaid),
    }


def db_totals(agency: Any = None) -> dict[str, Decimal]:
    paid = Invoice.objects.filter(status="paid")
    pending = Invoice.objects.filter(status="pending")
    done = Refund.objects.filter(state="completed")
    if agency is not None:
        paid = paid.filter(application__agency=agency)
        pending = pending.filter(application__agency=agency)
        done = done.filter(agency=agency)
    collected = paid.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    refunded = done.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    return {
        "collected": collected,
        "refunded": refunded,
        "net": collected - refunded,
        "outstanding": pending.aggregate(s=Sum("amount"))["s"] or Decimal(0),
    }


def test_the_report_totals_equal_the_database(money: dict[str, Any]) -> None:
    today = timezone.localdate()
    national = reports.build(today, today, agency=None)
    assert national.totals == db_totals()
    assert sum(r["total"] for r in national.collections) == db_totals()["collected"]
    assert sum(r["net"] for r in national.remittance) == db_totals()["net"]
    assert len(national.remittance) == 2
    own = reports.build(today, today, agency=money["agency"])
    assert own.totals == db_totals(money["agency"])
    assert own.totals["refunded"] == Decimal("300.00")
    assert {row["agency"] for row in own.collections} == {money["agency"]}


def test_the_page_shows_the_agencys_figures_and_a_chart_in_fixed_queries(
    money: dict[str, Any], client: Client, django_assert_max_num_queries: Any
) -> None:
    client.force_login(money["finance"])
    with django_assert_max_num_queries(16):
        response = client.get(reverse("backoffice:finance-report"))
    page = response.content.decode()
    expected = db_totals(money["agency"])
    assert f'data-collected="{expected["collected"]}"' in page
    assert f'data-net="{expected["net"]}"' in page
    assert "<svg" in page and 'role="img"' in page and "<script" not in page.split("<svg")[1]
    assert money["other_agency"].name_th not in page
    # An executive sees every agency.
    client.force_login(StaffFactory(roles=[StaffRole.EXECUTIVE]))
    page = client.get(reverse("backoffice:finance-report")).content.decode()
    assert f'data-collected="{db_totals()["collected"]}"' in page
    # A bad period is refused with a message.
    bad = client.get(reverse("backoffice:finance-report"), {"start": "2026-02-30"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.content.decode()


def test_the_workbook_opens_and_its_totals_equal_the_database(
    money: dict[str, Any], client: Client, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    client.force_login(StaffFactory(roles=[StaffRole.EXECUTIVE]))
    response = client.get(reverse("backoffice:finance-report-xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert {"Summary", "Collections", "Daily", "Remittance", "Refunds", "Outstanding"} <= set(
        book.sheetnames
    )
    expected = db_totals()
    collections = book["Collections"]
    total_row = [cell.value for cell in collections[collections.max_row]]
    assert total_row[0] == "รวม" and Decimal(str(total_row[4])) == expected["collected"]
    assert collections.cell(row=2, column=5).number_format == "#,##0.00"
    body = sum(
        Decimal(str(row[4]))
        for row in collections.iter_rows(min_row=2, values_only=True)
        if row[0] != "รวม"
    )
    assert body == expected["collected"]
    remittance = book["Remittance"]
    last = [cell.value for cell in remittance[remittance.max_row]]
    assert Decimal(str(last[5])) == expected["net"] and Decimal(str(last[4])) == Decimal("300")
    outstanding = book["Outstanding"]
    assert (
        Decimal(str(outstanding.cell(row=outstanding.max_row, column=3).value))
        == (expected["outstanding"])
    )
    assert book["Daily"]._charts  # the chart travels with the workbook
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice:
        path = tmp_path / "finance.xlsx"
        path.write_bytes(response.content)
        subprocess.run(
            [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
            check=True,
            timeout=180,
            capture_output=True,
        )
        assert (tmp_path / "finance.pdf").read_bytes().startswith(b"%PDF")


def test_the_pdf_report_renders(money: dict[str, Any], client: Client) -> None:
    client.force_login(money["finance"])
    response = client.get(reverse("backoffice:finance-report-pdf"))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]


def test_other_roles_do_not_reach_the_reports(money: dict[str, Any], client: Client) -> None:
    client.force_login(OfficerFactory(agency=money["agency"]))
    for name in ("backoffice:finance-report", "backoffice:finance-report-xlsx"):
        assert client.get(reverse(name)).status_code in (403, 404)

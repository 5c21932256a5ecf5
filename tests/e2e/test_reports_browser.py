"""The executive's dashboard in Chromium: key figures, charts with a table beside each,
filters that narrow the figures, and a bar that opens the applications behind it.

Screenshots of the pages go to ``BIZPORTAL_SCREENSHOTS`` (``test-results``); the user
guide's pictures in ``docs/images/`` are these, copied."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from bizportal.applications.models import BEFORE_AGENCY, Application
from bizportal.catalog.models import Agency, Service
from bizportal.reports import refresh
from bizportal.reports.models import ApplicationFact
from tests import journeys
from tests.e2e.conftest import Portal
from tests.e2e.test_journey_browser import SCREENSHOTS
from tests.e2e.test_service_levels_browser import sign_in_officer
from tests.factories import ApplicantFactory

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.xdist_group("browser")]


def kpi(page: Page, n: int) -> str:
    return page.locator(f"[data-kpi='{n}']").inner_text().strip()


def test_the_executive_filters_the_dashboard_and_drills_down(portal: Portal, browser) -> None:
    food_shop = Service.objects.get(slug="food-shop-licence")
    for _ in range(2):
        journeys.submitted(food_shop, ApplicantFactory())
    refresh.refresh()
    everything = Application.objects.exclude(status__in=BEFORE_AGENCY)
    assert ApplicationFact.objects.count() == everything.count()

    page = browser.new_context(locale="th-TH", viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(30000)
    sign_in_officer(page, portal, "executive")
    expect(page).to_have_url(re.compile(r"/backoffice/reports/$"))
    page.get_by_role("link", name="ปริมาณคำขอ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ปริมาณคำขอ")
    assert kpi(page, 1) == f"{everything.count():,}"
    # Every chart has its table: the figures are readable without the picture.
    charts = page.locator("figure.chart svg[role='img']")
    assert charts.count() >= 5
    assert page.locator("table[data-table='agencies'] tbody tr").count() >= 1
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reports-volumes.png"), full_page=True)

    # Narrow to one agency: the figures follow.
    bma = Agency.objects.get(code="bma")
    page.get_by_label("หน่วยงาน", exact=True).select_option(str(bma.pk))
    page.get_by_role("button", name="แสดง").click()
    expect(page).to_have_url(re.compile(rf"agency={bma.pk}"))
    in_bma = everything.filter(agency=bma)
    assert kpi(page, 1) == f"{in_bma.count():,}"

    # A bar of the status chart is a link to the applications behind it.
    bar = page.locator("section#table-statuses figure.chart svg a").first
    bar.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("คำขอเบื้องหลังตัวเลข")
    listed = page.locator("table[data-applications] tbody tr")
    assert listed.count() >= 1
    references = set(in_bma.values_list("reference", flat=True))
    for text in listed.locator("th").all_inner_texts():
        assert text.strip() in references
    page.screenshot(path=str(SCREENSHOTS / "reports-drill-down.png"), full_page=True)

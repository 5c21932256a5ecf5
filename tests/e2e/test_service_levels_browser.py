"""Service levels in Chromium: the BMA officer's worklist shows the Thai working days
each open application has left, sorts them by due date and flags the one about to fall
due and the one past it; the alert sweep tells the officer, whose inbox shows it.

The applications are submitted through the services (the real journey); their history
is then moved back in time, as if they had arrived weeks ago, and the clock rebuilt from
it: the live server's clock is never frozen."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import Page, expect

from bizportal.applications.models import Application, StatusChange
from bizportal.backoffice.demo import OFFICER_PASSWORD
from bizportal.catalog.models import Service
from bizportal.service_levels import calendar
from bizportal.service_levels import services as sla
from bizportal.service_levels.models import Clock
from tests import journeys
from tests.e2e.conftest import Portal, staff_totp_code
from tests.factories import ApplicantFactory

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.xdist_group("browser")]


def sign_in_officer(page: Page, portal: Portal, username: str) -> None:
    page.goto(portal.url + "/backoffice/login/")
    page.get_by_label("ชื่อผู้ใช้").fill(username)
    page.get_by_label("รหัสผ่าน").fill(OFFICER_PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.get_by_label(re.compile("รหัส 6 หลัก")).fill(staff_totp_code())
    page.get_by_role("button", name="ยืนยัน").click()


def arrived_earlier(application: Application, *, due_by: dt.date) -> Clock:
    """Move the application's history back whole days until its clock falls due on or
    before ``due_by``, and rebuild the clock from that history (the service does)."""
    clock = Clock.objects.get(application=application)
    start = timezone.localtime(clock.started_at).date()
    days = clock.sla_days + clock.paused_days
    new_start = start
    while calendar.add_working_days(new_start, days) > due_by:
        new_start -= dt.timedelta(days=1)
    shift = dt.timedelta(days=(start - new_start).days)
    Application.objects.filter(pk=application.pk).update(
        submitted_at=F("submitted_at") - shift, created_at=F("created_at") - shift
    )
    StatusChange.objects.filter(application=application).update(at=F("at") - shift)
    rebuilt = sla.refresh_clock(application.pk)
    assert rebuilt is not None and rebuilt.due_on <= due_by
    return rebuilt


def test_the_officer_worklist_shows_days_left_sorted_by_due_date_and_flagged(
    portal: Portal, browser
) -> None:
    food_shop = Service.objects.get(slug="food-shop-licence")
    today = timezone.localdate()
    fresh, soon, late = (journeys.submitted(food_shop, ApplicantFactory()) for _ in range(3))
    for application in (fresh, soon, late):
        application.refresh_from_db()
        assert application.agency.code == "bma" and application.reference
    fresh_clock = Clock.objects.get(application=fresh)
    # Due within the at-risk threshold (a working day from today) and well past due.
    soon_clock = arrived_earlier(soon, due_by=calendar.add_working_days(today, 1))
    late_clock = arrived_earlier(late, due_by=today - dt.timedelta(days=10))
    fresh_left = calendar.days_left(today, fresh_clock.due_on)
    soon_left = calendar.days_left(today, soon_clock.due_on)
    overdue = -calendar.days_left(today, late_clock.due_on)
    assert fresh_left == fresh_clock.sla_days > 2 and 0 <= soon_left <= 2 and overdue > 0

    officer = browser.new_context(locale="th-TH").new_page()
    officer.set_default_timeout(30000)
    officer.set_default_navigation_timeout(60000)
    sign_in_officer(officer, portal, "officer.bma")
    officer.goto(portal.url + "/backoffice/worklist/")
    expect(officer.get_by_role("columnheader", name="ระยะเวลาที่เหลือ")).to_be_visible()

    def days_left_cell(application: Application):  # type: ignore[no-untyped-def]
        row = officer.get_by_role("row").filter(
            has=officer.get_by_role("link", name=application.reference, exact=True)
        )
        return row.locator("[data-sla]")

    expect(days_left_cell(fresh)).to_have_attribute("data-sla", "on_track")
    expect(days_left_cell(fresh)).to_have_text(f"เหลือ {fresh_left} วันทำการ")
    expect(days_left_cell(soon)).to_have_attribute("data-sla", "at_risk")
    expect(days_left_cell(soon)).to_have_text(f"เหลือ {soon_left} วันทำการ · ใกล้ครบกำหนด")
    expect(days_left_cell(late)).to_have_attribute("data-sla", "breached")
    expect(days_left_cell(late)).to_have_text(f"เกินกำหนด {overdue} วันทำการ")
    # The due date in the Buddhist era under the days left.
    be_year = str(fresh_clock.due_on.year + 543)
    expect(
        officer.get_by_role("row")
        .filter(has=officer.get_by_role("link", name=fresh.reference, exact=True))
        .locator(".hint")
        .last
    ).to_contain_text(re.compile(rf"ครบกำหนด .*{be_year}"))

    # Sorted by due date: the overdue first, then the one at risk, then the fresh one.
    officer.get_by_label("เรียงตาม").select_option("due")
    officer.get_by_role("button", name="กรอง").click()
    expect(officer).to_have_url(re.compile(r"sort=due"))
    expect(officer.get_by_role("columnheader", name="ระยะเวลาที่เหลือ")).to_have_attribute(
        "aria-sort", "ascending"
    )
    references = officer.locator("tbody tr td:first-child a").all_inner_texts()
    ours = [ref for ref in references if ref in {fresh.reference, soon.reference, late.reference}]
    assert ours == [late.reference, soon.reference, fresh.reference], references

    # The alert sweep (the scheduled job): the officers hear of the one at risk.
    assert sla.send_alerts() >= 1
    officer.goto(portal.url + "/backoffice/worklist/?sort=due")
    expect(officer.locator(".inbox-link .badge")).to_be_visible()
    officer.locator(".inbox-link").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("กล่องข้อความ")
    expect(
        officer.locator("article.inbox-item.unread").filter(
            has_text=f"{soon.reference}: ใกล้ครบกำหนด"
        )
    ).to_have_count(1)

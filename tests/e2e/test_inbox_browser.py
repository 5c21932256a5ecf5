"""The in-app inbox in Chromium: real events (an application submitted, then a
correction the BMA officer asks for, both through the services) reach the applicant's
inbox; the header counts the unread messages; she opens the inbox, marks one message
read and then the rest, and the count goes down each time."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from bizportal.applications import services
from bizportal.applications.models import Status
from bizportal.catalog.models import Service
from bizportal.identity.models import User
from bizportal.notifications.models import InboxMessage
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests import journeys
from tests.e2e.conftest import Portal

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.xdist_group("browser")]

SOMSRI = DEMO_IDENTITIES[0]
NOTE = "กรุณาแนบแผนผังที่แสดงทางหนีไฟ"


def header_inbox(page: Page):  # type: ignore[no-untyped-def]
    """The inbox link in the page header (the account page has one of its own)."""
    return page.get_by_role("navigation", name="เมนูหลัก").get_by_role(
        "link", name=re.compile("^กล่องข้อความ")
    )


def unread_badge(page: Page):  # type: ignore[no-untyped-def]
    return header_inbox(page).locator(".badge")


def test_notifications_reach_the_inbox_and_the_unread_count_goes_down(
    portal: Portal, browser
) -> None:
    person = browser.new_context(locale="th-TH").new_page()
    person.set_default_timeout(30000)
    person.set_default_navigation_timeout(60000)
    person.goto(portal.url + "/")
    person.get_by_role("link", name="เข้าสู่ระบบด้วย Digital ID").first.click()
    person.get_by_label("เลขประจำตัวประชาชน 13 หลัก").fill(SOMSRI.citizen_id)
    person.get_by_label("รหัสผ่าน").fill(SOMSRI.password)
    person.get_by_role("button", name="ยืนยันตัวตนและอนุญาต").click()
    expect(person.get_by_label(re.compile("ตนเอง"))).to_be_checked()
    person.get_by_role("button", name="ดำเนินการในนามนี้").click()
    inbox_link = header_inbox(person)
    expect(inbox_link).to_be_visible()
    expect(unread_badge(person)).to_have_count(0)  # nothing has happened to her yet

    # What happens elsewhere: she applies, the officer asks for a correction.
    somsri = User.objects.get(citizen_id=SOMSRI.citizen_id)
    application = journeys.submitted(Service.objects.get(slug="food-shop-licence"), somsri)
    officer = User.objects.get(username="supervisor.bma")
    services.decide(application, officer=officer, action="correct", note=NOTE)
    application.refresh_from_db()
    assert application.status == Status.CORRECTION
    unread = InboxMessage.objects.filter(user=somsri, read_at__isnull=True).count()
    assert unread >= 2  # the submission's and the correction's messages at least

    person.reload()
    expect(unread_badge(person)).to_have_attribute("data-unread", str(unread))
    expect(unread_badge(person)).to_contain_text(f"{unread} ข้อความที่ยังไม่อ่าน")
    inbox_link.click()
    expect(person.get_by_role("heading", level=1)).to_have_text("กล่องข้อความ")
    expect(person.locator("article.inbox-item.unread")).to_have_count(unread)
    unread_correction = person.locator("article.inbox-item").filter(
        has=person.get_by_role(
            "heading", name=f"ยังไม่อ่าน: [Biz Portal] {application.reference} ขอให้แก้ไขเพิ่มเติม"
        )
    )
    expect(unread_correction).to_have_count(1)
    # The same message, found by its id whether read or not.
    message_id = unread_correction.get_attribute("data-message")
    correction = person.locator(f'article.inbox-item[data-message="{message_id}"]')
    expect(correction).to_contain_text(f"หมายเหตุจากเจ้าหน้าที่: {NOTE}")
    expect(correction.get_by_role("link", name="เปิดรายการ")).to_have_attribute(
        "href", re.compile(f"/applications/{application.public_id}/$")
    )

    # Mark that one read: it is no longer unread and the count goes down by one.
    correction.get_by_role("button", name="อ่านแล้ว", exact=True).click()
    expect(unread_badge(person)).to_have_attribute("data-unread", str(unread - 1))
    expect(correction).not_to_have_class(re.compile(r"\bunread\b"))
    expect(correction.get_by_role("button", name="อ่านแล้ว", exact=True)).to_have_count(0)
    expect(correction.get_by_role("heading")).to_have_text(
        f"[Biz Portal] {application.reference} ขอให้แก้ไขเพิ่มเติม / Correction requested"
    )
    expect(person.locator("article.inbox-item.unread")).to_have_count(unread - 1)

    # Then all the rest: no count in the header, nothing left unread.
    person.get_by_role("button", name="ทำเครื่องหมายว่าอ่านแล้วทั้งหมด").click()
    expect(unread_badge(person)).to_have_count(0)
    expect(person.locator("article.inbox-item.unread")).to_have_count(0)
    expect(person.locator("article.inbox-item")).to_have_count(unread)
    assert not InboxMessage.objects.filter(user=somsri, read_at__isnull=True).exists()

    # The message leads to the application, where the officer's note waits.
    correction.get_by_role("link", name="เปิดรายการ").click()
    expect(person.locator("[data-status]")).to_have_attribute("data-status", "correction")
    expect(person.get_by_text(NOTE).first).to_be_visible()

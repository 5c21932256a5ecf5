"""A complaint's round trip in Chromium: someone who is not signed in asks about a
service (an empty form first: each field says what is missing), follows the case by
its link, the BMA officer answers and closes it in the back office, and the person sees
the answer and the outcome."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from bizportal.backoffice.demo import OFFICER_PASSWORD
from bizportal.contact.models import Case
from bizportal.core.models import DomainEvent
from tests.e2e.conftest import Portal, staff_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.xdist_group("browser")]


def test_an_anonymous_complaint_is_answered_and_closed(portal: Portal, browser) -> None:
    person = browser.new_context(locale="th-TH").new_page()
    person.set_default_timeout(30000)
    person.goto(portal.url + "/contact/")
    expect(person.get_by_role("heading", level=1)).to_have_text("ติดต่อหน่วยงาน")
    person.get_by_role("link", name="ร้องเรียนหรือสอบถาม").click()
    person.get_by_role("button", name="ส่งเรื่อง").click()  # empty: refused, field by field
    expect(person.get_by_text("กรุณาแก้ไขข้อมูลที่ระบุด้านล่าง")).to_be_visible()
    expect(person.locator("#id_subject_error")).to_contain_text("กรุณากรอกช่องนี้")
    person.get_by_label("ประเภท").select_option("complaint")
    person.get_by_label("หมวด", exact=True).select_option("delay")
    person.get_by_label("บริการที่เกี่ยวข้อง").select_option("food-shop-licence")
    person.get_by_label("เรื่อง", exact=True).fill("รอใบอนุญาตนานเกินกำหนด")
    person.get_by_label("รายละเอียด").fill("ยื่นคำขอที่ศูนย์บริการมาหนึ่งเดือนแล้ว")
    person.get_by_label("อีเมลสำหรับรับคำตอบ").fill("walkin@example.test")
    person.get_by_role("button", name="ส่งเรื่อง").click()
    expect(person.get_by_text(re.compile(r"รับเรื่องเลขที่ CT-\d{4}-\d{6} แล้ว"))).to_be_visible()
    case = Case.objects.get()
    assert case.owner_agency.code == "bma" and case.person is None
    follow_url = person.url
    expect(person.locator("dd[data-status]")).to_have_attribute("data-status", "open")

    officer = browser.new_context(locale="th-TH").new_page()
    officer.set_default_timeout(30000)
    officer.set_default_navigation_timeout(60000)
    officer.goto(portal.url + "/backoffice/login/")
    officer.get_by_label("ชื่อผู้ใช้").fill("officer.bma")
    officer.get_by_label("รหัสผ่าน").fill(OFFICER_PASSWORD)
    officer.get_by_role("button", name="เข้าสู่ระบบ").click()
    officer.get_by_label(re.compile("รหัส 6 หลัก")).fill(staff_totp_code())
    officer.get_by_role("button", name="ยืนยัน").click()
    officer.goto(portal.url + "/backoffice/cases/")
    officer.get_by_role("link", name=case.reference).click()
    officer.get_by_role("button", name="ส่งคำตอบ").click()  # empty answer: refused
    expect(officer.locator(".field-error").first).to_contain_text("กรุณากรอกช่องนี้")
    officer.get_by_role("textbox", name="ข้อความ").fill("ตรวจสอบแล้ว อนุมัติคำขอวันนี้")
    officer.get_by_role("button", name="ส่งคำตอบ").click()
    expect(officer.get_by_text("ส่งคำตอบแล้ว")).to_be_visible()
    officer.get_by_label("ผลการดำเนินการ").fill("ออกใบอนุญาตแล้ว")
    officer.get_by_role("button", name="ปิดเรื่อง").click()
    expect(officer.get_by_text("ปิดเรื่องแล้ว").first).to_be_visible()

    person.goto(follow_url)
    expect(person.locator("dd[data-status]")).to_have_attribute("data-status", "closed")
    expect(person.get_by_text("ตรวจสอบแล้ว อนุมัติคำขอวันนี้")).to_be_visible()
    expect(person.get_by_text("ออกใบอนุญาตแล้ว")).to_be_visible()
    assert DomainEvent.objects.filter(name="contact.complaint_closed").count() == 1

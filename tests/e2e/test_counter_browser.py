"""The service counter in Chromium: the officer reads a walk-in person's ID card with the
sandbox card reader, is refused for another person's card, then raises the person's
identity assurance to IAL 2.3 with the chip read and the face compared."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from bizportal.backoffice.demo import OFFICER_PASSWORD
from bizportal.identity.models import User
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests.e2e.conftest import Portal, staff_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.xdist_group("browser")]

MALEE = DEMO_IDENTITIES[2]


def test_a_counter_officer_raises_a_persons_ial_with_the_card_reader(
    portal: Portal, browser
) -> None:
    page = browser.new_context(locale="th-TH").new_page()
    page.set_default_timeout(30000)
    page.goto(portal.url + "/backoffice/login/")
    page.get_by_label("ชื่อผู้ใช้").fill("counter.osc")
    page.get_by_label("รหัสผ่าน").fill(OFFICER_PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.get_by_label(re.compile("รหัส 6 หลัก")).fill(staff_totp_code())
    page.get_by_role("button", name="ยืนยัน").click()
    page.goto(portal.url + "/backoffice/counter/")

    page.locator("#id_citizen_id").fill(MALEE.citizen_id)
    page.get_by_label("อ่านชิปบัตรประจำตัวประชาชนและเปรียบเทียบใบหน้า").check()
    page.locator("#id_card").select_option("card-1")  # somebody else's card
    page.locator("#id_face_confirmed").check()
    page.locator("form.card button[type=submit]").click()
    expect(page.get_by_text("บัตรในเครื่องอ่านไม่ใช่บัตรของเลขประจำตัวประชาชนนี้")).to_be_visible()

    page.locator("#id_card").select_option("card-3")
    page.locator("#id_face_confirmed").check()
    page.locator("form.card button[type=submit]").click()
    expect(page.get_by_text("IAL 2.3").first).to_be_visible()
    assert User.objects.get(citizen_id=MALEE.citizen_id).identity_assurance == "2.3"

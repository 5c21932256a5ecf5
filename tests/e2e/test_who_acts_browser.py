"""Acting for a company in Chromium: a director applies for a company registered with
joint signing; the second director confirms; only then does the agency see it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bizportal.applications.models import Application
from bizportal.registries.demo import DEMO_COMPANIES
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES, DemoIdentity
from tests.e2e.conftest import Portal
from tests.e2e.test_journey_browser import SCREENSHOTS, floor_plan
from tests.factories import citizen_id

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.xdist_group("browser")]

SOMSRI, PRASERT = DEMO_IDENTITIES[0], DEMO_IDENTITIES[1]
THONGKHAM = DEMO_COMPANIES[1]


def sign_in_for_the_company(page: Page, portal: Portal, person: DemoIdentity) -> None:
    page.goto(portal.url + "/")
    page.get_by_role("link", name="เข้าสู่ระบบด้วย Digital ID").click()
    page.get_by_label("เลขประจำตัวประชาชน 13 หลัก").fill(person.citizen_id)
    page.get_by_label("รหัสผ่าน").fill(person.password)
    page.get_by_role("button", name="ยืนยันตัวตนและอนุญาต").click()
    # Whom do you act for? The juristic registry lists them as directors.
    page.get_by_label(re.compile(THONGKHAM["name_th"])).check()
    page.get_by_role("button", name="ดำเนินการในนามนี้").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"บัญชีของ{THONGKHAM['name_th']}")


def test_a_director_applies_for_the_company_and_the_second_director_confirms(
    portal: Portal, browser, tmp_path: Path
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    prasert = browser.new_context(locale="th-TH").new_page()
    prasert.set_default_timeout(30000)
    sign_in_for_the_company(prasert, portal, PRASERT)

    prasert.goto(portal.url + "/services/food-shop-licence/")
    prasert.get_by_role("button", name="ยื่นคำขอออนไลน์").click()
    prasert.get_by_label("โทรศัพท์มือถือ").fill("0891234567")
    prasert.get_by_label("ชื่อสถานประกอบการ").fill("ทองคำ คอฟฟี่ สาขาท่าแพ")
    prasert.get_by_label("ที่ตั้งสถานประกอบการ").fill("88 ถนนท่าแพ ตำบลช้างคลาน อำเภอเมืองเชียงใหม่")
    prasert.get_by_label("พื้นที่ประกอบการ (ตารางเมตร)").fill("60")
    prasert.get_by_label("จำนวนที่นั่ง").fill("20")
    prasert.get_by_label("เลขประจำตัวประชาชนของผู้ควบคุมกิจการ").fill(citizen_id(3030))
    prasert.get_by_label("เป็นเจ้าของ").check()
    prasert.locator("#d-floor_plan").set_input_files(str(floor_plan(tmp_path)))
    prasert.locator("#c-tax_registration").check()  # the company's tax data, once only
    prasert.get_by_role("button", name="ดำเนินการต่อ").click()
    prasert.get_by_label("ข้าพเจ้ายอมรับเงื่อนไขข้างต้น").check()
    prasert.get_by_role("button", name="ยื่นคำขอ", exact=True).click()

    expect(prasert.get_by_text(re.compile("รอกรรมการอีกคนลงนามภายใน 7 วัน"))).to_be_visible()
    prasert.get_by_role("link", name="ติดตามคำขอ").click()
    expect(prasert.locator("[data-status]")).to_have_attribute("data-status", "awaiting_signature")
    application = Application.objects.get(party__key=THONGKHAM["juristic_id"])
    assert application.holder_name_th == THONGKHAM["name_th"]
    prasert.screenshot(path=str(SCREENSHOTS / "company-first-signature.png"), full_page=True)

    somsri = browser.new_context(locale="th-TH").new_page()
    somsri.set_default_timeout(30000)
    sign_in_for_the_company(somsri, portal, SOMSRI)
    waiting = somsri.get_by_role("note").filter(has_text="รอท่านลงนามร่วม")
    waiting.get_by_role("link", name=application.reference).click()
    somsri.get_by_label(re.compile("ข้าพเจ้าได้ตรวจคำขอนี้แล้ว")).check()
    somsri.get_by_role("button", name="ลงนามร่วมและยื่นคำขอ").click()

    expect(somsri.locator("[data-status]")).to_have_attribute("data-status", "review")
    expect(somsri.get_by_text(re.compile("ส่งถึงหน่วยงานแล้ว"))).to_be_visible()
    application.refresh_from_db()
    assert application.signatures.count() == 2
    somsri.screenshot(path=str(SCREENSHOTS / "company-second-signature.png"), full_page=True)

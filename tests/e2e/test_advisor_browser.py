"""Finding the right licences in Chromium: browse by lifecycle stage and target group,
then ask the advisor about "a restaurant in Bangkok selling beer, 60 seats", get the
licences in the order to obtain them, and start them together as a bundle."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from bizportal.advisor.models import Bundle
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests.e2e.conftest import Portal
from tests.e2e.test_journey_browser import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.xdist_group("browser")]

SOMSRI = DEMO_IDENTITIES[0]
#: Question text (Thai) → what a restaurant owner in Bangkok answers.
ANSWERS = {
    "ท่านจะประกอบกิจการในรูปแบบใด": "บุคคลธรรมดา (เจ้าของคนเดียว)",
    "ธุรกิจของท่านทำอะไรเป็นหลัก": "ร้านอาหารหรือเครื่องดื่ม",
    "สถานประกอบการตั้งอยู่ที่จังหวัดใด": "กรุงเทพมหานคร",
    "พื้นที่ประกอบการรวมกี่ตารางเมตร (รวมครัวและที่นั่ง)": "240",
    "ร้านมีที่นั่งสำหรับลูกค้ากี่ที่": "60",
    "จะขายเครื่องดื่มแอลกอฮอล์ เช่น เบียร์ ไวน์ สุรา หรือไม่": "ใช่",
    "จะขายบุหรี่หรือยาสูบหรือไม่": "ไม่ใช่",
    "จะจ้างลูกจ้างกี่คน": "3",
    "มีลูกจ้างเป็นคนต่างด้าวหรือไม่": "ไม่ใช่",
    "รายรับทั้งปีจะเกิน 1.8 ล้านบาทหรือไม่": "ใช่",
    "จะติดป้ายชื่อร้านหรือป้ายโฆษณาหรือไม่": "ใช่",
    "จะนำเข้าหรือส่งออกสินค้าเองหรือไม่": "ไม่ใช่",
    "ต้องการคุ้มครองชื่อหรือโลโก้ของธุรกิจหรือไม่": "ไม่ใช่",
}


def answer_every_question(page: Page) -> None:
    for _ in range(len(ANSWERS) + 2):
        if "/advisor/result/" in page.url:
            return
        question = page.get_by_role("heading", level=1).inner_text().strip()
        value = ANSWERS[question]
        if page.locator("select#answer").count():
            page.locator("select#answer").select_option(label=value)
        elif page.locator("input[type=radio]").count():
            page.get_by_label(value, exact=True).check()
        else:
            page.locator("input#answer").fill(value)
        page.get_by_role("button", name="ถัดไป").click()
    raise AssertionError(f"still asking at {page.url}")


def test_browse_then_the_advisor_recommends_in_order_and_starts_a_bundle(
    portal: Portal, browser
) -> None:
    from bizportal.advisor import services

    services.load_questionnaire()
    SCREENSHOTS.mkdir(exist_ok=True)
    page = browser.new_context(locale="th-TH").new_page()
    page.set_default_timeout(30000)

    # Browse: by lifecycle stage, then by target group.
    page.goto(portal.url + "/")
    page.get_by_role("link", name="เริ่มต้นธุรกิจ").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("เริ่มต้นธุรกิจ")
    expect(page.locator('a[href="/services/company-registration/"]').first).to_be_visible()
    page.goto(portal.url + "/")
    page.get_by_role("link", name="นักลงทุนและผู้ประกอบการต่างชาติ").first.click()
    expect(page.locator('a[href="/services/foreign-business-licence/"]').first).to_be_visible()

    # The advisor, signed in so the bundle can start.
    page.goto(portal.url + "/")
    page.get_by_role("link", name="เข้าสู่ระบบด้วย Digital ID").first.click()
    page.get_by_label("เลขประจำตัวประชาชน 13 หลัก").fill(SOMSRI.citizen_id)
    page.get_by_label("รหัสผ่าน").fill(SOMSRI.password)
    page.get_by_role("button", name="ยืนยันตัวตนและอนุญาต").click()
    page.goto(portal.url + "/")
    page.get_by_role("link", name="เริ่มใช้ผู้ช่วยแนะนำใบอนุญาต").click()
    answer_every_question(page)

    advised = page.locator("ol.advice > li").evaluate_all(
        "items => items.map(item => item.dataset.service)"
    )
    assert advised[0] == "commercial-registration"
    assert advised.index("vat-registration") < advised.index("liquor-sale-licence")
    assert advised.index("food-shop-licence") < advised.index("liquor-sale-licence")
    assert {"sso-employer-registration", "signboard-tax-filing"} <= set(advised)
    page.screenshot(path=str(SCREENSHOTS / "advisor-result.png"), full_page=True)

    page.get_by_role("button", name="เริ่มยื่นคำขอที่ยื่นผ่านบิซพอร์ทัลได้ทั้งหมดพร้อมกัน").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ชุดคำขอที่เริ่มจากคำแนะนำ")
    page.get_by_label("ชื่อสถานประกอบการ").fill("ร้านข้าวแกงป้าศรี")
    page.get_by_role("button", name="บันทึกในทุกคำขอ").click()
    expect(page.get_by_text("บันทึกคำตอบร่วมในทุกคำขอแล้ว")).to_be_visible()
    bundle = Bundle.objects.get()
    drafts = [item.application for item in bundle.items.select_related("application__service")]
    assert [d.service.slug for d in drafts] == [
        "commercial-registration",
        "food-shop-licence",
        "liquor-sale-licence",
    ]
    assert all(d.data["business_name"] == "ร้านข้าวแกงป้าศรี" for d in drafts)

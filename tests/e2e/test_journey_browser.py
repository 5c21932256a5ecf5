"""The journey once in a real browser: Debian's Chromium driven by Playwright.

Pages are used the way a person uses them: by visible labels and buttons, with the
keyboard where it matters, in Thai.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from bizportal.backoffice.demo import OFFICER_PASSWORD
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests.e2e.conftest import Portal, staff_totp_code
from tests.factories import citizen_id

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.xdist_group("browser")]

SCREENSHOTS = Path(os.environ.get("BIZPORTAL_SCREENSHOTS", "test-results"))
# Pages here wait on real work (PDF signing, the bank's callback): be generous.
expect.set_options(timeout=30_000)


def floor_plan(tmp_path: Path) -> Path:
    path = tmp_path / "แผนผังร้าน.pdf"
    buffer = io.BytesIO()
    Image.new("RGB", (60, 60), "white").save(buffer, format="PDF")
    path.write_bytes(buffer.getvalue())
    return path


def wait_for_status(page: Page, url: str, status: str, *, seconds: float = 60) -> None:
    """Reload ``url`` until the application shows ``status``: the system's steps (the
    licence being issued) run after the bank's confirmation commits."""
    page.goto(url)
    for _ in range(int(seconds * 2)):
        if page.locator("[data-status]").get_attribute("data-status") == status:
            return
        page.wait_for_timeout(500)
        page.goto(url)
    expect(page.locator("[data-status]")).to_have_attribute("data-status", status)


def pay_with_thai_qr(applicant: Page, application_url: str, screenshot: str = "") -> None:
    """From the application page: the invoice's Thai QR, then the sandbox bank pays."""
    applicant.goto(application_url)
    applicant.get_by_role("link", name="ชำระด้วย Thai QR").click()
    expect(applicant.locator(".qr svg, .qr img")).to_have_count(1)
    if screenshot:
        applicant.screenshot(path=str(SCREENSHOTS / screenshot), full_page=True)
    applicant.locator("a.button.primary").filter(has_text=re.compile("ธนาคาร|ชำระ")).first.click()
    applicant.get_by_role("button", name="ชำระเงิน / Pay").click()
    applicant.get_by_role("link", name="กลับไปยังบิซพอร์ทัล").click()


def watch_csp(page: Page, violations: list[str]) -> Page:
    """Collect what Chromium reports about the Content Security Policy on ``page``: a
    blocked inline script or style shows up in the console."""
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page


def submitted_reference(page: Page) -> str:
    notice = page.get_by_text(re.compile(r"ยื่นคำขอเรียบร้อย เลขที่คำขอ BP-\d{4}-\d{6}"))
    expect(notice).to_be_visible()
    return re.search(r"BP-\d{4}-\d{6}", notice.inner_text()).group(0)  # type: ignore[union-attr]


def test_an_entrepreneur_and_an_officer_complete_the_journey_in_chromium(
    portal: Portal, browser, tmp_path: Path
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    person = DEMO_IDENTITIES[0]
    csp_violations: list[str] = []
    applicant = watch_csp(browser.new_context(locale="th-TH").new_page(), csp_violations)
    applicant.set_default_timeout(30000)
    applicant.set_default_navigation_timeout(60000)

    # Find the service by a Thai word and read its citizen-manual page.
    applicant.goto(portal.url + "/")
    applicant.get_by_label("ค้นหาบริการ (ภาษาไทยหรืออังกฤษ)").fill("ร้านอาหาร")
    applicant.keyboard.press("Enter")
    applicant.get_by_role("link", name="ใบอนุญาตจัดตั้งสถานที่จำหน่ายอาหาร").click()
    expect(applicant.get_by_text("15 วันทำการ")).to_be_visible()

    # Sign in with Digital ID (sandbox) and come back to the service page.
    applicant.get_by_role("link", name="เข้าสู่ระบบด้วย Digital ID เพื่อยื่นคำขอ").click()
    applicant.get_by_label("เลขประจำตัวประชาชน 13 หลัก").fill(person.citizen_id)
    applicant.get_by_label("รหัสผ่าน").fill(person.password)
    applicant.get_by_role("button", name="ยืนยันตัวตนและอนุญาต").click()
    # She directs two companies: she says she acts for herself, then carries on.
    expect(applicant.get_by_label(re.compile("ตนเอง"))).to_be_checked()
    applicant.get_by_role("button", name="ดำเนินการในนามนี้").click()
    applicant.get_by_role("button", name="ยื่นคำขอออนไลน์").click()

    # The form: identity fields are prefilled and read-only; a bad ID is explained.
    expect(applicant.get_by_label("ชื่อผู้ยื่นคำขอ")).to_have_value(person.name_th)
    applicant.get_by_label("โทรศัพท์มือถือ").fill("0891234567")
    applicant.get_by_label("ชื่อสถานประกอบการ").fill("ร้านข้าวแกงป้าสมศรี")
    applicant.get_by_label("ที่ตั้งสถานประกอบการ").fill(
        "12/3 ซอยอารีย์ 1 แขวงสามเสนใน เขตพญาไท กรุงเทพมหานคร"
    )
    applicant.get_by_label("พื้นที่ประกอบการ (ตารางเมตร)").fill("120")
    applicant.get_by_label("จำนวนที่นั่ง").fill("36")
    applicant.get_by_label("เลขประจำตัวประชาชนของผู้ควบคุมกิจการ").fill("1234567890123")
    applicant.get_by_label("เป็นเจ้าของ").check()
    applicant.locator("#d-floor_plan").set_input_files(str(floor_plan(tmp_path)))
    # Once only: the tax registration comes from the Revenue Department with her consent.
    expect(applicant.locator("#doc-tax_registration")).to_contain_text("ไม่ต้องแนบไฟล์")
    applicant.locator("#c-tax_registration").check()
    applicant.locator("#doc-tax_registration").screenshot(
        path=str(SCREENSHOTS / "applicant-evidence.png")
    )
    applicant.get_by_role("button", name="ดำเนินการต่อ").click()
    expect(
        applicant.get_by_role("alert").get_by_text(re.compile("เลขตรวจสอบไม่ตรง"))
    ).to_be_visible()
    expect(applicant.get_by_label("ชื่อสถานประกอบการ")).to_have_value("ร้านข้าวแกงป้าสมศรี")
    applicant.get_by_label("เลขประจำตัวประชาชนของผู้ควบคุมกิจการ").fill(citizen_id(2024))
    applicant.get_by_role("button", name="ดำเนินการต่อ").click()
    # Check your answers, then the declaration and the submit button.
    expect(applicant.get_by_role("heading", name="ตรวจสอบคำตอบก่อนยื่นคำขอ")).to_be_visible()
    applicant.get_by_label("ข้าพเจ้ายอมรับเงื่อนไขข้างต้น").check()
    applicant.get_by_role("button", name="ยื่นคำขอ", exact=True).click()
    reference = submitted_reference(applicant)
    applicant.get_by_role("link", name="ติดตามคำขอ").click()
    application_url = applicant.url
    applicant.screenshot(path=str(SCREENSHOTS / "applicant-submitted.png"), full_page=True)

    # The BMA officer asks for a correction at the review step, then approves.
    officer = watch_csp(browser.new_context(locale="th-TH").new_page(), csp_violations)
    officer.set_default_timeout(30000)
    officer.set_default_navigation_timeout(60000)
    officer.goto(portal.url + "/backoffice/login/")
    officer.get_by_label("ชื่อผู้ใช้").fill("officer.bma")
    officer.get_by_label("รหัสผ่าน").fill(OFFICER_PASSWORD)
    officer.get_by_role("button", name="เข้าสู่ระบบ").click()
    officer.get_by_label(re.compile("รหัส 6 หลัก")).fill(staff_totp_code())
    officer.get_by_role("button", name="ยืนยัน").click()
    officer.get_by_role("link", name=reference).click()
    review = officer.locator('section.step[data-step="review"]')
    expect(review.get_by_role("heading", name="พิจารณาคำขอ")).to_be_visible()
    review.get_by_role("button", name="ขอให้แก้ไขเพิ่มเติม").click()  # no note: refused
    expect(officer.get_by_text(re.compile("กรุณาระบุเหตุผลหรือสิ่งที่ต้องแก้ไข"))).to_be_visible()
    expect(officer.locator("[data-status]")).to_have_attribute("data-status", "review")
    review.get_by_label(re.compile("หมายเหตุ / เหตุผล")).fill("กรุณาแนบแผนผังที่แสดงทางหนีไฟ")
    review.get_by_role("button", name="ขอให้แก้ไขเพิ่มเติม").click()
    expect(officer.get_by_text("บันทึกแล้ว")).to_be_visible()
    expect(officer.locator("[data-status]")).to_have_attribute("data-status", "correction")

    applicant.goto(application_url)
    expect(applicant.get_by_text("กรุณาแนบแผนผังที่แสดงทางหนีไฟ").first).to_be_visible()
    applicant.get_by_role("link", name="แก้ไขและยื่นคำขอ").click()
    applicant.locator("#d-floor_plan").set_input_files(str(floor_plan(tmp_path)))
    applicant.get_by_role("button", name="ดำเนินการต่อ").click()
    expect(applicant.get_by_label("ข้าพเจ้ายอมรับเงื่อนไขข้างต้น")).to_be_checked()
    applicant.get_by_role("button", name="ส่งคำขอที่แก้ไขแล้ว").click()
    expect(applicant.locator("[data-reference]")).to_have_text(reference)
    applicant.goto(application_url)
    expect(applicant.locator("[data-status]")).to_have_attribute("data-status", "review")

    officer.reload()
    officer.get_by_role("button", name="อนุมัติ", exact=True).click()
    expect(officer.locator("[data-status]")).to_have_attribute("data-status", "awaiting_payment")
    officer.screenshot(path=str(SCREENSHOTS / "officer-approved.png"), full_page=True)

    # Pay with Thai QR at the sandbox bank; the licence appears once it is issued.
    pay_with_thai_qr(applicant, application_url, "applicant-invoice.png")
    wait_for_status(applicant, application_url, "issued")
    applicant.screenshot(path=str(SCREENSHOTS / "applicant-issued.png"), full_page=True)
    verify_link = applicant.get_by_role("link", name="หน้าตรวจสอบ")
    verify_href = urlsplit(verify_link.get_attribute("href") or "")
    number = verify_href.path.strip("/").split("/")[-1]
    assert re.fullmatch(r"BMA-FD-\d{4}-\d{6}", number), number
    code = parse_qs(verify_href.query)["code"][0]  # the check code, as in the QR link
    verify_link.click()
    expect(applicant.get_by_text(re.compile("ใช้ได้|valid", re.IGNORECASE)).first).to_be_visible()
    applicant.screenshot(path=str(SCREENSHOTS / "verify.png"), full_page=True)

    # Amend the licence from the account page: the business takes a new name.
    applicant.goto(portal.url + "/account/")
    card = applicant.locator(f'section.licence[data-licence="{number}"]')
    expect(card.get_by_role("button", name="ขอต่ออายุ")).to_be_visible()
    expect(card.get_by_role("button", name="ขอยกเลิกใบอนุญาต")).to_be_visible()
    card.get_by_role("button", name="ขอแก้ไขรายการ").click()
    expect(applicant.get_by_text(f"ใบอนุญาตเลขที่ {number}")).to_be_visible()
    business_name = applicant.get_by_label("ชื่อสถานประกอบการ")
    expect(business_name).to_have_value("ร้านข้าวแกงป้าสมศรี")  # as the licence says
    business_name.fill("ร้านข้าวแกงป้าสมศรี สาขาอารีย์")
    applicant.get_by_role("button", name="ดำเนินการต่อ").click()
    applicant.get_by_label("ข้าพเจ้ายอมรับเงื่อนไขข้างต้น").check()
    applicant.get_by_role("button", name="ยื่นคำขอ", exact=True).click()
    amendment = submitted_reference(applicant)
    applicant.get_by_role("link", name="ติดตามคำขอ").click()
    amendment_url = applicant.url
    expect(applicant.get_by_text("ขอแก้ไขรายการในใบอนุญาต").first).to_be_visible()

    officer.goto(portal.url + "/backoffice/")
    officer.get_by_role("link", name=amendment).click()
    expect(officer.get_by_text("ร้านข้าวแกงป้าสมศรี สาขาอารีย์")).to_be_visible()
    officer.get_by_role("button", name="อนุมัติ", exact=True).click()
    expect(officer.locator("[data-status]")).to_have_attribute("data-status", "awaiting_payment")

    pay_with_thai_qr(applicant, amendment_url)
    wait_for_status(applicant, amendment_url, "issued")

    # Version 1 now verifies as superseded; the current version has the new name.
    applicant.goto(f"{portal.url}/verify/{number}/1/?code={code}")
    expect(applicant.get_by_role("heading", name=re.compile("ฉบับที่ 1"))).to_be_visible()
    expect(applicant.get_by_text("มีฉบับใหม่แทนแล้ว").first).to_be_visible()
    applicant.screenshot(path=str(SCREENSHOTS / "verify-superseded.png"), full_page=True)
    applicant.get_by_role("link", name="ดูฉบับปัจจุบัน").click()
    expect(applicant.get_by_text("ร้านข้าวแกงป้าสมศรี สาขาอารีย์")).to_be_visible()
    expect(applicant.get_by_text("ใช้ได้", exact=True).first).to_be_visible()

    # No page on the way broke the Content Security Policy (no inline script or style
    # without the nonce).
    assert csp_violations == []

"""The journey once in a real browser: Debian's Chromium driven by Playwright.

Pages are used the way a person uses them: by visible labels and buttons, with the
keyboard where it matters, in Thai.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from bizportal.backoffice.demo import OFFICER_PASSWORD
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests.e2e.conftest import Portal
from tests.factories import citizen_id

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.xdist_group("live")]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("BIZPORTAL_SCREENSHOTS", "test-results"))


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs its own event loop; Django must allow ORM use here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield instance
        instance.close()


def floor_plan(tmp_path: Path) -> Path:
    path = tmp_path / "แผนผังร้าน.pdf"
    buffer = io.BytesIO()
    Image.new("RGB", (60, 60), "white").save(buffer, format="PDF")
    path.write_bytes(buffer.getvalue())
    return path


def test_an_entrepreneur_and_an_officer_complete_the_journey_in_chromium(
    portal: Portal, browser, tmp_path: Path
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    person = DEMO_IDENTITIES[0]
    applicant = browser.new_context(locale="th-TH").new_page()
    applicant.set_default_timeout(20000)

    # Find the service by a Thai word and read its citizen-manual page.
    applicant.goto(portal.url + "/")
    applicant.get_by_label("ค้นหาบริการ (ภาษาไทยหรืออังกฤษ)").fill("ร้านอาหาร")
    applicant.keyboard.press("Enter")
    applicant.get_by_role("link", name="ใบอนุญาตจัดตั้งสถานที่จำหน่ายอาหาร").click()
    assert applicant.get_by_text("15 วันทำการ").is_visible()

    # Sign in with Digital ID (sandbox) and come back to the service page.
    applicant.get_by_role("link", name="เข้าสู่ระบบด้วย Digital ID เพื่อยื่นคำขอ").click()
    applicant.get_by_label("เลขประจำตัวประชาชน 13 หลัก").fill(person.citizen_id)
    applicant.get_by_label("รหัสผ่าน").fill(person.password)
    applicant.get_by_role("button", name="ยืนยันตัวตนและอนุญาต").click()
    applicant.get_by_role("button", name="ยื่นคำขอออนไลน์").click()

    # The form: identity fields are prefilled and read-only; a bad ID is explained.
    assert applicant.get_by_label("ชื่อผู้ยื่นคำขอ").input_value() == person.name_th
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
    applicant.get_by_label("ข้าพเจ้ายอมรับเงื่อนไขข้างต้น").check()
    applicant.get_by_role("button", name="ยื่นคำขอ", exact=True).click()
    assert applicant.get_by_role("alert").get_by_text(re.compile("เลขตรวจสอบไม่ตรง")).is_visible()
    assert applicant.get_by_label("ชื่อสถานประกอบการ").input_value() == "ร้านข้าวแกงป้าสมศรี"
    applicant.get_by_label("เลขประจำตัวประชาชนของผู้ควบคุมกิจการ").fill(citizen_id(2024))
    applicant.get_by_label("ข้าพเจ้ายอมรับเงื่อนไขข้างต้น").check()
    applicant.get_by_role("button", name="ยื่นคำขอ", exact=True).click()
    notice = applicant.get_by_text(
        re.compile(r"ยื่นคำขอเรียบร้อย เลขที่คำขอ BP-\d{4}-\d{6}")
    ).inner_text()
    reference = re.search(r"BP-\d{4}-\d{6}", notice).group(0)  # type: ignore[union-attr]
    application_url = applicant.url
    applicant.screenshot(path=str(SCREENSHOTS / "applicant-submitted.png"), full_page=True)

    # The BMA officer asks for a correction, then approves the resubmission.
    officer = browser.new_context(locale="th-TH").new_page()
    officer.set_default_timeout(20000)
    officer.goto(portal.url + "/backoffice/login/")
    officer.get_by_label("ชื่อผู้ใช้").fill("officer.bma")
    officer.get_by_label("รหัสผ่าน").fill(OFFICER_PASSWORD)
    officer.get_by_role("button", name="เข้าสู่ระบบ").click()
    officer.get_by_role("link", name=reference).click()
    officer.get_by_label(re.compile("เหตุผล / สิ่งที่ต้องแก้ไข")).fill("กรุณาแนบแผนผังที่แสดงทางหนีไฟ")
    officer.get_by_role("button", name="ขอให้แก้ไข").click()
    assert officer.get_by_text("บันทึกผลการพิจารณาแล้ว").is_visible()

    applicant.goto(application_url)
    assert applicant.get_by_text("กรุณาแนบแผนผังที่แสดงทางหนีไฟ").first.is_visible()
    applicant.get_by_role("link", name="แก้ไขและยื่นคำขอ").click()
    applicant.locator("#d-floor_plan").set_input_files(str(floor_plan(tmp_path)))
    applicant.get_by_role("button", name="ส่งคำขอที่แก้ไขแล้ว").click()

    officer.reload()
    officer.get_by_role("button", name="อนุมัติ", exact=True).click()
    assert officer.locator("[data-status]").get_attribute("data-status") == "approved"
    officer.screenshot(path=str(SCREENSHOTS / "officer-approved.png"), full_page=True)

    # Pay with Thai QR at the sandbox bank.
    applicant.goto(application_url)
    applicant.get_by_role("link", name="ชำระด้วย Thai QR").click()
    assert applicant.locator(".qr svg, .qr img").count() == 1
    applicant.screenshot(path=str(SCREENSHOTS / "applicant-invoice.png"), full_page=True)
    applicant.locator("a.button.primary").filter(has_text=re.compile("ธนาคาร|ชำระ")).first.click()
    applicant.get_by_role("button", name="ชำระเงิน / Pay").click()
    applicant.get_by_role("link", name="กลับไปยังบิซพอร์ทัล").click()

    # The licence appears once the worker has issued it.
    applicant.goto(application_url)
    for _ in range(40):
        if applicant.locator("[data-status]").get_attribute("data-status") == "issued":
            break
        applicant.wait_for_timeout(500)
        applicant.reload()
    assert applicant.locator("[data-status]").get_attribute("data-status") == "issued"
    applicant.screenshot(path=str(SCREENSHOTS / "applicant-issued.png"), full_page=True)
    applicant.get_by_role("link", name="หน้าตรวจสอบ").click()
    assert applicant.get_by_text(re.compile("ใช้ได้|valid", re.IGNORECASE)).first.is_visible()
    applicant.screenshot(path=str(SCREENSHOTS / "verify.png"), full_page=True)

"""Several identity providers in Chromium: a person signs in with each of the three
sandbox providers (Digital ID, ThaID, NDID); with ThaID stopped, the sign-in page shows
it as unavailable and the others still work."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from bizportal.identity.models import IdentityLink, User
from bizportal.sandbox_idp import switches
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests.e2e.conftest import Portal

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.xdist_group("browser")]

#: IAL 2.1 (NDID asks for at least that), a director of no company: lands on the account.
PERSON = DEMO_IDENTITIES[3]


@pytest.fixture
def all_providers(portal: Portal, settings) -> Portal:  # type: ignore[no-untyped-def]
    settings.IDENTITY_PROVIDERS = ["digital_id", "thaid", "ndid"]
    cache.clear()
    return portal


def new_page(browser) -> Page:  # type: ignore[no-untyped-def]
    page = browser.new_context(locale="th-TH").new_page()
    page.set_default_timeout(30000)
    return page


def choose(page: Page, portal: Portal, label: str) -> None:
    page.goto(portal.url + "/auth/login/?next=/account/")
    expect(page.get_by_role("heading", level=1)).to_have_text("เข้าสู่ระบบ")
    page.get_by_role("link", name=f"เข้าสู่ระบบด้วย{label}").click()


def sign_in_over_oidc(page: Page, portal: Portal, label: str) -> None:
    choose(page, portal, label)
    page.get_by_label("เลขประจำตัวประชาชน 13 หลัก").fill(PERSON.citizen_id)
    page.get_by_label("รหัสผ่าน").fill(PERSON.password)
    page.get_by_role("button", name="ยืนยันตัวตนและอนุญาต").click()
    expect(page).to_have_url(re.compile(r"/account/$"))


def sign_in_with_ndid(page: Page, portal: Portal, browser) -> None:  # type: ignore[no-untyped-def]
    choose(page, portal, "NDID")
    page.get_by_label("เลขประจำตัวประชาชน (13 หลัก)").fill(PERSON.citizen_id)
    page.get_by_label("ธนาคารทดสอบ (Sandbox Bank)").check()
    page.get_by_role("button", name="ส่งคำขอไปยัง IdP ของฉัน").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("รอผู้ให้บริการยืนยันตัวตน (IdP) ของท่าน")
    # The IdP's app: the sandbox page, in a window of its own.
    app = new_page(browser)
    app.goto(page.get_by_role("link", name="เปิด IdP ทดสอบ").get_attribute("href") or "")
    app.get_by_label("รหัสผ่านทดสอบของบุคคลที่ถูกขอให้ยืนยัน").fill(PERSON.password)
    app.get_by_role("button", name="อนุมัติ").click()
    expect(app.get_by_role("status")).to_contain_text("completed")
    # The waiting page reloads itself and signs the person in.
    expect(page).to_have_url(re.compile(r"/account/$"))


def test_a_person_signs_in_with_each_of_the_three_providers(all_providers: Portal, browser) -> None:  # type: ignore[no-untyped-def]
    sign_in_over_oidc(new_page(browser), all_providers, "ดิจิทัลไอดี")
    sign_in_over_oidc(new_page(browser), all_providers, "ไทยดี (ThaID)")
    sign_in_with_ndid(new_page(browser), all_providers, browser)

    user = User.objects.get(citizen_id=PERSON.citizen_id)
    assert set(IdentityLink.objects.filter(account=user).values_list("provider", flat=True)) == {
        "digital_id",
        "thaid",
        "ndid",
    }


def test_with_thaid_stopped_it_shows_unavailable_and_the_others_still_work(
    all_providers: Portal, browser
) -> None:  # type: ignore[no-untyped-def]
    switches.set_stopped("thaid", stopped=True)
    page = new_page(browser)
    page.goto(all_providers.url + "/auth/login/")

    thaid = page.locator('[data-provider="thaid"]')
    expect(thaid).to_contain_text("ไม่พร้อมให้บริการในขณะนี้")
    expect(thaid.get_by_role("link")).to_have_count(0)
    sign_in_over_oidc(new_page(browser), all_providers, "ดิจิทัลไอดี")
    sign_in_with_ndid(new_page(browser), all_providers, browser)

"""WCAG 2.2 AA beyond what a page's markup shows, in Chromium at 390×844 (a phone):
the header menu stays one row (a <details> disclosure that needs no JavaScript), radios
and checkboxes are at least 24 px, the focus ring has 3:1 on white, and axe-core finds
no violation on the home page and on form pages (one with errors)."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Portal
from tests.e2e.test_advisor_browser import ANSWERS
from tests.e2e.test_journey_browser import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}


def no_violations(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_snapshot()


def luminance(css_color: str) -> float:
    red, green, blue = (int(part) / 255 for part in re.findall(r"\d+", css_color)[:3])

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(first: str, second: str) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_phone_layout_menu_targets_focus_and_axe(portal: Portal, browser) -> None:
    from bizportal.advisor import services

    services.load_questionnaire()

    # Without JavaScript: the menu is one row with the brand, and opens from its button.
    plain = browser.new_context(locale="th-TH", viewport=PHONE, java_script_enabled=False)
    page = plain.new_page()
    page.set_default_timeout(30000)
    page.goto(portal.url + "/")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "phone-home.png"))
    header = page.locator(".site-header").bounding_box()
    brand = page.locator(".site-header .brand").bounding_box()
    button = page.locator(".menu > summary").bounding_box()
    assert header and brand and button
    assert button["y"] < brand["y"] + brand["height"]  # beside the brand, not below it
    assert header["height"] <= brand["height"] + 40, header  # one row, not three
    services_link = page.get_by_role("link", name="ค้นหาบริการ")
    expect(services_link).to_be_hidden()
    page.locator(".menu > summary").click()
    expect(services_link).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "phone-menu-open.png"))
    services_link.click()
    expect(page).to_have_url(re.compile(r"/services/$"))
    plain.close()

    context = browser.new_context(locale="th-TH", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(30000)
    page.goto(portal.url + "/")
    no_violations(page)

    # The focus ring, reached with the keyboard: 3:1 at least against white.
    page.keyboard.press("Tab")
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    assert contrast(ring, "rgb(255, 255, 255)") >= 3, ring
    main_link = page.locator("main a").first
    main_link.focus()
    ring = main_link.evaluate("e => getComputedStyle(e).outlineColor")
    assert contrast(ring, "rgb(255, 255, 255)") >= 3, ring

    # A checkbox anywhere on the site is at least 24 × 24 px.
    size = page.evaluate(
        """() => { const box = document.createElement('input'); box.type = 'checkbox';
        document.querySelector('main').append(box); const r = box.getBoundingClientRect();
        return [r.width, r.height]; }"""
    )
    assert min(size) >= 24, size

    # A form page with radios (the advisor's questions), each radio 24 px or more.
    page.goto(portal.url + "/advisor/")
    for _ in range(len(ANSWERS)):
        if page.locator("input[type=radio]").count():
            break
        question = page.get_by_role("heading", level=1).inner_text().strip()
        if page.locator("select#answer").count():
            page.locator("select#answer").select_option(label=ANSWERS[question])
        else:
            page.locator("input#answer").fill(ANSWERS[question])
        page.get_by_role("button", name="ถัดไป").click()
    radio = page.locator("input[type=radio]").first.bounding_box()
    assert radio and radio["width"] >= 24 and radio["height"] >= 24, radio
    no_violations(page)

    # A form sent empty: every error is tied to its field, and axe still finds nothing.
    page.goto(portal.url + "/contact/new/")
    page.get_by_role("button", name="ส่งเรื่อง").click()
    subject = page.locator("#id_subject")
    expect(subject).to_have_attribute("aria-describedby", re.compile("id_subject_error"))
    expect(page.locator("#id_subject_error")).to_contain_text("กรุณากรอกช่องนี้")
    no_violations(page)

    # The branded 404 page, with its way back.
    page.goto(portal.url + "/no-such-page/")
    expect(page.get_by_role("link", name="กลับหน้าแรก")).to_be_visible()
    no_violations(page)
    page.screenshot(path=str(SCREENSHOTS / "phone-404.png"))
    context.close()

"""The form journey of issue 15 in Chromium, in Thai and in English: an empty form sent
once with several bad values and a bad file shows every error at once; fixed, it goes
through check your answers (fee estimate, declaration) to the confirmation. Each page
speaks one language, axe finds nothing, and the same journey works with Tab, Space and
Enter alone."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import Page, expect

from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests.e2e.conftest import Portal
from tests.factories import citizen_id

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.xdist_group("browser")]
expect.set_options(timeout=30_000)

SERVICE = "food-shop-licence"
LOCALES = {"th": "th-TH", "en": "en-US"}
TITLE_ERROR = {"th": "ข้อผิดพลาด: ", "en": "Error: "}


#: The text nodes of <main> that are not inside translate="no" (user data) or an
#: element in another language (lang="th" on the language switch).
VISIBLE_TEXT = """(lang) => {
  const out = [];
  const main = document.querySelector('main');
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, [translate="no"], [hidden]')) continue;
    const marked = parent.closest('[lang]');
    if (marked && marked !== document.documentElement && !marked.lang.startsWith(lang)) continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  return out;
}"""


def one_language(page: Page, lang: str) -> None:
    """Fail when the page shows a string of the other language."""
    texts = page.evaluate(VISIBLE_TEXT, lang)
    if lang == "en":
        wrong = [t for t in texts if re.search(r"[\u0E00-\u0E7F]", t)]
    else:
        wrong = [t for t in texts if re.search(r"\b[a-z]{2,}(?: [a-z]{2,}){2,}\b", t)]
    assert wrong == [], f"{page.url}: {wrong}"


def no_violations(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_snapshot()


def pdf_file(tmp_path: Path) -> Path:
    path = tmp_path / "floor-plan.pdf"
    buffer = io.BytesIO()
    Image.new("RGB", (60, 60), "white").save(buffer, format="PDF")
    path.write_bytes(buffer.getvalue())
    return path


def renamed_exe(tmp_path: Path) -> Path:
    path = tmp_path / "plan.pdf"
    path.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 500)
    return path


def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("not a plan")
    return path


def bad_check_digit() -> str:
    good = citizen_id(2024)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def sign_in_and_open_form(page: Page, portal: Portal) -> None:
    person = DEMO_IDENTITIES[0]
    page.goto(f"{portal.url}/auth/login/digital_id/?next=/services/{SERVICE}/")
    page.locator("#id_citizen_id").fill(person.citizen_id)
    page.locator("#id_password").fill(person.password)
    page.locator("button[name=sign_in]").click()
    page.wait_for_load_state()
    if "/account/acting/" in page.url:
        page.locator("main form button.primary").first.click()
    page.goto(f"{portal.url}/services/{SERVICE}/")
    page.locator(f'form[action$="/services/{SERVICE}/apply/"] button.primary').click()
    expect(page).to_have_url(re.compile(r"/applications/[0-9a-f-]+/edit/$"))


def summary_links(page: Page) -> list[str]:
    return page.locator("#error-summary a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )


@pytest.mark.parametrize("lang", ["th", "en"])
def test_every_error_at_once_then_check_and_confirmation(
    portal: Portal, browser, tmp_path: Path, lang: str
) -> None:
    page = browser.new_context(locale=LOCALES[lang]).new_page()
    page.set_default_timeout(30000)
    sign_in_and_open_form(page, portal)
    one_language(page, lang)
    expect(page.locator(".step-count").first).to_be_visible()

    # The hint before upload: a text file is refused on choosing, next to the input.
    page.locator("#d-floor_plan").set_input_files(str(text_file(tmp_path)))
    hint = page.locator("#dh-floor_plan")
    expect(hint).to_be_visible()
    expect(page.locator("#d-floor_plan")).to_have_attribute("aria-invalid", "true")

    # Once, with several bad values and a file that only pretends to be a PDF.
    page.locator("#f-phone").fill("0891234567")
    page.locator("#f-business_address").fill("12/3 ซอยอารีย์ 1 เขตพญาไท กรุงเทพมหานคร")
    page.locator("#f-area_sqm").fill("120")
    page.locator("#f-seats").fill("999999")
    page.locator("#f-manager_citizen_id").fill(bad_check_digit())
    page.locator("input[name=premises][value=owned]").check()
    page.locator("#d-floor_plan").set_input_files(str(renamed_exe(tmp_path)))
    expect(hint).to_be_hidden()  # the name and type look right: the server decides
    page.locator("button[name=action][value=continue]").click()

    expect(page.locator("#error-summary")).to_be_focused()
    assert page.title().startswith(TITLE_ERROR[lang]), page.title()
    links = summary_links(page)
    for anchor in ("#f-business_name", "#f-seats", "#f-manager_citizen_id", "#d-floor_plan"):
        assert anchor in links, links
    assert any("tax_registration" in link for link in links), links
    expect(page.locator("#f-seats")).to_have_value("999999")
    expect(page.locator("#f-business_address")).to_have_value(re.compile("ซอยอารีย์"))
    expect(page.locator("input[name=premises][value=owned]")).to_be_checked()
    one_language(page, lang)
    no_violations(page)

    # Fixed: the journey goes on to check your answers.
    page.locator("#error-summary a[href='#f-business_name']").click()
    page.locator("#f-business_name").fill("ร้านข้าวแกงป้าสมศรี")
    page.locator("#f-seats").fill("36")
    page.locator("#f-manager_citizen_id").fill(citizen_id(2024))
    page.locator("#d-floor_plan").set_input_files(str(pdf_file(tmp_path)))
    page.locator("#c-tax_registration").check()
    page.locator("button[name=action][value=continue]").click()
    expect(page).to_have_url(re.compile(r"/check/(#.*)?$"))
    assert not page.title().startswith(TITLE_ERROR[lang])
    expect(page.locator("[data-answer=business_name]")).to_contain_text("ร้านข้าวแกงป้าสมศรี")
    expect(page.locator("[data-document=floor_plan]")).to_contain_text("floor-plan.pdf")
    expect(page.locator("[data-fee]")).to_be_visible()
    one_language(page, lang)
    no_violations(page)

    # A change link goes back to its field, and Continue comes back here.
    page.locator("[data-answer=seats] a").click()
    expect(page).to_have_url(re.compile(r"/edit/#f-seats$"))
    page.locator("#f-seats").fill("40")
    page.locator("button[name=action][value=continue]").click()
    expect(page.locator("[data-answer=seats]")).to_contain_text("40")

    # The declaration is asked for here; without the tick the page says so.
    page.locator("form button.primary").click()
    assert page.title().startswith(TITLE_ERROR[lang])
    expect(page.locator("#error-summary a[href='#accept_terms']")).to_be_visible()
    one_language(page, lang)
    page.locator("#accept_terms").check()
    page.locator("form button.primary").click()

    expect(page).to_have_url(re.compile(r"/submitted/(#.*)?$"))
    expect(page.locator("[data-reference]")).to_have_text(re.compile(r"BP-\d{4}-\d{6}"))
    due = page.locator("[data-decision-due]")
    expect(due).to_be_visible()
    year = int(due.get_attribute("data-decision-due")[:4])  # type: ignore[index]
    expect(due).to_contain_text(str(year + 543 if lang == "th" else year))
    expect(page.locator("[data-agency]")).not_to_be_empty()
    one_language(page, lang)
    no_violations(page)


def tab_to(page: Page, selector: str, *, limit: int = 120) -> None:
    """Press Tab until ``selector`` has the focus (as a keyboard user would)."""
    target = page.locator(selector).first
    for _ in range(limit):
        if target.evaluate("e => e === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_the_journey_with_the_keyboard_alone(portal: Portal, browser, tmp_path: Path) -> None:
    page = browser.new_context(locale="th-TH").new_page()
    page.set_default_timeout(30000)
    sign_in_and_open_form(page, portal)
    keys = page.keyboard

    def type_into(selector: str, text: str) -> None:
        tab_to(page, selector)
        keys.press("Control+A")  # select what is there, as a keyboard user would
        keys.type(text)

    type_into("#f-phone", "0891234567")
    type_into("#f-business_address", "12/3 ซอยอารีย์ 1 เขตพญาไท กรุงเทพมหานคร")
    type_into("#f-area_sqm", "120")
    type_into("#f-seats", "999999")
    type_into("#f-manager_citizen_id", citizen_id(2024))
    tab_to(page, "input[name=premises]")
    keys.press("Space")
    tab_to(page, "#c-tax_registration")
    keys.press("Space")
    tab_to(page, "button[name=action][value=continue]")
    keys.press("Enter")

    expect(page.locator("#error-summary")).to_be_focused()
    assert "#f-business_name" in summary_links(page)
    type_into("#f-business_name", "ร้านข้าวแกงป้าสมศรี")
    type_into("#f-seats", "36")
    tab_to(page, "#d-floor_plan")
    with page.expect_file_chooser() as chooser:
        keys.press("Space")
    chooser.value.set_files(str(pdf_file(tmp_path)))
    tab_to(page, "button[name=action][value=continue]")
    keys.press("Enter")

    expect(page).to_have_url(re.compile(r"/check/(#.*)?$"))
    tab_to(page, "#accept_terms")
    keys.press("Space")
    tab_to(page, "form button.primary")
    keys.press("Enter")
    expect(page).to_have_url(re.compile(r"/submitted/(#.*)?$"))
    expect(page.locator("[data-reference]")).to_have_text(re.compile(r"BP-\d{4}-\d{6}"))

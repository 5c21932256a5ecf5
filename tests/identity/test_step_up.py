"""Assurance per action, with step-up: the tour business service needs a second factor
to submit and to pay. A session signed in with a password (AAL1) is sent to Digital ID
for a TOTP code, comes back at AAL2 and carries on; the level lives in the session."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
import requests

from bizportal.applications import services
from bizportal.applications.models import Application, Status
from bizportal.core.models import AuditEvent
from bizportal.identity.models import User
from bizportal.sandbox_idp.demo import DEMO_TOTP_SECRET
from tests.e2e.html import form_with
from tests.factories import ServiceFactory, valid_food_shop_answers
from tests.journeys import fill, start
from tests.sandbox_idp.helpers import PERSON, Live, portal_sign_in, submit_code

pytestmark = pytest.mark.live


def signed_in_for_herself(live: Live) -> requests.Session:
    """Somsri signs in with her password (AAL1) and acts for herself."""
    browser = requests.Session()
    chooser = portal_sign_in(browser, live, next_path="/account/")
    page = browser.get(live.url + chooser.headers["Location"])
    choose = form_with(page.text, "party", page.url)
    landed = browser.post(choose.action, data=choose.fields, headers={"Referer": page.url})
    assert landed.url == f"{live.url}/account/"
    assert 'data-aal="1"' in landed.text
    return browser


def tour_draft() -> Application:
    service = ServiceFactory(like="tour-business-licence")
    assert (service.min_aal_submit, service.min_aal_pay) == (2, 2)
    applicant = User.objects.get(citizen_id=PERSON.citizen_id)
    answers = {**valid_food_shop_answers(applicant), "tour_area": "domestic"}
    for name in ("area_sqm", "seats", "premises"):
        answers.pop(name)
    return fill(start(service, applicant), answers)


def csrf(browser: requests.Session, live: Live) -> dict[str, str]:
    return {"X-CSRFToken": browser.cookies.get("csrftoken", ""), "Referer": live.url + "/"}


def a_fresh_code() -> str:
    """The next TOTP code: the one of this time step may have been used by another test."""
    return pyotp.TOTP(DEMO_TOTP_SECRET).at(time.time() + 30)


def test_submitting_at_aal1_steps_up_with_a_totp_code_and_then_goes_through(live: Live) -> None:
    browser = signed_in_for_herself(live)
    draft = tour_draft()
    edit = f"{live.url}/applications/{draft.public_id}/edit/"
    page = browser.get(edit)
    form = form_with(page.text, "phone", page.url)
    form.fields["tour_area"] = "domestic"  # a <select>, which the form reader skips

    refused = browser.post(
        edit,
        data={**form.fields, "accept_terms": "on", "action": "submit"},
        headers={"Referer": edit},
        allow_redirects=False,
    )

    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/auth/step-up/?aal=2&next=")
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.reference is None
    to_idp = browser.get(live.url + refused.headers["Location"], allow_redirects=False)
    assert "acr_values=urn%3Ath%3Adigitalid%3Aaal%3A2" in to_idp.headers["Location"]
    code_page = browser.get(to_idp.headers["Location"])
    assert "totp_code" in code_page.text  # the password is not asked again
    to_callback = submit_code(browser, code_page, a_fresh_code())
    back = browser.get(to_callback.headers["Location"], allow_redirects=False)
    assert back.headers["Location"] == f"/applications/{draft.public_id}/edit/"
    assert AuditEvent.objects.filter(action="identity.stepped_up", data__aal="2").exists()

    submitted = browser.post(
        edit,
        data={**form.fields, "accept_terms": "on", "action": "submit"},
        headers={"Referer": edit},
    )
    draft.refresh_from_db()
    assert draft.status == Status.REVIEW, submitted.text[:300]
    assert 'data-aal="2"' in browser.get(f"{live.url}/account/").text


def test_the_api_answers_a_step_up_challenge_and_changes_nothing(live: Live) -> None:
    browser = signed_in_for_herself(live)
    draft = tour_draft()

    answer = browser.post(
        f"{live.url}/api/v1/applications/{draft.public_id}/submit/",
        json={"accept_terms": True},
        headers=csrf(browser, live),
    )

    assert answer.status_code == 401
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["type"].endswith("step-up-required")
    assert answer.json()["acr_values"] == "urn:th:digitalid:aal:2"
    assert re.search(r'acr_values="urn:th:digitalid:aal:2"', answer.headers["WWW-Authenticate"])
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_paying_needs_the_second_factor_too(live: Live) -> None:
    browser = signed_in_for_herself(live)
    applicant = User.objects.get(citizen_id=PERSON.citizen_id)
    applicant.session_aal = 2
    application = services.submit(tour_draft(), actor=applicant, accept_terms=True)
    from tests.journeys import approve_everything

    application = approve_everything(application)
    invoice = application.invoices.get()

    page = browser.get(f"{live.url}/payments/invoices/{invoice.public_id}/", allow_redirects=False)

    assert page.status_code == 302
    assert page.headers["Location"].startswith("/auth/step-up/?aal=2")


def test_a_service_without_a_second_factor_needs_no_step_up(live: Live) -> None:
    browser = signed_in_for_herself(live)
    applicant = User.objects.get(citizen_id=PERSON.citizen_id)
    draft = fill(start(ServiceFactory(), applicant), valid_food_shop_answers(applicant))
    answer = browser.post(
        f"{live.url}/api/v1/applications/{draft.public_id}/submit/",
        json={"accept_terms": True},
        headers=csrf(browser, live),
    )
    assert answer.status_code == 200, answer.text


def test_details_are_read_again_with_the_refresh_token(live: Live) -> None:
    from bizportal.sandbox_idp.models import SandboxIdentity

    browser = signed_in_for_herself(live)
    SandboxIdentity.objects.filter(citizen_id=PERSON.citizen_id).update(
        email="somsri.new@example.test"
    )
    page = browser.get(f"{live.url}/account/")
    form = form_with(page.text, "csrfmiddlewaretoken", page.url)
    answer = browser.post(
        f"{live.url}/auth/refresh/", data=form.fields, headers={"Referer": page.url}
    )
    assert "ปรับปรุงข้อมูลจากดิจิทัลไอดีแล้ว" in answer.text
    assert User.objects.get(citizen_id=PERSON.citizen_id).email == "somsri.new@example.test"
    assert AuditEvent.objects.filter(action="identity.refreshed").exists()
    # The refresh token rotated: the old one no longer works, the new one does.
    again = browser.post(
        f"{live.url}/auth/refresh/", data=form.fields, headers={"Referer": page.url}
    )
    assert "ปรับปรุงข้อมูลจากดิจิทัลไอดีแล้ว" in again.text

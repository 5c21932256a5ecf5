"""Signing in to the portal with Digital ID, end to end over real HTTP.

The portal (relying party), the sandbox Digital ID provider and the sandbox civil
registry all run in the live server; the test is the browser.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from joserfc.jwk import RSAKey

from bizportal.core.models import AuditEvent
from bizportal.exchange.models import DataService, MessageLogEntry
from bizportal.identity.models import User
from bizportal.registries import views as registry_views
from bizportal.registries.models import SandboxPerson
from bizportal.sandbox_idp import server as idp_server
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests.sandbox_idp.helpers import (
    PERSON,
    Live,
    closed_port_url,
    portal_sign_in,
    query,
    signed_in_user_id,
    submit_credentials,
)

pytestmark = pytest.mark.live

#: A demo person no company lists as a director.
NO_COMPANY = DEMO_IDENTITIES[2].citizen_id


def test_signing_in_creates_an_applicant_from_the_token_and_the_registry(live: Live) -> None:
    browser = requests.Session()

    answer = portal_sign_in(browser, live, next_path="/services/")

    assert answer.status_code == 302
    # She directs two companies (the juristic registry says so): whom does she act for?
    assert answer.headers["Location"] == "/account/acting/?next=%2Fservices%2F"
    user = User.objects.get(citizen_id=PERSON.citizen_id)
    assert signed_in_user_id(browser) == str(user.pk)
    assert user.role == User.Role.APPLICANT
    assert user.full_name_th == "นางสมศรี ใจดี"  # from the ID token
    assert user.full_name_en == "Mrs Somsri Jaidee"
    assert user.email == PERSON.email
    assert user.identity_assurance == "2.3"
    assert user.address["district"] == "พญาไท"  # from the civil registry
    assert user.address["postcode"] == "10400"
    assert user.birth_date == PERSON.birth_date
    assert not user.has_usable_password()
    event = AuditEvent.objects.get(action="identity.signed_in", object_id=str(user.public_id))
    assert event.data["ial"] == "2.3"
    assert event.data["account_created"] is True
    # The registry read went through the exchange gateway: one signed message-log entry,
    # on the person's own behalf, and no second record by the registry client.
    entry = MessageLogEntry.objects.get(subject_id=PERSON.citizen_id)
    assert (entry.consumer_agency, entry.consumer_system) == ("bizportal", "bizportal-sign-in")
    assert (entry.basis, entry.outcome, entry.provider) == ("subject", "answered", "dopa")
    assert entry.officer is None and entry.purpose == {"step": "digital_id_sign_in"}
    assert {"first_name_th", "last_name_en", "birth_date", "address"} <= set(entry.fields_returned)
    assert not AuditEvent.objects.filter(action="registry.person_fetched").exists()


def test_the_person_sees_their_sign_in_read_in_their_data_tracker(live: Live) -> None:
    browser = requests.Session()
    portal_sign_in(browser, live, next_path="/account/privacy/accesses/")
    entry = MessageLogEntry.objects.get(subject_id=PERSON.citizen_id)

    page = browser.get(f"{live.url}/account/privacy/accesses/")

    assert page.status_code == 200
    rows = page.text.split('<tr data-access="')[1:]
    assert len(rows) == 1
    assert str(entry.message_id) in rows[0]
    assert "บิซพอร์ทัล" in rows[0] and "เจ้าของข้อมูลขอเอง" in rows[0]
    assert "digital_id_sign_in" in rows[0] and "ได้รับข้อมูล" in rows[0]


def test_without_the_civil_registry_data_service_sign_in_explains_and_logs_the_refusal(
    live: Live,
) -> None:
    DataService.objects.filter(code="civil-person").update(is_active=False)
    browser = requests.Session()

    answer = portal_sign_in(browser, live)

    assert answer.status_code == 503
    assert "ระบบยังไม่ได้เชื่อมบริการข้อมูลทะเบียนราษฎร" in answer.text
    assert "ระบบยังไม่ได้เชื่อมบริการข้อมูลทะเบียนราษฎร" in answer.text
    assert signed_in_user_id(browser) is None
    assert not User.objects.filter(citizen_id=PERSON.citizen_id).exists()
    entry = MessageLogEntry.objects.get(subject_id=PERSON.citizen_id)
    assert (entry.outcome, entry.reason) == ("refused", "unknown_data_service")


def test_signing_in_again_updates_the_same_account(live: Live) -> None:
    portal_sign_in(requests.Session(), live)
    SandboxPerson.objects.filter(citizen_id=PERSON.citizen_id).update(house_no="77/7")

    portal_sign_in(requests.Session(), live)

    user = User.objects.get(citizen_id=PERSON.citizen_id)
    assert user.address["house_no"] == "77/7"
    assert User.objects.filter(citizen_id=PERSON.citizen_id).count() == 1


def test_without_next_the_applicant_lands_on_their_account_page(live: Live) -> None:
    answer = portal_sign_in(requests.Session(), live, next_path="", citizen_id=NO_COMPANY)
    assert answer.headers["Location"] == "/account/"


def test_a_person_acting_for_companies_first_chooses_whom(live: Live) -> None:
    answer = portal_sign_in(requests.Session(), live, next_path="")
    assert answer.headers["Location"] == "/account/acting/?next=%2Faccount%2F"


def test_an_offsite_next_is_ignored(live: Live) -> None:
    answer = portal_sign_in(
        requests.Session(), live, next_path="https://evil.example/steal", citizen_id=NO_COMPANY
    )
    assert answer.headers["Location"] == "/account/"


def test_a_callback_with_a_state_we_did_not_issue_is_refused(live: Live) -> None:
    browser = requests.Session()
    start = browser.get(f"{live.url}/auth/login/digital_id/", allow_redirects=False)
    page = browser.get(start.headers["Location"])
    to_callback = submit_credentials(browser, page, PERSON.citizen_id, PERSON.password)
    params = query(to_callback.headers["Location"])

    answer = browser.get(
        live.callback, params={"code": params["code"], "state": "forged"}, allow_redirects=False
    )

    assert answer.status_code == 400
    assert "โปรดเริ่มใหม่" in answer.text
    assert signed_in_user_id(browser) is None
    assert not User.objects.filter(citizen_id=PERSON.citizen_id).exists()


def test_a_person_who_cancels_at_digital_id_sees_why_they_are_not_signed_in(live: Live) -> None:
    browser = requests.Session()
    start = browser.get(f"{live.url}/auth/login/digital_id/", allow_redirects=False)
    page = browser.get(start.headers["Location"])

    back = submit_credentials(browser, page, "", "", button="cancel")
    assert query(back.headers["Location"])["error"] == "access_denied"
    answer = browser.get(back.headers["Location"], allow_redirects=False)

    assert answer.status_code == 403
    assert "ท่านยกเลิกการยืนยันตัวตน" in answer.text
    assert signed_in_user_id(browser) is None


def test_an_id_token_signed_with_another_key_is_refused(live: Live, monkeypatch: Any) -> None:
    real = idp_server.private_signing_key()
    rogue = RSAKey.generate_key(2048, parameters={"kid": real.kid, "alg": "RS256", "use": "sig"})
    monkeypatch.setattr(idp_server, "private_signing_key", lambda: rogue)
    browser = requests.Session()

    answer = portal_sign_in(browser, live)

    assert answer.status_code == 400
    assert "invalid_id_token" in answer.text
    assert signed_in_user_id(browser) is None
    assert not User.objects.filter(citizen_id=PERSON.citizen_id).exists()


def test_when_the_civil_registry_is_down_nobody_is_half_signed_in(
    live: Live, settings: Any
) -> None:
    settings.CIVIL_REGISTRY_URL = closed_port_url()
    browser = requests.Session()

    answer = portal_sign_in(browser, live)

    assert answer.status_code == 502
    assert "ทะเบียนราษฎร" in answer.text
    assert "ระบบทะเบียนราษฎรไม่ตอบสนอง" in answer.text
    assert signed_in_user_id(browser) is None
    assert not User.objects.filter(citizen_id=PERSON.citizen_id).exists()


def test_when_the_registry_refuses_our_token_sign_in_fails_cleanly(
    live: Live, monkeypatch: Any
) -> None:
    monkeypatch.setattr(
        registry_views, "accepted_tokens", lambda: {"civil": "rotated", "juristic": "rotated"}
    )
    answer = portal_sign_in(requests.Session(), live)
    assert answer.status_code == 502
    assert not User.objects.filter(citizen_id=PERSON.citizen_id).exists()


def test_a_person_missing_from_the_registry_is_not_signed_in(live: Live) -> None:
    SandboxPerson.objects.filter(citizen_id=PERSON.citizen_id).delete()
    answer = portal_sign_in(requests.Session(), live)
    assert answer.status_code == 403
    assert "ไม่พบข้อมูลของท่านในทะเบียนราษฎร" in answer.text


def test_a_staff_account_cannot_be_taken_over_through_digital_id(live: Live) -> None:
    from tests.factories import OfficerFactory

    officer = OfficerFactory(citizen_id=PERSON.citizen_id)
    browser = requests.Session()

    answer = portal_sign_in(browser, live)

    assert answer.status_code == 403
    assert signed_in_user_id(browser) is None
    officer.refresh_from_db()
    assert officer.role == User.Role.STAFF


def test_when_digital_id_is_unreachable_the_login_page_explains(live: Live, settings: Any) -> None:
    settings.OIDC_ISSUER = closed_port_url() + "/sandbox/idp"
    answer = requests.get(f"{live.url}/auth/login/digital_id/", allow_redirects=False)
    assert answer.status_code == 502
    assert "ระบบยืนยันตัวตนดิจิทัลไอดีไม่ตอบสนอง" in answer.text


def test_signing_out_ends_the_portal_session(live: Live) -> None:
    browser = requests.Session()
    portal_sign_in(browser, live)
    home = browser.get(f"{live.url}/services/")
    token = browser.cookies.get("csrftoken") or ""

    assert browser.get(f"{live.url}/auth/logout/", allow_redirects=False).status_code == 405
    answer = browser.post(
        f"{live.url}/auth/logout/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": home.url},
        allow_redirects=False,
    )

    # RP-initiated logout: the provider ends its own session, then sends the person home.
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(live.issuer + "/end-session?")
    assert signed_in_user_id(browser) is None
    landed = browser.get(answer.headers["Location"])
    assert landed.url.split("?")[0] == f"{live.url}/"
    assert AuditEvent.objects.filter(action="identity.signed_out").count() == 1


def test_every_demo_person_can_sign_in(live: Live) -> None:
    for person in DEMO_IDENTITIES:
        answer = portal_sign_in(requests.Session(), live, citizen_id=person.citizen_id)
        assert answer.status_code == 302, answer.text
    assert User.objects.filter(role=User.Role.APPLICANT).count() == len(DEMO_IDENTITIES)

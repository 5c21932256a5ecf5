"""Sign-in at AAL2: password, then a TOTP code (RFC 6238), computed here with pyotp.

The relying party asks with ``acr_values``; the provider asks for a code (enrolling the
person first if they have no authenticator), refuses wrong, replayed and too many codes,
and says what happened in ``aal``, ``acr`` and ``amr``.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests
from django.utils import timezone

from bizportal.core.models import AuditEvent
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES, DEMO_TOTP_SECRET
from bizportal.sandbox_idp.models import OtpFailure, SandboxIdentity, requested_aal
from bizportal.sandbox_idp.sessions import ProviderSessionStore
from bizportal.sandbox_idp.views import SESSION_KEY
from tests.sandbox_idp.helpers import (
    AAL2,
    PERSON,
    Live,
    authorize_url,
    id_token_claims,
    pkce_pair,
    provider_sign_in,
    query,
    redeem,
    submit_code,
    submit_credentials,
    userinfo,
)

pytestmark = pytest.mark.live

UNENROLLED = DEMO_IDENTITIES[1]  # no TOTP yet


def code_now(secret: str = DEMO_TOTP_SECRET, *, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def wrong_code(secret: str = DEMO_TOTP_SECRET) -> str:
    """A code the provider cannot accept: none of the three time steps it tries."""
    valid = {code_now(secret, steps_ahead=k) for k in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(123456, 1_000_000) if f"{n:06d}" not in valid)


def open_authorize(
    live: Live, browser: requests.Session, **params: str | None
) -> tuple[requests.Response, str]:
    verifier, challenge = pkce_pair()
    url = authorize_url(live, code_challenge=challenge, **params)
    return browser.get(url, allow_redirects=False), verifier


def password_then_code_page(
    live: Live, browser: requests.Session, *, login: str = PERSON.citizen_id
) -> tuple[requests.Response, str]:
    page, verifier = open_authorize(live, browser, acr_values=AAL2)
    assert page.status_code == 200
    assert "AAL2" in page.text  # the sign-in page says a code will follow
    asked = submit_credentials(browser, page, login, PERSON.password)
    assert asked.status_code == 200, asked.text
    assert 'name="totp_code"' in asked.text
    return asked, verifier


def provider_session(browser: requests.Session) -> ProviderSessionStore:
    return ProviderSessionStore(session_key=browser.cookies["bizportal_idp"])


@pytest.mark.parametrize(
    ("acr_values", "aal"),
    [
        ("urn:th:digitalid:aal:2", "2"),
        ("urn:th:digitalid:ial:2.1:aal:2", "2"),
        ("urn:th:digitalid:ial:2.3:aal:1 urn:th:digitalid:aal:2", "2"),
        ("urn:th:digitalid:aal:3", "2"),  # the best we have; the aal claim tells the truth
        ("urn:th:digitalid:aal:1", "1"),
        ("urn:th:digitalid:ial:2.1:aal:1", "1"),
        ("urn:other:aal:2", "1"),
        ("urn:th:digitalid:aal:2x", "1"),
        ("", "1"),
    ],
)
def test_acr_values_name_the_aal_asked_for(acr_values: str, aal: str) -> None:
    assert requested_aal(acr_values) == aal


def test_without_acr_values_a_password_is_enough_and_the_claims_say_aal1(live: Live) -> None:
    tokens = provider_sign_in(live)
    claims = id_token_claims(live, tokens["id_token"])
    assert (claims["aal"], claims["amr"]) == ("1", ["pwd"])
    assert claims["acr"] == "urn:th:digitalid:ial:2.3:aal:1"
    info = userinfo(live, tokens["access_token"]).json()
    assert (info["aal"], info["amr"], info["acr"]) == ("1", ["pwd"], claims["acr"])


def test_aal2_asks_for_a_code_after_the_password_and_the_tokens_say_aal2(live: Live) -> None:
    browser = requests.Session()
    asked, verifier = password_then_code_page(live, browser)
    assert "otpauth://" not in asked.text  # enrolled already: no new secret offered
    assert provider_session(browser)[SESSION_KEY]["aal"] == "1"  # not yet
    back = submit_code(browser, asked, code_now())

    assert back.status_code == 302, back.text
    assert back.headers["Location"].startswith(live.callback)
    tokens = redeem(live, query(back.headers["Location"])["code"], verifier)
    claims = id_token_claims(live, tokens.json()["id_token"])
    assert claims["aal"] == "2"
    assert claims["acr"] == "urn:th:digitalid:ial:2.3:aal:2"
    assert claims["amr"] == ["pwd", "otp"]
    info = userinfo(live, tokens.json()["access_token"]).json()
    assert (info["aal"], info["acr"], info["amr"]) == ("2", claims["acr"], ["pwd", "otp"])
    assert provider_session(browser)[SESSION_KEY]["aal"] == "2"
    assert AuditEvent.objects.filter(action="sandbox_idp.signed_in", data__aal="2").count() == 1


def test_a_person_without_totp_enrols_and_keeps_it_only_after_a_correct_code(
    live: Live,
) -> None:
    browser = requests.Session()
    page, verifier = open_authorize(live, browser, acr_values=AAL2)
    asked = submit_credentials(browser, page, UNENROLLED.citizen_id, UNENROLLED.password)

    assert asked.status_code == 200
    assert 'src="data:image/svg+xml' in asked.text  # the QR code (segno)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', asked.text)
    assert secret is not None
    secret_text = secret.group(1).replace(" ", "")
    uri = unescape(re.search(r'href="(otpauth://[^"]+)"', asked.text).group(1))  # type: ignore[union-attr]
    params = {k: v[0] for k, v in parse_qs(urlsplit(uri).query).items()}
    assert params["secret"] == secret_text
    assert params["issuer"] == "Biz Portal Sandbox Digital ID"
    assert urlsplit(uri).netloc == "totp"
    identity = SandboxIdentity.objects.get(citizen_id=UNENROLLED.citizen_id)
    assert identity.totp_secret == ""  # nothing kept yet

    refused = submit_code(browser, asked, wrong_code(secret_text))
    assert refused.status_code == 200
    assert "รหัสไม่ถูกต้อง โปรดลองอีกครั้ง" in refused.text
    assert secret_text in refused.text.replace(" ", "")  # the same secret is offered again
    identity.refresh_from_db()
    assert identity.totp_secret == ""

    back = submit_code(browser, refused, code_now(secret_text))

    assert back.status_code == 302
    identity.refresh_from_db()
    assert identity.totp_secret == secret_text
    assert AuditEvent.objects.filter(action="sandbox_idp.otp_enrolled").count() == 1
    tokens = redeem(live, query(back.headers["Location"])["code"], verifier).json()
    assert id_token_claims(live, tokens["id_token"])["aal"] == "2"


def test_an_aal1_session_steps_up_with_the_code_only(live: Live) -> None:
    browser = requests.Session()
    first = provider_sign_in(live, browser)
    first_auth_time = id_token_claims(live, first["id_token"])["auth_time"]

    page, verifier = open_authorize(live, browser, acr_values=AAL2)

    assert page.status_code == 200
    assert 'name="totp_code"' in page.text
    assert 'name="citizen_id"' not in page.text  # no password again
    time.sleep(1)
    back = submit_code(browser, page, code_now())
    assert back.status_code == 302
    claims = id_token_claims(
        live, redeem(live, query(back.headers["Location"])["code"], verifier).json()["id_token"]
    )
    assert (claims["aal"], claims["amr"]) == ("2", ["pwd", "otp"])
    assert claims["auth_time"] > first_auth_time  # a new authentication happened
    assert AuditEvent.objects.filter(action="sandbox_idp.signed_in", data__aal="1").count() == 1

    again, _ = open_authorize(live, browser, acr_values=AAL2)
    assert again.status_code == 302  # now at AAL2: single sign-on
    assert "code" in query(again.headers["Location"])


def test_prompt_none_cannot_step_up(live: Live) -> None:
    browser = requests.Session()
    provider_sign_in(live, browser)
    answer, _ = open_authorize(live, browser, acr_values=AAL2, prompt="none", state="s-9")
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(live.callback)
    assert query(location)["error"] == "interaction_required"
    assert query(location)["state"] == "s-9"


def test_a_wrong_code_is_refused_with_a_message_and_no_code_is_issued(live: Live) -> None:
    browser = requests.Session()
    asked, _ = password_then_code_page(live, browser)

    answer = submit_code(browser, asked, wrong_code())

    assert answer.status_code == 200
    assert "รหัสไม่ถูกต้อง" in answer.text
    assert "รหัสไม่ถูกต้อง โปรดลองอีกครั้ง" in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert not AuditEvent.objects.filter(action="sandbox_idp.code_issued").exists()
    assert AuditEvent.objects.filter(
        action="sandbox_idp.otp_refused", data__reason="wrong"
    ).exists()
    assert provider_session(browser)[SESSION_KEY]["aal"] == "1"


def test_a_malformed_code_is_explained(live: Live) -> None:
    browser = requests.Session()
    asked, _ = password_then_code_page(live, browser)
    answer = submit_code(browser, asked, "12ab")
    assert answer.status_code == 200
    assert "รหัสต้องเป็นตัวเลข 6 หลัก" in answer.text
    assert OtpFailure.objects.count() == 0  # not a guess: nothing to count


def test_a_code_cannot_be_used_twice(live: Live) -> None:
    code = code_now()
    first = requests.Session()
    asked, _ = password_then_code_page(live, first)
    assert submit_code(first, asked, code).status_code == 302

    second = requests.Session()
    asked_again, _ = password_then_code_page(live, second)
    replay = submit_code(second, asked_again, code)

    assert replay.status_code == 200
    assert "รหัสนี้ถูกใช้ไปแล้ว" in replay.text
    assert AuditEvent.objects.filter(
        action="sandbox_idp.otp_refused", data__reason="replayed"
    ).exists()
    # The next code (next time step, within the accepted window) works.
    assert submit_code(second, replay, code_now(steps_ahead=1)).status_code == 302


def test_five_wrong_codes_in_five_minutes_stop_even_the_right_one(live: Live) -> None:
    browser = requests.Session()
    page, _ = password_then_code_page(live, browser)
    for _attempt in range(5):
        page = submit_code(browser, page, wrong_code())
        assert page.status_code == 200

    blocked = submit_code(browser, page, code_now())

    assert blocked.status_code == 429
    assert "โปรดรอ 5 นาทีแล้วลองใหม่" in blocked.text
    assert "กรอกรหัสผิดหลายครั้งเกินไป" in blocked.text
    assert not AuditEvent.objects.filter(action="sandbox_idp.code_issued").exists()
    # The window slides: once the failures are older than five minutes, codes count again.
    OtpFailure.objects.update(at=timezone.now() - dt.timedelta(minutes=6))
    assert submit_code(browser, blocked, code_now()).status_code == 302


def test_a_code_posted_without_a_code_page_starts_the_request_over(live: Live) -> None:
    """The code step belongs to one authorization request of one signed-in person: a
    code posted to another request (or with no sign-in at all) is not checked."""
    browser = requests.Session()
    asked, _ = password_then_code_page(live, browser)
    other_url = authorize_url(live, code_challenge=pkce_pair()[1], acr_values=AAL2)
    _, fields = _code_form(asked)
    fields.update(totp_code=code_now(), verify="1")

    answer = browser.post(other_url, data=fields, allow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(urlsplit(other_url).query)
    assert not AuditEvent.objects.filter(action="sandbox_idp.code_issued").exists()
    stranger = requests.Session()
    stranger.cookies.set("csrftoken", browser.cookies["csrftoken"])
    assert stranger.post(other_url, data=fields, allow_redirects=False).status_code == 303


def _code_form(page: requests.Response) -> tuple[str, dict[str, str]]:
    from tests.sandbox_idp.helpers import read_form

    return read_form(page.text, containing="totp_code")


def test_cancel_on_the_code_page_tells_the_client(live: Live) -> None:
    browser = requests.Session()
    asked, _ = password_then_code_page(live, browser)
    answer = submit_code(browser, asked, "", button="cancel")
    assert answer.status_code == 302
    assert query(answer.headers["Location"])["error"] == "access_denied"

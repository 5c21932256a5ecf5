"""The provider's own session (cookie ``bizportal_idp``) and RP-initiated logout.

The provider and the portal run in one process but must behave as two sites: neither
session counts at the other, and signing out of one leaves the other alone. Logout
requests from a relying party are honoured (and redirected) only with a valid hint.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from django.contrib.sessions.backends.db import SessionStore as PortalSessionStore
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from joserfc import jwt
from joserfc.jwk import RSAKey

from bizportal.core.models import AuditEvent
from bizportal.sandbox_idp import keys
from bizportal.sandbox_idp.models import ProviderSession, SandboxIdentity
from bizportal.sandbox_idp.sessions import (
    PortalSessionOffLimits,
    ProviderSessionStore,
    provider_session,
)
from bizportal.sandbox_idp.views import SESSION_KEY
from tests.sandbox_idp.helpers import (
    CLIENT_ID,
    PERSON,
    Live,
    authorize_url,
    pkce_pair,
    portal_sign_in,
    provider_sign_in,
    query,
    read_form,
    signed_in_user_id,
    userinfo,
)

pytestmark = pytest.mark.live


def sso_works(live: Live, browser: requests.Session) -> bool:
    """Does the provider still know this browser (a code without the sign-in page)?"""
    answer = browser.get(authorize_url(live, code_challenge=pkce_pair()[1]), allow_redirects=False)
    return answer.status_code == 302 and "code" in query(answer.headers["Location"])


def end_session(
    live: Live, browser: requests.Session, *, method: str = "GET", **params: str
) -> requests.Response:
    url = live.issuer + "/end-session"
    if method == "POST":
        return browser.post(url, data=params, allow_redirects=False)
    return browser.get(url, params=params, allow_redirects=False)


def forged_id_token(key: RSAKey, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": "", "aud": [CLIENT_ID], "sub": "x", "iat": now, "exp": now + 600}
    payload.update(claims)
    return jwt.encode({"alg": "RS256", "kid": key.kid or ""}, payload, key, algorithms=["RS256"])


# --- the provider's own cookie -------------------------------------------------------


def test_the_provider_sets_its_own_cookie_on_its_own_path(live: Live) -> None:
    browser = requests.Session()
    page = browser.get(authorize_url(live, code_challenge=pkce_pair()[1]))
    action, fields = read_form(page.text, containing="citizen_id")
    fields.update(citizen_id=PERSON.citizen_id, password=PERSON.password, sign_in="1")

    answer = browser.post(live.url + action, data=fields, allow_redirects=False)

    assert answer.status_code == 302
    set_cookie = answer.headers["Set-Cookie"]
    assert set_cookie.startswith("bizportal_idp=")
    assert "Path=/sandbox/idp/" in set_cookie
    assert "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie
    assert "sessionid" not in set_cookie
    (cookie,) = [c for c in browser.cookies if c.name == "bizportal_idp"]
    assert cookie.path == "/sandbox/idp/"
    assert "sessionid" not in browser.cookies  # the provider never starts a portal session
    stored = ProviderSession.objects.get(session_key=cookie.value).get_decoded()
    assert stored[SESSION_KEY]["aal"] == "1"


def test_the_portal_session_is_not_a_provider_sign_in(live: Live) -> None:
    browser = requests.Session()
    portal_sign_in(browser, live)
    assert signed_in_user_id(browser) is not None
    browser.cookies.clear(domain=browser.cookies.list_domains()[0], path="/sandbox/idp/")

    page = browser.get(authorize_url(live, code_challenge=pkce_pair()[1]))

    assert 'name="citizen_id"' in page.text  # the portal cookie was sent, and did not count


def test_a_portal_session_key_does_not_open_a_provider_session(live: Live) -> None:
    """Even a portal session holding what a provider session would hold is not read."""
    identity = SandboxIdentity.objects.get(citizen_id=PERSON.citizen_id)
    portal = PortalSessionStore()
    portal[SESSION_KEY] = {"identity": identity.pk, "auth_time": 1, "aal": "2", "sid": "s"}
    portal.create()
    browser = requests.Session()
    browser.cookies.set("bizportal_idp", portal.session_key, path="/sandbox/idp/")
    browser.cookies.set("sessionid", portal.session_key, path="/")

    assert not sso_works(live, browser)


def test_the_provider_session_survives_without_the_portal_cookie(live: Live) -> None:
    browser = requests.Session()
    portal_sign_in(browser, live)
    browser.cookies.clear(domain=browser.cookies.list_domains()[0], path="/", name="sessionid")
    assert sso_works(live, browser)


def test_signing_out_at_the_provider_leaves_the_portal_signed_in(live: Live) -> None:
    browser = requests.Session()
    portal_sign_in(browser, live)
    user = signed_in_user_id(browser)
    confirm = end_session(live, browser)  # no hint: the person is asked
    action, fields = read_form(confirm.text, containing="csrfmiddlewaretoken")

    answer = browser.post(live.url + action, data=fields, allow_redirects=False)

    assert answer.status_code == 200
    assert "bizportal_idp=" in answer.headers["Set-Cookie"]  # deleted
    assert not sso_works(live, browser)
    assert signed_in_user_id(browser) == user
    event = AuditEvent.objects.get(action="sandbox_idp.signed_out")
    assert event.data["via"] == "sign_out"


def test_provider_views_cannot_touch_the_portal_session() -> None:
    """The guard itself: inside a provider view ``request.session`` refuses every use,
    and the portal's session object is back in place afterwards."""
    seen: dict[str, Any] = {}

    @provider_session
    def nosy(request: HttpRequest, idp: ProviderSessionStore) -> HttpResponse:
        seen["type"] = type(request.session)
        with pytest.raises(RuntimeError, match="must not use the portal's session"):
            request.session.get("_auth_user_id")
        with pytest.raises(RuntimeError):
            request.session["x"] = 1
        return HttpResponse("ok")

    request = RequestFactory().get("/sandbox/idp/authorize")
    portal = PortalSessionStore()
    request.session = portal
    assert nosy(request).status_code == 200
    assert seen["type"] is PortalSessionOffLimits
    assert request.session is portal
    assert not portal.accessed


# --- RP-initiated logout -------------------------------------------------------------


def test_end_session_with_a_valid_hint_signs_out_and_returns_with_state(live: Live) -> None:
    browser = requests.Session()
    tokens = provider_sign_in(live, browser)

    answer = end_session(
        live,
        browser,
        id_token_hint=tokens["id_token"],
        post_logout_redirect_uri=live.url + "/",
        state="bye-1",
    )

    assert answer.status_code == 302
    assert answer.headers["Location"] == live.url + "/?state=bye-1"
    assert not sso_works(live, browser)
    # What that sign-in gave the portal ends with it.
    assert userinfo(live, tokens["access_token"]).status_code == 401
    refreshed = requests.post(
        live.issuer + "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(CLIENT_ID, "bizportal-demo-client-secret"),
    )
    assert refreshed.json()["error"] == "invalid_grant"
    event = AuditEvent.objects.get(action="sandbox_idp.signed_out")
    assert event.data["via"] == "end_session"
    assert event.data["redirected"] is True
    assert event.data["tokens_revoked"] >= 1


def test_end_session_accepts_post_and_an_expired_hint(live: Live) -> None:
    browser = requests.Session()
    tokens = provider_sign_in(live, browser)
    identity = SandboxIdentity.objects.get(citizen_id=PERSON.citizen_id)
    expired = forged_id_token(
        keys.signing_key(), iss=live.issuer, sub=str(identity.subject), exp=int(time.time()) - 60
    )
    assert tokens["id_token"] != expired

    answer = end_session(
        live,
        browser,
        method="POST",
        id_token_hint=expired,
        post_logout_redirect_uri=live.url + "/",
        client_id=CLIENT_ID,
    )

    assert answer.status_code == 302
    assert answer.headers["Location"] == live.url + "/"
    assert not sso_works(live, browser)


@pytest.mark.parametrize(
    "hint",
    [
        "not-a-jwt",
        "rogue-key",
        "other-audience",
        "other-issuer",
    ],
)
def test_end_session_with_an_invalid_hint_neither_signs_out_nor_redirects(
    live: Live, hint: str
) -> None:
    browser = requests.Session()
    provider_sign_in(live, browser)
    subject = str(SandboxIdentity.objects.get(citizen_id=PERSON.citizen_id).subject)
    rogue = RSAKey.generate_key(2048, parameters={"kid": keys.signing_key().kid})
    token = {
        "not-a-jwt": "not-a-jwt",
        "rogue-key": forged_id_token(rogue, iss=live.issuer, sub=subject),
        "other-audience": forged_id_token(
            keys.signing_key(), iss=live.issuer, sub=subject, aud=["someone-else"]
        ),
        "other-issuer": forged_id_token(keys.signing_key(), iss="https://idp.example", sub=subject),
    }[hint]

    answer = end_session(
        live, browser, id_token_hint=token, post_logout_redirect_uri=live.url + "/"
    )

    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert sso_works(live, browser)
    event = AuditEvent.objects.get(action="sandbox_idp.end_session_refused")
    assert event.data["reason"] == "invalid_hint"


def test_end_session_to_an_unregistered_address_signs_out_but_does_not_go_there(
    live: Live,
) -> None:
    browser = requests.Session()
    tokens = provider_sign_in(live, browser)

    answer = end_session(
        live,
        browser,
        id_token_hint=tokens["id_token"],
        post_logout_redirect_uri="https://evil.example/",
        state="s",
    )

    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert "not registered" in answer.text or "ไม่ได้ลงทะเบียน" in answer.text
    assert not sso_works(live, browser)
    event = AuditEvent.objects.get(action="sandbox_idp.signed_out")
    assert (event.data["redirected"], event.data["return_refused"]) == (False, True)


def test_end_session_without_a_hint_asks_the_person(live: Live) -> None:
    browser = requests.Session()
    provider_sign_in(live, browser)

    answer = end_session(live, browser, post_logout_redirect_uri=live.url + "/")

    assert answer.status_code == 200
    assert "Location" not in answer.headers
    assert "/sandbox/idp/sign-out" in answer.text
    assert sso_works(live, browser)


def test_end_session_with_someone_elses_hint_asks_the_person(live: Live) -> None:
    someone = provider_sign_in(live, requests.Session(), login="1509900345677")
    browser = requests.Session()
    provider_sign_in(live, browser)

    answer = end_session(
        live,
        browser,
        id_token_hint=someone["id_token"],
        post_logout_redirect_uri=live.url + "/",
    )

    assert answer.status_code == 200
    assert "Location" not in answer.headers
    assert sso_works(live, browser)
    assert AuditEvent.objects.filter(
        action="sandbox_idp.end_session_refused", data__reason="other_person"
    ).exists()


def test_a_stale_provider_cookie_is_dropped(live: Live) -> None:
    browser = requests.Session()
    browser.cookies.set("bizportal_idp", "no-such-session", path="/sandbox/idp/")
    answer = browser.get(
        live.issuer + "/end-session?" + urlencode({"post_logout_redirect_uri": live.url + "/"})
    )
    assert answer.status_code == 200
    assert 'bizportal_idp=""' in answer.headers["Set-Cookie"]
    assert "Max-Age=0" in answer.headers["Set-Cookie"]
    assert "Path=/sandbox/idp/" in answer.headers["Set-Cookie"]

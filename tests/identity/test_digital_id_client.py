"""The ``digital_id`` plugin (relying party) against the live sandbox provider.

The plugin is driven directly, with a portal session of its own, so these tests do not
depend on the portal's sign-in views: ``start`` gives the redirect, the test plays the
browser at the provider, ``finish`` gets the callback; then ``end_session_url`` and
``refresh`` use what ``finish`` kept in the session.
"""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
import requests
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest
from django.test import RequestFactory

from bizportal.identity.contrib import digital_id
from bizportal.identity.contrib.digital_id import (
    SESSION_ID_TOKEN,
    SESSION_REFRESH_TOKEN,
    SESSION_SUBJECT,
    confirmed_aal,
    requested_aal,
)
from bizportal.identity.providers import IdentityProvider, SignInError, get_provider
from bizportal.sandbox_idp import services as idp_services
from bizportal.sandbox_idp import views as idp_views
from bizportal.sandbox_idp.demo import DEMO_TOTP_SECRET
from tests.sandbox_idp.helpers import (
    AAL2,
    CLIENT_ID,
    CLIENT_SECRET,
    FOREIGNER,
    PERSON,
    Live,
    query,
    submit_code,
    submit_credentials,
)

pytestmark = pytest.mark.live


def portal_request(session: SessionStore, path: str = "/auth/login/", **params: str) -> HttpRequest:
    request = RequestFactory().get(path, params)
    request.session = session
    return request


def sign_in(
    live: Live,
    *,
    login: str = PERSON.citizen_id,
    acr_values: str | None = None,
    prompt: str | None = None,
) -> tuple[IdentityProvider, SessionStore, dict[str, Any], requests.Session]:
    """``start`` → provider pages (code when asked) → ``finish``; returns the claims."""
    provider = get_provider("digital_id")
    session = SessionStore()
    started = provider.start(
        portal_request(session), redirect_uri=live.callback, acr_values=acr_values, prompt=prompt
    )
    browser = requests.Session()
    page = browser.get(started["Location"])
    answer = submit_credentials(browser, page, login, PERSON.password)
    if answer.status_code == 200 and 'name="totp_code"' in answer.text:
        answer = submit_code(browser, answer, pyotp.TOTP(DEMO_TOTP_SECRET).now())
    assert answer.status_code == 302, answer.text
    claims = provider.finish(
        portal_request(session, "/auth/callback/", **query(answer.headers["Location"]))
    )
    return provider, session, claims, browser


def test_start_passes_acr_values_and_prompt_on(live: Live) -> None:
    session = SessionStore()
    response = get_provider("digital_id").start(
        portal_request(session), redirect_uri=live.callback, acr_values=AAL2, prompt="login"
    )
    params = query(response["Location"])
    assert response["Location"].startswith(live.issuer + "/authorize?")
    assert params["acr_values"] == AAL2
    assert params["prompt"] == "login"
    assert params["code_challenge_method"] == "S256"
    plain = get_provider("digital_id").start(portal_request(session), redirect_uri=live.callback)
    assert "acr_values" not in query(plain["Location"])
    assert "prompt" not in query(plain["Location"])


def test_an_aal2_sign_in_returns_the_new_claims_and_keeps_the_tokens_aside(live: Live) -> None:
    _, session, claims, _ = sign_in(live, acr_values=AAL2)

    assert claims["aal"] == "2"
    assert claims["amr"] == ["pwd", "otp"]
    assert claims["acr"] == "urn:th:digitalid:ial:2.3:aal:2"
    assert claims["person_kind"] == "thai"
    assert claims["pid"] == PERSON.citizen_id
    assert session[SESSION_ID_TOKEN].count(".") == 2  # a JWT
    assert session[SESSION_REFRESH_TOKEN]
    assert session[SESSION_SUBJECT] == claims["sub"]
    assert not {"id_token", "refresh_token", "access_token"} & set(claims)


def test_a_provider_answering_below_the_requested_aal_is_refused(
    live: Live, monkeypatch: Any
) -> None:
    # A provider that ignores acr_values (answers at AAL1 whatever is asked).
    monkeypatch.setattr(idp_views, "requested_aal", lambda acr_values: "1")
    with pytest.raises(SignInError) as caught:
        sign_in(live, acr_values=AAL2)
    assert caught.value.code == "insufficient_assurance"
    assert caught.value.status == 403
    assert "AAL2" in str(caught.value)


def test_a_foreigner_needs_no_pid(live: Live) -> None:
    _, _, claims, _ = sign_in(live, login=FOREIGNER.passport_no)
    assert claims["person_kind"] == "foreign"
    assert claims["passport_no"] == FOREIGNER.passport_no
    assert claims["nationality"] == "GBR"
    assert "pid" not in claims


def test_a_thai_still_needs_a_pid(live: Live, monkeypatch: Any) -> None:
    monkeypatch.setitem(idp_services.SCOPE_CLAIMS, "pid", ("person_kind",))
    with pytest.raises(SignInError) as caught:
        sign_in(live)
    assert caught.value.code == "missing_pid"


def test_end_session_url_carries_the_id_token_and_signs_out_at_the_provider(live: Live) -> None:
    provider, session, _, browser = sign_in(live)

    url = provider.end_session_url(portal_request(session), post_logout_redirect_uri=live.url + "/")

    assert url is not None
    assert url.startswith(live.issuer + "/end-session?")
    params = query(url)
    assert params["id_token_hint"] == session[SESSION_ID_TOKEN]
    assert params["post_logout_redirect_uri"] == live.url + "/"
    assert params["client_id"] == CLIENT_ID
    back = browser.get(url, allow_redirects=False)
    assert back.status_code == 302
    assert back.headers["Location"] == f"{live.url}/?state={params['state']}"


def test_end_session_url_is_none_without_a_digital_id_sign_in_or_endpoint(
    live: Live, monkeypatch: Any
) -> None:
    provider = get_provider("digital_id")
    assert (
        provider.end_session_url(
            portal_request(SessionStore()), post_logout_redirect_uri=live.url + "/"
        )
        is None
    )
    _, session, _, _ = sign_in(live)
    assert isinstance(provider, digital_id.DigitalIdProvider)
    client = provider.client()
    client.load_server_metadata()
    monkeypatch.delitem(client.server_metadata, "end_session_endpoint")
    assert (
        provider.end_session_url(portal_request(session), post_logout_redirect_uri=live.url + "/")
        is None
    )


def test_refresh_returns_fresh_claims_and_keeps_the_rotated_token(live: Live) -> None:
    provider, session, claims, _ = sign_in(live, acr_values=AAL2)
    first = session[SESSION_REFRESH_TOKEN]

    fresh = provider.refresh(portal_request(session))

    assert fresh["sub"] == claims["sub"]
    assert fresh["pid"] == PERSON.citizen_id
    assert fresh["aal"] == "2"  # the sign-in's AAL, kept
    assert fresh["amr"] == ["pwd", "otp"]
    second = session[SESSION_REFRESH_TOKEN]
    assert second != first
    assert provider.refresh(portal_request(session))["sub"] == claims["sub"]
    assert session[SESSION_REFRESH_TOKEN] not in (first, second)


def test_refresh_after_a_replay_elsewhere_is_refused_and_forgets_the_token(live: Live) -> None:
    provider, session, _, _ = sign_in(live)
    stolen = session[SESSION_REFRESH_TOKEN]
    provider.refresh(portal_request(session))  # rotates: the stolen copy is now used up
    replay = requests.post(
        live.issuer + "/token",
        data={"grant_type": "refresh_token", "refresh_token": stolen},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert replay.json()["error"] == "invalid_grant"

    with pytest.raises(SignInError) as caught:
        provider.refresh(portal_request(session))

    assert caught.value.code == "refresh_refused:invalid_grant"
    assert caught.value.status == 401
    assert SESSION_REFRESH_TOKEN not in session


def test_refresh_without_a_refresh_token_is_refused(live: Live) -> None:
    with pytest.raises(SignInError) as caught:
        get_provider("digital_id").refresh(portal_request(SessionStore()))
    assert caught.value.code == "no_refresh_token"


def test_refresh_after_signing_out_at_the_provider_is_refused(live: Live) -> None:
    provider, session, _, browser = sign_in(live)
    url = provider.end_session_url(portal_request(session), post_logout_redirect_uri=live.url + "/")
    assert url is not None
    browser.get(url, allow_redirects=False)
    with pytest.raises(SignInError):
        provider.refresh(portal_request(session))


@pytest.mark.parametrize(
    ("acr_values", "aal"),
    [
        (None, 0),
        ("", 0),
        ("urn:th:digitalid:aal:2", 2),
        ("urn:th:digitalid:ial:2.1:aal:1 urn:th:digitalid:ial:2.1:aal:2", 2),
        ("urn:th:digitalid:aal:1", 1),
        ("something-else", 0),
    ],
)
def test_requested_aal(acr_values: str | None, aal: int) -> None:
    assert requested_aal(acr_values) == aal


@pytest.mark.parametrize(
    ("claims", "aal"),
    [
        ({"aal": "2", "acr": "urn:th:digitalid:ial:2.3:aal:2"}, 2),
        ({"aal": "2", "acr": "urn:th:digitalid:ial:2.3:aal:1"}, 1),  # contradicts: lower
        ({"acr": "urn:th:digitalid:ial:2.3:aal:2"}, 2),
        ({"aal": "1"}, 1),
        ({}, 0),
    ],
)
def test_confirmed_aal(claims: dict[str, Any], aal: int) -> None:
    assert confirmed_aal(claims) == aal

"""The sandbox Digital ID provider speaks OpenID Connect: the test plays the client.

Each test drives the provider over HTTP exactly as a relying party would, including
the attacks it must refuse: no PKCE, a wrong code verifier, a replayed code, a wrong
client secret, an unregistered redirect URI.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from bizportal.core.models import AuditEvent
from bizportal.sandbox_idp.sessions import ProviderSessionStore
from bizportal.sandbox_idp.views import SESSION_KEY
from tests.sandbox_idp.helpers import (
    PERSON,
    Live,
    authorize_url,
    pkce_pair,
    query,
    signed_in_user_id,
    submit_credentials,
)

pytestmark = pytest.mark.live
SECRET = "bizportal-demo-client-secret"


def get_code(
    live: Live, browser: requests.Session | None = None, **params: str | None
) -> dict[str, str]:
    """Authorize with PKCE, sign in as the demo person, return the redirect's parameters."""
    browser = browser or requests.Session()
    verifier, challenge = pkce_pair()
    params.setdefault("code_challenge", challenge)
    page = browser.get(authorize_url(live, **params))
    assert page.status_code == 200, page.text
    back = submit_credentials(browser, page, PERSON.citizen_id, PERSON.password)
    assert back.status_code == 302
    return {**query(back.headers["Location"]), "verifier": verifier}


def redeem(
    live: Live, code: str, verifier: str | None, *, secret: str = SECRET, post_auth: bool = False
) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": live.callback}
    if verifier is not None:
        data["code_verifier"] = verifier
    if post_auth:
        data.update(client_id="bizportal-demo", client_secret=secret)
        return requests.post(live.issuer + "/token", data=data)
    return requests.post(live.issuer + "/token", data=data, auth=("bizportal-demo", secret))


def test_discovery_describes_a_code_flow_provider_with_s256_pkce(live: Live) -> None:
    doc = requests.get(live.issuer + "/.well-known/openid-configuration").json()
    assert doc["issuer"] == live.issuer
    assert doc["authorization_endpoint"] == live.issuer + "/authorize"
    assert doc["token_endpoint"] == live.issuer + "/token"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert {"pid", "ial", "aal", "acr", "name_en"} <= set(doc["claims_supported"])
    assert requests.get(doc["jwks_uri"]).json()["keys"][0]["kty"] == "RSA"


def test_a_complete_code_flow_yields_a_signed_id_token_with_thai_claims(live: Live) -> None:
    got = get_code(live, nonce="nonce-123", state="state-abc")
    assert got["state"] == "state-abc"

    answer = redeem(live, got["code"], got["verifier"])

    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    tokens = answer.json()
    jwks = KeySet.import_key_set(requests.get(live.issuer + "/jwks").json())
    id_token = jwt.decode(tokens["id_token"], jwks, algorithms=["RS256"])
    claims = id_token.claims
    assert id_token.header["alg"] == "RS256"
    assert claims["iss"] == live.issuer
    assert claims["aud"] == ["bizportal-demo"]
    assert claims["nonce"] == "nonce-123"
    assert claims["pid"] == PERSON.citizen_id
    assert claims["name"] == "นางสมศรี ใจดี"
    assert claims["given_name"] == "สมศรี"
    assert claims["family_name"] == "ใจดี"
    assert claims["name_en"] == "Mrs Somsri Jaidee"
    assert claims["email"] == PERSON.email
    assert claims["ial"] == "2.3"
    assert claims["aal"] == "1"
    assert claims["acr"] == "urn:th:digitalid:ial:2.3:aal:1"
    assert claims["sub"] != PERSON.citizen_id

    info = requests.get(
        live.issuer + "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.status_code == 200
    assert info.json()["pid"] == PERSON.citizen_id
    assert info.json()["sub"] == claims["sub"]


def test_client_secret_post_is_accepted_too(live: Live) -> None:
    got = get_code(live)
    assert redeem(live, got["code"], got["verifier"], post_auth=True).status_code == 200


def test_a_scope_limits_the_released_claims(live: Live) -> None:
    got = get_code(live, scope="openid")
    tokens = redeem(live, got["code"], got["verifier"]).json()
    claims = jwt.decode(
        tokens["id_token"], KeySet.import_key_set(requests.get(live.issuer + "/jwks").json())
    ).claims
    assert "pid" not in claims
    assert "name" not in claims
    assert claims["ial"] == "2.3"


def test_an_authorization_request_without_pkce_is_refused(live: Live) -> None:
    browser = requests.Session()
    answer = browser.get(
        authorize_url(live, code_challenge=None, code_challenge_method=None, state="s1"),
        allow_redirects=False,
    )
    assert answer.status_code == 302
    back = query(answer.headers["Location"])
    assert back["error"] == "invalid_request"
    assert back["state"] == "s1"
    assert "PKCE" in back["error_description"]


def test_plain_pkce_is_refused(live: Live) -> None:
    verifier, _ = pkce_pair()
    answer = requests.get(
        authorize_url(live, code_challenge=verifier, code_challenge_method="plain"),
        allow_redirects=False,
    )
    assert query(answer.headers["Location"])["error"] == "invalid_request"


def test_a_token_request_without_the_code_verifier_is_refused(live: Live) -> None:
    got = get_code(live)
    answer = redeem(live, got["code"], None)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_a_token_request_with_a_wrong_code_verifier_is_refused(live: Live) -> None:
    got = get_code(live)
    other_verifier, _ = pkce_pair()
    answer = redeem(live, got["code"], other_verifier)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_replayed_code_is_refused_and_revokes_the_first_token(live: Live) -> None:
    got = get_code(live)
    first = redeem(live, got["code"], got["verifier"])
    assert first.status_code == 200

    replay = redeem(live, got["code"], got["verifier"])

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    info = requests.get(
        live.issuer + "/userinfo",
        headers={"Authorization": f"Bearer {first.json()['access_token']}"},
    )
    assert info.status_code == 401
    assert AuditEvent.objects.filter(action="sandbox_idp.code_replayed").exists()


def test_a_wrong_client_secret_is_refused(live: Live) -> None:
    got = get_code(live)
    answer = redeem(live, got["code"], got["verifier"], secret="guess")
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_an_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(live: Live) -> None:
    answer = requests.get(
        authorize_url(live, redirect_uri="https://evil.example/cb"), allow_redirects=False
    )
    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert "คำขอยืนยันตัวตนไม่ถูกต้อง" in answer.text


def test_an_unknown_client_gets_an_error_page(live: Live) -> None:
    answer = requests.get(authorize_url(live, client_id="someone-else"), allow_redirects=False)
    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_a_request_without_the_openid_scope_is_refused(live: Live) -> None:
    answer = requests.get(
        authorize_url(live, scope="email", code_challenge=pkce_pair()[1]), allow_redirects=False
    )
    assert query(answer.headers["Location"])["error"] == "invalid_scope"


def test_a_nonce_cannot_be_used_twice(live: Live) -> None:
    get_code(live, nonce="same-nonce")
    answer = requests.get(
        authorize_url(live, nonce="same-nonce", code_challenge=pkce_pair()[1]),
        allow_redirects=False,
    )
    assert query(answer.headers["Location"])["error"] == "invalid_request"


def test_a_wrong_password_shows_a_bilingual_error_and_issues_no_code(live: Live) -> None:
    browser = requests.Session()
    page = browser.get(authorize_url(live, code_challenge=pkce_pair()[1]))

    answer = submit_credentials(browser, page, PERSON.citizen_id, "wrong-password")

    assert answer.status_code == 200
    assert "รหัสผ่านไม่ถูกต้อง" in answer.text
    assert "เลขประจำตัวประชาชน เลขหนังสือเดินทาง หรือรหัสผ่านไม่ถูกต้อง" in answer.text
    assert AuditEvent.objects.filter(action="sandbox_idp.sign_in_failed").count() == 1
    assert not AuditEvent.objects.filter(action="sandbox_idp.code_issued").exists()


def test_a_malformed_citizen_id_is_explained(live: Live) -> None:
    browser = requests.Session()
    page = browser.get(authorize_url(live, code_challenge=pkce_pair()[1]))
    answer = submit_credentials(browser, page, "3101700123453", "demo1234")
    assert answer.status_code == 200
    assert "เลขตรวจสอบไม่ตรง" in answer.text  # Thai: no Accept-Language


def test_signing_in_at_the_provider_does_not_sign_in_to_the_portal(live: Live) -> None:
    browser = requests.Session()
    get_code(live, browser)

    session = ProviderSessionStore(session_key=browser.cookies["bizportal_idp"])
    assert session[SESSION_KEY]["aal"] == "1"
    assert "sessionid" not in browser.cookies
    assert signed_in_user_id(browser) is None


def test_a_second_request_in_the_same_browser_needs_no_password(live: Live) -> None:
    browser = requests.Session()
    get_code(live, browser)
    answer = browser.get(authorize_url(live, code_challenge=pkce_pair()[1]), allow_redirects=False)
    assert answer.status_code == 302
    assert "code" in query(answer.headers["Location"])


def test_prompt_login_asks_again_and_prompt_none_fails_without_a_session(live: Live) -> None:
    browser = requests.Session()
    get_code(live, browser)
    again = browser.get(authorize_url(live, code_challenge=pkce_pair()[1], prompt="login"))
    assert again.status_code == 200
    assert 'name="citizen_id"' in again.text

    fresh = requests.get(
        authorize_url(live, code_challenge=pkce_pair()[1], prompt="none"), allow_redirects=False
    )
    assert query(fresh.headers["Location"])["error"] == "login_required"


def test_userinfo_needs_a_bearer_token(live: Live) -> None:
    answer = requests.get(live.issuer + "/userinfo")
    assert answer.status_code == 401
    assert answer.json()["error"] == "missing_authorization"


def test_the_signing_key_is_kept_across_calls(live: Live, settings: Any, tmp_path: Any) -> None:
    from bizportal.sandbox_idp import keys

    settings.VAR_DIR = tmp_path
    first = keys.signing_key()
    keys._cache.clear()
    assert keys.signing_key().kid == first.kid
    assert keys.key_path().exists()
    assert "d" not in keys.public_jwks()["keys"][0]

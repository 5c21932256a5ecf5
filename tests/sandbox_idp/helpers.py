"""Driving Digital ID sign-in over real HTTP against pytest-django's live server.

Shared by the sandbox_idp, identity and registries tests: a small HTML form reader,
the settings that point every provider at the live server, and a browser-like
sign-in that stops at each redirect so tests can look at it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from django.core.cache import cache

from bizportal.registries import demo as registry_demo
from bizportal.sandbox_idp import demo as idp_demo

PERSON = idp_demo.DEMO_IDENTITIES[0]
FOREIGNER = idp_demo.DEMO_FOREIGNERS[0]
CLIENT_ID = "bizportal-demo"
CLIENT_SECRET = "bizportal-demo-client-secret"
AAL2 = "urn:th:digitalid:aal:2"


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": a.get("action") or "",
                    "method": (a.get("method") or "get").lower(),
                    "fields": {},
                }
            )
        elif (
            tag == "input"
            and self.forms
            and a.get("name")
            and a.get("type") not in ("submit", "button")
        ):
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""


def read_form(html: str, *, containing: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the first form that has a field named ``containing``."""
    reader = _FormReader()
    reader.feed(html)
    for form in reader.forms:
        if containing in form["fields"]:
            return form["action"], dict(form["fields"])
    raise AssertionError(f"no form with a {containing!r} field in the page")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def closed_port_url() -> str:
    """A URL on which nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class Live:
    url: str

    @property
    def issuer(self) -> str:
        return self.url + "/sandbox/idp"

    @property
    def callback(self) -> str:
        return self.url + "/auth/callback/"


@pytest.fixture
def live(live_server: Any, settings: Any) -> Live:
    """The live server, with the portal and all sandbox providers pointed at it, and
    the demo people registered at the sandbox provider and registries."""
    url = live_server.url
    settings.BASE_URL = url
    settings.OIDC_ISSUER = url + "/sandbox/idp"
    settings.THAID_ISSUER = url + "/sandbox/thaid"
    settings.NDID_NODE_URL = url + "/sandbox/ndid"
    settings.CIVIL_REGISTRY_URL = url + "/sandbox/registries/civil"
    settings.CARD_READER_URL = url + "/sandbox/card-reader"
    settings.JURISTIC_REGISTRY_URL = url + "/sandbox/registries/juristic"
    settings.REVENUE_REGISTRY_URL = url + "/sandbox/registries/revenue"
    settings.DIW_REGISTRY_URL = url + "/sandbox/registries/diw"
    idp_demo.seed()
    idp_demo.seed_foreigners()
    registry_demo.seed()
    seed_platform_exchange()
    cache.clear()  # the providers' availability probes of an earlier test's server
    return Live(url)


def seed_platform_exchange() -> Any:
    """What the portal reads the civil registry through (sign-in, the counter): the
    ``civil-person`` data service of the DOPA, as the demo has it. Idempotent; a test
    that wants other fields or another provider updates it (``update_or_create``)."""
    from bizportal.exchange.demo import civil_person_service
    from tests.factories import AgencyFactory

    dopa = AgencyFactory(
        code="dopa", name_th="กรมการปกครอง", name_en="Department of Provincial Administration"
    )
    return civil_person_service(dopa)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    return verifier, challenge


def authorize_url(live: Live, **overrides: str | None) -> str:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": "bizportal-demo",
        "redirect_uri": live.callback,
        "scope": "openid pid profile email",
        "state": "st-" + secrets.token_hex(8),
        "nonce": "n-" + secrets.token_hex(8),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return (
        live.issuer + "/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})
    )


def submit_credentials(
    session: requests.Session,
    login_page: requests.Response,
    citizen_id: str,
    password: str,
    *,
    button: str = "sign_in",
) -> requests.Response:
    """Fill in the provider's sign-in form and press a button; redirects not followed."""
    action, fields = read_form(login_page.text, containing="citizen_id")
    fields.update(citizen_id=citizen_id, password=password, **{button: "1"})
    return session.post(urljoin(login_page.url, action), data=fields, allow_redirects=False)


def submit_code(
    session: requests.Session,
    page: requests.Response,
    code: str,
    *,
    button: str = "verify",
) -> requests.Response:
    """Fill in the provider's TOTP code form and press a button; redirects not followed."""
    action, fields = read_form(page.text, containing="totp_code")
    fields.update(totp_code=code, **{button: "1"})
    return session.post(urljoin(page.url, action), data=fields, allow_redirects=False)


def redeem(
    live: Live, code: str, verifier: str, *, secret: str = CLIENT_SECRET
) -> requests.Response:
    """The token request a relying party makes with a code (Basic client auth)."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": live.callback,
        "code_verifier": verifier,
    }
    return requests.post(live.issuer + "/token", data=data, auth=(CLIENT_ID, secret))


def provider_sign_in(
    live: Live,
    browser: requests.Session | None = None,
    *,
    login: str = PERSON.citizen_id,
    password: str = PERSON.password,
    totp_secret: str | None = None,
    **params: str | None,
) -> dict[str, Any]:
    """Authorize, sign in (with a TOTP code from ``totp_secret`` if one is asked for),
    redeem the code; returns the token response."""
    import pyotp

    browser = browser or requests.Session()
    verifier, challenge = pkce_pair()
    page = browser.get(authorize_url(live, code_challenge=challenge, **params))
    assert page.status_code == 200, page.text
    answer = submit_credentials(browser, page, login, password)
    if answer.status_code == 200 and 'name="totp_code"' in answer.text:
        assert totp_secret, "the provider asked for a code"
        answer = submit_code(browser, answer, pyotp.TOTP(totp_secret).now())
    assert answer.status_code == 302, answer.text
    got = redeem(live, query(answer.headers["Location"])["code"], verifier)
    assert got.status_code == 200, got.text
    return dict(got.json())


def id_token_claims(live: Live, id_token: str) -> dict[str, Any]:
    """The ID token's claims, after checking its signature against the provider's JWKS."""
    from joserfc import jwt
    from joserfc.jwk import KeySet

    keys = KeySet.import_key_set(requests.get(live.issuer + "/jwks").json())
    return dict(jwt.decode(id_token, keys, algorithms=["RS256"]).claims)


def userinfo(live: Live, access_token: str) -> requests.Response:
    return requests.get(
        live.issuer + "/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    )


def portal_sign_in(
    session: requests.Session,
    live: Live,
    *,
    citizen_id: str = PERSON.citizen_id,
    password: str = PERSON.password,
    next_path: str = "/services/",
    provider: str = "digital_id",
) -> requests.Response:
    """Portal login → provider page → credentials → callback; returns the callback's answer."""
    start = session.get(
        f"{live.url}/auth/login/{provider}/", params={"next": next_path}, allow_redirects=False
    )
    assert start.status_code == 302, start.text
    issuer = live.issuer if provider == "digital_id" else f"{live.url}/sandbox/{provider}"
    assert start.headers["Location"].startswith(issuer + "/authorize?")
    page = session.get(start.headers["Location"])
    assert page.status_code == 200
    to_callback = submit_credentials(session, page, citizen_id, password)
    assert to_callback.status_code == 302, to_callback.text
    assert to_callback.headers["Location"].startswith(live.callback)
    return session.get(to_callback.headers["Location"], allow_redirects=False)


def signed_in_user_id(session: requests.Session) -> str | None:
    """The portal user id in this browser's Django session, read from the database."""
    from django.contrib.sessions.backends.db import SessionStore

    key = session.cookies.get("sessionid")
    return SessionStore(session_key=key).get("_auth_user_id") if key else None

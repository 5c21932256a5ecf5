"""An agency service signs a person in through the portal (OpenID Connect, code flow
with PKCE S256 and private_key_jwt): it learns who they are, whom they act for and the
assurance levels, so the person is not proven twice."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.urls import reverse
from joserfc import jwt

from bizportal.core.models import AuditEvent
from bizportal.federation import keys, services
from bizportal.federation.models import FederatedClient
from bizportal.identity.models import StaffRole
from tests.factories import AgencyFactory, ApplicantFactory, CompanyFactory, StaffFactory

from .helpers import ASSERTION_TYPE, VendorSystem, new_key

pytestmark = pytest.mark.django_db

REDIRECT = "https://agency.example/callback"


@pytest.fixture
def service() -> VendorSystem:
    key = new_key()
    client = FederatedClient(
        client_id="agency-eservice",
        name="ระบบบริการของหน่วยงาน",
        kind=FederatedClient.Kind.AGENCY_SERVICE,
        agency=AgencyFactory(),
        jwks={"keys": [key.as_dict(private=False)]},
        redirect_uris=[REDIRECT],
    )
    services.save_client(client, actor=StaffFactory(roles=[StaffRole.PLATFORM_ADMIN]))
    return VendorSystem(client, key)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(challenge: str, **extra: str) -> str:
    query = {
        "response_type": "code",
        "client_id": "agency-eservice",
        "redirect_uri": REDIRECT,
        "scope": "openid profile act_for",
        "state": "s1",
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return reverse("federation:authorize") + "?" + urlencode(query)


def code_from(response: Any) -> str:
    assert response.status_code == 302, response.content.decode()[:500]
    location = urlsplit(response["Location"])
    assert location.geturl().startswith(REDIRECT)
    return parse_qs(location.query)["code"][0]


def exchange(client: Any, service: VendorSystem, code: str, verifier: str, **extra: str) -> Any:
    token_url = "https://testserver/oidc/token"
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": service.assertion(token_url),
        **extra,
    }
    return client.post(reverse("federation:token"), form)


def _secure(client: Any) -> None:
    """OAuth 2 needs TLS: every request of ``client`` as https."""
    for name in ("get", "post"):
        plain = getattr(client, name)
        setattr(client, name, lambda *a, _plain=plain, **k: _plain(*a, secure=True, **k))


def test_the_person_signs_in_at_the_agency_service_as_director_of_their_company(
    client, settings, service
) -> None:
    settings.BASE_URL = "https://testserver"
    _secure(client)
    person = ApplicantFactory()
    company = CompanyFactory(directors=[person])
    client.force_login(person)
    verifier, challenge = pkce()

    page = client.get(authorize_url(challenge))
    assert page.status_code == 200, (page.context["oauth_error"], page.context["description"])
    assert company.name_th in page.content.decode()
    code = code_from(client.post(authorize_url(challenge), {"party": str(company.public_id)}))
    answer = exchange(client, service, code, verifier)

    assert answer.status_code == 200, answer.content
    tokens = answer.json()
    claims = jwt.decode(tokens["id_token"], keys.signing_key()).claims
    assert claims["iss"] == "https://testserver" and claims["aud"] == ["agency-eservice"]
    assert claims["pid"] == person.citizen_id and claims["ial"] == person.identity_assurance
    assert claims["act_for"]["party"] == company.key
    assert claims["act_for"]["basis"] == "director"
    info = client.get(
        reverse("federation:userinfo"), HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    ).json()
    assert info["act_for"]["party"] == company.key and info["aal"] == claims["aal"]
    assert AuditEvent.objects.filter(
        action="federation.person_signed_in", on_behalf_of=company.key
    ).exists()
    # The code works once; the second use is refused.
    replay = exchange(client, service, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"


def test_bad_sign_in_requests_are_refused(client, settings, service) -> None:
    settings.BASE_URL = "https://testserver"
    _secure(client)
    person = ApplicantFactory()
    verifier, challenge = pkce()
    assert client.get(authorize_url(challenge)).status_code == 302  # to Digital ID first
    client.force_login(person)
    no_pkce = client.get(authorize_url(challenge, code_challenge_method="plain"))
    assert no_pkce.status_code in (302, 400)
    unknown_party = client.post(
        authorize_url(challenge), {"party": str(CompanyFactory().public_id)}
    )
    assert unknown_party.status_code == 400

    code = code_from(client.post(authorize_url(challenge), {"party": str(person.party.public_id)}))
    wrong_verifier = exchange(client, service, code, "x" * 50)
    assert wrong_verifier.json()["error"] == "invalid_grant"
    wrong_key = exchange(
        client,
        VendorSystem(service.client, new_key()),
        code,
        verifier,
    )
    assert wrong_key.json()["error"] == "invalid_client"

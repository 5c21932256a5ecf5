"""OAuth 2.0 Token Exchange (RFC 8693): an agency service that signed a person in trades
the person's sign-in access token, once, for a short API token naming the service as
the actor (``act``), and calls the portal's API for the person and the party they chose
at sign-in. Every refusal says why and is audited; so is every API call made with it."""

from __future__ import annotations

import secrets
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from joserfc import jwt

from bizportal.core.models import AuditEvent
from bizportal.federation import keys, services
from bizportal.federation.models import TOKEN_EXCHANGE, FederatedClient, IssuedToken
from bizportal.identity.models import Directorship, StaffRole
from tests.factories import (
    AgencyFactory,
    ApplicantFactory,
    ApplicationFactory,
    CompanyFactory,
    ServiceFactory,
    StaffFactory,
    give_mandate,
)

from .helpers import ASSERTION_TYPE, VendorSystem, new_key, register_vendor_system
from .test_sign_in import REDIRECT, _secure, authorize_url, code_from, exchange, pkce

pytestmark = pytest.mark.django_db

ACCESS = "urn:ietf:params:oauth:token-type:access_token"
TOKEN_URL = "https://testserver/oidc/token"
API = "/api/v1/applications/"


def agency_service(client_id: str = "agency-eservice") -> VendorSystem:
    key = new_key()
    client = FederatedClient(
        client_id=client_id,
        name="ระบบบริการของหน่วยงาน",
        kind=FederatedClient.Kind.AGENCY_SERVICE,
        agency=AgencyFactory(),
        jwks={"keys": [key.as_dict(private=False)]},
        redirect_uris=[REDIRECT],
    )
    services.save_client(client, actor=StaffFactory(roles=[StaffRole.PLATFORM_ADMIN]))
    return VendorSystem(client, key)


@pytest.fixture
def service() -> VendorSystem:
    return agency_service()


@pytest.fixture
def browser(client: Client, settings: Any) -> Client:
    settings.BASE_URL = "https://testserver"
    _secure(client)
    return client


@pytest.fixture
def director() -> Any:
    return ApplicantFactory()


@pytest.fixture
def company(director: Any) -> Any:
    return CompanyFactory(directors=[director])


def sign_in(
    browser: Client, service: VendorSystem, person: Any, party: Any, scope: str = ""
) -> str:
    """The person signs in at the agency service acting for ``party``; the service's
    sign-in access token."""
    browser.force_login(person)
    verifier, challenge = pkce()
    extra = {"scope": scope or "openid act_for applications"}
    code = code_from(
        browser.post(authorize_url(challenge, **extra), {"party": str(party.public_id)})
    )
    answer = exchange(browser, service, code, verifier)
    assert answer.status_code == 200, answer.content
    return str(answer.json()["access_token"])


def token_exchange(browser: Client, service: VendorSystem, subject: str, **extra: Any) -> Any:
    form = {
        "grant_type": TOKEN_EXCHANGE,
        "subject_token": subject,
        "subject_token_type": ACCESS,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": service.assertion(TOKEN_URL),
        **extra,
    }
    return browser.post(reverse("federation:token"), {k: v for k, v in form.items() if v})


def api_client() -> Client:
    """The agency service's own HTTP client: no portal session, only its bearer token."""
    api = Client()
    _secure(api)
    return api


def refusal(answer: Any, error: str, reason: str) -> None:
    """An RFC 6749 §5.2 error naming the reason, and its audit record."""
    assert answer.status_code in (400, 401), answer.content
    body = answer.json()
    assert body["error"] == error, body
    assert reason in body["error_description"], body
    assert answer["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(
        action="federation.token_refused", data__reason__icontains=reason
    ).exists()


def test_the_agency_service_acts_for_the_person_and_their_company_with_an_exchanged_token(
    browser, service, director, company
) -> None:
    theirs = ApplicationFactory(applicant=director, party=company)
    ApplicationFactory(applicant=director)  # the person's own: not the company's
    subject = sign_in(browser, service, director, company)

    answer = token_exchange(browser, service, subject, resource=services.api_audience())

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["issued_token_type"] == ACCESS and body["token_type"] == "Bearer"
    assert body["scope"] == "applications" and body["expires_in"] <= 300
    claims = jwt.decode(body["access_token"], keys.signing_key()).claims
    assert claims["act"] == {"sub": service.client.client_id}
    assert claims["sub"] == str(director.public_id)
    assert claims["aud"] == services.api_audience()
    assert claims["act_for"] == {"party": company.key, "basis": "director"}
    issued = IssuedToken.objects.get(jti=claims["jti"])
    assert issued.grant_type == TOKEN_EXCHANGE and issued.party == company
    assert issued.client == service.client and issued.user == director
    assert issued.subject_token is not None and issued.subject_token.exchanged_at is not None
    exchanged = AuditEvent.objects.get(action="federation.token_exchanged")
    assert exchanged.actor == director and exchanged.on_behalf_of == company.key
    assert exchanged.data["act"] == service.client.client_id

    listed = api_client().get(API, HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")

    assert listed.status_code == 200, listed.content
    assert [a["id"] for a in listed.json()] == [str(theirs.public_id)]
    used = AuditEvent.objects.get(action="federation.api_used")
    assert used.actor == director and used.on_behalf_of == company.key
    assert used.data["act"] == service.client.client_id
    assert used.data["method"] == "GET" and used.data["path"] == API


def test_a_state_change_through_the_api_names_the_acting_service(
    browser, service, director, company
) -> None:
    food_shop = ServiceFactory()
    subject = sign_in(browser, service, director, company)
    token = token_exchange(browser, service, subject).json()["access_token"]

    created = api_client().post(
        API,
        {"service": food_shop.slug, "party": company.key},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert created.status_code == 201, created.content
    event = AuditEvent.objects.get(action="application.draft_created")
    assert event.actor == director and event.on_behalf_of == company.key
    assert event.data["act"] == service.client.client_id


def test_a_sign_in_token_is_good_at_userinfo_only_and_an_exchanged_token_at_the_api_only(
    browser, service, director, company
) -> None:
    subject = sign_in(browser, service, director, company)
    at_api = api_client().get(API, HTTP_AUTHORIZATION=f"Bearer {subject}")
    # 403, not 401: DRF answers with the first authentication class's (the session's)
    # challenge, as for system users.
    assert at_api.status_code == 403
    assert AuditEvent.objects.filter(
        action="federation.api_refused", data__reason__icontains="/oidc/userinfo only"
    ).exists()

    token = token_exchange(browser, service, subject).json()["access_token"]
    userinfo = api_client().get(
        reverse("federation:userinfo"), HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert userinfo.status_code == 401


def test_a_subject_token_is_exchanged_once(browser, service, director, company) -> None:
    subject = sign_in(browser, service, director, company)
    assert token_exchange(browser, service, subject).status_code == 200

    refusal(token_exchange(browser, service, subject), "invalid_request", "already exchanged")
    assert IssuedToken.objects.filter(grant_type=TOKEN_EXCHANGE).count() == 1


def test_an_expired_subject_token_is_refused(
    browser, service, director, company, monkeypatch
) -> None:
    monkeypatch.setattr(services, "PERSON_TOKEN_LIFETIME", -5)
    subject = sign_in(browser, service, director, company)

    refusal(token_exchange(browser, service, subject), "invalid_request", "token expired")
    assert not IssuedToken.objects.filter(grant_type=TOKEN_EXCHANGE).exists()


def test_another_clients_revoked_unknown_and_forged_subject_tokens_are_refused(
    browser, service, director, company
) -> None:
    subject = sign_in(browser, service, director, company)
    other = agency_service("other-eservice")
    refusal(token_exchange(browser, other, subject), "invalid_request", "another client")

    IssuedToken.objects.filter(grant_type="authorization_code").update(
        revoked_at=IssuedToken.objects.get().issued_at
    )
    refusal(token_exchange(browser, service, subject), "invalid_request", "token revoked")

    now = int(time.time())
    unknown = services.sign(
        {
            "iss": services.issuer(),
            "aud": services.userinfo_audience(),
            "sub": str(director.public_id),
            "jti": secrets.token_urlsafe(8),
            "iat": now,
            "exp": now + 60,
        }
    )
    refusal(token_exchange(browser, service, unknown), "invalid_request", "unknown token")
    refusal(token_exchange(browser, service, "a.b.c"), "invalid_request", "invalid token")


def test_bad_exchange_requests_are_refused_with_the_reason(
    browser, service, director, company
) -> None:
    subject = sign_in(browser, service, director, company)

    missing = token_exchange(browser, service, "")
    refusal(missing, "invalid_request", "Missing 'subject_token'")
    wrong_type = token_exchange(
        browser, service, subject, subject_token_type="urn:ietf:params:oauth:token-type:id_token"
    )
    refusal(wrong_type, "invalid_request", "subject_token_type")
    refusal(
        token_exchange(browser, service, subject, audience="https://elsewhere.example/"),
        "invalid_target",
        "only for the portal API",
    )
    refusal(
        token_exchange(browser, service, subject, scope="applications profile"),
        "invalid_scope",
        "only narrow",
    )
    refusal(
        token_exchange(browser, service, subject, actor_token="x", actor_token_type=ACCESS),
        "invalid_request",
        "actor_token",
    )
    wrong_key = token_exchange(browser, VendorSystem(service.client, new_key()), subject)
    assert wrong_key.json()["error"] == "invalid_client"
    # None of these used the subject token up.
    assert token_exchange(browser, service, subject).status_code == 200


def test_a_token_without_the_api_scope_is_not_exchanged(
    browser, service, director, company
) -> None:
    subject = sign_in(browser, service, director, company, scope="openid act_for")

    refusal(token_exchange(browser, service, subject), "invalid_scope", "'applications'")


def test_only_agency_services_exchange_tokens(browser, service, director, company) -> None:
    subject = sign_in(browser, service, director, company)
    vendor = register_vendor_system([ServiceFactory()])

    refusal(token_exchange(browser, vendor, subject), "unauthorized_client", "agency service")


def test_grounds_are_checked_again_at_exchange_and_at_every_api_call(
    browser, service, director, company
) -> None:
    first = sign_in(browser, service, director, company)
    token = token_exchange(browser, service, first).json()["access_token"]
    second = sign_in(browser, service, director, company)

    Directorship.objects.filter(party=company).delete()  # the registry no longer lists them

    refusal(token_exchange(browser, service, second), "invalid_request", "may no longer act")
    refused = api_client().get(API, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403
    assert "may no longer act" in refused.json()["detail"]
    assert AuditEvent.objects.filter(
        action="federation.api_refused", on_behalf_of=company.key
    ).exists()


def test_a_delegate_acts_through_the_service_within_the_mandate(browser, service) -> None:
    grantor, delegate = ApplicantFactory(), ApplicantFactory()
    mandate = give_mandate(grantor, delegate, actions=["view"])
    ApplicationFactory(applicant=grantor)
    subject = sign_in(browser, service, delegate, grantor.party)
    token = token_exchange(browser, service, subject).json()["access_token"]

    listed = api_client().get(API, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert listed.status_code == 200 and len(listed.json()) == 1
    used = AuditEvent.objects.get(action="federation.api_used")
    assert used.actor == delegate and used.on_behalf_of == grantor.party.key
    assert used.mandate == str(mandate.public_id)


def test_the_exchange_costs_a_bounded_number_of_queries(
    browser, service, director, company, django_assert_max_num_queries
) -> None:
    subject = sign_in(browser, service, director, company)
    with django_assert_max_num_queries(25):
        assert token_exchange(browser, service, subject).status_code == 200


def test_discovery_announces_token_exchange(browser) -> None:
    metadata = browser.get(reverse("federation:discovery")).json()
    assert TOKEN_EXCHANGE in metadata["grant_types_supported"]

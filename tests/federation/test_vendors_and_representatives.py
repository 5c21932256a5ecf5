"""A software vendor registers its own systems (public JWKS checked), and a company
approves an accountant firm as its client representative: the firm's directors, the
persons it mandated and the systems it approved then act for the company within the
rights both gave, refused with a named reason outside them, until the company revokes.
"""

from __future__ import annotations

import html
import json
from typing import Any

import pytest
import requests
from django.urls import reverse
from joserfc.jwk import ECKey, RSAKey

from bizportal.applications import services as application_services
from bizportal.applications.models import Application
from bizportal.core.models import AuditEvent
from bizportal.federation import services
from bizportal.federation.models import FederatedClient, SystemUserApproval
from bizportal.identity.acting import grounds, options
from bizportal.identity.models import ClientRepresentation
from bizportal.privacy import tracker
from tests.factories import ApplicantFactory, CompanyFactory, ServiceFactory, give_mandate

from .helpers import VendorSystem, new_key
from .test_system_users import act_for, api, approve_on_the_page

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def food_shop():
    return ServiceFactory()


@pytest.fixture
def director():
    return ApplicantFactory()


@pytest.fixture
def vendor(director):
    return CompanyFactory(directors=[director])


def public(key: Any, **extra: Any) -> str:
    return json.dumps({"keys": [{**key.as_dict(private=False), **extra}]})


def register_on_the_page(client: Any, jwks: str, service: Any, **extra: Any) -> Any:
    """Posted in English, so the tests read the reasons as the msgids say them."""
    return client.post(
        reverse("federation:register"),
        {
            "name": "Cloud Accounting",
            "jwks": jwks,
            "services": [service.slug],
            "actions": ["prepare", "view"],
            **extra,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )


# --- vendor self-registration ------------------------------------------------------------


def test_a_vendor_registers_a_system_and_sees_its_client_id(
    client, director, vendor, food_shop
) -> None:
    act_for(client, director, vendor)
    key = new_key()

    response = register_on_the_page(client, public(key), food_shop)

    assert response.status_code == 302, response.content.decode()
    system = FederatedClient.objects.get(vendor=vendor)
    assert system.kind == FederatedClient.Kind.VENDOR_SYSTEM
    assert system.client_id.startswith("cloud-accounting-")
    assert system.jwks["keys"][0]["kid"] == key.kid and "d" not in system.jwks["keys"][0]
    assert list(system.requested_services.all()) == [food_shop]
    assert system.requested_actions == ["prepare", "view"]
    assert system.system_user is not None and system.system_user.is_system
    event = AuditEvent.objects.get(action="federation.client_registered")
    assert event.actor == director and event.on_behalf_of == vendor.key
    page = client.get(reverse("federation:vendor-systems")).content.decode()
    assert system.client_id in page


@pytest.mark.parametrize(
    ("jwks", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"keys": []}', "non-empty"),
        ("PRIVATE", "private or secret key"),
        ("HS256", "HS256 is not accepted"),
        ("RS384", "RS384 is not accepted"),
        ('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}', "private or secret key"),
        ('{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}', "cannot be read"),
        ("SMALL", "2048 bits"),
        ("ENC", '"use": "sig"'),
    ],
)
def test_bad_key_sets_are_refused_and_nothing_is_saved(
    client, director, vendor, food_shop, jwks, message
) -> None:
    key = new_key()
    jwks = {
        "PRIVATE": json.dumps({"keys": [key.as_dict(private=True)]}),
        "HS256": public(key, alg="HS256"),
        "RS384": public(key, alg="RS384"),
        "ENC": public(key, use="enc"),
        "SMALL": public(RSAKey.generate_key(1024)) if jwks == "SMALL" else "",
    }.get(jwks, jwks)
    act_for(client, director, vendor)

    response = register_on_the_page(client, jwks, food_shop)

    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert not FederatedClient.objects.exists()
    assert not AuditEvent.objects.filter(action="federation.client_registered").exists()


def test_only_a_vendors_director_registers_and_rotates_its_own_systems(
    client, director, vendor, food_shop
) -> None:
    act_for(client, director, vendor)
    register_on_the_page(client, public(new_key()), food_shop)
    system = FederatedClient.objects.get(vendor=vendor)
    rotate = reverse("federation:rotate-keys", args=[system.public_id])

    bad = client.post(
        rotate,
        {"jwks": json.dumps({"keys": [new_key().as_dict(private=True)]})},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400 and "private or secret key" in bad.content.decode()
    new = ECKey.generate_key("P-256", auto_kid=True)
    assert client.post(rotate, {"jwks": public(new)}).status_code == 302
    system.refresh_from_db()
    assert [k["kid"] for k in system.jwks["keys"]] == [new.kid]
    assert AuditEvent.objects.filter(action="federation.client_keys_rotated").count() == 1

    delegate = ApplicantFactory()
    give_mandate(director, delegate, party=vendor, actions=["prepare"])
    act_for(client, delegate, vendor)
    assert register_on_the_page(client, public(new_key()), food_shop).status_code == 403
    other_director = ApplicantFactory()
    other_vendor = CompanyFactory(directors=[other_director])
    act_for(client, other_director, other_vendor)
    assert client.post(rotate, {"jwks": public(new_key())}).status_code == 404
    system.refresh_from_db()
    assert [k["kid"] for k in system.jwks["keys"]] == [new.kid]


def test_a_self_registered_system_with_an_ec_key_gets_tokens_after_approval(
    live, client, director, vendor, food_shop
) -> None:
    act_for(client, director, vendor)
    key = ECKey.generate_key("P-256", parameters={"alg": "ES256"}, auto_kid=True)
    register_on_the_page(client, public(key), food_shop)
    # The helper's default assertion is RS256: an RSA key for it, the EC key for ours.
    system = VendorSystem(FederatedClient.objects.get(vendor=vendor), new_key())
    customer_director = ApplicantFactory()
    customer = CompanyFactory(directors=[customer_director])
    approve_on_the_page(client, customer_director, customer, system, [food_shop.slug], ["view"])

    from joserfc import jwt

    token_url = live.url + "/oidc/token"
    import secrets
    import time

    now = int(time.time())
    assertion = jwt.encode(
        {"alg": "ES256", "kid": key.kid or ""},
        {
            "iss": system.client.client_id,
            "sub": system.client.client_id,
            "aud": token_url,
            "iat": now,
            "exp": now + 60,
            "jti": secrets.token_urlsafe(16),
        },
        key,
    )
    response = system.token_request(live.url, customer, client_assertion=assertion)
    assert response.status_code == 200, response.text
    assert response.json()["authorization_details"][0]["party"] == customer.key


# --- client representatives (accountant firms) -------------------------------------------


@pytest.fixture
def client_director():
    return ApplicantFactory()


@pytest.fixture
def customer(client_director):
    return CompanyFactory(directors=[client_director])


@pytest.fixture
def accountant():
    return ApplicantFactory()


@pytest.fixture
def firm(accountant):
    return CompanyFactory(directors=[accountant])


def approve_firm(client: Any, director: Any, company: Any, the_firm: Any, **form: Any) -> Any:
    act_for(client, director, company)
    return client.post(
        reverse("federation:representatives"),
        {"firm": the_firm.key, "services": [], "actions": [], **form},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_a_director_approves_a_firm_whose_people_then_act_within_the_rights(
    client, client_director, customer, firm, accountant, food_shop
) -> None:
    other_service = ServiceFactory()
    response = approve_firm(
        client,
        client_director,
        customer,
        firm,
        services=[food_shop.slug],
        actions=["prepare", "view"],
    )
    assert response.status_code == 302, response.content.decode()
    representation = ClientRepresentation.objects.get(client=customer, firm=firm)
    assert representation.actions == ["prepare", "view"]

    acting = grounds(accountant, customer)
    assert acting is not None and acting.basis == "firm"
    assert acting.may("prepare", food_shop.pk) and not acting.may("prepare", other_service.pk)
    assert not acting.may("submit", food_shop.pk)
    assert customer.pk in {choice.party.pk for choice in options(accountant)}

    application = application_services.start_application(food_shop, accountant, party=customer)
    event = AuditEvent.objects.get(action="application.draft_created")
    assert event.on_behalf_of == customer.key
    assert event.data["representative"] == firm.key
    assert event.data["representation"] == str(representation.public_id)
    with pytest.raises(application_services.ApplicationError):
        application_services.start_application(other_service, accountant, party=customer)

    # A person the firm mandated acts within both the firm's mandate and the approval.
    clerk = ApplicantFactory()
    give_mandate(accountant, clerk, party=firm, actions=["view"])
    clerk_acting = grounds(clerk, customer)
    assert clerk_acting is not None and clerk_acting.basis == "firm"
    assert clerk_acting.may("view", food_shop.pk) and not clerk_acting.may("prepare", food_shop.pk)

    # The accountant acts for the client in the portal; revoked, the next click falls back.
    act_for(client, accountant, customer)
    page = client.get(reverse("portal:application", args=[application.public_id]))
    assert page.status_code == 200
    act_for(client, client_director, customer)
    revoked = client.post(
        reverse("federation:representative-revoke", args=[representation.public_id])
    )
    assert revoked.status_code == 302
    assert grounds(accountant, customer) is None and grounds(clerk, customer) is None
    act_for(client, accountant, customer)
    assert client.get(reverse("portal:application", args=[application.public_id])).status_code in (
        403,
        404,
    )

    seen = {a.what_en for a in tracker.accesses(client_director)}
    assert any("identity.representative_approved" in what for what in seen), seen
    assert any("application.draft_created" in what for what in seen), seen
    assert any("identity.representative_revoked" in what for what in seen), seen


def test_only_a_director_approves_a_firm_and_bad_input_saves_nothing(
    client, client_director, customer, firm, accountant, food_shop
) -> None:
    rights = {"services": [food_shop.slug], "actions": ["prepare"]}
    stranger = ApplicantFactory()
    assert approve_firm(client, stranger, stranger.party, firm, **rights).status_code in (403,)
    assert approve_firm(client, accountant, customer, firm, **rights).status_code == 403

    cases = [
        ({"firm": "1234"}, "13"),
        ({"firm": customer.key}, "another company"),
        ({"actions": []}, ""),
        ({"services": []}, ""),
    ]
    for change, message in cases:
        response = approve_firm(client, client_director, customer, firm, **{**rights, **change})
        assert response.status_code == 400, change
        assert message in html.unescape(response.content.decode())
    assert not ClientRepresentation.objects.exists()

    approve_firm(client, client_director, customer, firm, **rights)
    again = approve_firm(client, client_director, customer, firm, **rights)
    assert again.status_code == 400 and "already approved" in again.content.decode()
    assert ClientRepresentation.objects.count() == 1


def test_the_firms_system_acts_for_its_client_within_both_and_stops_at_revocation(
    live, client, client_director, customer, firm, accountant, food_shop
) -> None:
    """Decision: a system the firm approved acts for the firm's clients, with the
    intersection of the firm's approval of the system and the client's approval of the
    firm; both are read again at every request."""
    from .helpers import register_vendor_system

    other_service = ServiceFactory()
    system = register_vendor_system([food_shop, other_service], ["prepare", "submit", "view"])
    approve_on_the_page(
        client, accountant, firm, system, [food_shop.slug, other_service.slug], ["prepare", "view"]
    )
    approve_firm(
        client,
        client_director,
        customer,
        firm,
        services=[food_shop.slug],
        actions=["prepare", "submit"],
    )
    representation = ClientRepresentation.objects.get(client=customer)

    response = system.token_request(live.url, customer)
    assert response.status_code == 200, response.text
    details = response.json()["authorization_details"][0]
    assert details["party"] == customer.key and details["representative"] == firm.key
    assert details["services"] == [food_shop.slug] and details["actions"] == ["prepare"]
    token = response.json()["access_token"]

    created = api(
        live.url, token, "POST", "", json={"service": food_shop.slug, "party": customer.key}
    )
    assert created.status_code == 201, created.text
    event = AuditEvent.objects.get(action="application.draft_created")
    assert event.on_behalf_of == customer.key
    assert event.data["system"] == system.client.client_id
    assert event.data["representative"] == firm.key
    outside = api(
        live.url, token, "POST", "", json={"service": other_service.slug, "party": customer.key}
    )
    assert outside.status_code == 403
    assert outside.json()["type"].endswith("/system-outside-rights")

    act_for(client, client_director, customer)
    client.post(reverse("federation:representative-revoke", args=[representation.public_id]))
    refused = api(live.url, token, "GET", f"{created.json()['id']}/")
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/system-approval-revoked")
    assert AuditEvent.objects.get(action="federation.api_refused").data["reason"] == (
        "representation revoked"
    )
    assert system.token_request(live.url, customer).json()["error"] == "access_denied"
    assert Application.objects.filter(party=customer).count() == 1
    assert SystemUserApproval.objects.get(company=firm).in_force
    assert services.firm_grant(system.client, customer) is None
    seen = [a for a in tracker.accesses(client_director) if system.client.client_id in a.who]
    assert seen
    assert requests  # the live server answered over real HTTP

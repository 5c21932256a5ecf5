"""System users (Altinn 3 style): a company's director approves a vendor's system for
some services and actions; the system then acts for the company with machine tokens
(client credentials, ``private_key_jwt``) within those rights, re-checked at every
request, so revocation takes effect at the next one. Everything over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from bizportal.applications import services as application_services
from bizportal.applications.models import Application, Status
from bizportal.core.models import AuditEvent
from bizportal.federation import services
from bizportal.federation.models import SystemUserApproval
from bizportal.identity.acting import SESSION_KEY
from bizportal.privacy import tracker
from tests.factories import (
    ApplicantFactory,
    CompanyFactory,
    ServiceFactory,
    valid_food_shop_answers,
)
from tests.journeys import pdf_bytes

from .helpers import VendorSystem, new_key, register_vendor_system

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def director():
    return ApplicantFactory()


@pytest.fixture
def company(director):
    return CompanyFactory(directors=[director])


@pytest.fixture
def food_shop():
    return ServiceFactory()


@pytest.fixture
def system(food_shop) -> VendorSystem:
    return register_vendor_system([food_shop])


def act_for(client: Any, user: Any, party: Any) -> None:
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = str(party.public_id)
    session.save()


def approve_on_the_page(
    client: Any,
    director: Any,
    company: Any,
    system: VendorSystem,
    services_: list[str],
    actions: list[str],
) -> SystemUserApproval:
    act_for(client, director, company)
    page = client.get(reverse("federation:systems"))
    assert system.client.name in page.content.decode()
    response = client.post(
        reverse("federation:approve", args=[system.client.public_id]),
        {"services": services_, "actions": actions},
    )
    assert response.status_code == 302, response.content.decode()
    return SystemUserApproval.objects.get(client=system.client, company=company)


def api(base: str, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(
        method,
        base + "/api/v1/applications/" + path,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        **kwargs,
    )


def required_documents(public_id: str) -> list[str]:
    application = Application.objects.get(public_id=public_id)
    documents = application_services.bundle_of(application).documents
    return [d.code for d in documents if d.is_required_for(application.data)]


def submit_for(
    base: str, token: str, company: Any, service: Any, director: Any
) -> requests.Response:
    created = api(base, token, "POST", "", json={"service": service.slug, "party": company.key})
    if created.status_code != 201:
        return created
    public_id = created.json()["id"]
    saved = api(
        base, token, "PATCH", f"{public_id}/", json={"answers": valid_food_shop_answers(director)}
    )
    assert saved.status_code == 200, saved.text
    for code in required_documents(public_id):
        api(
            base,
            token,
            "POST",
            f"{public_id}/documents/",
            data={"document_code": code},
            files={"file": ("d.pdf", pdf_bytes(), "application/pdf")},
        )
    return api(base, token, "POST", f"{public_id}/submit/", json={"accept_terms": True})


def test_an_approved_system_submits_for_the_company_and_is_refused_after_revocation(
    live, client, director, company, food_shop, system
) -> None:
    approval = approve_on_the_page(
        client, director, company, system, [food_shop.slug], ["prepare", "submit", "view"]
    )
    token = system.token(live.url, company)

    submitted = submit_for(live.url, token, company, food_shop, director)

    assert submitted.status_code == 200, submitted.text
    application = Application.objects.get(party=company)
    assert application.status == Status.REVIEW
    assert application.applicant == system.client.system_user
    event = AuditEvent.objects.get(action="application.submitted")
    assert event.on_behalf_of == company.key
    assert event.data["system"] == system.client.client_id
    assert event.data["vendor"] == system.client.vendor.key
    seen = [a for a in tracker.accesses(director) if system.client.client_id in a.who]
    assert {"application.submitted", "federation.system_approved"} <= {
        a.what_en.rsplit(": ", 1)[-1] for a in seen
    }

    client.post(reverse("federation:revoke", args=[approval.public_id]))
    refused = api(live.url, token, "GET", f"{application.public_id}/")
    # 403, not 401 (RFC 6750 §3.1): the token is still valid, the authority behind it
    # is gone, and a new token would not help.
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("/system-approval-revoked")
    event = AuditEvent.objects.get(action="federation.api_refused")
    assert event.on_behalf_of == company.key and event.data["system"] == system.client.client_id
    again = system.token_request(live.url, company)
    assert again.status_code == 400 and again.json()["error"] == "access_denied"


def test_a_service_outside_the_rights_and_another_company_are_refused(
    live, client, director, company, food_shop
) -> None:
    other_service = ServiceFactory(like="food-shop-licence")
    system = register_vendor_system([food_shop, other_service])
    approve_on_the_page(client, director, company, system, [food_shop.slug], ["prepare", "view"])
    token = system.token(live.url, company)

    outside = api(
        live.url, token, "POST", "", json={"service": other_service.slug, "party": company.key}
    )
    assert outside.status_code == 403, outside.text
    assert outside.headers["Content-Type"].startswith("application/problem+json")
    assert outside.json()["type"].endswith("/system-outside-rights")
    assert other_service.slug in outside.json()["detail"]

    other = CompanyFactory(directors=[ApplicantFactory()])
    elsewhere = api(
        live.url, token, "POST", "", json={"service": food_shop.slug, "party": other.key}
    )
    assert elsewhere.status_code == 403
    assert elsewhere.json()["type"].endswith("/system-other-party")
    refusals = AuditEvent.objects.filter(action="application.system_refused")
    assert {e.data["reason"] for e in refusals} == {"system-outside-rights", "system-other-party"}
    assert all(e.on_behalf_of == company.key for e in refusals)
    assert system.token_request(live.url, other).json()["error"] == "access_denied"
    assert not Application.objects.exists()


def test_bad_client_assertions_are_refused(
    live, client, director, company, food_shop, system
) -> None:
    approve_on_the_page(client, director, company, system, [food_shop.slug], ["view"])
    token_url = live.url + "/oidc/token"

    wrong_key = system.token_request(
        live.url, company, client_assertion=system.assertion(token_url, key=new_key())
    )
    expired = system.token_request(
        live.url, company, client_assertion=system.assertion(token_url, exp=-120)
    )
    once = system.assertion(token_url, jti="the-same-jti")
    first = system.token_request(live.url, company, client_assertion=once)
    replayed = system.token_request(live.url, company, client_assertion=once)
    wrong_audience = system.token_request(
        live.url, company, client_assertion=system.assertion("https://elsewhere.example/token")
    )
    no_details = system.token_request(live.url, company, authorization_details="")

    assert first.status_code == 200
    for response in (wrong_key, expired, replayed, wrong_audience):
        assert response.status_code in (400, 401), response.text
        assert response.json()["error"] == "invalid_client"
    assert no_details.json()["error"] == "invalid_request"
    assert AuditEvent.objects.filter(action="federation.token_refused").count() == 5


def test_only_a_director_approves_and_only_what_was_asked(
    client, director, company, food_shop, system
) -> None:
    stranger = ApplicantFactory()
    act_for(client, stranger, stranger.party)
    page = client.get(reverse("federation:approve", args=[system.client.public_id]))
    assert page.status_code == 403
    with pytest.raises(PermissionDenied):
        services.approve(
            system.client, company, actor=stranger, services=[food_shop], actions=["view"]
        )

    with pytest.raises(ValidationError):
        services.approve(
            system.client, company, actor=director, services=[ServiceFactory()], actions=["view"]
        )
    with pytest.raises(ValidationError):
        services.approve(
            system.client, company, actor=director, services=[food_shop], actions=["pay"]
        )
    assert not SystemUserApproval.objects.exists()


def test_discovery_and_keys(live) -> None:
    meta = requests.get(live.url + "/.well-known/openid-configuration", timeout=10).json()
    assert meta["issuer"] == live.url
    assert meta["token_endpoint"] == live.url + "/oidc/token"
    assert meta["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert "client_credentials" in meta["grant_types_supported"]
    keys = requests.get(meta["jwks_uri"], timeout=10).json()["keys"]
    assert keys and "d" not in keys[0] and keys[0]["kid"]


def test_the_accounting_software_submits_with_only_its_private_key(
    live, client, director, company, food_shop, system, tmp_path
) -> None:
    """The demo vendor's program (``python -m bizportal.sandbox_agency accounting``)."""
    import json

    from bizportal.catalog.bundles import bundle
    from bizportal.sandbox_agency import accounting

    approve_on_the_page(
        client, director, company, system, [food_shop.slug], ["prepare", "submit", "view"]
    )
    answers = valid_food_shop_answers(director)
    codes = [d.code for d in bundle(food_shop, "new").documents if d.is_required_for(answers)]
    key_file = tmp_path / "key.json"
    key_file.write_text(
        json.dumps({**system.key.as_dict(private=True), "client_id": system.client.client_id})
    )
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps(answers))
    pdf = tmp_path / "d.pdf"
    pdf.write_bytes(pdf_bytes())
    argv = [
        "--portal",
        live.url,
        "--key-file",
        str(key_file),
        "--company",
        company.key,
        "--service",
        food_shop.slug,
        "--answers",
        str(answers_file),
    ]
    argv += [item for code in codes for item in ("--document", f"{code}={pdf}")]

    assert accounting.main(argv) == 0
    assert Application.objects.get(party=company).status == Status.REVIEW
    assert accounting.main([*argv[:5], "0105599999999", *argv[6:]]) == 1

"""Business-level rate limits: each limited endpoint answers 429 with Retry-After once a
client is over its budget (problem+json for the API and callbacks, a Thai/English page
for people), and one client's use does not spend another's."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from bizportal.applications.models import Application
from bizportal.payments.models import PaymentEvent
from tests.factories import ApplicantFactory, ServiceFactory

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def two_per_window(settings) -> None:
    # An hour's window: three calls on a loaded machine can straddle a minute's edge
    # (the window is fixed, not sliding), and the third would start a fresh count.
    settings.BIZPORTAL_RATE_LIMITS = dict.fromkeys(
        ("verify", "verify-upload", "upload", "draft", "callback"), "2/h"
    )


def assert_api_429(response) -> None:
    assert response.status_code == 429, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    assert 1 <= int(response["Retry-After"]) <= 3600
    body = response.json()
    assert body["status"] == 429 and body["type"].endswith("rate-limited")
    assert "เรียกใช้บ่อยเกินไป" in body["detail"] and "วินาที" in body["detail"]  # Thai default


def assert_page_429(response) -> None:
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert 1 <= int(response["Retry-After"]) <= 3600
    html = response.content.decode()
    assert "กรุณารอ" in html and "Please wait" not in html


def third(call):
    """Two calls within the budget (whatever they answer), then the third."""
    for _ in range(2):
        assert call().status_code != 429
    return call()


def test_verify_api_lookups_are_limited_per_address(client: Client) -> None:
    def call(addr: str = "127.0.0.1"):
        return client.get("/api/v1/licences/verify/BMA-FD-2569-000001/", REMOTE_ADDR=addr)

    assert_api_429(third(call))
    assert call("10.0.0.9").status_code == 404  # another address has its own budget


def test_verify_pages_are_limited_per_address(client: Client) -> None:
    assert_page_429(third(lambda: client.get("/verify/BMA-FD-2569-000001/")))


def test_verify_pdf_api_is_limited(client: Client) -> None:
    assert_api_429(third(lambda: client.post("/api/v1/licences/verify-pdf/", {})))


def test_verify_by_upload_page_is_limited(client: Client) -> None:
    assert_page_429(third(lambda: client.post("/verify/", {})))


@pytest.fixture
def applicant_client(client: Client) -> Client:
    client.force_login(ApplicantFactory())
    return client


def test_draft_creation_through_the_api_is_limited_per_user(applicant_client: Client) -> None:
    services = iter([ServiceFactory() for _ in range(3)])

    def call():
        slug = next(services).slug
        return applicant_client.post(
            "/api/v1/applications/", {"service": slug}, content_type="application/json"
        )

    assert_api_429(third(call))
    assert Application.objects.count() == 2
    other = Client()
    other.force_login(ApplicantFactory())
    created = other.post(
        "/api/v1/applications/", {"service": ServiceFactory().slug}, content_type="application/json"
    )
    assert created.status_code == 201


def test_draft_creation_on_the_pages_is_limited(applicant_client: Client) -> None:
    services = iter([ServiceFactory() for _ in range(3)])
    response = third(lambda: applicant_client.post(f"/services/{next(services).slug}/apply/"))
    assert_page_429(response)
    assert Application.objects.count() == 2


@pytest.fixture
def draft(applicant_client: Client) -> Application:
    response = applicant_client.post(
        "/api/v1/applications/", {"service": ServiceFactory().slug}, content_type="application/json"
    )
    return Application.objects.get(public_id=response.json()["id"])


def not_a_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("note.txt", b"hello", content_type="text/plain")


def test_uploads_through_the_api_are_limited_per_user(applicant_client, draft) -> None:
    url = f"/api/v1/applications/{draft.public_id}/documents/"
    response = third(
        lambda: applicant_client.post(url, {"document_code": "plan", "file": not_a_pdf()})
    )
    assert_api_429(response)


def test_uploads_on_the_draft_page_are_limited(applicant_client, draft) -> None:
    url = f"/applications/{draft.public_id}/edit/"
    assert_page_429(third(lambda: applicant_client.post(url, {"doc_plan": not_a_pdf()})))


def test_callbacks_are_limited_per_address_and_not_logged_over_the_limit(client: Client) -> None:
    def call():
        return client.post("/payments/callback/sandbox/", b"{}", content_type="application/json")

    assert_api_429(third(call))
    assert PaymentEvent.objects.count() == 2


def test_the_deploy_check_warns_when_counts_are_per_process(settings) -> None:
    from bizportal.core.checks import rate_limit_cache_is_shared

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [m.id for m in rate_limit_cache_is_shared()] == ["bizportal.W001"]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",
        }
    }
    assert rate_limit_cache_is_shared() == []


def test_an_unreachable_cache_lets_calls_through(client: Client, settings) -> None:
    """Redis down must not stop licence checks or payment callbacks: fail open."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    for _ in range(3):
        response = client.get("/api/v1/licences/verify/BMA-FD-2569-000001/")
        assert response.status_code == 404


def test_the_first_refusal_of_a_window_is_audited_and_a_flood_adds_nothing(
    client: Client,
) -> None:
    from bizportal.core.models import AuditEvent

    def call():
        return client.get("/api/v1/licences/verify/BMA-FD-2569-000001/", REMOTE_ADDR="10.1.2.3")

    assert_api_429(third(call))
    for _ in range(20):
        assert call().status_code == 429
    refused = AuditEvent.objects.filter(action="ratelimit.refused")
    assert refused.count() == 1
    event = refused.get()
    assert event.object_id == "verify" and event.actor_label == "anonymous"
    assert event.data["client_ip"] == "10.1.2.3" and event.data["counted_by"] == "ip"

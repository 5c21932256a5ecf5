"""Status back (issue 8): an agency system with an OAuth2 client-credentials token lists
what was forwarded to it, acknowledges and decides; repeats are answered once, older
updates never overwrite newer, and every bad case is problem+json with nothing changed."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken

from bizportal.applications import services as applications
from bizportal.applications.models import Status
from bizportal.core.models import AuditEvent
from bizportal.integrations.models import Forwarding, ForwardingState, Mode, StatusUpdate
from tests.journeys import fill, submitted

from .conftest import forwarded_service

pytestmark = pytest.mark.django_db
SCOPES = "integrations:read integrations:decide"


def token(client: Any, service: Any, secret: str | None = None, scope: str = SCOPES) -> Any:
    basic = f"{service.system.client.client_id}:{secret or service.secret}"
    return client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": scope},
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(basic.encode()).decode(),
    )


def bearer(client: Any, service: Any, scope: str = SCOPES) -> str:
    answer = token(client, service, scope=scope)
    assert answer.status_code == 200, answer.content
    return "Bearer " + answer.json()["access_token"]


def post(client: Any, auth: str, application: Any, body: Any) -> Any:
    return client.post(
        f"/api/v1/integrations/agency/applications/{application.public_id}/updates/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )


@pytest.fixture
def forwarded() -> tuple[Any, Any]:
    """A batch-mode service (nothing to send over HTTP) and one submitted application."""
    service = forwarded_service(Mode.BATCH)
    return service, submitted(service)


def test_the_agency_lists_reads_acknowledges_and_approves(client: Any, forwarded: Any) -> None:
    service, application = forwarded
    auth = bearer(client, service)
    listed = client.get("/api/v1/integrations/agency/applications/", HTTP_AUTHORIZATION=auth)
    assert listed.status_code == 200
    (item,) = listed.json()["results"]
    assert item["application_id"] == str(application.public_id)
    assert item["state"] == "pending"
    detail = client.get(
        f"/api/v1/integrations/agency/applications/{application.public_id}/",
        HTTP_AUTHORIZATION=auth,
    ).json()
    assert detail["package"]["application"]["reference"] == application.reference
    assert AuditEvent.objects.filter(action="integrations.package_read").exists()

    ack = post(client, auth, application, {"sequence": 1, "type": "acknowledge"})
    assert ack.json() == {
        "sequence": 1,
        "type": "acknowledge",
        "outcome": "applied",
        "application_status": "waiting",
    }
    note = post(client, auth, application, {"sequence": 2, "type": "status", "status": "นัดตรวจ"})
    assert note.json()["outcome"] == "applied"
    approve = post(
        client,
        auth,
        application,
        {
            "sequence": 3,
            "type": "approve",
            "licence": {"number": "BMA-1", "valid_until": "2031-12-31"},
        },
    )
    assert approve.status_code == 200, approve.content
    application.refresh_from_db()
    assert application.status == approve.json()["application_status"] != Status.WAITING
    row = Forwarding.objects.get(application=application)
    assert (row.state, row.decision, row.agency_status) == ("decided", "approve", "นัดตรวจ")
    last = application.history.order_by("-pk").first()
    assert last.step_type == "forward-to-agency" and "bma-licensing" in last.actor_label


def test_a_repeat_is_answered_once_and_an_older_update_never_overwrites(
    client: Any, forwarded: Any
) -> None:
    service, application = forwarded
    auth = bearer(client, service)
    assert (
        post(client, auth, application, {"sequence": 5, "type": "status", "status": "B"}).json()[
            "outcome"
        ]
        == "applied"
    )
    late = post(client, auth, application, {"sequence": 4, "type": "status", "status": "A"})
    assert late.json()["outcome"] == "stale"
    assert Forwarding.objects.get(application=application).agency_status == "B"
    again = post(client, auth, application, {"sequence": 5, "type": "status", "status": "B"})
    assert again.json()["outcome"] == "duplicate"
    reused = post(client, auth, application, {"sequence": 5, "type": "status", "status": "C"})
    assert reused.status_code == 409 and reused["Content-Type"] == "application/problem+json"
    decide = {"sequence": 6, "type": "reject", "message": "ไม่ผ่าน / not passed"}
    assert post(client, auth, application, decide).json()["outcome"] == "applied"
    assert post(client, auth, application, decide).json()["outcome"] == "duplicate"
    assert StatusUpdate.objects.filter(application=application).count() == 3
    assert application.history.filter(step_type="forward-to-agency").count() == 1
    application.refresh_from_db()
    assert application.status == Status.REJECTED
    assert application.decision_reason == "ไม่ผ่าน / not passed"


def test_a_correction_goes_back_to_the_applicant_and_is_forwarded_again(
    client: Any, forwarded: Any
) -> None:
    service, application = forwarded
    auth = bearer(client, service)
    asked = post(
        client, auth, application, {"sequence": 1, "type": "correct", "message": "แนบแบบแปลน"}
    )
    assert asked.json()["application_status"] == Status.CORRECTION
    too_late = post(client, auth, application, {"sequence": 2, "type": "approve"})
    assert too_late.status_code == 409
    assert too_late.json()["code"] == "already_decided"
    application.refresh_from_db()
    applications.submit(fill(application), actor=application.applicant, accept_terms=True)
    assert Forwarding.objects.filter(application=application).count() == 2
    assert (
        post(client, auth, application, {"sequence": 2, "type": "approve"}).json()["outcome"]
        == "applied"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "approve"}, "sequence"),
        ({"sequence": 0, "type": "approve"}, "sequence"),
        ({"sequence": True, "type": "approve"}, "sequence"),
        ({"sequence": 1, "type": "grant"}, "type"),
        ({"sequence": 1, "type": "reject"}, "message"),
        ({"sequence": 1, "type": "status"}, "status"),
        ({"sequence": 1, "type": "status", "status": "x" * 201}, "status"),
        ({"sequence": 1, "type": "approve", "licence": {"valid_until": "31/12/2030"}}, "licence"),
        ({"sequence": 1, "type": "reject", "message": "no", "licence": {}}, "licence"),
        ({"sequence": 1, "type": "approve", "extra": 1}, "body"),
        ([1, 2], "body"),
    ],
)
def test_a_malformed_update_is_refused_and_changes_nothing(
    client: Any, forwarded: Any, body: Any, field: str
) -> None:
    service, application = forwarded
    answer = post(client, bearer(client, service), application, body)
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    assert f"{field}:" in answer.json()["detail"]
    assert not StatusUpdate.objects.exists()
    assert Forwarding.objects.get(application=application).state == ForwardingState.PENDING


def test_bad_credentials_and_other_agencies_are_refused(client: Any, forwarded: Any) -> None:
    service, application = forwarded
    assert token(client, service, secret="wrong").status_code == 401
    assert token(client, service, scope="integrations:admin").status_code == 400
    ack = {"sequence": 1, "type": "acknowledge"}
    assert post(client, "Bearer not-a-token", application, ack).status_code == 401
    read_only = bearer(client, service, scope="integrations:read")
    assert post(client, read_only, application, ack).status_code == 403

    expired = bearer(client, service)
    AccessToken.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    assert post(client, expired, application, ack).status_code == 401

    other = forwarded_service(Mode.BATCH, code="other-agency-system")
    other_auth = bearer(client, other)
    stranger = post(client, other_auth, application, ack)
    assert stranger.status_code == 404 and stranger["Content-Type"] == "application/problem+json"
    detail = client.get(
        f"/api/v1/integrations/agency/applications/{application.public_id}/",
        HTTP_AUTHORIZATION=other_auth,
    )
    assert detail.status_code == 404
    listed = client.get("/api/v1/integrations/agency/applications/", HTTP_AUTHORIZATION=other_auth)
    assert listed.json()["results"] == []
    unknown = post(client, bearer(client, service), type("A", (), {"public_id": "0" * 32})(), ack)
    assert unknown.status_code == 404
    assert not StatusUpdate.objects.exists()


def test_the_list_pages_by_cursor_newest_first(
    client: Any, forwarded: Any, django_assert_max_num_queries: Any
) -> None:
    service, first = forwarded
    second = submitted(service)
    auth = bearer(client, service)
    page = client.get(
        "/api/v1/integrations/agency/applications/?page_size=1", HTTP_AUTHORIZATION=auth
    ).json()
    assert [r["application_id"] for r in page["results"]] == [str(second.public_id)]
    with django_assert_max_num_queries(8):
        nxt = client.get(page["next"], HTTP_AUTHORIZATION=auth).json()
    assert [r["application_id"] for r in nxt["results"]] == [str(first.public_id)]
    assert (
        client.get(
            "/api/v1/integrations/agency/applications/?cursor=bogus", HTTP_AUTHORIZATION=auth
        ).status_code
        == 400
    )


def test_the_openapi_schema_documents_the_agency_api_with_oauth2(client: Any) -> None:
    schema = client.get("/api/schema/?format=json").json()
    scheme = schema["components"]["securitySchemes"]["oauth2"]
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/o/token/"
    assert "integrations:decide" in scheme["flows"]["clientCredentials"]["scopes"]
    updates = schema["paths"]["/api/v1/integrations/agency/applications/{application_id}/updates/"]
    assert updates["post"]["security"] == [{"oauth2": ["integrations:decide"]}]

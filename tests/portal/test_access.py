"""Who may see what: applicants only their own, officers only their agency's."""

from __future__ import annotations

import pytest

from bizportal.applications.models import Status
from bizportal.core.models import AuditEvent
from tests import journeys
from tests.factories import ApplicantFactory, ApplicationFactory, OfficerFactory, ServiceFactory


@pytest.fixture
def submitted(db):
    application = journeys.submitted()
    return application, application.attachments.get(document_code="floor_plan")


def test_the_applicant_sees_their_application_and_document(client, submitted) -> None:
    application, attachment = submitted
    client.force_login(application.applicant)
    page = client.get(f"/applications/{application.public_id}/")
    assert page.status_code == 200
    assert application.reference in page.content.decode()
    document = client.get(
        f"/applications/{application.public_id}/documents/{attachment.public_id}/"
    )
    assert document.status_code == 200
    assert document["Content-Type"] == "application/pdf"


def test_another_applicant_gets_not_found_everywhere(client, submitted) -> None:
    application, attachment = submitted
    client.force_login(ApplicantFactory())
    assert client.get(f"/applications/{application.public_id}/").status_code == 404
    assert client.get(f"/applications/{application.public_id}/edit/").status_code == 404
    assert (
        client.get(
            f"/applications/{application.public_id}/documents/{attachment.public_id}/"
        ).status_code
        == 404
    )
    api = client.get(f"/api/v1/applications/{application.public_id}/")
    assert api.status_code == 404
    assert api["Content-Type"] == "application/problem+json"


def test_the_owning_agency_officer_sees_it_and_the_view_is_audited(client, submitted) -> None:
    application, attachment = submitted
    officer = OfficerFactory(agency=application.agency)
    client.force_login(officer)
    assert application.reference in client.get("/backoffice/worklist/").content.decode()
    assert client.get(f"/backoffice/applications/{application.public_id}/").status_code == 200
    assert (
        client.get(
            f"/backoffice/applications/{application.public_id}/documents/{attachment.public_id}/"
        ).status_code
        == 200
    )
    actions = set(AuditEvent.objects.filter(actor=officer).values_list("action", flat=True))
    assert {"application.viewed", "application.document_viewed"} <= actions


def test_an_officer_of_another_agency_gets_not_found(client, submitted) -> None:
    application, attachment = submitted
    client.force_login(OfficerFactory())
    assert application.reference not in client.get("/backoffice/worklist/").content.decode()
    assert client.get(f"/backoffice/applications/{application.public_id}/").status_code == 404
    assert (
        client.get(
            f"/backoffice/applications/{application.public_id}/documents/{attachment.public_id}/"
        ).status_code
        == 404
    )
    decision = client.post(
        f"/backoffice/applications/{application.public_id}/decide/", {"action": "approve"}
    )
    assert decision.status_code == 404
    api = client.post(
        f"/api/v1/applications/{application.public_id}/decision/",
        {"action": "approve"},
        content_type="application/json",
    )
    assert api.status_code == 404
    assert client.get(f"/api/v1/applications/{application.public_id}/actions/").status_code == 404
    application.refresh_from_db()
    assert application.status == Status.REVIEW
    assert list(application.history.values_list("action", flat=True)) == ["submit"]


def test_a_draft_is_the_applicants_alone_until_it_is_submitted(client, db) -> None:
    draft = journeys.start()
    client.force_login(OfficerFactory(agency=draft.agency))
    assert client.get(f"/backoffice/applications/{draft.public_id}/").status_code == 404
    assert client.get(f"/api/v1/applications/{draft.public_id}/").status_code == 404
    assert str(draft.public_id) not in client.get("/backoffice/worklist/").content.decode()


def test_an_applicant_cannot_use_the_backoffice(client, submitted) -> None:
    application, _ = submitted
    client.force_login(application.applicant)
    assert client.get(f"/backoffice/applications/{application.public_id}/").status_code == 404


def test_entrepreneurs_cannot_sign_in_with_the_officer_form(client, db) -> None:
    applicant = ApplicantFactory()
    applicant.set_password("secret-pass-123")
    applicant.save()
    response = client.post(
        "/backoffice/login/", {"username": applicant.username, "password": "secret-pass-123"}
    )
    assert response.status_code == 200
    assert "หน้านี้สำหรับเจ้าหน้าที่เท่านั้น" in response.content.decode()


def test_the_worklist_pages_with_a_keyset_cursor_in_constant_queries(
    client, django_assert_max_num_queries, db
) -> None:
    service = ServiceFactory()
    officer = OfficerFactory(agency=service.agency)
    ApplicationFactory.create_batch(30, service=service, submitted=True, status=Status.REVIEW)
    client.force_login(officer)
    with django_assert_max_num_queries(8):
        first = client.get("/api/v1/applications/worklist/").json()
    assert len(first["results"]) == 25
    second = client.get("/api/v1/applications/worklist/", {"after": first["next"]}).json()
    assert len(second["results"]) == 5
    assert not second["next"]
    references = [a["reference"] for a in first["results"] + second["results"]]
    assert len(set(references)) == 30

"""An applicant deletes a draft they no longer want: the draft, its uploads and its
process go, its place under the open-drafts limit is free, the audit trail keeps that it
existed. A submitted application cannot be deleted, nor someone else's draft."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from bizportal.applications import services
from bizportal.applications.models import Application, Attachment, Status
from bizportal.core.models import AuditEvent
from bizportal.workflow.models import ProcessInstance
from tests import journeys
from tests.factories import ApplicantFactory, ServiceFactory

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_deleting_a_draft_removes_it_its_files_and_its_process(
    settings, django_capture_on_commit_callbacks
) -> None:
    settings.MAX_OPEN_DRAFTS_PER_PARTY = 1
    draft = journeys.fill(journeys.start())
    applicant = draft.applicant
    stored = [a.file.name for a in draft.attachments.all()]
    assert stored and all(default_storage.exists(name) for name in stored)
    process_pk = draft.process_id

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(applicant).delete(f"/api/v1/applications/{draft.public_id}/")

    assert response.status_code == 204, response.content
    assert not Application.objects.filter(pk=draft.pk).exists()
    assert not Attachment.objects.filter(application_id=draft.pk).exists()
    assert not ProcessInstance.objects.filter(pk=process_pk).exists()
    assert not any(default_storage.exists(name) for name in stored)
    event = AuditEvent.objects.get(action="application.draft_discarded")
    assert event.object_id == str(draft.public_id) and event.actor == applicant
    assert event.data["attachments"] == len(stored)
    assert AuditEvent.objects.filter(action="workflow.discarded").exists()
    # Its place is free again: a new draft may start.
    journeys.start(ServiceFactory(), applicant)


def test_a_submitted_application_cannot_be_deleted() -> None:
    application = journeys.submitted()
    response = signed_in(application.applicant).delete(
        f"/api/v1/applications/{application.public_id}/"
    )
    assert response.status_code == 409 and response["Content-Type"] == PROBLEM
    assert "ฉบับร่าง" in response.json()["detail"]
    assert Application.objects.get(pk=application.pk).status == Status.REVIEW


def test_someone_else_cannot_delete_a_draft() -> None:
    draft = journeys.start()
    response = signed_in(ApplicantFactory()).delete(f"/api/v1/applications/{draft.public_id}/")
    assert response.status_code == 404
    assert Application.objects.filter(pk=draft.pk).exists()


def test_a_failed_delete_leaves_everything_in_place(monkeypatch) -> None:
    draft = journeys.fill(journeys.start())

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.workflow, "discard", broken)
    with pytest.raises(RuntimeError):
        services.discard_draft(draft, actor=draft.applicant)
    assert Application.objects.filter(pk=draft.pk).exists()
    assert (
        draft.attachments.count()
        and not AuditEvent.objects.filter(action="application.draft_discarded").exists()
    )


def test_the_page_asks_for_confirmation_then_deletes() -> None:
    draft = journeys.start()
    client = signed_in(draft.applicant)
    url = f"/applications/{draft.public_id}/"
    assert 'data-action="discard"' in client.get(url).content.decode()

    unconfirmed = client.post(f"{url}delete/", follow=True)
    assert "กรุณายืนยัน" in unconfirmed.content.decode()
    assert Application.objects.filter(pk=draft.pk).exists()

    done = client.post(f"{url}delete/", {"confirm": "on"}, follow=True)
    assert done.redirect_chain[-1][0] == "/account/"
    assert "ลบฉบับร่างแล้ว" in done.content.decode()
    assert not Application.objects.filter(pk=draft.pk).exists()


def test_a_submitted_application_page_offers_no_delete() -> None:
    application = journeys.submitted()
    page = signed_in(application.applicant).get(f"/applications/{application.public_id}/")
    assert 'data-action="discard"' not in page.content.decode()

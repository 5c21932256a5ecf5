"""An admin uploads a BPMN file, sees why a bad one is refused, and publishes a draft."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bizportal.workflow.models import ProcessVersion, VersionStatus
from tests.workflow.test_definitions import APPLICANT_ONLY

pytestmark = pytest.mark.django_db


def upload(client, source: str):
    return client.post(
        reverse("admin:workflow_processdefinition_upload"),
        {"bpmn_file": SimpleUploadedFile("p.bpmn", source.encode(), content_type="text/xml")},
    )


def test_an_admin_uploads_then_publishes_a_process(admin_client) -> None:
    response = upload(admin_client, APPLICANT_ONLY)
    version = ProcessVersion.objects.get(definition__key="uploaded_process")
    assert response.status_code == 302
    assert version.status == VersionStatus.DRAFT
    page = admin_client.get(reverse("admin:workflow_processversion_change", args=[version.pk]))
    assert "applicant-data" in page.content.decode()
    admin_client.post(
        reverse("admin:workflow_processversion_changelist"),
        {"action": "publish", "_selected_action": [version.pk]},
    )
    version.refresh_from_db()
    assert version.status == VersionStatus.LIVE


def test_a_refused_upload_shows_why_and_saves_nothing(admin_client) -> None:
    before = ProcessVersion.objects.count()
    response = upload(admin_client, APPLICANT_ONLY.replace("applicant-data", "telepathy"))
    assert response.status_code == 200
    assert "unknown biz:taskType" in response.content.decode()
    assert ProcessVersion.objects.count() == before


def test_the_process_list_shows_the_live_versions(admin_client) -> None:
    page = admin_client.get(reverse("admin:workflow_processdefinition_changelist"))
    text = page.content.decode()
    assert "three_stage_licence" in text and "v1" in text

"""The application form page: bad input gets a clear message and loses nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bizportal.applications import services
from bizportal.applications.models import Status
from tests.applications.conftest import pdf_bytes
from tests.factories import ApplicantFactory, ServiceFactory, citizen_id, valid_food_shop_answers


@pytest.fixture
def draft(db):
    service = ServiceFactory()
    applicant = ApplicantFactory()
    return services.start_application(service, applicant)


def post(client, application, data, files=None):
    payload = {**data, **(files or {})}
    return client.post(f"/applications/{application.public_id}/edit/", payload)


def test_an_invalid_citizen_id_is_shown_on_the_field_and_input_is_kept(client, draft) -> None:
    client.force_login(draft.applicant)
    answers = valid_food_shop_answers(draft.applicant)
    bad = citizen_id(777)[:-1] + str((int(citizen_id(777)[-1]) + 1) % 10)
    response = post(
        client,
        draft,
        {**answers, "manager_citizen_id": bad, "accept_terms": "on", "action": "submit"},
        {"doc_floor_plan": SimpleUploadedFile("plan.pdf", pdf_bytes())},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "เลขตรวจสอบไม่ตรง" in page and "check digit does not match" not in page
    assert answers["business_name"] in page  # what was typed is still there
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.data["manager_citizen_id"] == bad


def test_a_missing_field_is_named(client, draft) -> None:
    client.force_login(draft.applicant)
    answers = valid_food_shop_answers(draft.applicant)
    del answers["business_name"]
    response = post(client, draft, {**answers, "accept_terms": "on", "action": "submit"})
    assert response.status_code == 400
    assert "กรุณากรอกชื่อสถานประกอบการ" in response.content.decode()


def test_a_renamed_exe_is_refused_with_a_message(client, draft) -> None:
    client.force_login(draft.applicant)
    exe = SimpleUploadedFile("plan.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 500)
    response = post(client, draft, {"action": "save"}, {"doc_floor_plan": exe})
    assert response.status_code == 400
    assert "รับเฉพาะไฟล์ PDF, JPEG หรือ PNG" in response.content.decode()
    assert not draft.attachments.exists()


def test_an_oversized_file_is_refused(client, draft, settings) -> None:
    settings.BIZPORTAL_UPLOAD_MAX_BYTES = 1024 * 1024
    client.force_login(draft.applicant)
    big = SimpleUploadedFile("plan.pdf", pdf_bytes() + b"0" * (1024 * 1024 + 1))
    response = post(client, draft, {"action": "save"}, {"doc_floor_plan": big})
    assert response.status_code == 400
    assert "ไฟล์ใหญ่เกิน 1 MB" in response.content.decode()


def test_save_draft_and_come_back(client, draft) -> None:
    client.force_login(draft.applicant)
    response = post(client, draft, {"business_name": "ร้านครึ่งทาง", "action": "save"})
    assert response.status_code == 302
    page = client.get(f"/applications/{draft.public_id}/edit/").content.decode()
    assert "ร้านครึ่งทาง" in page


def test_a_complete_submission_shows_the_reference(client, draft) -> None:
    client.force_login(draft.applicant)
    answers = valid_food_shop_answers(draft.applicant)
    response = post(
        client,
        draft,
        {**answers, "accept_terms": "on", "action": "submit"},
        {
            "doc_floor_plan": SimpleUploadedFile("plan.pdf", pdf_bytes()),
            "doc_tax_registration": SimpleUploadedFile("tax.pdf", pdf_bytes()),
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    page = client.get(response["Location"]).content.decode()
    assert draft.reference in page

"""The form journey (issue 15): every error on one submit, valid files kept, check
your answers with the fee estimate, the confirmation with the decision date."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from bizportal.applications import services
from bizportal.applications.models import Status
from bizportal.portal import journey
from bizportal.service_levels.calendar import add_working_days
from tests.applications.conftest import pdf_bytes
from tests.factories import ApplicantFactory, ServiceFactory, citizen_id, valid_food_shop_answers

EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 500


@pytest.fixture
def draft(db):
    return services.start_application(ServiceFactory(), ApplicantFactory())


def edit_url(application) -> str:
    return reverse("portal:application-edit", args=[application.public_id])


def check_url(application) -> str:
    return reverse("portal:application-check", args=[application.public_id])


def bad_check_digit() -> str:
    good = citizen_id(777)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def complete(client, draft) -> None:
    """Answers and both uploads in, through the form's Continue."""
    response = client.post(
        edit_url(draft),
        {
            **valid_food_shop_answers(draft.applicant),
            "action": "continue",
            "doc_floor_plan": SimpleUploadedFile("plan.pdf", pdf_bytes()),
            "doc_tax_registration": SimpleUploadedFile("tax.pdf", pdf_bytes()),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == check_url(draft)


def test_one_submit_shows_every_error_keeps_values_and_the_valid_file(client, draft) -> None:
    client.force_login(draft.applicant)
    answers = valid_food_shop_answers(draft.applicant)
    del answers["business_name"]  # missing
    answers["seats"] = 999999  # refused even in a draft: nothing of the answers is saved
    answers["manager_citizen_id"] = bad_check_digit()
    response = client.post(
        edit_url(draft),
        {
            **answers,
            "action": "continue",
            "doc_floor_plan": SimpleUploadedFile("plan.pdf", EXE),  # a renamed .exe
            "doc_tax_registration": SimpleUploadedFile("ภาษี.pdf", pdf_bytes()),  # fine
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    summary = page[
        page.index('id="error-summary"') : page.index("</div>", page.index('id="error-summary"'))
    ]
    for anchor in ("#f-business_name", "#f-seats", "#f-manager_citizen_id", "#d-floor_plan"):
        assert f'href="{anchor}"' in summary, anchor
    assert "Only PDF, JPEG or PNG" in page or "PDF, JPEG หรือ PNG" in page
    assert re.search(r"<title>ข้อผิดพลาด: ", page)
    # What was typed is still there, and the answers refused were not saved.
    assert 'value="999999"' in page and answers["business_address"] in page
    draft.refresh_from_db()
    assert "seats" not in draft.data and "business_address" not in draft.data
    # The valid file was kept and is shown; the refused one left nothing behind.
    assert list(draft.attachments.values_list("document_code", flat=True)) == ["tax_registration"]
    assert 'data-attached="tax_registration"' in page and "ภาษี.pdf" in page
    assert draft.status == Status.DRAFT


def test_errors_in_english_prefix_the_title(client, draft) -> None:
    client.force_login(draft.applicant)
    response = client.post(edit_url(draft), {"action": "continue"}, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 400
    assert re.search(r"<title>Error: ", page)
    assert "There is a problem" in page and "Step 1 of 3" in page


def test_continue_goes_to_check_your_answers_with_change_links_and_fee(client, draft) -> None:
    client.force_login(draft.applicant)
    complete(client, draft)
    response = client.get(check_url(draft))
    page = response.content.decode()
    assert response.status_code == 200
    assert "ตรวจสอบคำตอบก่อนยื่นคำขอ" in page and "ขั้นตอนที่ 3 จาก 3" in page
    assert f'href="{edit_url(draft)}#f-business_name"' in page
    assert f'href="{edit_url(draft)}#doc-floor_plan"' in page
    assert "ร้านข้าวแกงป้าศรี" in page and "plan.pdf" in page
    assert "ค่าธรรมเนียมโดยประมาณ" in page
    draft.refresh_from_db()
    estimate = journey.fee_estimate(draft)
    if estimate.total is None:
        assert "data-fee-unknown" in page
    else:
        assert f'data-fee-total="{estimate.total}"' in page
    assert 'id="accept_terms"' in page  # the declaration is here now


def test_the_fee_estimate_follows_the_answers(client, draft) -> None:
    from bizportal.payments.fees import quote_for

    draft.data = valid_food_shop_answers(draft.applicant)
    draft.save()
    estimate = journey.fee_estimate(draft)
    assert estimate.total == quote_for(draft).total


def test_the_fee_unknown_before_approval_is_said(client, draft) -> None:
    # Without the answers the fee table needs, the fee cannot be known yet.
    assert journey.fee_estimate(draft).total is None or draft.data
    client.force_login(draft.applicant)
    draft.data = {}
    draft.save()
    page = client.get(check_url(draft)).content.decode()
    if journey.fee_estimate(draft).total is None:
        assert "data-fee-unknown" in page


def test_the_declaration_is_needed_on_the_check_page(client, draft) -> None:
    client.force_login(draft.applicant)
    complete(client, draft)
    response = client.post(check_url(draft), {})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'href="#accept_terms"' in page and "<title>ข้อผิดพลาด: " in page
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and not draft.reference


def test_submit_from_check_page_shows_the_confirmation(client, draft) -> None:
    client.force_login(draft.applicant)
    complete(client, draft)
    response = client.post(check_url(draft), {"accept_terms": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:application-submitted", args=[draft.public_id])
    draft.refresh_from_db()
    page = client.get(response["Location"]).content.decode()
    assert draft.reference and draft.reference in page
    due = add_working_days(
        timezone.localtime(draft.submitted_at).date(), draft.service.processing_days
    )
    assert journey.decision_due(draft) == due
    assert f'data-decision-due="{due:%Y-%m-%d}"' in page
    assert str(due.year + 543) in page  # Buddhist era on the Thai page
    assert draft.agency.name_th in page
    english = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "What happens next" in english and str(due.year) in english


def test_the_check_page_of_an_incomplete_draft_lists_what_is_missing(client, draft) -> None:
    client.force_login(draft.applicant)
    page = client.get(check_url(draft)).content.decode()
    assert 'id="error-summary"' in page
    assert f'href="{edit_url(draft)}#f-business_name"' in page


def test_confirmation_only_after_submission(client, draft) -> None:
    client.force_login(draft.applicant)
    response = client.get(reverse("portal:application-submitted", args=[draft.public_id]))
    assert response.status_code == 302


def test_the_form_page_loads_the_file_hint_script_and_limits(client, draft) -> None:
    client.force_login(draft.applicant)
    page = client.get(edit_url(draft)).content.decode()
    assert "bizportal/journey.js" in page
    assert 'data-max-bytes="5242880"' in page and "ไฟล์มีขนาดใหญ่เกินไป (ไม่เกิน 5 MB)" in page


def test_others_cannot_see_the_new_pages(client, draft) -> None:
    client.force_login(ApplicantFactory())
    for url in (check_url(draft), reverse("portal:application-submitted", args=[draft.public_id])):
        assert client.get(url).status_code == 404

"""The back-office application page: each step waiting for the officer, with the
actions its process gives it, and refusals that explain and change nothing."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from bizportal.applications import services
from bizportal.applications.models import Application, Status
from bizportal.core.thai import thai_date
from bizportal.inspections.models import Inspection
from bizportal.workflow import services as workflow
from tests import journeys
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

PARALLEL_CHECKS = Path(__file__).with_name("parallel_checks.bpmn")


def page_of(client, application: Application) -> str:
    response = client.get(f"/backoffice/applications/{application.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


def step_sections(page: str) -> dict[str, str]:
    """BPMN step id -> the HTML of its panel, in page order."""
    return dict(
        re.findall(
            r'<section class="card step"[^>]*data-step="([\w-]+)">(.*?)</section>', page, re.DOTALL
        )
    )


def buttons(section: str) -> list[str]:
    return re.findall(r'<button type="submit" name="action" value="([\w-]+)"', section)


def task_id(application: Application, step: str) -> str:
    """The engine's id of the waiting step, as the page's hidden field carries it."""
    fresh = Application.objects.get(pk=application.pk)
    return next(s.task_id for s in services.ready_steps(fresh) if s.spec.id == step)


def act(client, application: Application, **data: str) -> str:
    """Post an action as the page's form does; the page it lands on (with the message)."""
    response = client.post(
        f"/backoffice/applications/{application.public_id}/decide/", data, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/backoffice/applications/{application.public_id}/"
    return html.unescape(response.content.decode())


def history(application: Application) -> list[tuple[str, str, str]]:
    return list(application.history.values_list("step", "action", "to_status"))


def in_three_days_at_ten() -> dt.datetime:
    day = timezone.localtime() + dt.timedelta(days=3)
    return day.replace(hour=10, minute=0, second=0, microsecond=0)


@pytest.fixture
def officer_client():  # type: ignore[no-untyped-def]
    """A browser of its own, signed in as an officer of the application's agency (the
    test's ``client`` stays free for the applicant)."""

    def sign_in(application: Application) -> Client:
        browser = Client()
        browser.force_login(journeys.officer_of(application))
        return browser

    return sign_in


def test_the_review_step_shows_the_decisions_its_process_offers(officer_client) -> None:
    application = journeys.submitted()
    client = officer_client(application)
    page = page_of(client, application)
    sections = step_sections(page)
    assert list(sections) == ["review"]
    review = sections["review"]
    assert buttons(review) == ["approve", "correct", "reject"]
    for label in ("อนุมัติ", "ขอให้แก้ไขเพิ่มเติม", "ไม่อนุมัติ"):
        assert f">{label}</button>" in review
    assert f'name="step" value="{task_id(application, "review")}"' in review
    # The note's hint names the decisions that need one.
    assert "จำเป็นเมื่อเลือก “ขอให้แก้ไขเพิ่มเติม”, “ไม่อนุมัติ”" in review
    assert 'data-status="review"' in page


def test_the_english_page_shows_the_english_half_of_each_label(officer_client) -> None:
    application = journeys.submitted()
    client = officer_client(application)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    review = step_sections(page_of(client, application))["review"]
    assert "<h2" in review and "Review the application</h2>" in review
    for label in ("Approve", "Request a correction", "Reject"):
        assert f">{label}</button>" in review
    assert "Required for “Request a correction”, “Reject” (the applicant is told)" in review


def test_a_correction_without_a_note_is_refused_with_the_reason_and_nothing_changes(
    officer_client,
) -> None:
    application = journeys.submitted()
    client = officer_client(application)
    landed = act(
        client, application, action="correct", note="  ", step=task_id(application, "review")
    )
    assert "กรุณาระบุเหตุผลหรือสิ่งที่ต้องแก้ไข" in landed
    assert "กรุณาระบุเหตุผลหรือสิ่งที่ต้องแก้ไข" in landed
    assert "บันทึกแล้ว" not in landed
    application.refresh_from_db()
    assert application.status == Status.REVIEW
    assert application.correction_note == ""
    assert history(application) == [("application", "submit", "review")]
    assert list(step_sections(landed)) == ["review"]  # still waiting for the officer


def test_a_correction_with_a_note_goes_back_to_the_applicant(client, officer_client) -> None:
    application = journeys.submitted()
    officer = officer_client(application)
    landed = act(
        officer,
        application,
        action="correct",
        note="กรุณาแนบแผนผังที่แสดงทางหนีไฟ",
        step=task_id(application, "review"),
    )
    assert "บันทึกแล้ว" in landed
    assert step_sections(landed) == {}  # nothing waits for the officer now
    assert "แก้ไขคำขอแล้วยื่นใหม่" in landed  # ... but the page says what it waits at
    application.refresh_from_db()
    assert application.status == Status.CORRECTION
    assert history(application)[-1] == ("review", "correct", "correction")

    client.force_login(application.applicant)
    mine = client.get(f"/applications/{application.public_id}/").content.decode()
    assert "กรุณาแนบแผนผังที่แสดงทางหนีไฟ" in mine and "แก้ไขและยื่นคำขอ" in mine


def test_a_note_longer_than_the_limit_is_refused_with_the_limit(officer_client) -> None:
    application = journeys.submitted()
    client = officer_client(application)
    landed = act(
        client,
        application,
        action="reject",
        note="ก" * 2001,
        step=task_id(application, "review"),
    )
    assert "หมายเหตุยาวได้ไม่เกิน 2,000 ตัวอักษร" in landed
    application.refresh_from_db()
    assert application.status == Status.REVIEW


def test_an_action_the_step_does_not_offer_is_refused(officer_client) -> None:
    application = journeys.submitted()
    client = officer_client(application)
    landed = act(client, application, action="sign", step=task_id(application, "review"))
    assert "ไม่มีการดำเนินการ 'sign'" in landed and "approve, correct, reject" in landed
    application.refresh_from_db()
    assert application.status == Status.REVIEW


def test_an_inspection_step_takes_an_appointment_then_shows_it(
    client, officer_client, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    application = journeys.submitted(ServiceFactory(process_id="inspection_licence"))
    officer = officer_client(application)
    act(officer, application, action="approve", step=task_id(application, "review"))
    page = page_of(officer, application)
    inspection = step_sections(page)["inspection"]
    assert re.search(r'name="scheduled_for" type="datetime-local" value="" required', inspection)
    assert 'name="place"' in inspection
    assert buttons(inspection) == ["schedule", "pass", "fail"]
    assert "นัดตรวจ:" not in inspection
    step = task_id(application, "inspection")

    # A result before any appointment, and an appointment in the past, are refused.
    refused = act(officer, application, action="pass", step=step)
    assert "กรุณานัดวันตรวจก่อนบันทึกผล" in refused
    yesterday = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = act(officer, application, action="schedule", step=step, scheduled_for=yesterday)
    assert "วันนัดตรวจต้องไม่ใช่วันที่ผ่านมาแล้ว" in refused
    assert not Inspection.objects.exists()

    when = in_three_days_at_ten()
    with django_capture_on_commit_callbacks(execute=True):
        landed = act(
            officer,
            application,
            action="schedule",
            step=step,
            scheduled_for=when.strftime("%Y-%m-%dT%H:%M"),
            place="ร้านของผู้ยื่นคำขอ ซอยอารีย์ 1",
        )
    assert "บันทึกแล้ว" in landed
    inspection = step_sections(landed)["inspection"]
    shown = thai_date(when, with_time=True)
    assert f"นัดตรวจ: <strong>{shown}</strong> · ร้านของผู้ยื่นคำขอ ซอยอารีย์ 1" in inspection
    # The form starts from the appointment, to move it.
    assert f'value="{when.strftime("%Y-%m-%dT%H:%M")}"' in inspection
    application.refresh_from_db()
    assert application.status == Status.INSPECTION  # scheduling does not move the process
    assert history(application)[-1] == ("review", "approve", "inspection")
    assert any(shown in message.body for message in mailoutbox)

    client.force_login(application.applicant)
    mine = client.get(f"/applications/{application.public_id}/").content.decode()
    assert "นัดตรวจสถานที่" in mine and shown in mine

    # A failed inspection ends the application: a page of its own asks first, and
    # nothing is recorded until the officer ticks "I confirm".
    url = f"/backoffice/applications/{application.public_id}/decide/"
    asked = officer.post(url, {"action": "fail", "step": step, "note": "ท่อระบายน้ำอุดตัน"})
    assert asked.status_code == 200 and 'data-confirm="fail"' in asked.content.decode()
    assert "ยืนยันผลการตรวจไม่ผ่าน" in asked.content.decode()
    assert "ท่อระบายน้ำอุดตัน" in asked.content.decode()  # the findings kept
    unticked = officer.post(url, {"action": "fail", "step": step, "confirming": "1"})
    assert unticked.status_code == 400
    application.refresh_from_db()
    assert application.status == Status.INSPECTION
    refused = act(officer, application, action="fail", step=step, confirmed="on")
    assert "กรุณาระบุเหตุผล" in refused
    passed = act(officer, application, action="pass", step=step, note="สถานที่ถูกสุขลักษณะ")
    assert step_sections(passed) == {}
    application.refresh_from_db()
    assert application.status == Status.AWAITING_PAYMENT
    assert "ผ่าน" in page_of(officer, application)


def test_the_three_stages_of_a_factory_licence_each_show_their_own_actions(
    officer_client,
) -> None:
    application = journeys.submitted(ServiceFactory(process_id="three_stage_licence"))
    client = officer_client(application)

    def only_step(page: str) -> tuple[str, list[str]]:
        sections = step_sections(page)
        assert len(sections) == 1, list(sections)
        [(step, html)] = sections.items()
        return step, buttons(html)

    page = page_of(client, application)
    assert only_step(page) == ("document_check", ["approve", "correct", "reject"])
    assert ">เอกสารครบถ้วน</button>" in page
    page = act(client, application, action="approve", step="document_check")
    assert only_step(page) == ("inspection", ["schedule", "pass", "fail"])
    act(
        client,
        application,
        action="schedule",
        step="inspection",
        scheduled_for=in_three_days_at_ten().strftime("%Y-%m-%dT%H:%M"),
    )
    page = act(client, application, action="pass", step="inspection")
    assert only_step(page) == ("technical_review", ["approve", "reject"])
    assert ">เห็นควรอนุญาต</button>" in page
    page = act(client, application, action="approve", step="technical_review")
    assert only_step(page) == ("sign_off", ["approve", "return", "reject"])
    assert ">ลงนามอนุญาต</button>" in page and ">ส่งกลับพิจารณาใหม่</button>" in page

    page = act(client, application, action="return", step="sign_off")
    assert "กรุณาระบุเหตุผล" in page  # returning needs the reason
    page = act(client, application, action="return", step="sign_off", note="ตรวจค่ามลพิษใหม่")
    assert only_step(page) == ("technical_review", ["approve", "reject"])
    assert [step for step, _, _ in history(application)] == [
        "application",
        "document_check",
        "inspection",
        "technical_review",
        "sign_off",
    ]
    worklist = client.get("/backoffice/worklist/").content.decode()
    assert application.reference in worklist and "พิจารณาทางเทคนิค" in worklist


def test_parallel_steps_are_listed_each_with_its_own_actions(officer_client) -> None:
    workflow.publish_version(workflow.upload_version(PARALLEL_CHECKS.read_text(encoding="utf-8")))
    application = journeys.submitted(ServiceFactory(process_id="parallel_checks"))
    client = officer_client(application)
    sections = step_sections(page_of(client, application))
    assert set(sections) == {"document_check", "inspection"}
    assert buttons(sections["document_check"]) == ["approve", "remarks"]
    assert buttons(sections["inspection"]) == ["schedule", "pass", "fail"]
    for step, section in sections.items():
        assert f'name="step" value="{task_id(application, step)}"' in section

    # Without saying which step, an action is ambiguous and refused.
    refused = act(client, application, action="approve")
    assert "กรุณาระบุขั้นตอน (รออยู่:" in refused
    landed = act(client, application, action="approve", step=task_id(application, "document_check"))
    assert list(step_sections(landed)) == ["inspection"]
    application.refresh_from_db()
    assert history(application)[-1][:2] == ("document_check", "approve")


def test_a_rejection_is_recorded_only_after_the_officer_confirms_it(officer_client) -> None:
    """Reject asks for confirmation on a page of its own (no JavaScript): the note is
    kept there, and an unticked confirmation is refused in Thai and English."""
    application = journeys.submitted()
    client = officer_client(application)
    url = f"/backoffice/applications/{application.public_id}/decide/"
    step = task_id(application, "review")
    reason = "สถานที่ไม่ถูกสุขลักษณะ"

    asked = client.post(url, {"action": "reject", "note": reason, "step": step})
    assert asked.status_code == 200
    page = html.unescape(asked.content.decode())
    assert 'data-confirm="reject"' in page and "ยืนยันการปฏิเสธคำขอ" in page
    assert reason in page and 'name="confirmed"' in page and " required" in page
    application.refresh_from_db()
    assert application.status == Status.REVIEW and ("review", "reject", "rejected") not in (
        history(application)
    )

    unticked = client.post(
        url, {"action": "reject", "note": reason, "step": step, "confirming": "1"}
    )
    assert unticked.status_code == 400
    refused = unticked.content.decode()
    assert "กรุณายืนยันก่อนปฏิเสธคำขอ" in refused and 'aria-describedby="id_confirmed_error"' in (
        refused
    )
    assert 'id="id_confirmed_error"' in refused
    application.refresh_from_db()
    assert application.status == Status.REVIEW

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.post(
        url, {"action": "reject", "note": reason, "step": step, "confirming": "1"}
    ).content.decode()
    assert "Please confirm before rejecting the application" in english

    landed = act(
        client,
        application,
        action="reject",
        note=reason,
        step=step,
        confirming="1",
        confirmed="on",
    )
    assert "Recorded" in landed or "บันทึกแล้ว" in landed
    application.refresh_from_db()
    assert application.status == Status.REJECTED
    assert history(application)[-1] == ("review", "reject", "rejected")

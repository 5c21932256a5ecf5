"""Complaints and enquiries: routed to the agencies a case concerns, answered in a
thread, escalated once past the due date in Thai working days, closed with the event
surveys follow; bad input is refused with nothing written, and nobody outside the
case's agencies sees it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from bizportal.contact import selectors, services
from bizportal.contact.models import Case, CaseStatus, ContactEntry, Message
from bizportal.core import outbox, sweeps
from bizportal.core.models import AuditEvent, DomainEvent
from bizportal.identity.models import StaffRole
from bizportal.notifications.models import Notification
from bizportal.service_levels import calendar
from tests import journeys
from tests.factories import ApplicantFactory, OfficerFactory, ServiceFactory

pytestmark = pytest.mark.django_db

BANGKOK = dt.timezone(dt.timedelta(hours=7))


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=BANGKOK)


def filing(**overrides: object) -> services.Filing:
    fields: dict[str, object] = {
        "kind": "complaint",
        "category": "delay",
        "subject": "ยื่นคำขอแล้วไม่มีความคืบหน้า",
        "body": "ยื่นคำขอมาสามสัปดาห์แล้ว ยังไม่มีเจ้าหน้าที่ติดต่อกลับ",
    }
    fields.update(overrides)
    return services.Filing(**fields)  # type: ignore[arg-type]


def test_a_shared_complaint_is_routed_answered_escalated_and_closed() -> None:
    service = ServiceFactory()
    other = ServiceFactory()  # a second agency the complaint concerns
    service.agency.email = "saraban@a.go.th"
    service.agency.save()
    owner_officer = OfficerFactory(agency=service.agency, email="officer@a.go.th")
    supervisor = OfficerFactory(
        agency=service.agency, roles=[StaffRole.AGENCY_SUPERVISOR], email="head@a.go.th"
    )
    shared_officer = OfficerFactory(agency=other.agency, email="officer@b.go.th")
    person = ApplicantFactory()
    opened_on = dt.date(2026, 4, 1)
    with freeze_time(at(opened_on)):
        application = journeys.submitted(service, person)
        case = services.file_case(
            filing(application=application, also=(other.agency,)), person=person
        )
        outbox.deliver_pending(limit=1000)

    # Routed: the application's agency owns it, the other shares it.
    assert case.owner_agency == service.agency
    assert sorted(case.routing.values_list("agency__code", "role")) == sorted(
        [(service.agency.code, "owner"), (other.agency.code, "shared")]
    )
    assert case.due_on == calendar.add_working_days(opened_on, 15) == dt.date(2026, 4, 28)
    assert ContactEntry.objects.get(case=case).channel == "web"
    told = set(
        Notification.objects.filter(key="contact.officer").values_list("user__email", flat=True)
    )
    assert {"officer@a.go.th", "officer@b.go.th"} <= told
    assert Notification.objects.filter(key="contact.person", user=person).count() == 1

    # The sharing agency answers; it may not close (the owner coordinates).
    with freeze_time(at(dt.date(2026, 4, 3))):
        services.answer(case, shared_officer, "กำลังประสานงานกับหน่วยงานหลัก")
        outbox.deliver_pending(limit=1000)
    case.refresh_from_db()
    assert case.status == CaseStatus.ANSWERED and case.answered_at is not None
    assert Notification.objects.filter(key="contact.person", user=person).count() == 2
    with pytest.raises(PermissionDenied):
        services.close(case, actor=shared_officer, note="ไม่ใช่ของเรา")

    # The person writes again: the case is open for the agency again.
    services.reply(case, "ขอทราบกำหนดการ", person=person)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN

    # Past the due date: the owner's supervisors (and its mailbox) are told, once.
    mail.outbox.clear()
    with freeze_time(at(dt.date(2026, 4, 29))):
        assert services.escalate_overdue() == 1
        assert services.escalate_overdue() == 0
        outbox.deliver_pending(limit=1000)
    case.refresh_from_db()
    assert case.escalated_at is not None
    escalated = [m for m in mail.outbox if "เกินกำหนด" in m.subject]
    assert sorted(to for m in escalated for to in m.to) == ["head@a.go.th", "saraban@a.go.th"]
    assert "28 เมษายน 2569" in escalated[0].body
    assert AuditEvent.objects.filter(action="contact.case_escalated").count() == 1

    # The owner closes it: the event the satisfaction survey follows.
    with freeze_time(at(dt.date(2026, 4, 30))):
        services.close(case, actor=owner_officer, note="เร่งรัดการพิจารณาแล้ว อนุมัติวันนี้")
        outbox.deliver_pending(limit=1000)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_at is not None
    closed = DomainEvent.objects.get(name="contact.complaint_closed")
    assert closed.payload == {
        "complaint": str(case.public_id),
        "person": str(person.pk),
        "email": person.email,
        "service": service.slug,
    }
    assert Notification.objects.filter(key="contact.person", user=person).count() == 3
    with pytest.raises(ValidationError):
        services.reply(case, "อีกเรื่อง", person=person)
    actions = set(
        AuditEvent.objects.filter(object_id=str(case.public_id)).values_list("action", flat=True)
    )
    assert {
        "contact.case_opened",
        "contact.message_posted",
        "contact.case_escalated",
        "contact.case_closed",
    } <= actions
    assert supervisor.pk  # told above by email


def test_the_sweeper_escalates() -> None:
    assert "contact.escalations" in [s.name for s in sweeps.sweepers()]


def _codes(error: ValidationError) -> dict[str, list[str]]:
    return {name: [e.code or "" for e in errors] for name, errors in error.error_dict.items()}


def _exe_named_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("evidence.pdf", b"MZ\x90\x00" + b"\x00" * 200)


def test_bad_input_is_refused_with_nothing_written() -> None:
    service = ServiceFactory()
    person = ApplicantFactory()
    someone_else = journeys.submitted(service, ApplicantFactory())
    cases = [
        (filing(subject="   ", service=service), "subject", "required"),
        (filing(body="", service=service), "body", "required"),
        (filing(body="ก" * 4001, service=service), "body", "max_length"),
        (filing(subject="x" * 201, service=service), "subject", "max_length"),
        (filing(category="nonsense", service=service), "category", "invalid_choice"),
        (filing(), "service", "required"),
        (filing(application=someone_else), "application", "not_yours"),
    ]
    for bad, field, code in cases:
        with pytest.raises(ValidationError) as refused:
            services.file_case(bad, person=person)
        assert _codes(refused.value) == {field: [code]}, (field, refused.value)
        message = str(refused.value.error_dict[field][0].message)
        assert re.search("[\u0e00-\u0e7f]", message), (field, message)  # shown in Thai
    with pytest.raises(ValidationError) as refused:
        services.file_case(filing(service=service), person=None)  # anonymous, no email
    assert _codes(refused.value) == {"email": ["required"]}
    with pytest.raises(ValidationError) as refused:
        services.file_case(filing(service=service), person=person, attachment=_exe_named_pdf())
    assert _codes(refused.value) == {"attachment": ["file_type"]}
    assert Case.objects.count() == Message.objects.count() == ContactEntry.objects.count() == 0
    assert not DomainEvent.objects.filter(name__startswith="contact.").exists()


def test_a_complaint_about_someone_elses_application_leaks_nothing() -> None:
    service = ServiceFactory()
    theirs = journeys.submitted(service, ApplicantFactory(full_name_th="นางเจ้าของ ลับมาก"))
    client = Client()
    client.force_login(ApplicantFactory())
    response = client.post(
        reverse("contact:new"),
        {
            "kind": "complaint",
            "category": "delay",
            "subject": "เรื่องของคนอื่น",
            "body": "ลองดู",
            "application": str(theirs.public_id),
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "ไม่พบคำขอหรือใบอนุญาตนี้ในบัญชีของท่าน" in body
    assert theirs.reference not in body and "ลับมาก" not in body
    assert Case.objects.count() == 0


def test_an_anonymous_case_is_followed_by_its_link_only() -> None:
    service = ServiceFactory()
    officer = OfficerFactory(agency=service.agency)
    client = Client()
    response = client.post(
        reverse("contact:new"),
        {
            "kind": "enquiry",
            "category": "information",
            "subject": "เปิดร้านต้องใช้เอกสารอะไร",
            "body": "อยากทราบเอกสารที่ต้องใช้",
            "email": "someone@example.test",
            "service": service.slug,
            "attachment": journeys.pdf_upload("plan.pdf"),
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.person is None and case.kind == "enquiry" and case.sla_days == 5
    assert response["Location"] == selectors.follow_path(case)
    page = client.get(response["Location"])
    assert page.status_code == 200 and "เปิดร้านต้องใช้เอกสารอะไร" in page.content.decode()
    wrong = reverse("contact:follow", args=[case.public_id, "0" * 40])
    assert Client().get(wrong).status_code == 404
    message = case.messages.get()
    assert Client().get(f"{response['Location']}files/{message.public_id}/").status_code == 200
    # The receipt with the link went to the email given.
    outbox.deliver_pending(limit=1000)
    receipt = next(m for m in mail.outbox if m.to == ["someone@example.test"])
    assert selectors.follow_path(case) in receipt.body
    # The officer answers; the person replies through the link.
    services.answer(case, officer, "ใช้สำเนาบัตรประชาชนและแผนผังร้าน")
    assert client.post(response["Location"], {"body": "ขอบคุณครับ"}).status_code == 302
    assert [m.side for m in case.messages.all()] == ["person", "agency", "person"]


def test_an_officer_of_another_agency_sees_nothing() -> None:
    service = ServiceFactory()
    person = ApplicantFactory()
    case = services.file_case(filing(service=service, subject="ลับเฉพาะหน่วยงาน"), person=person)
    outsider = OfficerFactory()  # another agency
    client = Client()
    client.force_login(outsider)
    assert client.get(reverse("contact:staff-case", args=[case.public_id])).status_code == 404
    listing = client.get(reverse("contact:staff-cases"))
    assert listing.status_code == 200 and case.reference not in listing.content.decode()
    for action in ("answer", "close", "share"):
        response = client.post(
            reverse("contact:staff-case-act", args=[case.public_id]),
            {"action": action, "body": "x", "note": "x", "agency": outsider.agency.code},
        )
        assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        services.answer(case, outsider, "ไม่ใช่เรื่องของเรา")
    # Another entrepreneur neither.
    stranger = Client()
    stranger.force_login(ApplicantFactory())
    assert stranger.get(reverse("contact:case", args=[case.public_id])).status_code == 404
    # The owner's officer does, and the read is audited.
    insider = Client()
    officer = OfficerFactory(agency=service.agency)
    insider.force_login(officer)
    before = AuditEvent.objects.count()
    page = insider.get(reverse("contact:staff-case", args=[case.public_id]))
    assert page.status_code == 200 and "ลับเฉพาะหน่วยงาน" in page.content.decode()
    assert (
        AuditEvent.objects.filter(pk__gt=0).order_by("-seq").first().action == "contact.case_viewed"
    )
    assert AuditEvent.objects.count() == before + 1


def test_officers_answer_share_and_close_through_the_page() -> None:
    service = ServiceFactory()
    other = ServiceFactory()
    person = ApplicantFactory()
    case = services.file_case(filing(service=service), person=person)
    officer = OfficerFactory(agency=service.agency)
    client = Client()
    client.force_login(officer)
    act = reverse("contact:staff-case-act", args=[case.public_id])
    assert client.post(act, {"action": "answer", "body": ""}).status_code == 400
    bad = client.post(act, {"action": "answer", "body": "ดูไฟล์", "attachment": _exe_named_pdf()})
    assert bad.status_code == 400 and "PDF, JPEG" in bad.content.decode()
    assert client.post(act, {"action": "answer", "body": "ได้รับเรื่องแล้ว"}).status_code == 302
    assert client.post(act, {"action": "share", "agency": other.agency.code}).status_code == 302
    assert client.post(act, {"action": "share", "agency": other.agency.code}).status_code == 400
    assert client.post(act, {"action": "close", "note": "ดำเนินการแล้ว"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "closed" and case.routing.count() == 2
    # The person sees the status in their portal pages.
    mine = Client()
    mine.force_login(person)
    listing = mine.get(reverse("contact:cases")).content.decode()
    assert case.reference in listing and 'data-status="closed"' in listing
    detail = mine.get(reverse("contact:case", args=[case.public_id])).content.decode()
    assert "ดำเนินการแล้ว" in detail and "ได้รับเรื่องแล้ว" in detail

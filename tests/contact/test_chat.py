"""Live chat: presence that lapses, a queue with positions, pick-up, a hand-over between
two officers with the transcript following, the transcript in the contact log when the
chat ends, the message thread when nobody is online; bad input refused with nothing
stored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import translation
from freezegun import freeze_time

from bizportal.contact import chat
from bizportal.contact.models import (
    Case,
    ChatMessage,
    ChatSession,
    ChatStatus,
    ContactEntry,
    OfficerPresence,
)
from bizportal.core.models import AuditEvent
from tests import journeys
from tests.factories import ApplicantFactory, OfficerFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    return sorted(
        AuditEvent.objects.filter(action__startswith="contact.chat").values_list(
            "action", flat=True
        )
    )


def test_a_chat_handed_between_two_officers_ends_in_the_contact_log() -> None:
    service = ServiceFactory()
    first = OfficerFactory(agency=service.agency, full_name_th="สมชาย ใจดี")
    second = OfficerFactory(agency=service.agency, full_name_th="สมหญิง รักงาน")
    person = ApplicantFactory()
    other_person = ApplicantFactory()
    application = journeys.submitted(service, person)
    chat.mark_available(first)
    chat.mark_available(second)

    session = chat.start(person, topic="สอบถามเอกสาร", application=application)
    later = chat.start(other_person, topic="ค่าธรรมเนียม", service=service)
    assert session.agency == service.agency
    assert (chat.queue_position(session), chat.queue_position(later)) == (1, 2)
    # Asking again returns the open chat, not a second place in the queue.
    assert chat.start(person, topic="อีกครั้ง", service=service) == session

    assert chat.pick_up_next(first) == session
    later.refresh_from_db()
    assert chat.queue_position(later) == 1
    chat.post(session, person, "ต้องใช้สำเนาทะเบียนบ้านไหมครับ")
    chat.post(session, first, "ต้องใช้ครับ")
    # The other officer reads the chat but does not answer it.
    with pytest.raises(PermissionDenied):
        chat.post(session, second, "ผมเอง")

    chat.hand_over(session, first, second)
    with pytest.raises(PermissionDenied):
        chat.post(session, first, "ยังอยู่ไหม")
    chat.post(session, second, "รับช่วงต่อครับ ต้องใช้ฉบับจริงด้วย")
    state = chat.state(session)
    assert state["officer"] == "สมหญิง รักงาน"
    assert [m["side"] for m in state["messages"]] == [
        "system",
        "person",
        "agency",
        "system",
        "agency",
    ]

    chat.end(session, second)
    session.refresh_from_db()
    assert session.status == ChatStatus.ENDED
    entry = ContactEntry.objects.get(chat=session)
    assert entry.channel == "chat"
    assert entry.person == person
    assert entry.application == application
    assert entry.logged_by == second
    # The whole transcript, from before and after the hand-over.
    for line in ("ต้องใช้สำเนาทะเบียนบ้านไหมครับ", "ต้องใช้ครับ", "รับช่วงต่อครับ", "ส่งต่อ"):
        assert line in entry.summary
    assert actions() == sorted(
        [
            "contact.chat_available",
            "contact.chat_available",
            "contact.chat_started",
            "contact.chat_started",
            "contact.chat_picked_up",
            "contact.chat_message",
            "contact.chat_message",
            "contact.chat_handed_over",
            "contact.chat_message",
            "contact.chat_ended",
        ]
    )
    with pytest.raises(ValidationError):
        chat.post(session, person, "ขอบคุณครับ")


def test_presence_lapses_and_nobody_online_offers_the_message_thread() -> None:
    service = ServiceFactory()
    officer = OfficerFactory(agency=service.agency)
    person = ApplicantFactory()
    with freeze_time("2026-05-04 03:00:00"):
        chat.mark_available(officer)
        assert chat.officers_online(service.agency) == [officer]
    with freeze_time("2026-05-04 03:05:00"):  # not refreshed for five minutes
        assert chat.officers_online(service.agency) == []
        with pytest.raises(ValidationError) as refused:
            chat.start(person, topic="สอบถาม", service=service)
        assert refused.value.error_dict["topic"][0].code == "nobody_online"
        assert "ขณะนี้ไม่มีเจ้าหน้าที่ออนไลน์" in str(refused.value)
        with translation.override("en"):
            assert "No officer is online" in str(refused.value)
        assert not ChatSession.objects.exists()
        case = chat.to_enquiry(person, topic="สอบถาม", body="ขอทราบขั้นตอน", service=service)
    assert case.kind == "enquiry"
    assert case.owner_agency == service.agency
    assert case.person == person


def test_a_waiting_chat_moves_to_the_message_thread() -> None:
    service = ServiceFactory()
    officer = OfficerFactory(agency=service.agency)
    person = ApplicantFactory()
    chat.mark_available(officer)
    session = chat.start(person, topic="สอบถาม", service=service)
    chat.post(session, person, "มีใครอยู่ไหม")
    chat.mark_away(officer)
    case = chat.to_enquiry(person, topic="สอบถาม", body="ฝากข้อความไว้", service=service)
    session.refresh_from_db()
    assert session.status == ChatStatus.MOVED
    assert session.case == case
    assert chat.pick_up_next(officer) is None


@pytest.mark.parametrize("body", ["", "   ", "ก" * 1001])
def test_an_empty_or_too_long_message_is_refused_and_nothing_is_stored(body: str) -> None:
    service = ServiceFactory()
    officer = OfficerFactory(agency=service.agency)
    person = ApplicantFactory()
    chat.mark_available(officer)
    session = chat.start(person, topic="สอบถาม", service=service)
    before = ChatMessage.objects.count(), AuditEvent.objects.count()
    with override_settings(CHAT_MAX_MESSAGE=1000):
        with pytest.raises(ValidationError) as refused:
            chat.post(session, person, body)
        text = str(refused.value)
        with translation.override("en"):
            with pytest.raises(ValidationError) as refused:
                chat.post(session, person, body)
            english = str(refused.value)
    assert ("กรุณาพิมพ์ข้อความ" in text) or ("ข้อความยาวเกิน 1,000 ตัวอักษร" in text)
    assert ("Please type a message" in english) or ("longer than 1,000 characters" in english)
    assert (ChatMessage.objects.count(), AuditEvent.objects.count()) == before


def test_nobody_reads_or_writes_in_someone_elses_chat() -> None:
    service = ServiceFactory()
    officer = OfficerFactory(agency=service.agency)
    stranger_officer = OfficerFactory()  # another agency
    person = ApplicantFactory()
    stranger = ApplicantFactory()
    chat.mark_available(officer)
    chat.mark_available(stranger_officer)
    session = chat.start(person, topic="สอบถาม", service=service)
    with pytest.raises(PermissionDenied):
        chat.post(session, stranger, "แอบดู")
    with pytest.raises(PermissionDenied):
        chat.end(session, stranger)
    with pytest.raises(PermissionDenied):
        chat.end(session, stranger_officer)
    # The other agency's officer cannot pick it up either.
    assert chat.pick_up_next(stranger_officer) is None
    # A hand-over only to an online officer of the same agency.
    chat.pick_up_next(officer)
    with pytest.raises(ValidationError):
        chat.hand_over(session, officer, stranger_officer)
    with pytest.raises(PermissionDenied):
        chat.mark_available(person)
    assert ChatMessage.objects.filter(session=session, side="person").count() == 0


def test_presence_is_refreshed_not_duplicated() -> None:
    officer = OfficerFactory()
    start = dt.datetime(2026, 5, 4, 3, 0, tzinfo=dt.UTC)
    with freeze_time(start):
        chat.mark_available(officer)
    with freeze_time(start + dt.timedelta(seconds=60)):
        chat.mark_available(officer)
    with freeze_time(start + dt.timedelta(seconds=170)):
        assert chat.is_available(officer)
    assert OfficerPresence.objects.count() == 1
    assert AuditEvent.objects.filter(action="contact.chat_available").count() == 1
    assert not Case.objects.exists()


def test_the_portals_own_lines_are_in_the_language_the_chat_was_asked_in() -> None:
    service = ServiceFactory()
    officer = OfficerFactory(agency=service.agency, full_name_th="สมชาย ใจดี")
    chat.mark_available(officer)
    with translation.override("en"):
        english = chat.start(ApplicantFactory(), topic="Documents", service=service)
    thai = chat.start(ApplicantFactory(), topic="เอกสาร", service=service)
    assert (english.language, thai.language) == ("en", "th")
    chat.pick_up_next(officer)  # the officer's page is in Thai; the person's line is not
    chat.pick_up_next(officer)
    lines = [m["body"] for m in chat.state(english)["messages"]]
    assert lines == ["สมชาย ใจดี has joined the chat"]
    lines = [m["body"] for m in chat.state(thai)["messages"]]
    assert lines == ["สมชาย ใจดี รับการสนทนาแล้ว"]

"""The chat pages without JavaScript: forms post, the pages reload; nobody online
offers the message thread; the officer's desk takes the next chat, hands it over and
ends it; someone else's chat is 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bizportal.contact import chat
from bizportal.contact.models import Case, ChatMessage, ChatSession, ContactEntry
from tests.factories import ApplicantFactory, OfficerFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_a_chat_round_trip_through_the_pages() -> None:
    service = ServiceFactory()
    first = OfficerFactory(agency=service.agency, full_name_th="สมชาย ใจดี")
    second = OfficerFactory(agency=service.agency, full_name_th="สมหญิง รักงาน")
    person = ApplicantFactory()
    desk, colleague, me = signed_in(first), signed_in(second), signed_in(person)

    desk.post(reverse("contact:chat-desk"), {"action": "available"})
    colleague.post(reverse("contact:chat-desk"), {"action": "available"})
    response = me.post(reverse("contact:chat"), {"service": service.slug, "topic": "เอกสาร"})
    session = ChatSession.objects.get(person=person)
    assert response.url == reverse("contact:chat-session", args=[session.public_id])
    page = me.get(response.url).content.decode()
    assert 'data-value="position">1<' in page
    assert "chat.js" in page

    assert "data-waiting>1<" in desk.get(reverse("contact:chat-desk")).content.decode()
    picked = desk.post(reverse("contact:chat-desk"), {"action": "pick_up"})
    staff_url = reverse("contact:staff-chat", args=[session.public_id])
    assert picked.url == staff_url

    mine = reverse("contact:chat-session", args=[session.public_id])
    assert me.post(mine, {"action": "post", "body": "ต้องใช้อะไรบ้าง"}).status_code == 302
    # Too long: refused on the page, in the page's language, nothing stored.
    refused = me.post(mine, {"action": "post", "body": "ก" * 5000})
    assert refused.status_code == 400
    assert "ข้อความยาวเกิน" in refused.content.decode()
    refused = me.post(mine, {"action": "post", "body": "ก" * 5000}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert "The message is longer than" in refused.content.decode()
    assert ChatMessage.objects.filter(session=session, side="person").count() == 1

    page = desk.get(staff_url).content.decode()
    assert "ต้องใช้อะไรบ้าง" in page
    desk.post(staff_url, {"action": "post", "body": "บัตรประชาชนครับ"})
    desk.post(staff_url, {"action": "hand_over", "to": str(second.public_id)})
    colleague.post(staff_url, {"action": "post", "body": "ต่อจากเพื่อนครับ"})
    colleague.post(staff_url, {"action": "end"})
    assert desk.post(staff_url, {"action": "hand_over", "to": "not-an-id"}).status_code == 400
    entry = ContactEntry.objects.get(chat=session)
    assert entry.channel == "chat"
    assert "บัตรประชาชนครับ" in entry.summary and "ต่อจากเพื่อนครับ" in entry.summary


def test_nobody_online_offers_the_message_thread() -> None:
    service = ServiceFactory()
    person = ApplicantFactory()
    me = signed_in(person)
    response = me.post(reverse("contact:chat"), {"service": service.slug, "topic": "สอบถาม"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "ไม่มีเจ้าหน้าที่ออนไลน์" in page
    assert reverse("contact:chat-enquiry") in page
    sent = me.post(
        reverse("contact:chat-enquiry"),
        {"service": service.slug, "topic": "สอบถาม", "body": "ขอทราบขั้นตอน"},
    )
    case = Case.objects.get(person=person)
    assert sent.url == reverse("contact:case", args=[case.public_id])
    assert case.kind == "enquiry"


def test_someone_elses_chat_is_not_found() -> None:
    service = ServiceFactory()
    officer = OfficerFactory(agency=service.agency)
    chat.mark_available(officer)
    session = chat.start(ApplicantFactory(), topic="ส่วนตัว", service=service)
    stranger = signed_in(ApplicantFactory())
    other_agency = signed_in(OfficerFactory())
    assert (
        stranger.get(reverse("contact:chat-session", args=[session.public_id])).status_code == 404
    )
    assert (
        other_agency.get(reverse("contact:staff-chat", args=[session.public_id])).status_code == 404
    )
    assert signed_in(officer).get(reverse("contact:chat")).status_code == 404

"""The helpdesk's contact log (searched by person, application, channel, type and
time, keyset-paginated), the lists' query counts, and the message thread of an
application on both sides' pages."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from bizportal.contact import selectors, services
from bizportal.contact.models import ContactEntry, Message
from bizportal.core import outbox
from bizportal.identity.models import StaffRole
from bizportal.notifications.models import Notification
from bizportal.privacy import services as privacy
from tests import journeys
from tests.factories import ApplicantFactory, OfficerFactory, ServiceFactory, StaffFactory

pytestmark = pytest.mark.django_db

BANGKOK = dt.timezone(dt.timedelta(hours=7))


def helpdesk() -> object:
    return StaffFactory(roles=[StaffRole.HELPDESK])


def test_the_helpdesk_logs_contacts_and_finds_them_again() -> None:
    staff = helpdesk()
    person = ApplicantFactory()
    application = journeys.submitted(ServiceFactory(), person)
    stranger_app = journeys.submitted(ServiceFactory())
    with freeze_time(dt.datetime(2026, 5, 6, 9, tzinfo=BANGKOK)):
        hotline = services.log_contact(
            services.Contact(
                channel="hotline",
                type="follow_up",
                summary="ถามความคืบหน้าคำขอ",
                person_key=person.citizen_id,
                application_reference=application.reference or "",
            ),
            actor=staff,  # type: ignore[arg-type]
        )
    with freeze_time(dt.datetime(2026, 5, 7, 9, tzinfo=BANGKOK)):
        services.log_contact(
            services.Contact(channel="walk_in", type="help", summary="ลืมรหัสผ่าน"),
            actor=staff,  # type: ignore[arg-type]
        )
        services.log_contact(
            services.Contact(
                channel="chat", type="enquiry", summary="ค่าธรรมเนียม", person_key="0812345678"
            ),
            actor=staff,  # type: ignore[arg-type]
        )
    assert hotline.person == person and hotline.application == application
    # Someone else's application cannot be tied to this caller; nothing is written.
    with pytest.raises(ValidationError) as refused:
        services.log_contact(
            services.Contact(
                channel="hotline",
                type="follow_up",
                summary="x",
                person_key=person.citizen_id,
                application_reference=stranger_app.reference or "",
            ),
            actor=staff,  # type: ignore[arg-type]
        )
    assert "application_reference" in refused.value.error_dict
    with pytest.raises(ValidationError):
        services.log_contact(
            services.Contact(channel="fax", type="help", summary="x"),
            actor=staff,  # type: ignore[arg-type]
        )
    assert ContactEntry.objects.count() == 3

    def found(**query: object) -> list[str]:
        page = selectors.search_log(selectors.LogQuery(**query))  # type: ignore[arg-type]
        return [entry.summary for entry in page.items]

    assert found(person=person.citizen_id) == ["ถามความคืบหน้าคำขอ"]
    assert found(person="0812345678") == ["ค่าธรรมเนียม"]
    assert found(application=application.reference) == ["ถามความคืบหน้าคำขอ"]
    assert found(channel="walk_in") == ["ลืมรหัสผ่าน"]
    assert found(type="enquiry") == ["ค่าธรรมเนียม"]
    assert found(since=dt.date(2026, 5, 7)) == ["ค่าธรรมเนียม", "ลืมรหัสผ่าน"]
    assert found(until=dt.date(2026, 5, 6)) == ["ถามความคืบหน้าคำขอ"]
    # Keyset pages: newest first, each row once.
    first = selectors.search_log(selectors.LogQuery(), size=2)
    second = selectors.search_log(selectors.LogQuery(), cursor=first.next_cursor, size=2)
    assert [e.summary for e in first.items + second.items] == [
        "ค่าธรรมเนียม",
        "ลืมรหัสผ่าน",
        "ถามความคืบหน้าคำขอ",
    ]
    assert second.next_cursor == ""
    with pytest.raises(ValidationError):
        selectors.search_log(selectors.LogQuery(), cursor="bm90LWEtY3Vyc29y")

    # The page: search, a bad filter and a bad cursor answer 400, the read is audited.
    client = Client()
    client.force_login(staff)
    page = client.get(reverse("contact:log"), {"channel": "hotline"})
    assert page.status_code == 200 and "ถามความคืบหน้าคำขอ" in page.content.decode()
    assert "ลืมรหัสผ่าน" not in page.content.decode()
    assert client.get(reverse("contact:log"), {"since": "yesterday"}).status_code == 400
    assert client.get(reverse("contact:log"), {"after": "%%%"}).status_code == 400
    logged = client.post(
        reverse("contact:log"), {"channel": "chat", "type": "help", "summary": "สอบถามวิธีใช้"}
    )
    assert logged.status_code == 302 and ContactEntry.objects.count() == 4
    assert (
        client.post(reverse("contact:log"), {"channel": "chat", "type": "help"}).status_code == 400
    )
    # An agency officer does not reach the log.
    officer = Client()
    officer.force_login(OfficerFactory())
    assert officer.get(reverse("contact:log")).status_code == 404


def test_the_helpdesk_files_for_a_caller_and_follows_every_agencys_cases() -> None:
    staff = helpdesk()
    service = ServiceFactory()
    person = ApplicantFactory()
    application = journeys.submitted(service, person)
    client = Client()
    client.force_login(staff)
    response = client.post(
        reverse("contact:helpdesk-new"),
        {
            "channel": "hotline",
            "person_key": person.citizen_id,
            "kind": "complaint",
            "category": "conduct",
            "subject": "เจ้าหน้าที่ไม่รับสาย",
            "body": "โทรไปหลายครั้ง",
            "application_reference": application.reference,
        },
    )
    assert response.status_code == 302
    case = person.contact_cases.get()
    assert case.channel == "hotline" and case.logged_by == staff and case.application == application
    listing = client.get(reverse("contact:staff-cases"))
    assert case.reference in listing.content.decode()
    assert client.get(reverse("contact:staff-case", args=[case.public_id])).status_code == 200
    # The helpdesk follows but does not answer for the agency.
    act = reverse("contact:staff-case-act", args=[case.public_id])
    assert client.post(act, {"action": "close", "note": "x"}).status_code == 403


def _cases(service: object, count: int) -> None:
    for n in range(count):
        services.file_case(
            services.Filing(
                kind="complaint",
                category="delay",
                subject=f"เรื่องที่ {n}",
                body="รายละเอียด",
                service=service,  # type: ignore[arg-type]
            ),
            person=ApplicantFactory(),
        )


def _entries(staff: object, count: int) -> None:
    for n in range(count):
        services.log_contact(
            services.Contact(channel="hotline", type="help", summary=f"สาย {n}"),
            actor=staff,  # type: ignore[arg-type]
        )


def _page_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_lists_read_the_same_number_of_queries_for_1_and_12_rows(
    django_assert_num_queries: Any,
) -> None:
    service = ServiceFactory()
    officer = OfficerFactory(agency=service.agency)
    staff = helpdesk()
    officer_client, helpdesk_client = Client(), Client()
    officer_client.force_login(officer)
    helpdesk_client.force_login(staff)
    counts: dict[str, list[int]] = {"cases": [], "log": [], "helpdesk cases": []}
    for count in (1, 11):  # 1 row, then 12
        _cases(service, count)
        _entries(staff, count)
        fresh = type(officer).objects.get(pk=officer.pk)  # roles not read yet
        with django_assert_num_queries(2):  # the roles, then the page of cases
            selectors.cases_for_staff(fresh)
        with django_assert_num_queries(1):
            selectors.search_log(selectors.LogQuery())
        counts["cases"].append(_page_queries(officer_client, reverse("contact:staff-cases")))
        counts["log"].append(_page_queries(helpdesk_client, reverse("contact:log")))
        counts["helpdesk cases"].append(
            _page_queries(helpdesk_client, reverse("contact:staff-cases"))
        )
    assert len(selectors.cases_for_staff(officer).items) == 12
    assert all(first == second for first, second in counts.values()), counts


def test_the_application_thread_on_both_sides() -> None:
    service = ServiceFactory()
    person = ApplicantFactory()
    application = journeys.submitted(service, person)
    officer = OfficerFactory(agency=service.agency, email="officer@agency.go.th")
    applicant = Client()
    applicant.force_login(person)
    post = reverse("contact:application-message", args=[application.public_id])
    response = applicant.post(
        post, {"body": "ต้องส่งเอกสารเพิ่มหรือไม่", "attachment": journeys.pdf_upload("map.pdf")}
    )
    assert response.status_code == 302 and response["Location"].endswith("#messages")
    outbox.deliver_pending(limit=1000)
    assert Notification.objects.filter(key="contact.application_message", user=officer).exists()
    staff = Client()
    staff.force_login(officer)
    page = staff.get(reverse("backoffice:application", args=[application.public_id]))
    assert "ต้องส่งเอกสารเพิ่มหรือไม่" in page.content.decode()
    message = Message.objects.get()
    file_url = reverse(
        "contact:officer-application-file", args=[application.public_id, message.public_id]
    )
    assert file_url in page.content.decode()
    assert staff.get(file_url).status_code == 200
    answer = reverse("contact:officer-application-message", args=[application.public_id])
    assert staff.post(answer, {"body": "ไม่ต้องครับ"}).status_code == 302
    outbox.deliver_pending(limit=1000)
    assert Notification.objects.filter(key="contact.application_message", user=person).exists()
    mine = applicant.get(reverse("portal:application", args=[application.public_id]))
    assert "ไม่ต้องครับ" in mine.content.decode()
    assert [m.side for m in Message.objects.order_by("created_at")] == ["person", "agency"]
    # Empty and too long are refused; others may not write or read.
    applicant.post(post, {"body": ""})
    applicant.post(post, {"body": "ก" * 4001})
    assert Message.objects.count() == 2
    stranger = Client()
    stranger.force_login(ApplicantFactory())
    assert stranger.post(post, {"body": "สวัสดี"}).status_code == 404
    other_officer = Client()
    other_officer.force_login(OfficerFactory())
    assert other_officer.post(answer, {"body": "สวัสดี"}).status_code == 404
    assert other_officer.get(file_url).status_code == 404
    assert Message.objects.count() == 2


def test_the_persons_contact_data_is_in_their_export() -> None:
    person = ApplicantFactory()
    case = services.file_case(
        services.Filing(
            kind="enquiry",
            category="fees",
            subject="ค่าธรรมเนียมเท่าไร",
            body="สอบถามค่าธรรมเนียม",
            service=ServiceFactory(),
        ),
        person=person,
    )
    exported = json.loads(privacy.export_json(person))
    (mine,) = exported["contact"]["cases"]
    assert mine["reference"] == case.reference
    assert mine["messages"][0]["body"] == "สอบถามค่าธรรมเนียม"
    assert exported["contact"]["contacts"][0]["channel"] == "web"
    assert timezone.now()

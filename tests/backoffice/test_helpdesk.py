"""The helpdesk look-up: staff find a person's applications by reference or citizen ID
only with a recorded reason, see status and history but no answers or documents, and
every look-up is in the audit trail and the person's data tracker."""

from __future__ import annotations

import pytest
from django.test import Client

from bizportal.core.models import AuditEvent
from bizportal.identity.models import StaffRole
from tests import journeys
from tests.factories import ApplicantFactory, OfficerFactory, ServiceFactory, StaffFactory

pytestmark = pytest.mark.django_db

REASON = "โทรสอบถามสถานะ สายเลขที่ 1111-0042"


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    person = ApplicantFactory(full_name_th="นางสายใจ โทรมาถาม")
    application = journeys.submitted(ServiceFactory(), person)
    helpdesk = StaffFactory(roles=[StaffRole.HELPDESK], full_name_th="ปรีดา ช่วยเหลือ")
    client = Client()
    client.force_login(helpdesk)
    return {"person": person, "application": application, "helpdesk": helpdesk, "client": client}


def look(client: Client, query: str, reason: str = REASON):  # type: ignore[no-untyped-def]
    return client.post("/backoffice/helpdesk/", {"query": query, "reason": reason})


def test_a_look_up_by_reference_shows_status_and_history_not_documents(world) -> None:
    application = world["application"]
    response = look(world["client"], application.reference.lower())
    assert response.status_code == 200
    page = response.content.decode()
    assert application.reference in page
    assert application.get_status_display() in page or "status-submitted" in page
    assert "/documents/" not in page and "evidence" not in page
    answers = [v for v in application.data.values() if isinstance(v, str) and len(v) > 3]
    # The answers stay out (the applicant's own name may show as who submitted).
    for value in set(answers) - {world["person"].full_name_th}:
        assert value not in page
    event = AuditEvent.objects.get(action="application.looked_up_by_helpdesk")
    assert event.object_id == str(application.public_id)
    assert event.data == {"reason": REASON, "query": "reference"}
    assert event.actor == world["helpdesk"]


def test_a_look_up_by_citizen_id_shows_every_submitted_application(world) -> None:
    person = world["person"]
    second = journeys.submitted(ServiceFactory(), person)
    journeys.start(ServiceFactory(), person)  # a draft: not the helpdesk's business
    response = look(world["client"], person.citizen_id)
    assert response.status_code == 200
    page = response.content.decode()
    assert world["application"].reference in page and second.reference in page
    assert AuditEvent.objects.filter(action="application.looked_up_by_helpdesk").count() == 2


def test_the_look_up_appears_in_the_persons_data_tracker(world) -> None:
    look(world["client"], world["application"].reference)
    mine = Client()
    mine.force_login(world["person"])
    page = mine.get("/account/privacy/accesses/").content.decode()
    assert "ปรีดา ช่วยเหลือ" in page
    assert world["application"].reference in page
    assert REASON in page


@pytest.mark.parametrize(
    ("query", "reason", "message"),
    [
        ("BP-2569-000001", "", "กรุณาบันทึกเหตุผล"),
        ("BP-2569-000001", "ถาม", "อย่างน้อย 10"),
        ("BP-0000-000000", REASON, "ไม่มีคำขอเลขที่นี้"),
        ("1234567890123", REASON, "เลขประจำตัวประชาชน"),
        ("12345", REASON, "เลขประจำตัวประชาชน"),
        ("", REASON, "กรุณาระบุเลขที่คำขอหรือเลขประจำตัวประชาชน"),
    ],
)
def test_bad_look_ups_are_refused_with_a_reason_and_nothing_is_recorded(
    world, query: str, reason: str, message: str
) -> None:
    response = look(world["client"], query, reason)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "คำขอที่พบ" not in response.content.decode()
    assert not AuditEvent.objects.filter(action="application.looked_up_by_helpdesk").exists()


def test_a_person_with_no_applications_is_named_as_such(world) -> None:
    nobody = ApplicantFactory()
    response = look(world["client"], nobody.citizen_id)
    assert response.status_code == 400
    assert "ไม่มีคำขอที่ยื่นแล้ว" in response.content.decode()


@pytest.mark.parametrize(
    "roles", [[StaffRole.AGENCY_OFFICER], [StaffRole.EXECUTIVE], [StaffRole.FINANCE]]
)
def test_only_helpdesk_and_counter_staff_reach_the_look_up(world, roles) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(OfficerFactory(roles=roles))
    assert client.get("/backoffice/helpdesk/").status_code in (403, 404)
    assert look(client, world["application"].reference).status_code in (403, 404)
    entrepreneur = Client()
    entrepreneur.force_login(world["person"])
    assert look(entrepreneur, world["application"].reference).status_code in (403, 404)
    counter = Client()
    counter.force_login(StaffFactory(roles=[StaffRole.COUNTER_OFFICER]))
    assert counter.get("/backoffice/helpdesk/").status_code == 200
    assert not AuditEvent.objects.filter(action="application.looked_up_by_helpdesk").exists()

"""The data tracker: a person sees every access to their data, through the exchange and
in the back office, newest first, with the officer's name; exports it; withdraws a
consent, which the gateway applies to the very next request."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from bizportal.exchange import gateway, services
from bizportal.exchange.gateway import Consumer, Purpose, Refused
from bizportal.exchange.models import DataService, MissionRule
from bizportal.identity.models import StaffRole
from tests.factories import (
    AgencyFactory,
    ApplicantFactory,
    ApplicationFactory,
    OfficerFactory,
    ServiceFactory,
)
from tests.sandbox_idp.helpers import PERSON, Live

pytestmark = [pytest.mark.django_db, pytest.mark.live]


@pytest.fixture
def world(live: Live):  # type: ignore[no-untyped-def]
    dopa = AgencyFactory(code="dopa-t", name_th="กรมการปกครอง", name_en="DOPA")
    bma = AgencyFactory(code="bma-t", name_th="กรุงเทพมหานคร", name_en="Bangkok")
    civil = DataService.objects.update_or_create(
        code="civil-person",
        defaults={
            "provider": dopa,
            "name_th": "ข้อมูลทะเบียนราษฎร",
            "name_en": "Civil registry",
            "subject_kind": "person",
            "fields": [{"name": n, "pdpa": "personal"} for n in ("full_name_th", "birth_date")],
            "legal_basis_th": "พ.ร.บ. การทะเบียนราษฎร",
            "connector": "civil_registry",
        },
    )[0]
    MissionRule.objects.create(
        agency=bma, data_service=civil, fields=["full_name_th"], legal_basis_th="มาตรา 56"
    )
    officer = OfficerFactory(
        agency=bma, roles=[StaffRole.AGENCY_OFFICER], full_name_th="วิชัย สุขาภิบาล"
    )
    person = ApplicantFactory(citizen_id=PERSON.citizen_id)
    return {"bma": bma, "civil": civil, "officer": officer, "person": person}


def _tracker(user) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    response = client.get("/account/privacy/accesses/")
    assert response.status_code == 200
    return response.content.decode()


def test_every_access_shows_newest_first_with_the_officers_name(world) -> None:
    officer, person = world["officer"], world["person"]
    gateway.fetch(
        Consumer("bma-t", "backoffice", officer),
        "civil-person",
        PERSON.citizen_id,
        ["full_name_th"],
        Purpose(service="food-shop", step="review"),
    )
    with pytest.raises(Refused):
        gateway.fetch(
            Consumer("bma-t", "backoffice", officer),
            "civil-person",
            PERSON.citizen_id,
            ["birth_date"],
            Purpose(service="food-shop", step="review"),
        )
    application = ApplicationFactory(
        applicant=person, service=ServiceFactory(agency=world["bma"]), submitted=True
    )
    staff = Client()
    staff.force_login(officer)
    assert staff.get(f"/backoffice/applications/{application.public_id}/").status_code == 200

    page = _tracker(person)
    rows = page.split('<tr data-access="')[1:]
    assert len(rows) == 3, page
    assert f"เปิดดูคำขอ {application.reference}" in rows[0]
    assert "ปฏิเสธ" in rows[1] and "birth_date" in rows[1]
    assert "ได้รับข้อมูล" in rows[2] and "อำนาจหน้าที่ตามกฎหมาย" in rows[2]
    assert all("วิชัย สุขาภิบาล" in row and "กรุงเทพมหานคร" in row for row in rows)

    csv = Client()
    csv.force_login(person)
    body = csv.get("/account/privacy/accesses.csv").content.decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("เวลา,ผู้เข้าถึง,หน่วยงาน")
    assert len(lines) == 4

    pdf = csv.get("/account/privacy/accesses.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    from pyhanko.pdf_utils.reader import PdfFileReader

    assert PdfFileReader(io.BytesIO(pdf.content)).root["/Pages"]["/Count"] >= 1


def test_another_person_sees_none_of_it(world) -> None:
    gateway.fetch(
        Consumer("bma-t", "backoffice", world["officer"]),
        "civil-person",
        PERSON.citizen_id,
        ["full_name_th"],
        Purpose(),
    )
    assert "ยังไม่มีการเข้าถึง" in _tracker(ApplicantFactory())


def test_withdrawing_a_consent_refuses_the_next_request(world) -> None:
    fda = AgencyFactory(code="fda-t")
    consent = services.grant_consent(
        subject_id=PERSON.citizen_id,
        agency=fda,
        data_service=world["civil"],
        fields=["birth_date"],
        purpose_th="ตรวจสอบอายุ",
        notice_th="ยินยอมให้ อย. ขอวันเกิด",
    )
    asked = (Consumer("fda-t", "fda-system"), "civil-person", PERSON.citizen_id, ["birth_date"])
    assert gateway.fetch(*asked, Purpose()).data == {"birth_date": "1978-04-12"}

    stranger = Client()
    stranger.force_login(ApplicantFactory())
    revoke = f"/account/privacy/consents/{consent.public_id}/revoke/"
    assert stranger.post(revoke).status_code == 404

    owner = Client()
    owner.force_login(world["person"])
    assert f'data-consent="{consent.public_id}"' in _tracker(world["person"])
    assert owner.post(revoke).status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    with pytest.raises(Refused) as refused:
        gateway.fetch(*asked, Purpose())
    assert refused.value.reason == gateway.Reason.NO_LEGAL_BASIS
    assert "ถอนแล้วเมื่อ" in _tracker(world["person"])


def test_a_registry_read_at_the_counter_is_shown_once_from_the_message_log(world) -> None:
    """The counter proves identity through the exchange (its agency's mission for that
    step): the access shows from the message log, with the officer and the basis, and
    nothing shows it a second time."""
    from bizportal.exchange.demo import counter_proofing_mission
    from tests.sandbox_idp.helpers import seed_platform_exchange

    civil = seed_platform_exchange()  # the fields a person record is made of
    counter_proofing_mission(world["bma"], civil)
    counter = OfficerFactory(
        agency=world["bma"], roles=[StaffRole.COUNTER_OFFICER], full_name_th="นภา ศูนย์บริการ"
    )
    client = Client()
    client.force_login(counter)
    proved = client.post(
        "/backoffice/counter/",
        {"citizen_id": PERSON.citizen_id, "method": "document", "document_no": "1-1111-11111-11-1"},
    )
    assert proved.status_code == 302
    gateway.fetch(
        Consumer("bma-t", "backoffice", world["officer"]),
        "civil-person",
        PERSON.citizen_id,
        ["full_name_th"],
        Purpose(service="food-shop", step="review"),
    )
    rows = _tracker(world["person"]).split('<tr data-access="')[1:]
    assert len(rows) == 2
    assert "วิชัย สุขาภิบาล" in rows[0] and "ได้รับข้อมูล" in rows[0]
    assert "นภา ศูนย์บริการ" in rows[1] and "อำนาจหน้าที่ตามกฎหมาย" in rows[1]
    assert "counter_proofing" in rows[1] and "ได้รับข้อมูล" in rows[1]

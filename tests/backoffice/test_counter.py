"""Filing at a One Stop Service counter: the officer proves a walk-in person's
identity (the civil registry is read over HTTP), files and submits for them, prints the
slip; the person later finds the application in their own account."""

from __future__ import annotations

import pytest

from bizportal.applications.models import Application, Status
from bizportal.core.models import AuditEvent
from bizportal.exchange.demo import counter_proofing_mission
from bizportal.exchange.models import DataService, MessageLogEntry, MissionRule
from bizportal.identity.models import CounterProofing, StaffRole, User
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests.factories import (
    AgencyFactory,
    OfficerFactory,
    ServiceFactory,
    StaffFactory,
    citizen_id,
    valid_food_shop_answers,
)
from tests.journeys import pdf_upload
from tests.sandbox_idp.helpers import closed_port_url, seed_platform_exchange

pytestmark = pytest.mark.live

MALEE = DEMO_IDENTITIES[2]


@pytest.fixture
def counter_agency(live):  # type: ignore[no-untyped-def]
    """The agency whose business service counter this is, with its mission to prove
    identities against the civil registry (the basis of the counter's registry read)."""
    agency = AgencyFactory(code="dbd-c", name_th="กรมพัฒนาธุรกิจการค้า", name_en="DBD")
    counter_proofing_mission(agency, seed_platform_exchange())
    return agency


@pytest.fixture
def counter_officer(counter_agency):  # type: ignore[no-untyped-def]
    return OfficerFactory(
        agency=counter_agency, roles=[StaffRole.COUNTER_OFFICER], full_name_th="นภา ศูนย์บริการ"
    )


#: Malee's card in the sandbox card reader (one demo card per demo person, in order).
MALEE_CARD = "card-3"


def proof(
    client,
    citizen_id: str = MALEE.citizen_id,
    method: str = "chip_face",
    card: str = MALEE_CARD,
    face_confirmed: bool = True,
):
    form = {"citizen_id": citizen_id, "method": method, "document_no": "1-1111-11111-11-1"}
    if card:
        form["card"] = card
    if face_confirmed:
        form["face_confirmed"] = "on"
    return client.post("/backoffice/counter/", form)


def test_a_counter_officer_files_for_a_walk_in_who_later_finds_it_in_their_account(
    live, client, counter_officer
) -> None:
    service = ServiceFactory()
    client.force_login(counter_officer)

    proved = proof(client)

    walk_in = User.objects.get(citizen_id=MALEE.citizen_id)
    assert proved.status_code == 302
    assert proved["Location"] == f"/backoffice/counter/people/{walk_in.public_id}/"
    assert walk_in.identity_assurance == "2.3"  # chip read and face compared at the counter
    assert walk_in.full_name_th.endswith("มาลี สุขสวัสดิ์")  # from the civil registry
    proofing = CounterProofing.objects.get(account=walk_in)
    assert (proofing.method, proofing.ial) == ("chip_face", "2.3")
    assert proofing.officer == counter_officer

    started = client.post(
        f"/backoffice/counter/people/{walk_in.public_id}/", {"service": service.slug}
    )
    application = Application.objects.get()
    assert started["Location"] == f"/applications/{application.public_id}/edit/"
    assert (application.applicant, application.filed_by) == (walk_in, counter_officer)
    answers = {**valid_food_shop_answers(walk_in), "action": "submit", "accept_terms": "on"}
    answers = {key: value for key, value in answers.items() if value is not None}
    answers["doc_floor_plan"] = pdf_upload()
    answers["doc_tax_registration"] = pdf_upload()
    client.post(f"/applications/{application.public_id}/edit/", answers)
    application.refresh_from_db()
    assert application.status == Status.REVIEW

    slip = client.get(f"/backoffice/counter/applications/{application.public_id}/print/")
    assert slip.status_code == 200
    assert application.reference in slip.content.decode()
    submitted = AuditEvent.objects.get(action="application.submitted")
    assert submitted.actor == counter_officer
    assert submitted.on_behalf_of == walk_in.party.key
    created = AuditEvent.objects.get(action="application.draft_created")
    assert created.data["walk_in"] == str(walk_in.public_id)

    client.force_login(walk_in)
    assert application.reference in client.get("/account/").content.decode()
    detail = client.get(f"/applications/{application.public_id}/").content.decode()
    assert counter_officer.display_name in detail  # "filed by" shows the officer


def test_the_counter_read_is_a_mission_entry_naming_the_officer_that_the_person_sees(
    live, client, counter_officer
) -> None:
    client.force_login(counter_officer)
    assert proof(client).status_code == 302

    entry = MessageLogEntry.objects.get(subject_id=MALEE.citizen_id)
    assert (entry.consumer_agency, entry.consumer_system) == ("dbd-c", "backoffice-counter")
    assert (entry.basis, entry.outcome, entry.provider) == ("mission", "answered", "dopa")
    assert entry.officer == counter_officer and entry.officer_name == "นภา ศูนย์บริการ"
    assert entry.purpose == {"step": "counter_proofing"}
    rule = MissionRule.objects.get(agency__code="dbd-c", step="counter_proofing")
    assert entry.basis_ref == str(rule.pk)
    # One access, one record: the registry client did not audit it a second time.
    assert not AuditEvent.objects.filter(action="registry.person_fetched").exists()

    client.force_login(User.objects.get(citizen_id=MALEE.citizen_id))
    tracker = client.get("/account/privacy/accesses/").content.decode()
    rows = tracker.split('<tr data-access="')[1:]
    assert len(rows) == 1 and rows[0].startswith(str(entry.message_id))
    assert "นภา ศูนย์บริการ" in rows[0] and "อำนาจหน้าที่ตามกฎหมาย" in rows[0]
    assert "counter_proofing" in rows[0]


def test_a_counter_officer_whose_agency_has_no_mission_is_refused_on_the_form(live, client) -> None:
    seed_platform_exchange()
    officer = OfficerFactory(agency=AgencyFactory(), roles=[StaffRole.COUNTER_OFFICER])
    client.force_login(officer)

    answer = proof(client)

    assert answer.status_code == 400
    page = answer.content.decode()
    assert "ไม่มีอำนาจตามกฎหมายหรือความยินยอมของเจ้าของข้อมูลสำหรับคำขอนี้" in page
    assert not CounterProofing.objects.exists()
    entry = MessageLogEntry.objects.get(subject_id=MALEE.citizen_id)
    assert (entry.outcome, entry.reason, entry.officer) == ("refused", "no_legal_basis", officer)


def test_a_counter_officer_of_no_agency_is_told_so_and_nothing_is_read(live, client) -> None:
    client.force_login(StaffFactory(roles=[StaffRole.COUNTER_OFFICER]))
    answer = proof(client)
    assert answer.status_code == 400
    assert "ไม่ได้สังกัดหน่วยงาน" in answer.content.decode()
    assert not MessageLogEntry.objects.exists() and not CounterProofing.objects.exists()


def test_without_the_civil_registry_data_service_the_counter_explains(
    live, client, counter_officer
) -> None:
    DataService.objects.filter(code="civil-person").update(is_active=False)
    client.force_login(counter_officer)
    answer = proof(client)
    assert answer.status_code == 400
    assert "ระบบยังไม่ได้เชื่อมบริการข้อมูลทะเบียนราษฎร" in answer.content.decode()
    assert MessageLogEntry.objects.get().reason == "unknown_data_service"


def test_when_the_civil_registry_is_down_the_counter_says_so(
    live, client, counter_officer, settings
) -> None:
    settings.CIVIL_REGISTRY_URL = closed_port_url()
    client.force_login(counter_officer)
    answer = proof(client)
    assert answer.status_code == 400
    assert "ระบบทะเบียนราษฎรไม่ตอบสนอง" in answer.content.decode()
    assert MessageLogEntry.objects.get().outcome == "unavailable"


def test_a_document_checked_by_eye_gives_ial_2_1(live, client, counter_officer) -> None:
    client.force_login(counter_officer)
    proof(client, method="document")
    assert CounterProofing.objects.get().ial == "2.1"


@pytest.mark.parametrize(
    ("citizen_id", "method", "message"),
    [
        ("1234567890123", "chip", "เลขตรวจสอบไม่ตรง"),
        ("", "chip", "กรุณาระบุเลขประจำตัวประชาชน"),
        (DEMO_IDENTITIES[0].citizen_id, "palm-reading", "เลือกวิธียืนยันตัวตนจากรายการ"),
        (citizen_id(999), "document", "ไม่พบบุคคลนี้ในทะเบียนราษฎร"),
    ],
)
def test_a_bad_proofing_is_explained_and_nothing_is_made(
    live, client, counter_officer, citizen_id, method, message
) -> None:
    client.force_login(counter_officer)
    answer = proof(client, citizen_id=citizen_id, method=method)
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not CounterProofing.objects.exists()


def test_counter_pages_are_for_counter_officers_and_their_own_walk_ins(
    live, client, counter_officer
) -> None:
    client.force_login(counter_officer)
    proof(client)
    walk_in = User.objects.get(citizen_id=MALEE.citizen_id)

    other_counter = StaffFactory(roles=[StaffRole.COUNTER_OFFICER])
    client.force_login(other_counter)
    assert client.get(f"/backoffice/counter/people/{walk_in.public_id}/").status_code == 404
    client.force_login(OfficerFactory())
    assert client.get("/backoffice/counter/").status_code == 404
    client.force_login(walk_in)
    assert client.get("/backoffice/counter/").status_code == 404


def test_the_counter_officer_pays_for_the_walk_in_with_the_thai_qr(
    live, client, counter_officer
) -> None:
    from bizportal.applications import services
    from bizportal.identity.services import proof_at_counter
    from bizportal.registries.client import fetch_person
    from tests.journeys import approve_everything, fill

    walk_in = proof_at_counter(counter_officer, fetch_person(MALEE.citizen_id), method="document")
    application = services.start_application(
        ServiceFactory(), walk_in, party=walk_in.party, filed_by=counter_officer
    )
    answers = {**valid_food_shop_answers(walk_in), "email": "malee@example.test"}
    application = services.submit(
        fill(application, answers),
        actor=counter_officer,
        accept_terms=True,
    )
    invoice = approve_everything(application).invoices.get()

    client.force_login(counter_officer)
    page = client.get(f"/payments/invoices/{invoice.public_id}/")

    assert page.status_code == 200
    assert 'class="qr"' in page.content.decode()
    client.force_login(StaffFactory(roles=[StaffRole.COUNTER_OFFICER]))
    assert client.get(f"/payments/invoices/{invoice.public_id}/").status_code == 404


# --- the sandbox card reader: chip read, face comparison, refusals --------------------


def test_a_chip_read_alone_gives_ial_2_2_and_a_face_comparison_raises_it_to_2_3(
    live, client, counter_officer
) -> None:
    client.force_login(counter_officer)
    assert proof(client, method="chip", face_confirmed=False).status_code == 302
    walk_in = User.objects.get(citizen_id=MALEE.citizen_id)
    assert walk_in.identity_assurance == "2.2"
    first = CounterProofing.objects.get()
    assert first.document_no.startswith("JT") and first.card_expires is not None
    assert first.face_score is None

    assert proof(client).status_code == 302
    walk_in.refresh_from_db()
    assert walk_in.identity_assurance == "2.3"
    latest = CounterProofing.objects.first()
    assert latest is not None and latest.method == "chip_face" and latest.face_score == 0.94
    event = AuditEvent.objects.filter(action="identity.proofed_at_counter").order_by("-seq")[0]
    assert (event.data["ial_before"], event.data["ial_after"]) == ("2.2", "2.3")


def test_a_lower_method_never_lowers_the_level(live, client, counter_officer) -> None:
    client.force_login(counter_officer)
    proof(client)
    proof(client, method="document", card="", face_confirmed=False)
    walk_in = User.objects.get(citizen_id=MALEE.citizen_id)
    assert walk_in.identity_assurance == "2.3"
    assert CounterProofing.objects.count() == 2


@pytest.mark.parametrize(
    ("form", "message", "reason"),
    [
        ({"card": "card-1"}, "บัตรในเครื่องอ่านไม่ใช่บัตรของเลขประจำตัวประชาชนนี้", "mismatch"),
        (
            {"card": "card-expired", "citizen_id": DEMO_IDENTITIES[0].citizen_id},
            "บัตรประจำตัวประชาชนหมดอายุ",
            "expired",
        ),
        (
            {"card": "card-poor-match", "citizen_id": DEMO_IDENTITIES[1].citizen_id},
            "ใบหน้าไม่ตรงกับรูปในบัตร",
            "face",
        ),
        ({"card": "card-nobody"}, "ไม่มีบัตรนี้ในเครื่องอ่าน", ""),
        ({"card": ""}, "เสียบบัตรประจำตัวประชาชน", ""),
        ({"face_confirmed": False}, "ยืนยันว่าได้เปรียบเทียบใบหน้า", ""),
    ],
)
def test_a_card_that_does_not_prove_the_person_is_refused_and_audited(
    live, client, counter_officer, form, message, reason
) -> None:
    client.force_login(counter_officer)
    answer = proof(client, **form)
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not CounterProofing.objects.exists()
    refused = AuditEvent.objects.filter(action="identity.counter_proofing_refused")
    if reason:
        assert refused.get().data["reason"] == reason


def test_an_answer_not_signed_with_the_readers_key_is_refused(
    live, client, counter_officer, settings
) -> None:
    settings.SANDBOX_CARD_READER_KEY = "a-key-the-portal-does-not-share-0123456789"
    client.force_login(counter_officer)
    answer = proof(client)
    assert answer.status_code == 400
    assert "ไม่ได้ลงนามโดยเครื่องอ่านบัตรของจุดบริการ" in answer.content.decode()
    assert AuditEvent.objects.get(action="identity.counter_proofing_refused").data["reason"] == (
        "signature"
    )
    assert not CounterProofing.objects.exists()

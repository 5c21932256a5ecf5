"""The exchange gateway over the real sandbox civil registry (HTTP): a request is
answered only on a basis (the person, a legal mission, a consent), with the fields that
basis covers, and every request, answered or refused, is in the signed message log."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from bizportal.exchange import gateway, log, services
from bizportal.exchange.gateway import Consumer, Purpose, Reason, Refused
from bizportal.exchange.models import Basis, DataService, MessageLogEntry, MissionRule, Outcome
from bizportal.identity.models import StaffRole
from tests.factories import AgencyFactory, OfficerFactory, ServiceFactory, citizen_id
from tests.sandbox_idp.helpers import PERSON, Live, closed_port_url

pytestmark = [pytest.mark.django_db, pytest.mark.live]
FIELDS = [
    {"name": "citizen_id", "label_th": "เลขประจำตัวประชาชน", "pdpa": "personal"},
    {"name": "full_name_th", "label_th": "ชื่อ-นามสกุล", "pdpa": "personal"},
    {"name": "birth_date", "label_th": "วันเกิด", "pdpa": "personal"},
    {"name": "address", "label_th": "ที่อยู่ตามทะเบียนบ้าน", "pdpa": "personal"},
]


@pytest.fixture
def civil(live: Live) -> DataService:
    provider = AgencyFactory(code="dopa", name_th="กรมการปกครอง", name_en="DOPA")
    return DataService.objects.update_or_create(
        code="civil-person",
        defaults={
            "provider": provider,
            "name_th": "ข้อมูลทะเบียนราษฎร",
            "name_en": "Civil registry person record",
            "subject_kind": "person",
            "fields": FIELDS,
            "legal_basis_th": "พระราชบัญญัติการทะเบียนราษฎร พ.ศ. 2534",
            "connector": "civil_registry",
        },
    )[0]


@pytest.fixture
def bma(civil: DataService):  # type: ignore[no-untyped-def]
    agency = AgencyFactory(code="bma-x", name_th="กรุงเทพมหานคร")
    service = ServiceFactory(agency=agency, slug="food-shop-x")
    MissionRule.objects.create(
        agency=agency,
        data_service=civil,
        service=service,
        fields=["full_name_th", "address"],
        legal_basis_th="พระราชบัญญัติการสาธารณสุข พ.ศ. 2535 มาตรา 56",
    )
    officer = OfficerFactory(agency=agency, roles=[StaffRole.AGENCY_OFFICER])
    return agency, service, officer


@contextlib.contextmanager
def tampering() -> Iterator[None]:
    """Someone with database access: on PostgreSQL they must first switch the
    append-only trigger off."""
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE exchange_messagelogentry DISABLE TRIGGER USER")
    try:
        yield
    finally:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE exchange_messagelogentry ENABLE TRIGGER USER")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's"
)
def test_the_database_refuses_to_change_or_delete_a_log_entry(bma) -> None:
    agency, _, officer = bma
    ask(agency.code, officer)
    for change in (
        lambda: MessageLogEntry.objects.update(outcome=Outcome.REFUSED),
        lambda: MessageLogEntry.objects.all().delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    assert MessageLogEntry.objects.get().outcome == Outcome.ANSWERED


def ask(agency: str, officer=None, fields=("full_name_th",), service="food-shop-x"):  # type: ignore[no-untyped-def]
    return gateway.fetch(
        Consumer(agency, "backoffice", officer),
        "civil-person",
        PERSON.citizen_id,
        list(fields),
        Purpose(service=service, application="APP-1", step="review"),
    )


def test_a_mission_based_fetch_is_answered_with_only_the_fields_asked_and_logged(bma) -> None:
    agency, _, officer = bma
    answer = ask(agency.code, officer, fields=("full_name_th", "address"))
    assert answer.basis == Basis.MISSION
    assert set(answer.data) == {"full_name_th", "address"}
    assert answer.data["full_name_th"].endswith("สมศรี ใจดี")
    entry = MessageLogEntry.objects.get(message_id=answer.message_id)
    assert (entry.outcome, entry.basis, entry.consumer_agency) == (
        Outcome.ANSWERED,
        Basis.MISSION,
        agency.code,
    )
    assert entry.officer == officer and entry.officer_name == officer.display_name
    assert entry.fields_returned == ["address", "full_name_th"]
    assert entry.purpose == {"service": "food-shop-x", "application": "APP-1", "step": "review"}
    assert entry.provider == "dopa" and len(entry.response_digest) == 64


def test_fields_beyond_the_mission_are_refused_with_their_reason(bma) -> None:
    agency, _, officer = bma
    with pytest.raises(Refused) as refused:
        ask(agency.code, officer, fields=("full_name_th", "birth_date"))
    assert refused.value.reason == Reason.FIELDS_NOT_ALLOWED
    entry = MessageLogEntry.objects.get(message_id=refused.value.message_id)
    assert (entry.outcome, entry.reason, entry.fields_returned) == (
        Outcome.REFUSED,
        Reason.FIELDS_NOT_ALLOWED,
        [],
    )


def test_a_fetch_with_no_basis_is_refused_with_its_reason(civil) -> None:
    other = AgencyFactory(code="fda-x")
    with pytest.raises(Refused) as refused:
        ask(other.code, OfficerFactory(agency=other, roles=[StaffRole.AGENCY_OFFICER]))
    assert refused.value.reason == Reason.NO_LEGAL_BASIS
    assert "ไม่มีอำนาจตามกฎหมาย" in str(refused.value)
    entry = MessageLogEntry.objects.get(message_id=refused.value.message_id)
    assert (entry.outcome, entry.basis) == (Outcome.REFUSED, Basis.NONE)


def test_a_consent_based_fetch_works_until_the_consent_is_revoked(civil) -> None:
    agency = AgencyFactory(code="dbd-x")
    officer = OfficerFactory(agency=agency, roles=[StaffRole.AGENCY_OFFICER])
    consent = services.grant_consent(
        subject_id=PERSON.citizen_id,
        agency=agency,
        data_service=civil,
        fields=["full_name_th", "birth_date"],
        purpose_th="ตรวจสอบคุณสมบัติผู้ขอจดทะเบียน",
        notice_th="ยินยอมให้กรมพัฒนาธุรกิจการค้าขอชื่อและวันเกิดจากทะเบียนราษฎร",
    )
    answer = ask(agency.code, officer, fields=("birth_date",))
    assert (answer.basis, answer.data) == (Basis.CONSENT, {"birth_date": "1978-04-12"})
    services.revoke_consent(consent)
    with pytest.raises(Refused) as refused:
        ask(agency.code, officer, fields=("birth_date",))
    assert refused.value.reason == Reason.NO_LEGAL_BASIS
    assert [e.action for e in consent.events.all()] == ["granted", "revoked"]
    with pytest.raises(services.ConsentError):
        services.revoke_consent(consent)


def test_an_officer_of_another_agency_is_refused(bma) -> None:
    agency, _, _ = bma
    stranger = OfficerFactory(agency=AgencyFactory(), roles=[StaffRole.AGENCY_OFFICER])
    with pytest.raises(Refused) as refused:
        ask(agency.code, stranger)
    assert refused.value.reason == Reason.OFFICER_NOT_OF_AGENCY


def test_the_person_may_fetch_their_own_record(civil) -> None:
    portal = AgencyFactory(code="bizportal-x")
    answer = gateway.fetch(
        Consumer(portal.code, "portal", subject_id=PERSON.citizen_id),
        "civil-person",
        PERSON.citizen_id,
        ["full_name_th", "birth_date"],
        Purpose(description="prefill"),
    )
    assert answer.basis == Basis.SUBJECT


def test_the_portal_itself_reads_a_persons_own_record_on_the_subject_basis_only(civil) -> None:
    """``bizportal`` is no agency: the gateway lets it ask for a person's record for that
    person (sign-in) and nothing else; any other consumer without an agency is unknown."""
    own = Consumer(gateway.PLATFORM, "bizportal-sign-in", subject_id=PERSON.citizen_id)
    answer = gateway.fetch(own, "civil-person", PERSON.citizen_id, ["full_name_th"], Purpose())
    assert (answer.basis, answer.provider) == (Basis.SUBJECT, "dopa")
    entry = MessageLogEntry.objects.get(message_id=answer.message_id)
    assert (entry.consumer_agency, entry.basis_ref) == (gateway.PLATFORM, PERSON.citizen_id)

    other = citizen_id(4242)
    asks = [
        # Someone else's record, as if for the person signing in.
        (own, other),
        # Nobody's own record: the mission or consent basis the platform cannot have.
        (Consumer(gateway.PLATFORM, "bizportal-sign-in"), PERSON.citizen_id),
        # An officer speaking as the platform.
        (
            Consumer(
                gateway.PLATFORM,
                "bizportal-sign-in",
                OfficerFactory(roles=[StaffRole.AGENCY_OFFICER]),
                subject_id=PERSON.citizen_id,
            ),
            PERSON.citizen_id,
        ),
        # Any other unknown code, even for the person themselves.
        (Consumer("nobody", "x", subject_id=PERSON.citizen_id), PERSON.citizen_id),
    ]
    for consumer, subject in asks:
        with pytest.raises(Refused) as refused:
            gateway.fetch(consumer, "civil-person", subject, ["full_name_th"], Purpose())
        assert refused.value.reason == Reason.UNKNOWN_CONSUMER, consumer
        entry = MessageLogEntry.objects.get(message_id=refused.value.message_id)
        assert (entry.outcome, entry.basis) == (Outcome.REFUSED, Basis.NONE)


def test_a_mission_for_one_step_covers_that_step_only(civil) -> None:
    agency = AgencyFactory(code="counter-x")
    officer = OfficerFactory(agency=agency, roles=[StaffRole.COUNTER_OFFICER])
    MissionRule.objects.create(
        agency=agency,
        data_service=civil,
        step="counter_proofing",
        fields=["full_name_th", "birth_date"],
        legal_basis_th="ศูนย์บริการร่วม",
    )

    def fetch(step: str) -> gateway.Answer:
        return gateway.fetch(
            Consumer(agency.code, "backoffice-counter", officer),
            "civil-person",
            PERSON.citizen_id,
            ["birth_date"],
            Purpose(step=step),
        )

    assert fetch("counter_proofing").basis == Basis.MISSION
    with pytest.raises(Refused) as refused:
        fetch("review")
    assert refused.value.reason == Reason.NO_LEGAL_BASIS


def test_unknown_services_and_fields_are_refused(bma) -> None:
    agency, _, officer = bma
    with pytest.raises(Refused) as unknown:
        gateway.fetch(
            Consumer(agency.code, "x", officer), "nope", PERSON.citizen_id, ["a"], Purpose()
        )
    assert unknown.value.reason == Reason.UNKNOWN_DATA_SERVICE
    with pytest.raises(Refused) as fields:
        ask(agency.code, officer, fields=("salary",))
    assert fields.value.reason == Reason.UNKNOWN_FIELDS


def test_a_provider_that_does_not_answer_is_logged_as_unavailable(bma, settings) -> None:
    agency, _, officer = bma
    settings.CIVIL_REGISTRY_URL = closed_port_url()
    with pytest.raises(Refused) as refused:
        ask(agency.code, officer)
    assert refused.value.reason == Reason.PROVIDER_UNAVAILABLE
    entry = MessageLogEntry.objects.get(message_id=refused.value.message_id)
    assert (entry.outcome, entry.basis) == (Outcome.UNAVAILABLE, Basis.MISSION)


def test_a_tampered_message_log_row_is_reported_by_the_verify_command(bma, capsys) -> None:
    agency, _, officer = bma
    ask(agency.code, officer)
    with pytest.raises(Refused):
        ask(agency.code, officer, fields=("birth_date",))
    ask(agency.code, officer, fields=("address",))
    call_command("verify_exchange_log")
    assert "message log verified: 3 entries" in capsys.readouterr().out
    with tampering():
        MessageLogEntry.objects.filter(seq=2).update(outcome=Outcome.ANSWERED)
    with pytest.raises(CommandError):
        call_command("verify_exchange_log")
    assert "entry 2" in capsys.readouterr().err
    assert log.verify().problems == [
        f"entry 2 (message {MessageLogEntry.objects.get(seq=2).message_id}) was changed "
        "after it was written"
    ]


def test_a_deleted_message_log_row_is_reported(bma) -> None:
    agency, _, officer = bma
    for _ in range(3):
        ask(agency.code, officer)
    with tampering():
        MessageLogEntry.objects.filter(seq=2).delete()
    problems = log.verify().problems
    assert any("entries 2–2 are missing" in p for p in problems), problems


def test_a_mission_must_name_fields_the_data_service_holds(civil) -> None:
    from django.core.exceptions import ValidationError

    rule = MissionRule(
        agency=AgencyFactory(), data_service=civil, fields=["salary"], legal_basis_th="x"
    )
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert "salary" in str(error.value)


def test_operators_see_data_services_and_missions_in_the_admin(bma, admin_client) -> None:
    for page in ("dataservice", "missionrule"):
        assert admin_client.get(f"/admin/exchange/{page}/").status_code == 200
        assert admin_client.get(f"/admin/exchange/{page}/add/").status_code == 200


def test_a_malformed_subject_id_is_refused_and_logged(bma) -> None:
    agency, _, officer = bma
    with pytest.raises(Refused) as refused:
        gateway.fetch(
            Consumer(agency.code, "backoffice", officer),
            "civil-person",
            "1234567890123",
            ["full_name_th"],
            Purpose(service="food-shop-x"),
        )
    assert refused.value.reason == Reason.INVALID_SUBJECT
    assert MessageLogEntry.objects.get(message_id=refused.value.message_id).outcome == "refused"

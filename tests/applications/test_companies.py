"""A company applies through its directors: the licence names the company as the
juristic registry has it (asked over HTTP when someone chooses to act for it and again
at submission); a company registered with joint signing needs two directors' signatures
before the application reaches the agency."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from bizportal.applications import services
from bizportal.applications.models import Application, Status
from bizportal.core.models import AuditEvent, DomainEvent
from bizportal.identity.models import Party, User
from bizportal.identity.services import refresh_companies_of
from bizportal.licences.models import HolderKind
from bizportal.registries.demo import DEMO_COMPANIES
from bizportal.registries.models import SandboxJuristicPerson
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests.factories import ApplicantFactory, ServiceFactory, valid_food_shop_answers
from tests.journeys import decided, fill, start

pytestmark = pytest.mark.django_db(transaction=True)

KRUA_SOMSRI, THONGKHAM = DEMO_COMPANIES[0], DEMO_COMPANIES[1]
SOMSRI, PRASERT = DEMO_IDENTITIES[0], DEMO_IDENTITIES[1]


def person(identity: Any) -> User:
    return ApplicantFactory(
        citizen_id=identity.citizen_id,
        full_name_th=identity.name_th,
        full_name_en=identity.name_en,
        email=identity.email,
    )


def company_of(director: User, company: dict[str, Any]) -> Party:
    """The company, as the registry lists it for this director (read over HTTP)."""
    return next(p for p in refresh_companies_of(director) if p.key == company["juristic_id"])


def factory_answers(applicant: Any) -> dict[str, Any]:
    answers = valid_food_shop_answers(applicant)
    for name in ("area_sqm", "seats", "premises", "manager_citizen_id"):
        answers.pop(name)
    return {**answers, "factory_type": "food", "machine_hp": 120, "workers": 25}


def factory_draft(applicant: User, party: Party) -> Application:
    service = ServiceFactory(like="factory-licence")
    return fill(start(service, applicant, party=party), factory_answers(applicant))


def submit(application: Application, actor: User | None = None) -> Application:
    return services.submit(application, actor=actor or application.applicant, accept_terms=True)


def test_a_director_applying_for_the_company_gets_a_licence_in_the_companys_name(live) -> None:
    director = person(SOMSRI)
    company = company_of(director, KRUA_SOMSRI)
    draft = factory_draft(director, company)
    assert draft.data["juristic_id"] == KRUA_SOMSRI["juristic_id"]  # prefilled, read-only

    application = submit(draft)

    assert application.status == Status.REVIEW
    assert (application.holder_kind, application.holder_id) == ("juristic", company.key)
    assert application.holder_name_th == KRUA_SOMSRI["name_th"]
    licence = decided(application).licence
    assert licence is not None
    assert licence.holder_kind == HolderKind.JURISTIC
    assert (licence.holder_id, licence.holder_name) == (company.key, KRUA_SOMSRI["name_th"])
    assert licence.holder_name_en == KRUA_SOMSRI["name_en"]
    assert licence.current.payload["holder"]["kind"] == "juristic"


def test_someone_who_is_not_a_director_cannot_apply_for_the_company(live) -> None:
    company = company_of(person(SOMSRI), KRUA_SOMSRI)
    stranger = ApplicantFactory()
    with pytest.raises(services.ApplicationError, match="ท่านไม่มีสิทธิ์ยื่นคำขอบริการนี้แทนผู้นี้"):
        start(ServiceFactory(like="factory-licence"), stranger, party=company)
    assert not Application.objects.filter(party=company).exists()


def test_a_person_cannot_apply_for_a_service_only_companies_may_apply_for(live) -> None:
    with pytest.raises(services.ApplicationError, match="รับคำขอจากนิติบุคคลเท่านั้น"):
        start(ServiceFactory(like="factory-licence"), person(SOMSRI))


def test_a_company_no_longer_active_in_the_registry_cannot_submit(live) -> None:
    director = person(SOMSRI)
    draft = factory_draft(director, company_of(director, KRUA_SOMSRI))
    SandboxJuristicPerson.objects.filter(juristic_id=KRUA_SOMSRI["juristic_id"]).update(
        status="dissolved"
    )

    with pytest.raises(services.ApplicationError, match="ไม่ได้ดำเนินกิจการอยู่ตามทะเบียน"):
        submit(draft)

    draft.refresh_from_db()
    assert (draft.status, draft.reference) == (Status.DRAFT, None)
    assert Party.objects.get(key=KRUA_SOMSRI["juristic_id"]).active is False
    with pytest.raises(services.ApplicationError, match="ไม่ได้ดำเนินกิจการอยู่ตามทะเบียน"):
        factory_draft(director, Party.objects.get(key=KRUA_SOMSRI["juristic_id"]))


def test_when_the_registry_is_down_the_director_is_told_and_may_submit_later(
    live, settings
) -> None:
    director = person(SOMSRI)
    draft = factory_draft(director, company_of(director, KRUA_SOMSRI))
    settings.JURISTIC_REGISTRY_URL = "http://127.0.0.1:9/juristic"

    with pytest.raises(services.ApplicationError, match="ไม่ตอบสนอง"):
        submit(draft)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT

    settings.JURISTIC_REGISTRY_URL = live.url + "/sandbox/registries/juristic"
    assert submit(draft).status == Status.REVIEW


def joint_draft() -> tuple[Application, User, User]:
    prasert, somsri = person(PRASERT), person(SOMSRI)
    company = company_of(prasert, THONGKHAM)
    assert company.needs_two_signatures
    return factory_draft(prasert, company), prasert, somsri


def test_joint_signing_waits_for_the_second_director_who_is_emailed(
    live, django_capture_on_commit_callbacks
) -> None:
    draft, prasert, somsri = joint_draft()

    with django_capture_on_commit_callbacks(execute=True):
        signed = submit(draft)

    assert signed.status == Status.AWAITING_SIGNATURE
    assert signed.reference  # the number is given at the first signature
    assert signed.signature_deadline is not None
    assert signed.signature_deadline - timezone.now() > dt.timedelta(days=6)
    assert not DomainEvent.objects.filter(name="applications.submitted").exists()
    [email] = [m for m in mail.outbox if signed.reference in m.subject and somsri.email in m.to]
    assert "waits for your signature" in email.subject
    assert prasert.email not in email.to

    with pytest.raises(services.ApplicationError, match="ต้องให้กรรมการอีกคนลงนาม"):
        submit(signed, prasert)

    confirmed = submit(signed, somsri)

    assert confirmed.status == Status.REVIEW
    assert sorted(confirmed.signatures.values_list("signer__citizen_id", flat=True)) == sorted(
        [PRASERT.citizen_id, SOMSRI.citizen_id]
    )
    assert DomainEvent.objects.filter(name="applications.submitted").count() == 1
    assert AuditEvent.objects.filter(action="application.signed").count() == 2


def test_a_first_signature_lapses_after_the_deadline(live) -> None:
    draft, prasert, somsri = joint_draft()
    signed = submit(draft)
    Application.objects.filter(pk=signed.pk).update(
        signature_deadline=timezone.now() - dt.timedelta(minutes=1)
    )

    assert services.lapse_overdue_signatures() == 1

    signed.refresh_from_db()
    assert signed.status == Status.DRAFT
    assert signed.signature_deadline is None
    assert signed.signatures.filter(lapsed=False).count() == 0
    # Somsri's signature alone is now a first signature again, not the second.
    assert submit(signed, somsri).status == Status.AWAITING_SIGNATURE
    assert submit(signed, prasert).status == Status.REVIEW


def test_someone_who_is_not_a_director_cannot_sign(live) -> None:
    draft, _prasert, _somsri = joint_draft()
    signed = submit(draft)
    with pytest.raises(services.ApplicationError):
        submit(signed, ApplicantFactory())
    signed.refresh_from_db()
    assert signed.status == Status.AWAITING_SIGNATURE
    assert signed.signatures.count() == 1


def test_the_agency_sees_nothing_until_the_second_signature(live) -> None:
    from bizportal.applications.selectors import worklist
    from bizportal.core import authz
    from tests.journeys import officer_of

    draft, _prasert, somsri = joint_draft()
    signed = submit(draft)
    officer = officer_of(signed)

    assert worklist(officer).items == []
    assert not authz.allowed(officer, "applications.view", signed)
    with pytest.raises(services.ApplicationError):
        services.decide(signed, officer=officer, action="approve")

    confirmed = submit(signed, somsri)
    assert [a.pk for a in worklist(officer).items] == [confirmed.pk]
    assert authz.allowed(officer, "applications.view", confirmed)

"""Electronic delegation: a person or a company (through a director) lets someone act
for it within limits; every act under the mandate names both; revocation stops the
delegate at their next step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from bizportal.applications import services
from bizportal.applications.models import Application, Status
from bizportal.applications.selectors import my_applications, of_acting
from bizportal.core import authz
from bizportal.core.models import AuditEvent
from bizportal.identity import services as identity
from bizportal.identity.acting import Acting, grounds, options
from bizportal.identity.models import Mandate
from tests.factories import (
    ApplicantFactory,
    CompanyFactory,
    ForeignApplicantFactory,
    ServiceFactory,
    give_mandate,
    valid_food_shop_answers,
)
from tests.journeys import fill, start

pytestmark = pytest.mark.django_db(transaction=True)

# Submitting for a company reads the juristic registry again, over HTTP: the tests that
# submit take the ``live`` server, where the sandbox registry answers.


@pytest.fixture
def director():
    return ApplicantFactory()


@pytest.fixture
def company(director):
    return CompanyFactory(directors=[director])


@pytest.fixture
def food_shop():
    return ServiceFactory()


@pytest.fixture
def delegate():
    return ApplicantFactory()


def test_a_delegate_applies_within_the_mandate_and_is_refused_outside_it(
    live, director, company, food_shop, delegate
) -> None:
    other_service = ServiceFactory(like="liquor-sale-licence")
    give_mandate(director, delegate, party=company, services=[food_shop])

    draft = fill(start(food_shop, delegate, party=company), valid_food_shop_answers(delegate))
    application = services.submit(draft, actor=delegate, accept_terms=True)

    assert application.status == Status.REVIEW
    assert application.party == company and application.applicant == delegate
    with pytest.raises(services.ApplicationError, match="ไม่มีสิทธิ์ยื่นคำขอบริการนี้แทน"):
        start(other_service, delegate, party=company)
    assert Application.objects.filter(party=company).count() == 1


def test_every_act_under_a_mandate_names_the_delegate_and_the_party(
    live, director, company, food_shop, delegate
) -> None:
    mandate = give_mandate(director, delegate, party=company, services=[food_shop])
    draft = fill(start(food_shop, delegate, party=company), valid_food_shop_answers(delegate))
    services.submit(draft, actor=delegate, accept_terms=True)

    acts = AuditEvent.objects.filter(mandate=str(mandate.public_id))
    assert {act.action for act in acts} >= {
        "application.draft_created",
        "application.answers_saved",
        "application.document_attached",
        "application.submitted",
    }
    assert {act.actor_id for act in acts} == {delegate.pk}
    assert {act.on_behalf_of for act in acts} == {company.key}


def test_a_revoked_mandate_stops_the_delegate_mid_draft(
    director, company, food_shop, delegate
) -> None:
    mandate = give_mandate(director, delegate, party=company)
    draft = start(food_shop, delegate, party=company)

    identity.revoke_mandate(mandate, director, reason="งานเสร็จแล้ว")

    with pytest.raises(services.ApplicationError, match="ไม่มีสิทธิ์แก้ไขคำขอนี้"):
        services.save_answers(draft, valid_food_shop_answers(delegate), actor=delegate)
    assert grounds(delegate, company) is None
    assert not authz.allowed(delegate, "applications.view", draft)
    draft.refresh_from_db()
    assert draft.data == draft.prefill  # nothing the delegate sent was kept
    # The director carries on with the same draft.
    services.save_answers(draft, valid_food_shop_answers(director), actor=director)


def test_a_mandate_that_has_not_started_or_has_ended_gives_nothing(
    director, company, delegate
) -> None:
    mandate = give_mandate(director, delegate, party=company)
    today = timezone.localdate()
    Mandate.objects.filter(pk=mandate.pk).update(valid_from=today + dt.timedelta(days=1))
    assert grounds(delegate, company) is None
    Mandate.objects.filter(pk=mandate.pk).update(
        valid_from=today - dt.timedelta(days=30), valid_until=today - dt.timedelta(days=1)
    )
    assert grounds(delegate, company) is None
    assert [choice.party for choice in options(delegate)] == [delegate.party]


def test_an_offered_mandate_counts_only_once_accepted(director, company, delegate) -> None:
    mandate = give_mandate(director, delegate, party=company, accept=False)
    assert grounds(delegate, company) is None
    assert list(identity.mandates_offered_to(delegate)) == [mandate]
    with pytest.raises(identity.PartyError, match="ไม่ได้มอบให้ท่าน"):
        identity.answer_mandate(mandate, ApplicantFactory(), accept=True)
    identity.answer_mandate(mandate, delegate, accept=True)
    assert grounds(delegate, company).basis == "mandate"  # type: ignore[union-attr]


def test_without_the_view_action_a_delegate_sees_only_what_they_prepared(
    director, company, food_shop, delegate
) -> None:
    give_mandate(director, delegate, party=company, actions=["prepare", "submit"])
    own = start(food_shop, delegate, party=company)
    start(food_shop, director, party=company)

    acting = grounds(delegate, company)
    assert list(of_acting(acting)) == [own]
    director.acting = Acting(director, company, "director")
    assert my_applications(director).count() == 2


def test_a_delegate_who_may_prepare_but_not_submit_is_refused_at_submission(
    live, director, company, food_shop, delegate
) -> None:
    give_mandate(director, delegate, party=company, actions=["prepare", "view"])
    draft = fill(start(food_shop, delegate, party=company), valid_food_shop_answers(delegate))
    with pytest.raises(services.ApplicationError, match="ยื่นแทนไม่ได้"):
        services.submit(draft, actor=delegate, accept_terms=True)
    assert services.submit(draft, actor=director, accept_terms=True).status == Status.REVIEW


def test_a_delegate_cannot_pass_the_mandate_on(director, company, delegate) -> None:
    give_mandate(director, delegate, party=company)
    acting = grounds(delegate, company)
    today = timezone.localdate()
    with pytest.raises(identity.PartyError, match="มอบอำนาจต่อไม่ได้"):
        identity.grant_mandate(
            acting,  # type: ignore[arg-type]
            delegate=ApplicantFactory().citizen_id,
            actions=["view"],
            valid_from=today,
            valid_until=today,
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"delegate": "1234567890123"}, "เลขตรวจสอบไม่ตรง"),
        ({"delegate": "someone"}, "P:สัญชาติ:เลขหนังสือเดินทาง"),
        ({"actions": []}, "เลือกอย่างน้อยหนึ่งสิ่งที่ผู้รับมอบอำนาจทำได้"),
        ({"actions": ["launder"]}, "เลือกอย่างน้อยหนึ่งสิ่งที่ผู้รับมอบอำนาจทำได้"),
        ({"valid_until": dt.date(2020, 1, 1)}, "ช่วงเวลาไม่ถูกต้อง"),
    ],
)
def test_a_bad_mandate_is_refused_with_the_reason_and_nothing_saved(
    director, company, change, message
) -> None:
    today = timezone.localdate()
    fields = {
        "delegate": ApplicantFactory().citizen_id,
        "actions": ["view"],
        "valid_from": today,
        "valid_until": today + dt.timedelta(days=30),
        **change,
    }
    with pytest.raises(ValidationError, match=message):
        identity.grant_mandate(Acting(director, company, "director"), **fields)
    assert not Mandate.objects.exists()


def test_nobody_gives_a_mandate_to_themselves(director, company) -> None:
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="มอบอำนาจให้ตนเองไม่ได้"):
        identity.grant_mandate(
            Acting(director, company, "director"),
            delegate=director.citizen_id,
            actions=["view"],
            valid_from=today,
            valid_until=today,
        )


def test_a_foreigner_can_be_a_delegate_by_passport(director, company, food_shop) -> None:
    foreigner = ForeignApplicantFactory()
    mandate = give_mandate(director, foreigner, party=company, services=[food_shop])
    assert mandate.delegate_key == f"P:GBR:{foreigner.passport_no}"
    assert grounds(foreigner, company).basis == "mandate"  # type: ignore[union-attr]


def test_the_delegate_may_give_the_mandate_up_and_a_stranger_may_not_revoke_it(
    director, company, delegate
) -> None:
    mandate = give_mandate(director, delegate, party=company)
    with pytest.raises(identity.PartyError, match="ไม่มีสิทธิ์เพิกถอนการมอบอำนาจนี้"):
        identity.revoke_mandate(mandate, ApplicantFactory())
    identity.revoke_mandate(mandate, delegate)
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.REVOKED and mandate.revoked_by == delegate
    with pytest.raises(identity.PartyError, match="การมอบอำนาจนี้สิ้นผลแล้ว"):
        identity.revoke_mandate(mandate, director)

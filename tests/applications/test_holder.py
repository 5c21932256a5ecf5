"""The licence names the legal person on the application: a company applying through
its director gets a licence in the company's name, as the juristic registry has it
(asked over HTTP at submission)."""

from __future__ import annotations

from typing import Any

import pytest
from stdnum.th import moa

from bizportal.applications import services
from bizportal.applications.models import Application, Status
from bizportal.licences.models import HolderKind
from bizportal.registries.demo import DEMO_COMPANIES
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests.factories import ApplicantFactory, ServiceFactory, valid_food_shop_answers
from tests.journeys import decided, fill, start

pytestmark = pytest.mark.django_db(transaction=True)

COMPANY = DEMO_COMPANIES[0]
DIRECTOR = DEMO_IDENTITIES[0]


def factory_answers(applicant: Any, juristic_id: str) -> dict[str, Any]:
    answers = valid_food_shop_answers(applicant)
    for name in ("area_sqm", "seats", "premises"):
        answers.pop(name)
    return {
        **answers,
        "juristic_id": juristic_id,
        "factory_type": "food",
        "machine_hp": 120,
        "workers": 25,
    }


def draft(applicant: Any, juristic_id: str) -> Application:
    service = ServiceFactory(like="factory-licence")
    return fill(start(service, applicant), factory_answers(applicant, juristic_id))


def submit(application: Application) -> Application:
    return services.submit(application, actor=application.applicant, accept_terms=True)


def test_a_director_applying_for_the_company_gets_a_licence_in_the_companys_name(live) -> None:
    director = ApplicantFactory(
        citizen_id=DIRECTOR.citizen_id, full_name_th=DIRECTOR.name_th, full_name_en=DIRECTOR.name_en
    )
    application = submit(draft(director, COMPANY["juristic_id"]))
    assert application.status == Status.REVIEW
    assert (application.holder_kind, application.holder_id) == ("juristic", COMPANY["juristic_id"])
    assert application.holder_name_th == COMPANY["name_th"]
    licence = decided(application).licence
    assert licence is not None
    assert licence.holder_kind == HolderKind.JURISTIC
    assert (licence.holder_id, licence.holder_name) == (COMPANY["juristic_id"], COMPANY["name_th"])
    assert licence.holder_name_en == COMPANY["name_en"]
    assert licence.holder_name != DIRECTOR.name_th
    assert licence.current.payload["holder"]["kind"] == "juristic"


def refused(application: Application) -> str:
    with pytest.raises(services.SubmissionErrors) as caught:
        submit(application)
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert application.reference is None
    assert application.holder_id == ""
    return caught.value.fields["juristic_id"]


def test_someone_who_is_not_a_director_cannot_apply_for_the_company(live) -> None:
    stranger = ApplicantFactory()
    message = refused(draft(stranger, COMPANY["juristic_id"]))
    assert "not a registered director of Krua Somsri Company Limited" in message


def test_a_company_the_registry_does_not_know_is_refused(live) -> None:
    director = ApplicantFactory(citizen_id=DIRECTOR.citizen_id)
    unknown = "010555999999" + moa.calc_check_digit("010555999999")  # valid, but unregistered
    assert "No such company" in refused(draft(director, unknown))


def test_when_the_registry_is_down_the_applicant_is_told_and_may_submit_later(
    live, settings
) -> None:
    director = ApplicantFactory(citizen_id=DIRECTOR.citizen_id)
    application = draft(director, COMPANY["juristic_id"])
    settings.JURISTIC_REGISTRY_URL = "http://127.0.0.1:9/juristic"
    assert "not available" in refused(application)
    settings.JURISTIC_REGISTRY_URL = live.url + "/sandbox/registries/juristic"
    assert submit(application).holder_kind == "juristic"

"""A foreign entrepreneur signs in with a passport at Digital ID, applies where the
service takes foreigners, and gets a licence in their name and passport number."""

from __future__ import annotations

import pytest
import requests

from bizportal.applications import services
from bizportal.applications.models import Status
from bizportal.identity.models import Party, User
from tests.factories import ServiceFactory, valid_food_shop_answers
from tests.journeys import decided, fill, start
from tests.sandbox_idp.helpers import FOREIGNER, Live, portal_sign_in, signed_in_user_id

pytestmark = pytest.mark.live

KEY = f"P:{FOREIGNER.nationality}:{FOREIGNER.passport_no}"


def signed_in_foreigner(live: Live) -> tuple[requests.Session, User]:
    browser = requests.Session()
    answer = portal_sign_in(
        browser,
        live,
        citizen_id=FOREIGNER.passport_no,
        password=FOREIGNER.password,
        next_path="/account/",
    )
    assert answer.status_code == 302, answer.text
    assert answer.headers["Location"] == "/account/"
    user = User.objects.get(passport_no=FOREIGNER.passport_no)
    assert signed_in_user_id(browser) == str(user.pk)
    return browser, user


def test_a_foreigner_signs_in_with_a_passport_and_has_their_own_party(live: Live) -> None:
    browser, user = signed_in_foreigner(live)

    assert (user.citizen_id, user.nationality) == (None, FOREIGNER.nationality)
    assert user.full_name_en == FOREIGNER.name_en
    assert user.party is not None and user.party.key == KEY
    account = browser.get(f"{live.url}/account/").text
    assert FOREIGNER.passport_no in account


def test_a_foreigner_applies_where_foreigners_may_and_the_licence_names_the_passport(
    live: Live,
) -> None:
    browser, user = signed_in_foreigner(live)
    service = ServiceFactory()  # the food shop licence takes foreign applicants
    assert service.foreigners_may_apply
    draft = start(service, user)
    assert draft.data["applicant_passport"] == f"{FOREIGNER.nationality} {FOREIGNER.passport_no}"
    assert "applicant_citizen_id" not in draft.data
    form = browser.get(f"{live.url}/applications/{draft.public_id}/edit/").text
    assert "f-applicant_passport" in form and "f-applicant_citizen_id" not in form

    answers = {**valid_food_shop_answers(user), "manager_citizen_id": "3101700123452"}
    answers.pop("applicant_citizen_id")
    application = services.submit(fill(draft, answers), actor=user, accept_terms=True)

    assert application.status == Status.REVIEW
    licence = decided(application).licence
    assert licence is not None
    assert (licence.holder_kind, licence.holder_id) == ("person", KEY)
    pdf = browser.get(f"{live.url}/licences/{licence.public_id}/pdf/")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"


def test_a_service_that_does_not_take_foreigners_says_so(live: Live) -> None:
    _, user = signed_in_foreigner(live)
    tour = ServiceFactory(like="tour-business-licence")
    with pytest.raises(services.ApplicationError, match="ไม่รับคำขอจากชาวต่างชาติ"):
        start(tour, user)
    assert not Party.objects.get(key=KEY).applications.exists()

"""The entrepreneur's pages for acting for a company and for mandates, over HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bizportal.applications.models import Application
from bizportal.core.models import AuditEvent
from bizportal.identity.acting import SESSION_KEY
from bizportal.identity.models import Mandate
from tests.factories import (
    ApplicantFactory,
    CompanyFactory,
    ServiceFactory,
    give_mandate,
)

pytestmark = pytest.mark.django_db


def act_for(client, party) -> None:
    answer = client.post("/account/acting/", {"party": str(party.public_id)})
    assert answer.status_code == 302, answer.content


def test_a_director_chooses_the_company_and_sees_its_account(client) -> None:
    director = ApplicantFactory()
    company = CompanyFactory(directors=[director])
    other = CompanyFactory()
    client.force_login(director)

    page = client.get("/account/acting/").content.decode()
    assert company.name_th in page and director.full_name_th in page
    assert other.name_th not in page

    act_for(client, company)
    account = client.get("/account/").content.decode()
    assert f"บัญชีของ{company.name_th}" in account
    assert 'data-acting="director"' in account
    assert AuditEvent.objects.filter(
        action="identity.acting_for", object_id=str(company.public_id)
    ).exists()


def test_choosing_a_party_one_may_not_act_for_is_refused(client) -> None:
    stranger = ApplicantFactory()
    company = CompanyFactory(directors=[ApplicantFactory()])
    client.force_login(stranger)
    answer = client.post("/account/acting/", {"party": str(company.public_id)}, follow=True)
    assert "ท่านไม่มีสิทธิ์ดำเนินการแทนผู้นี้" in answer.content.decode()
    assert SESSION_KEY not in client.session
    assert client.post("/account/acting/", {"party": "not-a-uuid"}, follow=True).status_code == 200


def test_a_company_draft_is_started_for_the_party_chosen(client) -> None:
    director = ApplicantFactory()
    company = CompanyFactory(directors=[director])
    service = ServiceFactory()
    client.force_login(director)
    act_for(client, company)
    client.post(f"/services/{service.slug}/apply/")
    draft = Application.objects.get()
    assert draft.party == company and draft.applicant == director


def test_a_revoked_mandate_sends_the_delegate_back_to_themselves_at_the_next_request(
    client,
) -> None:
    director, delegate = ApplicantFactory(), ApplicantFactory()
    company = CompanyFactory(directors=[director])
    service = ServiceFactory()
    mandate = give_mandate(director, delegate, party=company, services=[service])
    client.force_login(delegate)
    act_for(client, company)
    client.post(f"/services/{service.slug}/apply/")
    draft = Application.objects.get(party=company)
    assert client.get(f"/applications/{draft.public_id}/edit/").status_code == 200

    mandate.status = Mandate.Status.REVOKED
    mandate.revoked_at = timezone.now()
    mandate.save()

    answer = client.get(f"/applications/{draft.public_id}/edit/")
    assert answer.status_code == 404
    account = client.get("/account/", follow=True).content.decode()
    assert delegate.full_name_th in account
    assert SESSION_KEY not in client.session
    saved = client.post(
        f"/applications/{draft.public_id}/edit/", {"phone": "0812345678", "action": "save"}
    )
    assert saved.status_code == 404
    draft.refresh_from_db()
    assert "phone" not in draft.data


def test_giving_accepting_and_listing_a_mandate_through_the_pages(client) -> None:
    director, delegate = ApplicantFactory(), ApplicantFactory()
    company = CompanyFactory(directors=[director])
    service = ServiceFactory()
    today = timezone.localdate()
    client.force_login(director)
    act_for(client, company)

    answer = client.post(
        "/account/mandates/",
        {
            "delegate": delegate.citizen_id,
            "services": [service.pk],
            "actions": ["prepare", "view"],
            "valid_from": today.isoformat(),
            "valid_until": (today + dt.timedelta(days=90)).isoformat(),
        },
    )
    assert answer.status_code == 302
    mandate = Mandate.objects.get()
    assert (mandate.grantor, mandate.granted_by, mandate.status) == (company, director, "offered")

    client.force_login(delegate)
    listed = client.get("/account/mandates/").content.decode()
    assert company.name_th in listed
    client.post(f"/account/mandates/{mandate.public_id}/accept/")
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.ACCEPTED

    detail = client.get(f"/account/mandates/{mandate.public_id}/")
    assert detail.status_code == 200
    client.force_login(ApplicantFactory())
    assert client.get(f"/account/mandates/{mandate.public_id}/").status_code == 404
    assert client.post(f"/account/mandates/{mandate.public_id}/revoke/").status_code == 404
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.ACCEPTED


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"delegate": ""}, "Please name the delegate"),
        ({"delegate": "12345"}, "13 digits"),
        ({"delegate": "X:1"}, "P:nationality:passport"),
        ({"actions": []}, "Choose what the delegate may do"),
        ({"valid_until": "2001-01-01"}, "The period is not valid"),
        ({"valid_from": "yesterday"}, "not a valid date"),
        ({"services": ["999999"]}, "No such service"),
    ],
)
def test_a_bad_mandate_form_says_what_is_wrong_and_saves_nothing(client, change, message) -> None:
    director = ApplicantFactory()
    client.force_login(director)
    today = timezone.localdate()
    form = {
        "delegate": ApplicantFactory().citizen_id,
        "actions": ["view"],
        "valid_from": today.isoformat(),
        "valid_until": today.isoformat(),
        **change,
    }
    answer = client.post("/account/mandates/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not Mandate.objects.exists()


def test_staff_have_no_acting_or_mandate_pages(client) -> None:
    from tests.factories import OfficerFactory

    client.force_login(OfficerFactory())
    assert client.get("/account/acting/").status_code == 404
    assert client.get("/account/mandates/").status_code == 404

"""Raising identity assurance (IAL) at the provider: ``/auth/step-up/?ial=2.3`` asks
Digital ID (``acr_values=urn:th:digitalid:ial:2.3``), the sandbox runs its remote
proofing step (a face comparison), and the portal records the proofing."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
import requests

from bizportal.core.models import AuditEvent
from bizportal.identity.models import ProviderProofing, User
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from bizportal.sandbox_idp.models import SandboxIdentity
from tests.sandbox_idp.helpers import Live, portal_sign_in, query, read_form

pytestmark = pytest.mark.live

#: A demo person at IAL 2.1 whom no company lists as a director.
PERSON_21 = DEMO_IDENTITIES[3]


def signed_in(live: Live) -> requests.Session:
    assert PERSON_21.ial == "2.1"
    browser = requests.Session()
    answer = portal_sign_in(browser, live, citizen_id=PERSON_21.citizen_id, next_path="")
    assert answer.status_code == 302, answer.text
    return browser


def test_the_provider_proves_the_person_at_the_higher_ial_and_the_portal_records_it(
    live: Live,
) -> None:
    browser = signed_in(live)

    start = browser.get(
        f"{live.url}/auth/step-up/",
        params={"ial": "2.3", "next": "/account/"},
        allow_redirects=False,
    )
    assert start.status_code == 302
    assert query(start.headers["Location"])["acr_values"] == "urn:th:digitalid:ial:2.3"
    proofing = browser.get(start.headers["Location"])  # signed in there: straight to proofing
    assert proofing.status_code == 200
    assert 'name="proof_face"' in proofing.text
    action, fields = read_form(proofing.text, containing="csrfmiddlewaretoken")
    back = browser.post(
        urljoin(proofing.url, action), data={**fields, "proof_face": "1"}, allow_redirects=False
    )
    assert back.status_code == 302 and back.headers["Location"].startswith(live.callback)
    done = browser.get(back.headers["Location"], allow_redirects=False)

    assert done.status_code == 302 and done.headers["Location"] == "/account/"
    user = User.objects.get(citizen_id=PERSON_21.citizen_id)
    assert user.identity_assurance == "2.3"
    row = ProviderProofing.objects.get(account=user)
    assert (row.provider, row.ial) == ("digital_id", "2.3")
    event = AuditEvent.objects.get(action="identity.proofed_at_provider")
    assert event.data["method"] == "provider" and event.data["ial_before"] == "2.1"
    assert SandboxIdentity.objects.get(citizen_id=PERSON_21.citizen_id).ial == "2.3"


def test_an_unknown_level_is_refused_and_a_level_already_held_needs_nothing(live: Live) -> None:
    browser = signed_in(live)
    bad = browser.get(f"{live.url}/auth/step-up/", params={"ial": "9.9"}, allow_redirects=False)
    assert bad.status_code == 400
    held = browser.get(
        f"{live.url}/auth/step-up/",
        params={"ial": "2.1", "next": "/account/"},
        allow_redirects=False,
    )
    assert held.headers["Location"] == "/account/"
    assert not ProviderProofing.objects.exists()


def test_a_provider_that_cannot_raise_ial_says_so(live: Live) -> None:
    browser = requests.Session()
    portal_sign_in(browser, live, citizen_id=PERSON_21.citizen_id, next_path="", provider="thaid")
    answer = browser.get(f"{live.url}/auth/step-up/", params={"ial": "2.3"}, allow_redirects=False)
    assert answer.status_code == 409
    assert "provider_cannot_raise_ial" in answer.text

"""The sandbox agency's e-service end to end over real HTTP: the person signs in at the
agency through the portal, the agency exchanges their token (RFC 8693) and shows the
applications of the company they chose, read from the portal's API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from django.conf import settings as django_settings

from bizportal.core.models import AuditEvent
from bizportal.federation import services
from bizportal.federation.models import FederatedClient
from bizportal.identity.models import StaffRole
from bizportal.sandbox_agency.app import Agency
from bizportal.sandbox_agency.config import Config
from tests.factories import (
    AgencyFactory,
    ApplicantFactory,
    ApplicationFactory,
    CompanyFactory,
    StaffFactory,
)
from tests.sandbox_idp.helpers import read_form

from .helpers import new_key

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def agency(live: Any, tmp_path: Path) -> Any:
    """The sandbox agency, its e-service registered at the portal as an agency service."""
    key = new_key()
    key_file = tmp_path / "eservice-key.json"
    key_file.write_text(json.dumps({**key.as_dict(private=True), "client_id": "sandbox-eservice"}))
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": []}))
    running = Agency(
        Config(
            portal=live.url,
            client_id="unused",
            client_secret="unused",  # the forwarding side is not used here
            db=tmp_path / "agency.sqlite3",
            port=0,
            jwks_file=jwks_file,
            batch_poll=0,
            eservice_key_file=key_file,
        )
    )
    running.start()
    assert running.server.context.eservice is not None
    services.save_client(
        FederatedClient(
            client_id="sandbox-eservice",
            name="ระบบบริการของหน่วยงานตัวอย่าง",
            kind=FederatedClient.Kind.AGENCY_SERVICE,
            agency=AgencyFactory(),
            jwks={"keys": [key.as_dict(private=False)]},
            redirect_uris=[running.server.context.eservice.redirect_uri],
        ),
        actor=StaffFactory(roles=[StaffRole.PLATFORM_ADMIN]),
    )
    yield running
    running.stop()


def test_the_agency_signs_the_person_in_and_lists_their_companys_applications(
    live, client, agency
) -> None:
    person = ApplicantFactory()
    company = CompanyFactory(directors=[person])
    application = ApplicationFactory(applicant=person, party=company, submitted=True)
    client.force_login(person)  # the person's portal session, carried by their browser
    browser = requests.Session()
    browser.cookies.set(
        django_settings.SESSION_COOKIE_NAME,
        client.cookies[django_settings.SESSION_COOKIE_NAME].value,
    )
    base = f"http://127.0.0.1:{agency.port}"

    to_portal = browser.get(base + "/eservice/login", allow_redirects=False, timeout=30)
    assert to_portal.status_code == 302
    assert to_portal.headers["Location"].startswith(live.url + "/oidc/authorize?")
    choose = browser.get(to_portal.headers["Location"], timeout=30)
    assert choose.status_code == 200 and company.name_th in choose.text
    action, fields = read_form(choose.text, containing="party")
    fields["party"] = str(company.public_id)
    back = browser.post(
        urljoin(choose.url, action or choose.url),
        data=fields,
        headers={"Referer": choose.url},
        allow_redirects=False,
        timeout=30,
    )
    assert back.status_code == 302, back.text[:500]
    assert back.headers["Location"].startswith(base + "/eservice/callback?")
    result = browser.get(back.headers["Location"], timeout=60)

    assert result.status_code == 200, result.text
    assert application.reference in result.text
    assert company.key in result.text and "director" in result.text
    used = AuditEvent.objects.get(action="federation.api_used")
    assert used.actor == person and used.on_behalf_of == company.key
    assert used.data["act"] == "sandbox-eservice"
    # The sign-in (state) is used once.
    again = browser.get(back.headers["Location"], timeout=30)
    assert again.status_code == 400 and "state" in again.text

"""Several identity providers side by side: the sign-in page, ThaID, the stop switch.

Over real HTTP against the live server, where the sandbox answers both as Digital ID
(``/sandbox/idp``) and as ThaID (``/sandbox/thaid``).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.core.management import call_command

from bizportal.core.models import AuditEvent
from bizportal.identity.models import User
from bizportal.sandbox_idp import switches
from tests.sandbox_idp.helpers import PERSON, Live, portal_sign_in, signed_in_user_id

pytestmark = pytest.mark.live


def provider_items(html: str) -> dict[str, str]:
    """Each provider's list item on the sign-in page, by provider name."""
    items = {}
    for chunk in html.split('data-provider="')[1:]:
        name, _, rest = chunk.partition('"')
        items[name] = rest.split("</li>")[0]
    return items


def test_the_sign_in_page_offers_each_enabled_provider(live: Live) -> None:
    page = requests.get(f"{live.url}/auth/login/", params={"next": "/services/"})

    assert page.status_code == 200
    items = provider_items(page.text)
    assert list(items) == ["digital_id", "thaid", "ndid"]
    assert 'href="/auth/login/digital_id/?next=/services/"' in items["digital_id"]
    assert "ดิจิทัลไอดี" in items["digital_id"]
    assert 'href="/auth/login/thaid/?next=/services/"' in items["thaid"]
    assert "ไทยดี (ThaID)" in items["thaid"]


def test_with_one_provider_enabled_the_old_link_goes_straight_to_it(
    live: Live, settings: Any
) -> None:
    settings.IDENTITY_PROVIDERS = ["digital_id"]
    start = requests.get(f"{live.url}/auth/login/", allow_redirects=False)
    assert start.status_code == 302
    assert start.headers["Location"].startswith(live.issuer + "/authorize?")


def test_a_provider_not_enabled_is_not_found(live: Live, settings: Any) -> None:
    settings.IDENTITY_PROVIDERS = ["digital_id"]
    assert requests.get(f"{live.url}/auth/login/thaid/").status_code == 404
    assert requests.get(f"{live.url}/auth/login/nonsense/").status_code == 404


def test_signing_in_with_thaid_maps_its_claims_and_assurance(live: Live) -> None:
    browser = requests.Session()

    answer = portal_sign_in(browser, live, provider="thaid")

    assert answer.status_code == 302, answer.text
    user = User.objects.get(citizen_id=PERSON.citizen_id)
    assert signed_in_user_id(browser) == str(user.pk)
    assert user.full_name_th == "นางสมศรี ใจดี"
    # Her identity is IAL 2.3: ThaID says so as "thaid:face" (app enrolled with a face check).
    assert user.identity_assurance == "2.3"
    event = AuditEvent.objects.get(action="identity.signed_in")
    assert event.data["provider"] == "thaid"
    assert event.data["acr"] == "thaid:face"
    assert event.data["aal"] == "2"
    assert event.data["issuer"] == live.url + "/sandbox/thaid"


def test_thaid_and_digital_id_reach_the_same_account(live: Live) -> None:
    portal_sign_in(requests.Session(), live, provider="digital_id")
    portal_sign_in(requests.Session(), live, provider="thaid")
    assert User.objects.filter(citizen_id=PERSON.citizen_id).count() == 1


def test_the_thaid_sandbox_refuses_the_digital_id_client(live: Live) -> None:
    """Each flavour has its own registered client: Digital ID's client ID is unknown at
    ThaID (the error page, not a redirect to an unverified address)."""
    answer = requests.get(
        f"{live.url}/sandbox/thaid/authorize",
        params={
            "response_type": "code",
            "client_id": "bizportal-demo",
            "redirect_uri": live.callback,
            "scope": "openid pid",
        },
        allow_redirects=False,
    )
    assert answer.status_code == 400


def test_a_stopped_provider_shows_unavailable_and_the_other_still_works(live: Live) -> None:
    call_command("sandbox_idp", "stop", "thaid")
    assert (
        requests.get(f"{live.url}/sandbox/thaid/.well-known/openid-configuration").status_code
        == 503
    )

    page = requests.get(f"{live.url}/auth/login/")
    items = provider_items(page.text)
    assert "/auth/login/thaid/" not in items["thaid"]
    assert 'aria-disabled="true"' in items["thaid"]
    assert "ไม่พร้อมให้บริการ" in items["thaid"]
    assert "/auth/login/digital_id/" in items["digital_id"]
    # Someone who still has the old link sees why it does not work...
    refused = requests.get(f"{live.url}/auth/login/thaid/", allow_redirects=False)
    assert refused.status_code == 502
    assert "ระบบไทยดี (ThaID) ไม่ตอบสนอง" in refused.text
    # ...and the other provider signs people in as before.
    assert portal_sign_in(requests.Session(), live).status_code == 302
    assert AuditEvent.objects.filter(action="sandbox_idp.provider_stopped").count() == 1


def test_a_started_provider_works_again_once_its_probe_expires(live: Live) -> None:
    switches.set_stopped("thaid", stopped=True)
    requests.get(f"{live.url}/auth/login/")  # probed: down, and remembered
    call_command("sandbox_idp", "start", "thaid")
    from django.core.cache import cache

    cache.clear()  # the probe's 30 seconds are over

    page = requests.get(f"{live.url}/auth/login/")
    assert "/auth/login/thaid/" in provider_items(page.text)["thaid"]
    assert portal_sign_in(requests.Session(), live, provider="thaid").status_code == 302


def test_the_switch_command_refuses_an_unknown_provider() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unknown sandbox provider"):
        call_command("sandbox_idp", "stop", "nonsense")

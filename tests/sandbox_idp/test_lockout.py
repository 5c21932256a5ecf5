"""The sandbox Digital ID's password sign-in locks out like the staff sign-in
(django-axes, issue 16): wrong passwords are counted per sign-in name, the right
password is refused while the name is locked, and an administrator can unlock it."""

from __future__ import annotations

import pytest
import requests
from django.conf import settings
from django.core.management import call_command

from bizportal.core.models import AuditEvent
from bizportal.sandbox_idp.services import lockout_name
from tests.sandbox_idp.helpers import (
    PERSON,
    Live,
    authorize_url,
    pkce_pair,
    provider_sign_in,
    submit_credentials,
)

pytestmark = pytest.mark.live


def test_wrong_passwords_lock_the_citizen_id_at_the_provider(live: Live) -> None:
    browser = requests.Session()
    page = browser.get(authorize_url(live, code_challenge=pkce_pair()[1]))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        answer = submit_credentials(browser, page, PERSON.citizen_id, "wrong-password")
        assert answer.status_code == 200 and "รหัสผ่านไม่ถูกต้อง" in answer.text
    locked = submit_credentials(browser, page, PERSON.citizen_id, "wrong-password")
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == str(15 * 60)
    assert "ถูกระงับชั่วคราว" in locked.text and "Digital ID" in locked.text  # its own page

    # The right password, from another browser, is refused while the lock lasts.
    other = requests.Session()
    fresh = other.get(authorize_url(live, code_challenge=pkce_pair()[1]))
    refused = submit_credentials(other, fresh, PERSON.citizen_id, PERSON.password)
    assert refused.status_code == 429
    assert "Location" not in refused.headers  # no code issued

    failed = AuditEvent.objects.filter(action="sandbox_idp.sign_in_failed")
    assert failed.count() == settings.AXES_FAILURE_LIMIT
    assert AuditEvent.objects.filter(
        action="sign_in.locked_out", object_id=lockout_name(PERSON.citizen_id)
    ).exists()

    # `manage.py axes_reset_username idp:<citizen ID>` unlocks the name.
    call_command("axes_reset_username", lockout_name(PERSON.citizen_id))
    assert provider_sign_in(live)["access_token"]

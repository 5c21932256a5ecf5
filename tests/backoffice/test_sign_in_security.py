"""Staff sign-in hardening (issue 16): lockout after wrong passwords, the TOTP second
factor before anything else, and idle and absolute session timeouts."""

from __future__ import annotations

import base64
import datetime as dt

import pyotp
import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from bizportal.core.models import AuditEvent
from bizportal.identity.acting import AAL_SESSION_KEY
from tests.factories import ApplicantFactory, OfficerFactory, StaffFactory

pytestmark = pytest.mark.django_db

PASSWORD = "officer-pass-1234"
LOGIN = "/backoffice/login/"


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = pyotp.TOTP(base64.b32encode(device.bin_key).decode())
    return str(totp.at(dt.datetime.now(dt.UTC), counter_offset=steps_ahead))


# --- Lockout -------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_name_even_for_the_right_password_until_the_cool_off(
    settings,
) -> None:
    officer = OfficerFactory()
    client = Client()
    with freeze_time("2026-03-02 09:00:00") as clock:
        for attempt in range(1, settings.AXES_FAILURE_LIMIT):
            answer = sign_in(client, officer.username, "wrong-password-1")
            assert answer.status_code == 200, attempt  # the form again, with the error
            assert "_auth_user_id" not in client.session
        locked = sign_in(client, officer.username, "wrong-password-1")
        assert locked.status_code == 429
        assert locked["Retry-After"] == str(15 * 60)
        text = locked.content.decode()
        assert "ถูกระงับชั่วคราว" in text and "15 นาที" in text and "Too many failed" not in text

        clock.tick(dt.timedelta(minutes=5))
        refused = sign_in(client, officer.username)  # the right password
        assert refused.status_code == 429
        assert "_auth_user_id" not in client.session

        clock.tick(dt.timedelta(minutes=11))  # past the 15-minute cool-off
        accepted = sign_in(client, officer.username)
        assert accepted.status_code == 302
        assert accepted["Location"].startswith("/backoffice/")
        assert client.session["_auth_user_id"] == str(officer.pk)

    # Every refused sign-in: the wrong passwords and the right one refused while locked.
    failed = AuditEvent.objects.filter(action="sign_in.failed", object_id=officer.username)
    assert failed.count() == settings.AXES_FAILURE_LIMIT + 1
    assert "wrong-password-1" not in str(list(failed.values_list("data", flat=True)))
    # The lockout and the right password refused while it lasted.
    assert (
        AuditEvent.objects.filter(action="sign_in.locked_out", object_id=officer.username).count()
        >= 2
    )


def test_a_success_clears_the_count_of_wrong_passwords(settings) -> None:
    officer = OfficerFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(Client(), officer.username, "wrong-password-1")
    assert sign_in(Client(), officer.username).status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(Client(), officer.username, "wrong-password-1").status_code == 200


def test_the_admin_sign_in_locks_out_too_and_api_clients_get_problem_json(settings) -> None:
    admin = StaffFactory(is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        answer = client.post(
            "/admin/login/",
            {"username": admin.username, "password": "wrong-password-1"},
            HTTP_ACCEPT="application/json",
        )
    assert answer.status_code == 429
    assert answer["Content-Type"] == "application/problem+json"
    body = answer.json()
    assert body["status"] == 429 and body["type"].endswith("/locked_out")
    assert int(answer["Retry-After"]) == body["retry_after"] == 15 * 60


def test_an_administrator_unlocks_a_name_with_axes_reset(settings) -> None:
    officer = OfficerFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), officer.username, "wrong-password-1")
    assert sign_in(Client(), officer.username).status_code == 429
    call_command("axes_reset_username", officer.username)
    assert sign_in(Client(), officer.username).status_code == 302


# --- Second factor -------------------------------------------------------------------


def test_a_new_officer_enrols_an_authenticator_before_reaching_the_worklist() -> None:
    officer = OfficerFactory()
    client = Client()
    assert sign_in(client, officer.username).status_code == 302

    # Without the second factor: every back-office page leads to the code page, the API
    # refuses with problem+json, and the admin site is closed too.
    blocked = client.get("/backoffice/worklist/")
    assert blocked.status_code == 302
    assert blocked["Location"] == "/backoffice/mfa/?next=%2Fbackoffice%2Fworklist%2F"
    api = client.get("/api/v1/applications/")
    assert api.status_code == 403 and api.json()["type"].endswith("/second_factor_required")
    assert client.get("/admin/")["Location"].startswith("/backoffice/mfa/")

    page = client.get(blocked["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in text and 'id="totp-secret"' in text
    device = TOTPDevice.objects.get(user=officer)
    assert not device.confirmed
    # The secret shown is the device's, in base32 groups of four.
    assert base64.b32encode(device.bin_key).decode()[:4] in text

    wrong = client.post("/backoffice/mfa/", {"code": "000000", "next": "/backoffice/worklist/"})
    assert wrong.status_code == 200 and "รหัสไม่ถูกต้อง" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    bad = client.post("/backoffice/mfa/", {"code": "12ab"})
    assert "รหัสต้องเป็นตัวเลข 6 หลัก" in bad.content.decode()

    with freeze_time(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)):  # past the throttle
        done = client.post(
            "/backoffice/mfa/", {"code": code_for(device), "next": "/backoffice/worklist/"}
        )
    assert done.status_code == 302 and done["Location"] == "/backoffice/worklist/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[AAL_SESSION_KEY] == 2
    assert client.get("/backoffice/worklist/").status_code == 200
    actions = set(AuditEvent.objects.filter(actor=officer).values_list("action", flat=True))
    assert {
        "identity.second_factor_offered",
        "identity.second_factor_failed",
        "identity.second_factor_enrolled",
        "identity.second_factor_verified",
    } <= actions


def test_an_enrolled_officer_gives_a_code_and_wrong_codes_are_throttled() -> None:
    officer = OfficerFactory()
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    client = Client()
    sign_in(client, officer.username)
    page = client.get("/backoffice/mfa/")
    assert 'id="totp-secret"' not in page.content.decode()  # no new secret offered

    assert client.post("/backoffice/mfa/", {"code": "000000"}).status_code == 200
    throttled = client.post("/backoffice/mfa/", {"code": code_for(device)})
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) >= 1
    assert "กรอกรหัสผิดหลายครั้ง" in throttled.content.decode()
    assert client.get("/backoffice/worklist/").status_code == 302

    with freeze_time(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)):
        assert client.post("/backoffice/mfa/", {"code": code_for(device)}).status_code == 302
        # The same code cannot be used twice (another browser, same time step).
        other = Client()
        sign_in(other, officer.username)
        again = other.post("/backoffice/mfa/", {"code": code_for(device)})
        assert again.status_code == 200
    assert client.get("/backoffice/worklist/").status_code == 200


def test_entrepreneurs_are_not_asked_for_a_staff_second_factor(client: Client) -> None:
    client.force_login(ApplicantFactory())
    assert client.get("/account/").status_code == 200


def test_the_demo_staff_sign_in_with_the_published_totp_secret() -> None:
    from bizportal.backoffice import demo
    from bizportal.catalog import demo as catalog_demo

    catalog_demo.load_demo()
    demo.seed()
    client = Client()
    assert sign_in(client, "officer.bma", demo.OFFICER_PASSWORD).status_code == 302
    code = pyotp.TOTP(demo.STAFF_TOTP_SECRET).now()
    answer = client.post("/backoffice/mfa/", {"code": code, "next": "/backoffice/worklist/"})
    assert answer.status_code == 302 and answer["Location"] == "/backoffice/worklist/"


# --- Sessions ------------------------------------------------------------------------


def test_staff_sessions_end_after_15_idle_minutes(client: Client) -> None:
    officer = OfficerFactory()
    with freeze_time("2026-03-02 09:00:00") as clock:
        client.force_login(officer)
        assert client.get("/backoffice/worklist/").status_code == 200
        clock.tick(dt.timedelta(minutes=14))
        assert client.get("/backoffice/worklist/").status_code == 200
        clock.tick(dt.timedelta(minutes=16))
        ended = client.get("/backoffice/worklist/")
        assert ended.status_code == 302 and ended["Location"].startswith("/backoffice/login/")
        assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="session.expired", data__reason="idle").exists()


def test_public_sessions_last_30_idle_minutes_and_api_calls_get_401(client: Client) -> None:
    with freeze_time("2026-03-02 09:00:00") as clock:
        client.force_login(ApplicantFactory())
        clock.tick(dt.timedelta(minutes=20))
        assert client.get("/account/").status_code == 200
        clock.tick(dt.timedelta(minutes=31))
        ended = client.get("/api/v1/applications/")
        assert ended.status_code == 401
        assert ended.json()["type"].endswith("/session_expired")


def test_sessions_end_at_the_absolute_timeout_however_active(client: Client, settings) -> None:
    settings.SESSION_ABSOLUTE_TIMEOUT = 3600
    with freeze_time("2026-03-02 09:00:00") as clock:
        client.force_login(ApplicantFactory())
        for _ in range(6):
            clock.tick(dt.timedelta(minutes=10))
            assert client.get("/account/").status_code == 200
        clock.tick(dt.timedelta(minutes=10))
        assert client.get("/account/").status_code == 302
    assert AuditEvent.objects.filter(action="session.expired", data__reason="absolute").exists()


# --- Passwords -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "why"),
    [("Short-pass1", "at least 12"), ("password1234", "too common"), ("123456789012", "numeric")],
)
def test_passwords_need_12_characters_and_must_not_be_common(password: str, why: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert any(why in message for message in refused.value.messages), refused.value.messages
    validate_password("officer-demo-2569")

"""Foreign nationals at the sandbox provider: passport sign-in and the claims they get."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from stdnum.th import pin

from bizportal.sandbox_idp import demo
from bizportal.sandbox_idp.forms import SignInForm
from bizportal.sandbox_idp.models import PersonKind, SandboxIdentity
from tests.sandbox_idp.helpers import (
    FOREIGNER,
    PERSON,
    Live,
    id_token_claims,
    provider_sign_in,
    userinfo,
)


def thai_id(serial: int) -> str:
    """A 13-digit ID with a valid check digit (``6`` prefix: a foreign resident)."""
    body = f"6{serial:011d}"
    return body + pin.calc_check_digit(body)


@pytest.mark.live
def test_a_foreigner_signs_in_with_a_passport_number_in_any_case(live: Live) -> None:
    tokens = provider_sign_in(live, login=FOREIGNER.passport_no.lower())

    claims = id_token_claims(live, tokens["id_token"])
    assert claims["person_kind"] == "foreign"
    assert claims["passport_no"] == "XA1234567"
    assert claims["nationality"] == "GBR"
    assert "pid" not in claims  # no 13-digit Thai ID
    assert claims["name_en"] == "Mr James Whitfield"
    assert claims["given_name_en"] == "James"
    assert "name" not in claims  # no Thai-script name
    assert claims["email"] == FOREIGNER.email
    assert claims["ial"] == "2.1"
    assert claims["acr"] == "urn:th:digitalid:ial:2.1:aal:1"
    info = userinfo(live, tokens["access_token"]).json()
    assert (info["person_kind"], info["passport_no"], info["nationality"]) == (
        "foreign",
        "XA1234567",
        "GBR",
    )
    assert "pid" not in info


@pytest.mark.live
def test_a_foreigner_with_a_thai_id_may_use_it_and_gets_pid_too(live: Live) -> None:
    number = thai_id(4242)
    SandboxIdentity.objects.filter(passport_no=FOREIGNER.passport_no).update(citizen_id=number)

    claims = id_token_claims(live, provider_sign_in(live, login=number)["id_token"])

    assert claims["pid"] == number
    assert (claims["person_kind"], claims["passport_no"]) == ("foreign", "XA1234567")


@pytest.mark.live
def test_a_thai_citizen_is_person_kind_thai_without_passport_claims(live: Live) -> None:
    claims = id_token_claims(live, provider_sign_in(live)["id_token"])
    assert claims["person_kind"] == "thai"
    assert claims["pid"] == PERSON.citizen_id
    assert "passport_no" not in claims
    assert "nationality" not in claims


@pytest.mark.live
def test_a_wrong_password_for_a_passport_is_refused(live: Live) -> None:
    from tests.sandbox_idp.helpers import authorize_url, pkce_pair, submit_credentials

    browser = requests.Session()
    page = browser.get(authorize_url(live, code_challenge=pkce_pair()[1]))
    answer = submit_credentials(browser, page, FOREIGNER.passport_no, "not-it")
    assert answer.status_code == 200
    assert "เลขหนังสือเดินทาง หรือรหัสผ่านไม่ถูกต้อง" in answer.text


@pytest.mark.live
def test_discovery_publishes_the_new_claims_and_endpoints(live: Live) -> None:
    doc = requests.get(live.issuer + "/.well-known/openid-configuration").json()
    assert {"person_kind", "passport_no", "nationality", "amr", "aal", "sid"} <= set(
        doc["claims_supported"]
    )
    assert doc["end_session_endpoint"] == live.issuer + "/end-session"
    assert doc["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert "urn:th:digitalid:aal:2" in doc["acr_values_supported"]
    assert "urn:th:digitalid:ial:2.1:aal:2" in doc["acr_values_supported"]


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("xa1234567", "XA1234567"),
        (" XA 1234567 ", "XA1234567"),
        ("3-1017-00123-45-2", "3101700123452"),
        ("123456789", "123456789"),  # a numeric passport (nine digits at most)
    ],
)
def test_the_sign_in_name_is_a_citizen_id_or_a_passport_number(typed: str, kept: str) -> None:
    form = SignInForm({"citizen_id": typed, "password": "x"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["citizen_id"] == kept


@pytest.mark.parametrize("typed", ["3101700123453", "31017001234", "XA#1234", "AB12"])
def test_a_malformed_sign_in_name_is_explained(typed: str) -> None:
    form = SignInForm({"citizen_id": typed, "password": "x"})
    assert not form.is_valid()
    message = " ".join(form.errors["citizen_id"])
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in message)  # explained, in Thai


def _foreigner(**fields: Any) -> SandboxIdentity:
    values: dict[str, Any] = {
        "person_kind": PersonKind.FOREIGN,
        "passport_no": "P1234567",
        "nationality": "JPN",
        "given_name_en": "Aiko",
        "family_name_en": "Tanaka",
        "password": "!",
    }
    values.update(fields)
    return SandboxIdentity(**values)


@pytest.mark.django_db
def test_the_database_keeps_the_person_kinds_apart() -> None:
    _foreigner().save()
    _foreigner(passport_no="P7654321").save()  # two foreigners without a Thai ID: fine
    bad = [
        _foreigner(passport_no="P1234567"),  # passport taken
        _foreigner(passport_no="", nationality=""),  # a foreigner needs a passport
        _foreigner(passport_no="P9999999", nationality="jpn"),  # not ISO alpha-3 (capitals)
        _foreigner(passport_no="p9999999"),  # stored in capitals only
        SandboxIdentity(given_name_th="สมชาย", family_name_th="ดี", password="!"),  # no ID
        SandboxIdentity(
            citizen_id=thai_id(1),
            passport_no="P5555555",
            nationality="THA",
            given_name_th="สมชาย",
            password="!",
        ),  # a Thai signs in with the citizen ID only
    ]
    for identity in bad:
        with pytest.raises(IntegrityError), transaction.atomic():
            identity.save()
    SandboxIdentity(citizen_id=thai_id(2), given_name_th="สมชาย", password="!").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _foreigner(passport_no="P2222222", citizen_id=thai_id(2)).save()  # ID taken


def test_model_validation_explains_in_both_languages() -> None:
    with pytest.raises(ValidationError) as caught:
        _foreigner(passport_no="", nationality="United Kingdom").clean()
    assert set(caught.value.message_dict) == {"passport_no", "nationality"}
    assert "กรุณากรอกเลขหนังสือเดินทาง" in caught.value.message_dict["passport_no"][0]
    with pytest.raises(ValidationError) as caught:
        SandboxIdentity(given_name_th="สมชาย").clean()
    assert "citizen_id" in caught.value.message_dict
    identity = _foreigner(passport_no=" xa7 654321 ".replace(" ", ""), nationality="gbr")
    identity.clean()
    assert (identity.passport_no, identity.nationality) == ("XA7654321", "GBR")


@pytest.mark.django_db
def test_the_foreign_demo_person_is_seeded_idempotently() -> None:
    demo.seed_foreigners()
    demo.seed_foreigners()
    identity = SandboxIdentity.objects.get(passport_no="XA1234567")
    assert identity.person_kind == "foreign"
    assert identity.citizen_id == ""
    assert identity.check_password(demo.DEMO_PASSWORD)
    assert SandboxIdentity.objects.filter(person_kind="foreign").count() == 1


@pytest.mark.django_db
def test_the_demo_loader_prints_the_passport_login_and_the_totp_secret() -> None:
    logins = demo.load_demo()
    shown = {(login.login, login.password): login.note for login in logins}
    assert ("XA1234567", demo.DEMO_PASSWORD) in shown
    assert demo.DEMO_TOTP_SECRET in shown[(PERSON.citizen_id, demo.DEMO_PASSWORD)]
    identity = SandboxIdentity.objects.get(citizen_id=PERSON.citizen_id)
    assert identity.totp_secret == demo.DEMO_TOTP_SECRET

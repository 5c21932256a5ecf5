"""The card-reader plugin trusts only answers signed with the shared key, for the nonce
it sent, made just now: a replayed or made-up answer is refused."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from bizportal.identity.card_readers import CardReadError, ChipRead, check_chip
from bizportal.identity.contrib.sandbox_card_reader import _verified

KEY = "sandbox-card-reader-key-0123456789abcdef"


def token(key: str = KEY, **claims: Any) -> str:
    return jwt.encode(
        {"alg": "HS256"},
        {"nonce": "n-1", "iat": int(time.time()), **claims},
        OctKey.import_key(key.encode()),
    )


@pytest.fixture(autouse=True)
def shared_key(settings: Any) -> None:
    settings.CARD_READER_KEY = KEY


def test_an_answer_signed_for_this_nonce_just_now_is_accepted() -> None:
    assert _verified(token(citizen_id="1"), "n-1")["citizen_id"] == "1"


@pytest.mark.parametrize(
    "answer",
    [
        token(key="a-key-nobody-shared-with-the-portal-0123"),  # made up
        token(nonce="n-0"),  # replayed: another read's answer
        token(iat=int(time.time()) - 3600),  # replayed: an old answer
        "not.a.token",
    ],
)
def test_a_forged_or_replayed_answer_is_refused(answer: str) -> None:
    with pytest.raises(CardReadError) as refused:
        _verified(answer, "n-1")
    assert refused.value.code == "signature"


def test_without_a_configured_key_every_answer_is_refused(settings: Any) -> None:
    settings.CARD_READER_KEY = ""
    with pytest.raises(CardReadError):
        _verified(token(), "n-1")


def chip(**changes: Any) -> ChipRead:
    values: dict[str, Any] = {
        "citizen_id": "3700100789011",
        "name_th": "",
        "name_en": "",
        "birth_date": dt.date(1985, 2, 28),
        "card_no": "JT1",
        "issued": dt.date(2020, 1, 1),
        "expires": dt.date(2030, 1, 1),
        "photo_sha256": "0" * 64,
        "face_score": 0.9,
        **changes,
    }
    return ChipRead(**values)


@pytest.mark.parametrize(
    ("card", "face", "code"),
    [
        (chip(citizen_id="3101700123452"), False, "mismatch"),
        (chip(expires=dt.date(2026, 1, 1)), False, "expired"),
        (chip(face_score=0.5), True, "face"),
        (chip(face_score=None), True, "face"),
    ],
)
def test_a_chip_that_does_not_prove_the_person_today_is_refused(
    card: ChipRead, face: bool, code: str
) -> None:
    with pytest.raises(CardReadError) as refused:
        check_chip(card, "3700100789011", face=face, today=dt.date(2026, 6, 1))
    assert refused.value.code == code


def test_the_expiry_day_itself_still_proves() -> None:
    check_chip(
        chip(expires=dt.date(2026, 6, 1)), "3700100789011", face=True, today=dt.date(2026, 6, 1)
    )

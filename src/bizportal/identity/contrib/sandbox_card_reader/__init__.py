"""The card-reader plugin that talks to a reader agent over HTTP (the sandbox agent in
``server.py``, or any agent speaking the same protocol): lists the cards, asks for a
read with a fresh nonce, and trusts the answer only when its HS256 signature verifies
with ``CARD_READER_KEY`` and it carries that nonce and a recent ``iat``."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from bizportal.identity.card_readers import Card, CardReadError, ChipRead, card_readers

TIMEOUT_SECONDS = 5
#: An answer older than this is not this read's (clock skew of the agent's PC allowed).
MAX_AGE_SECONDS = 120


def _unavailable() -> CardReadError:
    return CardReadError(
        "unavailable", _("The card reader does not answer; check that its program is running")
    )


@card_readers.register("sandbox")
class HttpCardReader:
    def cards(self) -> list[Card]:
        try:
            response = requests.get(f"{settings.CARD_READER_URL}/cards/", timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
            listed = response.json()["cards"]
        except (requests.RequestException, ValueError, KeyError):
            return []
        return [Card(str(card["id"]), str(card["label"])) for card in listed]

    def read(self, card: str, *, compare_face: bool) -> ChipRead:
        nonce = secrets.token_urlsafe(16)
        try:
            response = requests.post(
                f"{settings.CARD_READER_URL}/read/",
                json={"card": card, "nonce": nonce, "face": compare_face},
                timeout=TIMEOUT_SECONDS,
            )
        except requests.RequestException:
            raise _unavailable() from None
        if response.status_code == 404:
            raise CardReadError("no_card", _("There is no such card in the reader"))
        if response.status_code != 200:
            raise _unavailable()
        try:
            token = str(response.json()["token"])
        except (ValueError, KeyError):
            raise _unavailable() from None
        return chip_from_claims(_verified(token, nonce), compare_face)


def _verified(token: str, nonce: str) -> dict[str, Any]:
    """The claims, if the reader agent signed them for this nonce just now."""
    key = settings.CARD_READER_KEY
    bad = CardReadError(
        "signature", _("The card reader's answer is not signed by the counter's reader")
    )
    if not key:
        raise bad
    try:
        claims = jwt.decode(token, OctKey.import_key(key.encode()), algorithms=["HS256"]).claims
    except (JoseError, ValueError):
        raise bad from None
    fresh = abs(time.time() - float(claims.get("iat", 0))) <= MAX_AGE_SECONDS
    if claims.get("nonce") != nonce or not fresh:
        raise bad
    return claims


def chip_from_claims(claims: dict[str, Any], compare_face: bool) -> ChipRead:
    """The chip's data from a verified answer's claims (refused if incomplete)."""
    try:
        return ChipRead(
            citizen_id=str(claims["citizen_id"]),
            name_th=str(claims.get("name_th", "")),
            name_en=str(claims.get("name_en", "")),
            birth_date=dt.date.fromisoformat(claims["birth_date"]),
            card_no=str(claims["card_no"]),
            issued=dt.date.fromisoformat(claims["issued"]),
            expires=dt.date.fromisoformat(claims["expires"]),
            photo_sha256=str(claims["photo_sha256"]),
            face_score=float(claims["face_score"]) if compare_face else None,
        )
    except (KeyError, ValueError, TypeError):
        raise CardReadError("unavailable", _("The card reader's answer is incomplete")) from None

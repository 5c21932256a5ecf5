"""The sandbox card-reader agent: stands in for the program on a counter's PC that
drives the smart-card reader and the camera.

It speaks the same small HTTP protocol a real agent would: ``GET cards/`` lists the
cards in the reader (here: the demo cards, one per demo person, plus an expired card
and a card whose photo matches the live face poorly); ``POST read/`` with
``{"card", "nonce", "face"}`` answers ``{"token": <JWS>}``, an HS256-signed JWT of the
chip's data (and the face-comparison score when ``face`` is true) carrying the
portal's nonce, so an answer cannot be replayed or made up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from joserfc import jwt
from joserfc.jwk import OctKey

from bizportal.identity.card_readers import ChipRead
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES

from . import chip_from_claims


@dataclass(frozen=True)
class DemoCard:
    id: str
    person: int
    expires: dt.date
    face_score: float


_FAR = dt.date(2031, 12, 31)
DEMO_CARDS: tuple[DemoCard, ...] = (
    *(DemoCard(f"card-{i + 1}", i, _FAR, 0.94) for i in range(len(DEMO_IDENTITIES))),
    DemoCard("card-expired", 0, dt.date(2020, 4, 11), 0.93),
    DemoCard("card-poor-match", 1, _FAR, 0.41),
)


def _card(card_id: str) -> DemoCard | None:
    return next((card for card in DEMO_CARDS if card.id == card_id), None)


def _claims(card: DemoCard, nonce: str, face: bool) -> dict[str, Any]:
    person = DEMO_IDENTITIES[card.person]
    claims: dict[str, Any] = {
        "iss": "sandbox-card-reader",
        "iat": int(time.time()),
        "nonce": nonce,
        "citizen_id": person.citizen_id,
        "name_th": person.name_th,
        "name_en": person.name_en,
        "birth_date": person.birth_date.isoformat(),
        "card_no": f"JT{person.citizen_id[-9:]}{card.id[-1].upper()}",
        "issued": (card.expires.replace(year=card.expires.year - 8)).isoformat(),
        "expires": card.expires.isoformat(),
        "photo_sha256": hashlib.sha256(f"photo:{person.citizen_id}".encode()).hexdigest(),
    }
    if face:
        claims["face_score"] = card.face_score
    return claims


def demo_chip(card_id: str, *, face: bool) -> ChipRead:
    """A demo card's chip as the plugin would return it after a read, for the demo
    loaders, which run with no server to ask."""
    card = _card(card_id)
    if card is None:
        raise LookupError(card_id)
    return chip_from_claims(_claims(card, "demo", face), face)


@require_GET
def cards(request: HttpRequest) -> JsonResponse:
    listed = [
        {"id": card.id, "label": f"{card.id} · {DEMO_IDENTITIES[card.person].name_th}"}
        for card in DEMO_CARDS
    ]
    return JsonResponse({"cards": listed})


@csrf_exempt
@require_POST
def read(request: HttpRequest) -> JsonResponse:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"error": "invalid_json"}, status=400)
    card = _card(str(body.get("card", "")))
    nonce = str(body.get("nonce", ""))
    if card is None:
        return JsonResponse({"error": "no_card"}, status=404)
    if not nonce:
        return JsonResponse({"error": "nonce_required"}, status=400)
    # The agent's own copy of the shared key (the portal's, unless set apart for a test).
    own = getattr(settings, "SANDBOX_CARD_READER_KEY", "") or settings.CARD_READER_KEY
    key = OctKey.import_key(own.encode())
    token = jwt.encode({"alg": "HS256"}, _claims(card, nonce, bool(body.get("face"))), key)
    return JsonResponse({"token": token})


app_name = "sandbox_card_reader"
urlpatterns = [
    path("cards/", cards, name="cards"),
    path("read/", read, name="read"),
]

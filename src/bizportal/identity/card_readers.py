"""Reading a Thai ID card's chip at the service counter, through a plugin.

The counter's smart-card reader is driven by a small agent on the officer's machine;
the portal asks it over HTTP and accepts only answers signed with the key shared with
that agent, so a page cannot hand the portal made-up chip data. A real reader agent
replaces the sandbox one by registering another plugin under ``card_readers`` and
setting ``CARD_READER``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from bizportal.core.registry import Registry


@dataclass(frozen=True)
class ChipRead:
    """What the chip says (and, with a live photo taken, how well the face matched)."""

    citizen_id: str
    name_th: str
    name_en: str
    birth_date: dt.date
    card_no: str
    issued: dt.date
    expires: dt.date
    photo_sha256: str
    face_score: float | None = None


@dataclass(frozen=True)
class Card:
    """A card the reader offers (the sandbox's demo cards; a real reader: the one in it)."""

    id: str
    label: str


class CardReadError(Exception):
    """The reader gave no trustworthy answer: ``code`` says why (``unavailable``,
    ``signature``, ``no_card``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class CardReader(Protocol):
    def cards(self) -> list[Card]:
        """The cards in the reader now."""

    def read(self, card: str, *, compare_face: bool) -> ChipRead:
        """The chip's data, signed by the reader agent and checked here."""


card_readers: Registry[CardReader] = Registry("card reader")


def reader() -> CardReader:
    return card_readers[settings.CARD_READER]


def check_chip(chip: ChipRead, citizen_id: str, *, face: bool, today: dt.date) -> None:
    """Refuse a chip that does not prove ``citizen_id`` today: another person's card,
    an expired card, or (with face comparison) a face that does not match well enough."""
    if chip.citizen_id != citizen_id:
        raise CardReadError("mismatch", _("The card in the reader is not this citizen ID's card"))
    if chip.expires < today:
        raise CardReadError(
            "expired",
            _("The ID card expired on %(date)s; it cannot prove identity")
            % {"date": chip.expires.isoformat()},
        )
    if face:
        threshold = float(settings.CARD_READER_FACE_THRESHOLD)
        if chip.face_score is None or chip.face_score < threshold:
            raise CardReadError(
                "face",
                _("The face does not match the card photo (score %(score)s, needs %(needed)s)")
                % {"score": chip.face_score, "needed": threshold},
            )

"""Reading the message log as an agency keeps it (X-Road's security server: each member
holds the log of its own requests and of those answered for it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import MessageLogEntry

Role = Literal["consumer", "provider"]
BAD_CURSOR = _("The page cursor (before) is not valid")


@dataclass(frozen=True)
class LogPage:
    entries: list[MessageLogEntry]
    next_before: int | None


def agency_log(agency_code: str, role: Role, *, before: str = "", size: int = 50) -> LogPage:
    """The agency's entries as consumer (what it asked) or as provider (what was asked of
    it), newest first, keyset-paginated on ``seq``: a range scan of the log's consumer
    or provider index, so an old page costs what the first does."""
    entries = MessageLogEntry.objects.select_related("officer").order_by("-seq")
    if role == "provider":
        entries = entries.filter(provider=agency_code)
    else:
        entries = entries.filter(consumer_agency=agency_code)
    if before:
        entries = entries.filter(seq__lt=_position(before))
    found = list(entries[: size + 1])
    return LogPage(found[:size], found[size - 1].seq if len(found) > size else None)


def _position(before: str) -> int:
    if not before.isdigit() or not 0 < int(before) < 2**63:
        raise ValidationError(BAD_CURSOR, code="cursor")
    return int(before)

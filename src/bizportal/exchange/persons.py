"""A person's civil-registry record through the gateway, as the registry client's
:class:`~bizportal.registries.client.PersonRecord`.

The portal reads the civil registry for itself twice: when a person signs in (their own
record) and when a counter officer proves a walk-in person's identity. Both go through
:func:`bizportal.exchange.gateway.fetch`, so each read is a signed message-log entry the
person sees in their data tracker; this module is the one place that turns the answer
back into the record the identity services take, so callers do not rebuild it by hand.
"""

from __future__ import annotations

from bizportal.registries import client
from bizportal.registries.client import PersonRecord

from . import gateway

#: The data service the portal reads people from.
CIVIL_PERSON = "civil-person"
#: The purpose step of identity proofing at the service counter (a mission may name it).
COUNTER_PROOFING = "counter_proofing"
#: Refusals that mean the portal's own set-up is wrong, not the request: no active
#: ``civil-person`` data service, or one without the fields a record is made of.
NOT_CONFIGURED = frozenset({gateway.Reason.UNKNOWN_DATA_SERVICE, gateway.Reason.UNKNOWN_FIELDS})
#: What a :class:`PersonRecord` is made of: the fields asked for, no more.
PERSON_RECORD_FIELDS = (
    "citizen_id",
    "title_th",
    "first_name_th",
    "last_name_th",
    "title_en",
    "first_name_en",
    "last_name_en",
    "birth_date",
    "address",
)


def person_record(answer: gateway.Answer) -> PersonRecord:
    """The record a ``civil-person`` answer describes. Fields the answer lacks are
    empty: the gateway returns only what was asked for and allowed."""
    return client.person_record(str(answer.data.get("citizen_id") or ""), answer.data)


def fetch_person_record(
    consumer: gateway.Consumer, citizen_id: str, purpose: gateway.Purpose
) -> PersonRecord:
    """``citizen_id``'s civil-registry record for ``consumer``, through the gateway.

    Raises :class:`~bizportal.exchange.gateway.Refused` (logged) as the gateway does;
    the callers map its reason to what their page says."""
    answer = gateway.fetch(consumer, CIVIL_PERSON, citizen_id, list(PERSON_RECORD_FIELDS), purpose)
    return person_record(answer)

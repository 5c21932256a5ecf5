"""Events the licences app announces (see :mod:`bizportal.core.events`)."""

from __future__ import annotations

from bizportal.core import events

LICENCE_ISSUED = events.declare(
    "licences.version_issued",
    "A licence version was signed and issued: a new licence (kind new), an amendment or "
    "a renewal. The previous version, if any, is superseded from now on.",
    payload=("number", "version", "kind", "application_reference", "agency", "service"),
    filters=("agency", "service", "kind"),
)
LICENCE_CANCELLED = events.declare(
    "licences.licence_cancelled",
    "The holder surrendered the licence; it verifies as cancelled from now on.",
    payload=("number", "application_reference", "agency", "service"),
    filters=("agency", "service"),
)
LICENCE_REVOKED = events.declare(
    "licences.licence_revoked",
    "The agency revoked the licence; it verifies as revoked from now on.",
    payload=("number", "reason", "agency", "service"),
    filters=("agency", "service"),
)
LICENCE_SUSPENDED = events.declare(
    "licences.licence_suspended",
    "The agency suspended the licence (until a date, or until reinstated); it verifies as "
    "suspended meanwhile.",
    payload=("number", "until", "reason", "agency", "service"),
    filters=("agency", "service"),
)
LICENCE_REINSTATED = events.declare(
    "licences.licence_reinstated",
    "A suspension ended (reinstated by the agency, or its last day passed).",
    payload=("number", "agency", "service"),
    filters=("agency", "service"),
)
LICENCE_EXPIRY_APPROACHING = events.declare(
    "licences.expiry_approaching",
    "A licence's term runs out within a reminder threshold (LICENCE_EXPIRY_REMINDER_DAYS); "
    "sent once per term and threshold, so the holder can renew in time.",
    payload=("number", "valid_until", "days_left", "agency", "service"),
    filters=("agency", "service"),
)
LICENCE_EXPIRED = events.declare(
    "licences.licence_expired",
    "The last day of the licence's term passed without a renewal; it verifies as "
    "expired from now on (a renewal within the late-renewal period makes it valid again).",
    payload=("number", "valid_until", "agency", "service"),
    filters=("agency", "service"),
)

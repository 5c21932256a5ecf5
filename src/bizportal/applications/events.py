"""Events the applications app announces (see :mod:`bizportal.core.events`)."""

from __future__ import annotations

from bizportal.core import events

STATUS_CHANGED = events.declare(
    "applications.status_changed",
    "The status people see changed: submitted, sent back for correction, approved, "
    "paid, issued, rejected. The payload carries the officer's note shown to the applicant.",
    payload=(
        "reference",
        "kind",
        "from_status",
        "to_status",
        "step",
        "note",
        "licence_number",
        "agency",
        "service",
    ),
    filters=("agency", "service", "to_status"),
)

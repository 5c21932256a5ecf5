"""Events the inspections app announces (see :mod:`bizportal.core.events`)."""

from __future__ import annotations

from bizportal.core import events

INSPECTION_SCHEDULED = events.declare(
    "inspections.scheduled",
    "An officer made (or moved) the appointment to inspect the premises.",
    payload=("reference", "scheduled_for", "place", "agency", "service"),
    filters=("agency", "service"),
)

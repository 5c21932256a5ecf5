"""Events the catalogue announces (see :mod:`bizportal.core.events`)."""

from __future__ import annotations

from bizportal.core import events

REVISION_CHANGED = events.declare(
    "catalog.revision_changed",
    "A revision of a service's citizen manual moved on: started, submitted for review, "
    "withdrawn, discarded, rejected (with the reviewer's note) or published (the service "
    "now shows it).",
    payload=("service", "agency", "revision", "number", "from_state", "to_state", "note"),
    filters=("agency", "service", "to_state"),
)

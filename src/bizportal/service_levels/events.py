"""Events the service-level clocks announce (see :mod:`bizportal.core.events`)."""

from __future__ import annotations

from bizportal.core import events

AT_RISK = events.declare(
    "service_levels.at_risk",
    "An application's service-level due date is near (SERVICE_LEVEL_AT_RISK_DAYS working "
    "days or fewer left): the agency's officers are told, once per application.",
    payload=("reference", "due_on", "days_left", "agency", "service"),
    filters=("agency", "service"),
)
BREACHED = events.declare(
    "service_levels.breached",
    "An application passed its service-level due date while still open: the agency's "
    "supervisors are told, once per application.",
    payload=("reference", "due_on", "days_left", "agency", "service"),
    filters=("agency", "service"),
)

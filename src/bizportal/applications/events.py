"""Events the applications app announces (see :mod:`bizportal.core.events`)."""

from __future__ import annotations

from bizportal.core import events

SUBMITTED = events.declare(
    "applications.submitted",
    "An applicant submitted an application (first time), or resubmitted it after a correction.",
    payload=("reference", "kind", "resubmitted", "agency", "service"),
    filters=("agency", "service", "kind"),
)
STEP_COMPLETED = events.declare(
    "applications.step_completed",
    "A step of the application's process ended: who acted, the decision taken, and the "
    "step's type (officer-review, inspection, payment, issue-licence ...).",
    payload=("reference", "kind", "step", "type", "action", "performer", "agency", "service"),
    filters=("agency", "service", "type"),
)
STATUS_CHANGED = events.declare(
    "applications.status_changed",
    "The status people see changed: submitted, sent back for correction, inspection, "
    "awaiting payment, issued, rejected. The payload carries the note shown to the "
    "applicant and, once issued, the licence number.",
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
SYSTEM_STEP_DUE = events.declare(
    "applications.system_step_due",
    "The process reached a step the system performs (issue the licence, cancel it): "
    "the applications app runs it after commit, retried by the outbox if it fails.",
    payload=("reference", "step", "type"),
    filters=("type",),
)
SIGNATURE_REQUESTED = events.declare(
    "applications.signature_requested",
    "A company registered with joint signing: the first person signed the submission; "
    "a second person with authority to submit for it must sign by the deadline.",
    payload=("reference", "party", "deadline", "signed_by"),
)

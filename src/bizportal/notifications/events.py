"""Events the notifications app announces (see :mod:`bizportal.core.events`)."""

from __future__ import annotations

from bizportal.core import events

MESSAGE_REQUESTED = events.declare(
    "notifications.message_requested",
    "A notify step of a process asked for a message from a template, to the applicant or "
    "to the owning agency.",
    payload=("template", "to", "reference", "step"),
    filters=("template", "to"),
)

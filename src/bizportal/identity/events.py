"""Events the identity app announces (see :mod:`bizportal.core.events`)."""

from __future__ import annotations

from bizportal.core import events

MANDATE_ACCEPTED = events.declare(
    "identity.mandate_accepted",
    "A delegate accepted a mandate: it is in force from its first day. When it covers a "
    "service whose law needs a written power of attorney, the portal issues the signed "
    "written mandate on this event.",
    payload=("mandate", "needs_document"),
)

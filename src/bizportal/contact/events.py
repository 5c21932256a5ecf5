"""Events the contact app announces (see :mod:`bizportal.core.events`).

``contact.complaint_closed`` is a contract with other apps (satisfaction surveys
subscribe to it): its payload keys and their meaning do not change without them."""

from __future__ import annotations

from bizportal.core import events

CASE_OPENED = events.declare(
    "contact.case_opened",
    "A complaint or enquiry was filed (online or by helpdesk staff) and routed: the "
    "officers of each agency it concerns are told.",
    payload=("reference", "kind", "agency", "agencies", "service"),
    filters=("kind", "agency"),
)
CASE_SHARED = events.declare(
    "contact.case_shared",
    "An open case was shared with one more agency: that agency's officers are told.",
    payload=("reference", "kind", "agency", "shared_with"),
    filters=("kind", "agency"),
)
CASE_MESSAGE = events.declare(
    "contact.case_message",
    "A message was added to a case's thread: an agency's answer tells the person, the "
    "person's message tells the officers of the agencies the case concerns.",
    payload=("reference", "kind", "side", "agency"),
    filters=("kind", "side", "agency"),
)
CASE_ESCALATED = events.declare(
    "contact.case_escalated",
    "An open case passed its due date (Thai working days): the owner agency's "
    "supervisors are told, once per case.",
    payload=("reference", "kind", "agency", "due_on"),
    filters=("kind", "agency"),
)
COMPLAINT_CLOSED = events.declare(
    "contact.complaint_closed",
    "A complaint or enquiry was closed by its owner agency. ``complaint``: the case's "
    "public id; ``person``: the account's user id or empty for an anonymous case; "
    "``email``: where answers go; ``service``: the catalogue slug of the service it was "
    "about, or empty.",
    payload=("complaint", "person", "email", "service"),
    filters=("service",),
)
APPLICATION_MESSAGE = events.declare(
    "contact.application_message",
    "A question or answer was added to an application's message thread: the other side "
    "(the applicant, or the agency's officers) is told.",
    payload=("reference", "side", "agency", "service"),
    filters=("side", "agency", "service"),
)

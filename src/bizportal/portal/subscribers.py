"""What the portal does when events arrive (delivered by the outbox)."""

from __future__ import annotations

from bizportal.core import events
from bizportal.core.models import DomainEvent
from bizportal.identity.events import MANDATE_ACCEPTED
from bizportal.identity.models import Mandate

from .written_mandates import issue_document


@events.subscriber(MANDATE_ACCEPTED, name="portal.issue_written_mandate")
def issue_written_mandate(event: DomainEvent) -> None:
    """Sign the written mandate after the acceptance committed, so the delegate's click
    never waits on the time stamp; a failure (trust services down) is retried by the
    outbox, and the delegate meanwhile gets the "not issued yet" refusal. Whether a
    document is needed is asked again here (not taken from the payload), so a service
    marked meanwhile is not missed."""
    mandate = Mandate.objects.filter(public_id=event.payload["mandate"]).first()
    if mandate is not None:
        issue_document(mandate)

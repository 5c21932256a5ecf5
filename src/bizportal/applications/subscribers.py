"""What the applications app does when events arrive (delivered by the outbox)."""

from __future__ import annotations

from bizportal.core import events
from bizportal.core.models import DomainEvent

from . import services
from .events import SYSTEM_STEP_DUE
from .models import Application


@events.subscriber(SYSTEM_STEP_DUE, name="applications.perform_system_steps")
def perform_system_steps(event: DomainEvent) -> None:
    """Run the steps the system performs once the transaction that reached them committed."""
    application = Application.objects.get(public_id=event.subject_id)
    services.perform_system_steps(application)

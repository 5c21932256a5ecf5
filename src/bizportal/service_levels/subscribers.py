"""The clocks follow the applications' events: each event rebuilds its application's
clock from the history (``services.refresh_clock``), so the order and number of
deliveries do not matter."""

from __future__ import annotations

from bizportal.applications.events import STATUS_CHANGED, STEP_COMPLETED
from bizportal.applications.models import Application
from bizportal.core import events
from bizportal.core.models import DomainEvent

from . import services


def _refresh(event: DomainEvent) -> None:
    application_id = (
        Application.objects.filter(public_id=event.subject_id).values_list("pk", flat=True).first()
    )
    if application_id is not None:  # a discarded draft has nothing to count
        services.refresh_clock(application_id)


for _event_type in (STATUS_CHANGED, STEP_COMPLETED):
    events.subscriber(_event_type, name=f"service_levels.clock.{_event_type.name}")(_refresh)

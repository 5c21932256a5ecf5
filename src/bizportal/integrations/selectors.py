"""Reading integration settings."""

from __future__ import annotations

from bizportal.catalog.models import Service

from .models import IntegrationVersion


def current_integration(service: Service) -> IntegrationVersion | None:
    """The version new forwardings use; none: decided in the portal's back office."""
    return (
        IntegrationVersion.objects.select_related("agency_system")
        .filter(service=service, is_current=True)
        .first()
    )

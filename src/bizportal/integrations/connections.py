"""The agency endpoints this app forwards to, declared to the connection monitor: one
connection per agency system and endpoint address that a current online integration
uses, its IT officers as the contacts, and its forwardings as the queue."""

from __future__ import annotations

import hashlib

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from bizportal.identity.models import StaffRole
from bizportal.monitoring import connections as monitor
from bizportal.monitoring.connections import Backlog, Connection

from .models import Forwarding, ForwardingState, IntegrationVersion, Mode


def it_contacts(agency_id: int) -> list[str]:
    """The e-mail addresses of the agency's active IT officers."""
    users = get_user_model().objects.filter(
        agency_id=agency_id, is_active=True, groups__name=StaffRole.AGENCY_IT
    )
    return sorted({email for email in users.values_list("email", flat=True) if email})


def backlog(system_id: int) -> Backlog:
    counts = Forwarding.objects.filter(agency_system_id=system_id, mode=Mode.ONLINE).aggregate(
        queued=Count("pk", filter=Q(state=ForwardingState.PENDING)),
        dead=Count("pk", filter=Q(state=ForwardingState.DEAD)),
    )
    return Backlog(queued=counts["queued"], dead=counts["dead"])


@monitor.source("integrations")
def agency_endpoints() -> list[Connection]:
    current = (
        IntegrationVersion.objects.filter(
            is_current=True, mode=Mode.ONLINE, agency_system__is_active=True
        )
        .exclude(endpoint_url="")
        .select_related("agency_system__agency")
    )
    urls: dict[tuple[int, str], IntegrationVersion] = {}
    for integration in current:
        assert integration.agency_system is not None
        urls.setdefault((integration.agency_system.pk, integration.endpoint_url), integration)
    per_system: dict[int, int] = {}
    for system_pk, _url in urls:
        per_system[system_pk] = per_system.get(system_pk, 0) + 1
    found = []
    for (system_pk, url), integration in urls.items():
        system = integration.agency_system
        assert system is not None
        key = f"agency_endpoint:{system.code}"
        if per_system[system_pk] > 1:  # one system, several addresses: tell them apart
            key += ":" + hashlib.sha256(url.encode()).hexdigest()[:8]
        agency_id = system.agency_id
        found.append(
            Connection(
                key=key,
                kind=monitor.Kind.AGENCY_ENDPOINT,
                label=system.name_th or system.code,
                agency=system.agency.code,
                target=url,
                probe=lambda url=url: monitor.probe_http(url),  # type: ignore[misc]
                contacts=lambda agency_id=agency_id: it_contacts(agency_id),  # type: ignore[misc]
                backlog=lambda system_pk=system_pk: backlog(system_pk),  # type: ignore[misc]
            )
        )
    return found

"""The registries behind the exchange's provider connectors, declared to the connection
monitor: one platform connection per connector, probed at its registry's base address
(any answer below 500, a 401 to the probe's missing token included, means it is up).
Their operators are other agencies; the platform hears of an outage through the
Prometheus alerts."""

from __future__ import annotations

from django.conf import settings

from bizportal.monitoring import connections as monitor
from bizportal.monitoring.connections import Connection

from .providers import providers

#: The setting holding each connector's registry address.
REGISTRY_URLS = {
    "civil_registry": "CIVIL_REGISTRY_URL",
    "juristic_registry": "JURISTIC_REGISTRY_URL",
    "revenue_tax_status": "REVENUE_REGISTRY_URL",
    "diw_factory_licence": "DIW_REGISTRY_URL",
}


@monitor.source("exchange")
def exchange_providers() -> list[Connection]:
    found = []
    for name, _provider in providers:
        setting = REGISTRY_URLS.get(name)
        url = str(getattr(settings, setting, "")) if setting else ""
        if not url:
            continue  # a connector with no address of its own to probe
        found.append(
            Connection(
                key=f"exchange_provider:{name}",
                kind=monitor.Kind.EXCHANGE_PROVIDER,
                label=name,
                target=url,
                probe=lambda url=url: monitor.probe_http(url),  # type: ignore[misc]
            )
        )
    return found

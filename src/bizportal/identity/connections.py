"""The identity providers people sign in with, declared to the connection monitor: each
enabled provider is a platform connection (no agency's), probed with its own probe.
Platform operators hear of them through the Prometheus alerts, not by e-mail."""

from __future__ import annotations

from bizportal.monitoring import connections as monitor
from bizportal.monitoring.connections import Connection

from . import providers


@monitor.source("identity")
def identity_providers() -> list[Connection]:
    return [
        Connection(
            key=f"identity_provider:{name}",
            kind=monitor.Kind.IDENTITY_PROVIDER,
            label=providers.providers[name].label_en or name,
            probe=providers.providers[name].probe,
        )
        for name in providers.enabled()
    ]

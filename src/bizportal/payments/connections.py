"""The payment providers payers are offered, declared to the connection monitor: each
enabled provider (``PAYMENT_PROVIDERS``) is a platform connection, probed at its
gateway's address (any answer below 500 means it is up). The platform hears of an outage
through the Prometheus alerts; payers see the channels the pay page offers."""

from __future__ import annotations

from django.conf import settings

from bizportal.monitoring import connections as monitor
from bizportal.monitoring.connections import Connection

from .providers import providers

#: The setting holding each provider's gateway address (the sandbox bank serves three).
GATEWAY_URLS = {
    "sandbox": "PAYMENT_SANDBOX_URL",
    "sandbox_promptpay": "PAYMENT_SANDBOX_URL",
    "sandbox_counter": "PAYMENT_SANDBOX_URL",
    "sandbox_card": "PAYMENT_CARD_URL",
    "sandbox_cgd": "PAYMENT_CGD_URL",
}


@monitor.source("payments")
def payment_providers() -> list[Connection]:
    found = []
    for name in settings.PAYMENT_PROVIDERS:
        setting = GATEWAY_URLS.get(name)
        url = str(getattr(settings, setting, "")) if setting else ""
        if name not in providers or not url:
            continue  # not installed, or no gateway address of its own to probe
        found.append(
            Connection(
                key=f"payment_provider:{name}",
                kind=monitor.Kind.PAYMENT_PROVIDER,
                label=name,
                target=url,
                probe=lambda url=url: monitor.probe_http(url),  # type: ignore[misc]
            )
        )
    return found

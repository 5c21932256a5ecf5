"""Detection rules over the security events, evaluated as the events happen.

Each rule watches some event names, counts per key (the source address, the account,
the agency system) within a window, either every event or only distinct items (the
accounts tried, the records opened), and raises an alert when the count reaches its
threshold. Counting is in the shared cache (Redis in production), so every web process
adds to the same counts; windows are fixed (bucketed by time), so an attack spread
exactly over a window's boundary needs up to twice the threshold to be seen.

Thresholds and windows come from ``settings.SECURITY_DETECTION`` so a security team
tunes them without code; the defaults are set so the demo journeys raise nothing.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from bizportal.core.security_events import SecurityEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    """What one rule counts; its threshold and window are settings."""

    name: str
    events: frozenset[str]
    key: Callable[[SecurityEvent], str]
    distinct: Callable[[SecurityEvent], str] | None = None

    @property
    def threshold(self) -> int:
        return int(settings.SECURITY_DETECTION[self.name]["threshold"])

    @property
    def window(self) -> int:
        return int(settings.SECURITY_DETECTION[self.name]["window"])


RULES: list[Rule] = [
    # Many accounts tried from one address: password spraying (or credential stuffing).
    Rule(
        "password_spraying",
        frozenset({"sign_in.failed", "sign_in.locked_out"}),
        key=lambda e: e.source_ip,
        distinct=lambda e: e.actor or e.target,
    ),
    # Numbers typed one after another from one address or account: enumeration.
    Rule(
        "identifier_enumeration",
        frozenset({"lookup.by_number"}),
        key=lambda e: e.actor or e.source_ip,
    ),
    # An officer opening far more people's records than any case needs.
    Rule(
        "mass_record_access",
        frozenset({"record.opened"}),
        key=lambda e: e.actor,
        distinct=lambda e: e.target,
    ),
    # An agency system asking the exchange far more than usual.
    Rule(
        "exchange_volume_spike",
        frozenset({"exchange.request", "exchange.refused"}),
        key=lambda e: e.actor,
    ),
]


def observe(event: SecurityEvent) -> None:
    """Count ``event`` for every rule that watches it; raise an alert at the threshold."""
    for rule in RULES:
        if event.name not in rule.events:
            continue
        key = rule.key(event)
        if not key:
            continue
        count = _count(rule, key, rule.distinct(event) if rule.distinct else None)
        if count == rule.threshold:
            from . import services

            services.raise_alert(rule, key, count)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _count(rule: Rule, key: str, item: str | None) -> int:
    """The count in the current window after this event (0 when the cache is down:
    detection fails open, like the rate limits)."""
    bucket = int(time.time() // rule.window)
    counter = f"secrule:{rule.name}:{_digest(key)}:{bucket}"
    try:
        if item is not None:
            seen = f"{counter}:{_digest(item)}"
            if not cache.add(seen, 1, rule.window * 2):
                return int(cache.get(counter, 0))
        cache.add(counter, 0, rule.window * 2)
        return int(cache.incr(counter))
    except Exception:
        log.warning("detection rule %s not counted: cache unavailable", rule.name, exc_info=True)
        return 0

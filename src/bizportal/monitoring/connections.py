"""The connections the portal depends on, as the apps that own them declare them.

Monitoring sits low in the layers, so it cannot know what an agency endpoint or an
identity provider is. Each app instead registers a *source* in its ``ready()``: a
function that lists its connections now (one per active agency endpoint, one per
enabled provider ...), each with a probe that says whether it answers. The probe sweep
(:mod:`bizportal.monitoring.services`) asks every source, probes, and records the
outcome; the health page and the Prometheus gauges read those records.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from django.conf import settings


class Kind:
    """What a connection is, for grouping on the page and as a metric label."""

    AGENCY_ENDPOINT = "agency_endpoint"
    EXCHANGE_PROVIDER = "exchange_provider"
    PAYMENT_PROVIDER = "payment_provider"
    IDENTITY_PROVIDER = "identity_provider"


@dataclass(frozen=True)
class Backlog:
    """Work waiting on a connection: queued for it, and given up on (dead letters)."""

    queued: int = 0
    dead: int = 0


@dataclass(frozen=True)
class Connection:
    """One connection. ``key`` is stable across sweeps (``agency_endpoint:bma-licensing``);
    ``agency`` is the code of the agency whose IT contact hears of it ("" for platform
    connections, which only platform administrators see). ``probe`` returns "" when the
    connection answers, else a short reason; ``contacts`` lists who to tell when it is
    down; ``backlog`` counts the work waiting on it, when the owner keeps a queue."""

    key: str
    kind: str
    label: str
    agency: str = ""
    target: str = ""
    probe: Callable[[], str] = field(default=lambda: "", compare=False, repr=False)
    contacts: Callable[[], list[str]] = field(default=list, compare=False, repr=False)
    backlog: Callable[[], Backlog] | None = field(default=None, compare=False, repr=False)


Source = Callable[[], list[Connection]]

_sources: dict[str, Source] = {}


def source(name: str) -> Callable[[Source], Source]:
    """Register ``func() -> [Connection]`` under ``name`` (an app's label)."""

    def register(func: Source) -> Source:
        known = _sources.get(name)
        if known is not None and known is not func:
            raise ValueError(f"connection source {name!r} is already registered")
        _sources[name] = func
        return func

    return register


def connections() -> list[Connection]:
    """Every connection the registered sources list now, by key."""
    found: dict[str, Connection] = {}
    for name in sorted(_sources):
        for connection in _sources[name]():
            found[connection.key] = connection
    return [found[key] for key in sorted(found)]


def probe_http(url: str, *, method: str = "GET", healthy_below: int = 500) -> str:
    """Ask ``url`` with the probe timeout: "" if the server answers below
    ``healthy_below`` (a 404 or 405 to a GET on a POST-only endpoint still shows the
    system is up and reachable), else why not ("ConnectionError", "HTTP 503")."""
    try:
        answer = requests.request(
            method, url, timeout=settings.CONNECTION_PROBE_TIMEOUT, allow_redirects=False
        )
    except requests.RequestException as error:
        return type(error).__name__
    return "" if answer.status_code < healthy_below else f"HTTP {answer.status_code}"


def timed(probe: Callable[[], str]) -> tuple[str, int]:
    """Run ``probe``; its reason ("" when up) and how long it took in milliseconds. A
    probe that raises counts as down, with the exception's name as the reason."""
    started = time.monotonic()
    try:
        reason = probe()
    except Exception as error:  # a faulty probe must not stop the others
        reason = type(error).__name__
    return reason, int((time.monotonic() - started) * 1000)

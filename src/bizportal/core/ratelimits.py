"""Business-level rate limits: how often one client may look up, upload, start drafts
or call back, counted with ``django-ratelimit`` in the shared cache.

A view calls :func:`limit` with a named limit from ``settings.BIZPORTAL_RATE_LIMITS``
(so operators tune them without code) and the key to count by: ``"ip"`` for anonymous
endpoints, ``"user"`` for signed-in ones. Over the limit it raises :class:`RateLimited`,
which the API's problem handler turns into problem+json 429 and
:class:`RateLimitMiddleware` into a Thai/English 429 page (or problem+json for
machine endpoints), both with ``Retry-After``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django_ratelimit.core import get_usage

from .problems import problem_response, wants_problem

log = logging.getLogger(__name__)


class RateLimited(Exception):
    """Over a business rate limit; ``retry_after`` seconds until the window ends."""

    def __init__(self, name: str, retry_after: int) -> None:
        super().__init__(
            gettext("Too many requests; try again in %(seconds)s seconds")
            % {"seconds": retry_after}
        )
        self.name = name
        self.retry_after = retry_after


def client_ip(request: HttpRequest) -> str:
    """The caller's address as the limits count it (``RATELIMIT_IP_META_KEY``)."""
    meta_key = getattr(settings, "RATELIMIT_IP_META_KEY", None) or "REMOTE_ADDR"
    return str(request.META.get(meta_key, ""))[:100]


def limit(request: Any, name: str, *, key: str = "ip") -> None:
    """Count one call of ``name`` for this client; raise RateLimited when over.

    ``key`` is ``"ip"`` (the address, see ``RATELIMIT_IP_META_KEY``) or ``"user"`` (the
    signed-in account, else the address). When the cache cannot be reached the call is
    not counted (fail open, logged).
    """
    rate = settings.BIZPORTAL_RATE_LIMITS.get(name)
    if not rate:
        return
    django_request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    if name in LOOKUPS:
        _emit_lookup(django_request, name)
    try:
        usage = get_usage(
            django_request,
            group=f"bizportal.{name}",
            key="user_or_ip" if key == "user" else "ip",
            rate=rate,
            increment=True,
        )
    except Exception:
        # The cache (Redis) is down: fail open. A limit is a brake on abuse; it must not
        # stop payment callbacks or licence checks while the cache is being repaired.
        log.warning("rate limit %s not counted: cache unavailable", name, exc_info=True)
        return
    if usage is not None and usage["should_limit"]:
        if usage["count"] == usage["limit"] + 1:
            _audit_refusal(django_request, name, key)
        raise RateLimited(name, max(1, int(usage["time_left"])))


#: Limits that count look-ups by a number someone types (a licence number): the rule on
#: identifier enumeration counts them, refused ones too.
LOOKUPS = frozenset({"verify"})


def _emit_lookup(request: HttpRequest, name: str) -> None:
    from . import security_events

    security_events.emit(
        "lookup.by_number",
        severity=1,
        outcome="success",
        actor=security_events.username_of(request),
        source_ip=client_ip(request),
        target=request.path[:200],
        limit=name,
    )


def _audit_refusal(request: HttpRequest, name: str, key: str) -> None:
    """The first refusal of a window goes into the audit trail: who hit which limit from
    where. Only the first, so that a flood of refused calls cannot flood the log."""
    from . import audit

    user = getattr(request, "user", None)
    audit.record(
        "ratelimit.refused",
        ("ratelimit", name),
        actor=user,
        actor_label="" if getattr(user, "is_authenticated", False) else "anonymous",
        client_ip=client_ip(request),
        counted_by=key,
        path=request.path[:200],
    )


def too_many_response(
    request: HttpRequest, error: RateLimited, *, machine: bool | None = None
) -> HttpResponse:
    """problem+json for API and machine endpoints, a Thai/English page for people."""
    if machine is None:
        machine = wants_problem(request)
    response: HttpResponse
    if machine:
        response = problem_response(429, str(error), type_="rate-limited")
    else:
        response = render(
            request, "too_many_requests.html", {"retry_after": error.retry_after}, status=429
        )
    response["Retry-After"] = str(error.retry_after)
    return response


class RateLimitMiddleware:
    """Turns RateLimited raised by a plain Django view into a 429 answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RateLimited):
            return too_many_response(request, exception)
        return None

"""Deployment checks of this project (``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.caches, deploy=True)
def rate_limit_cache_is_shared(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Rate limits count in the cache: a per-process cache lets each process allow the
    full budget, so several web processes multiply every limit."""
    backend = settings.CACHES.get(settings.RATELIMIT_USE_CACHE, {}).get("BACKEND", "")
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [
            Warning(
                "Rate limits count in a per-process cache.",
                hint="Set CACHE_URL=redis://host:6379/1 (or db://table) so all web "
                "processes share one count.",
                id="bizportal.W001",
            )
        ]
    return []

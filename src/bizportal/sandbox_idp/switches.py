"""The sandbox providers' stop switch: a stopped provider answers every request with
503, so the portal's sign-in page can be seen showing it as unavailable while the
other providers keep working (demo and tests of issue 21)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

from bizportal.core import audit

from .models import ProviderSwitch

ACTOR = "sandbox_idp"
#: The sandbox providers that can be stopped.
SWITCHABLE = frozenset({"digital_id", "thaid", "ndid"})


def is_stopped(provider: str) -> bool:
    return ProviderSwitch.objects.filter(provider=provider, stopped=True).exists()


def stopped_response(provider: str) -> HttpResponse | None:
    """The 503 a stopped provider answers with, or None when it is running."""
    if not is_stopped(provider):
        return None
    response = HttpResponse(
        "This sandbox provider is stopped (manage.py sandbox_idp start to restart it).",
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = "30"
    return response


@transaction.atomic
def set_stopped(provider: str, *, stopped: bool, by: str = "") -> ProviderSwitch:
    """Stop or start a sandbox provider (audited)."""
    if provider not in SWITCHABLE:
        raise ValueError(f"unknown sandbox provider {provider!r}")
    switch, _created = ProviderSwitch.objects.select_for_update().get_or_create(provider=provider)
    switch.stopped = stopped
    switch.changed_at = timezone.now()
    switch.save()
    audit.record(
        "sandbox_idp.provider_stopped" if stopped else "sandbox_idp.provider_started",
        switch,
        actor_label=by or ACTOR,
        provider=provider,
    )
    return switch

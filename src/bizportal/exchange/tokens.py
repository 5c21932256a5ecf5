"""Which agency system an OAuth2 token speaks for: the one lookup every agency-facing API
(the exchange, the agency API of integrations) makes before anything else."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request

from .models import AgencySystem


def system_of(request: Request) -> AgencySystem:
    """The active agency system the request's token belongs to (403 for any other)."""
    system = (
        AgencySystem.objects.select_related("agency")
        .filter(client_id=getattr(request.auth, "application_id", None), is_active=True)
        .first()
    )
    if system is None:
        raise PermissionDenied(_("this token is not an active agency system's"))
    return system

"""``/backoffice/connections/``: the health of every connection the portal depends on
(agency endpoints, identity providers ...), for platform administrators (all of them)
and an agency's IT officers (their agency's endpoints only, so one agency's outage is
not shown to another). Every page shown is a recorded read."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bizportal.core import audit
from bizportal.identity.acting import account_of
from bizportal.identity.models import StaffRole
from bizportal.monitoring.status import statuses

from .views import staff_only


@staff_only("backoffice.connections")
@audit.audited_read("connections.viewed")
def connection_health(request: HttpRequest) -> HttpResponse:
    account = account_of(request)
    platform = account.has_role(StaffRole.PLATFORM_ADMIN)
    agency = None if platform else account.agency
    found = statuses(agency=None if agency is None else agency.code)
    audit.saw(request, [status.incident for status in found if status.incident is not None])
    return render(
        request,
        "backoffice/connections.html",
        {
            "statuses": found,
            "agency": agency,
            "down": sum(1 for status in found if status.state == "down"),
            "interval": settings.CONNECTION_PROBE_INTERVAL,
            "down_after": settings.CONNECTION_DOWN_AFTER,
        },
    )

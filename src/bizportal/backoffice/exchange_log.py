"""``/backoffice/exchange/``: the agency's part of the government data exchange's message
log, for its administrators and supervisors: what the agency asked (as consumer) and
what was asked of it (as provider), with the officer, purpose, basis and outcome of each
request. Every page shown is itself a recorded read."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bizportal.core import audit
from bizportal.exchange import selectors
from bizportal.identity.acting import account_of

from .views import staff_only

log_readers_only = staff_only("backoffice.exchange_log")


@log_readers_only
@audit.audited_read("exchange.log_viewed", filters=("role", "before"))
def exchange_log(request: HttpRequest) -> HttpResponse:
    agency = account_of(request).agency
    assert agency is not None  # the permission needs an agency
    role: selectors.Role = "provider" if request.GET.get("role") == "provider" else "consumer"
    status = 200
    try:
        page = selectors.agency_log(agency.code, role, before=request.GET.get("before", ""))
    except ValidationError:
        messages.error(request, selectors.BAD_CURSOR)
        page, status = selectors.agency_log(agency.code, role), 400
    audit.saw(request, page.entries)
    return render(
        request,
        "backoffice/exchange_log.html",
        {"page": page, "role": role, "agency": agency},
        status=status,
    )

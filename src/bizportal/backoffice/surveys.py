"""``/backoffice/surveys/``: the satisfaction survey results of the officer's own agency,
per service, version and question (averages, distributions, counts), and their CSV.

An officer sees only their agency's services and answers: the agency comes from the
account, never from the request. The page also shows the latest free-text answers,
which people may have written anything into, so each view is an audited read; the CSV
holds aggregates only.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from bizportal.core import audit
from bizportal.identity.acting import account_of
from bizportal.surveys import selectors

from .views import staff_only

results_readers = staff_only("surveys.results")


@require_GET
@results_readers
@audit.audited_read("surveys.results_viewed", "surveys.response", filters=("service", "version"))
def results(request: HttpRequest) -> HttpResponse:
    agency = account_of(request).agency
    assert agency is not None  # the permission needs an agency
    found = selectors.results(
        agency.pk, request.GET.get("service", ""), request.GET.get("version", "")
    )
    audit.saw(request, [text.response for item in found.questions for text in item.texts])
    return render(request, "backoffice/surveys.html", {"found": found, "agency": agency})


@require_GET
@results_readers
def results_csv(request: HttpRequest) -> HttpResponse:
    agency = account_of(request).agency
    assert agency is not None
    found = selectors.results(
        agency.pk, request.GET.get("service", ""), request.GET.get("version", "")
    )
    slug = found.survey.service.slug if found.survey else "none"
    number = found.version.number if found.version else 0
    response = HttpResponse(
        selectors.results_csv(found, agency.code), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="survey-{slug}-v{number}.csv"'
    return response

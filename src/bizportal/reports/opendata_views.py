"""Public open-data pages: the list of files and the CSV files themselves (no sign-in).

Why generated on request: a file is a few hundred rows summed from the aggregate
tables over one agency's (agency, day) index, cheaper than keeping files in step with
every refresh. The ETag is a digest of the file, so a harvester polling monthly files
hears 304 until a late decision changes a count.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from . import opendata

#: What each column holds, shown on the page (the catalogue's dct:conformsTo points here).
COLUMN_HELP = {
    "month": _("The month the applications were submitted, as year-month (2026-01)."),
    "agency_code": _("The agency's code, as in the service catalogue."),
    "service_code": _("The service's code, as in its address on the portal."),
    "service_name_th": _("The service's name in Thai."),
    "service_name_en": _("The service's name in English."),
    "kind": _("The kind of application: new, amend, renew or cancel."),
    "channel": _(
        "How it was submitted: online, counter (at a service counter) or agency "
        "(through the agency's own system)."
    ),
    "province": _("The business's province; blank when it is not known."),
    "applications_submitted": _("Applications submitted in the month."),
    "approved": _("Of those, how many have had their licence issued or service completed."),
    "rejected": _("Of those, how many were rejected."),
    "withdrawn": _("Of those, how many were withdrawn."),
    "in_progress": _("Of those, how many are still being processed."),
    "suppressed": _("The names of the counts left blank in this row, separated by spaces."),
}

#: How long a client or proxy may reuse a file or the list without asking again.
MAX_AGE_SECONDS = 3600


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """Every agency's complete months, the columns and the suppression rule."""
    response = render(
        request,
        "reports/opendata_index.html",
        {
            "datasets": opendata.datasets(),
            "columns": [(name, COLUMN_HELP[name]) for name in opendata.COLUMNS],
            "largest_suppressed": opendata.SUPPRESS_BELOW - 1,
            "license_url": opendata.license_url(),
        },
    )
    response["Cache-Control"] = f"public, max-age={MAX_AGE_SECONDS}"
    return response


@require_safe
def month_file(request: HttpRequest, code: str, month: str) -> HttpResponse:
    """``/open-data/<agency>/<yyyy-mm>.csv``: 404 for an unknown agency, a malformed
    month, the current or a future month, or a month before the agency's first."""
    found = opendata.Month.parse(month)
    dataset = opendata.dataset_of(code)
    if found is None or dataset is None or not dataset.publishes(found):
        raise Http404
    body = opendata.csv_bytes(dataset.agency, found)
    tag = opendata.etag(body)
    response = get_conditional_response(request, etag=tag)
    if response is None:
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'inline; filename="{opendata.file_name(dataset.agency, found)}"'
        )
    response["ETag"] = tag
    response["Cache-Control"] = f"public, max-age={MAX_AGE_SECONDS}"
    return response

"""Privacy pages: the notices, accepting them, and a person's rights in their account."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bizportal.exchange import services as exchange_services
from bizportal.exchange.models import Consent

from . import selectors, services, tracker
from .models import OPTIONAL_PURPOSES, DataSubjectRequest, Purpose
from .retention import LEGAL_HOLDS


@require_GET
def notices(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/notices.html", {"notices": selectors.current_notices()})


@require_GET
def notice(request: HttpRequest, purpose: str, version: int | None = None) -> HttpResponse:
    if purpose not in Purpose.values:
        raise Http404("no such purpose")
    shown = selectors.notice_version(purpose, version)
    versions = selectors.notice_versions(purpose)
    return render(request, "privacy/notice.html", {"notice": shown, "versions": versions})


def _safe_next(request: HttpRequest, value: str) -> str:
    ok = url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return value if ok and value else "/account/"


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    pending = selectors.pending_notices(request.user)
    if not pending:
        return redirect(next_url)
    if request.method == "POST":
        if request.POST.get("accept") != "yes":
            messages.error(
                request,
                _("Please accept the notice to go on"),
            )
        else:
            shown = set(request.POST.getlist("notice"))
            if shown != {str(n.pk) for n in pending}:
                # A version was published while the page was open: show it again.
                messages.error(
                    request,
                    _("A new version was published: please read it"),
                )
            else:
                services.accept(request.user, pending)
                return redirect(next_url)
    return render(
        request, "privacy/accept.html", {"pending": pending, "next": next_url}, status=200
    )


def _download(body: str | bytes, content_type: str, filename: str) -> HttpResponse:
    """A file the browser saves rather than shows (a person's own data, never cached)."""
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _entrepreneur(request: HttpRequest) -> None:
    if not getattr(request.user, "is_entrepreneur", False):
        raise PermissionDenied("entrepreneurs only")


@login_required
@never_cache
@require_GET
def rights(request: HttpRequest) -> HttpResponse:
    _entrepreneur(request)
    user = request.user
    return render(
        request,
        "privacy/rights.html",
        {
            "requests": list(selectors.requests_of(user)),
            "holds": services.legal_holds_for(user),
            "all_holds": LEGAL_HOLDS,
            "objections": selectors.objections_of(user),
            "optional": [p for p in Purpose if p in OPTIONAL_PURPOSES],
            "kinds": DataSubjectRequest.Kind,
            "accepted": selectors.acceptances_of(user),
        },
    )


@login_required
@never_cache
@require_GET
def export_json(request: HttpRequest) -> HttpResponse:
    _entrepreneur(request)
    return _download(services.export_json(request.user), "application/json", "my-data.json")


@login_required
@never_cache
@require_GET
def export_pdf(request: HttpRequest) -> HttpResponse:
    _entrepreneur(request)
    return _download(services.export_pdf(request.user), "application/pdf", "my-data.pdf")


@login_required
@require_POST
def make_request(request: HttpRequest) -> HttpResponse:
    _entrepreneur(request)
    try:
        made = services.make_request(
            request.user, request.POST.get("kind", ""), request.POST.get("details", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("privacy:rights")
    messages.success(
        request,
        _("Request recorded (%(reference)s); the data protection officer answers within 30 days")
        % {"reference": made.public_id},
    )
    return redirect("privacy:rights")


@login_required
@require_POST
def objection(request: HttpRequest) -> HttpResponse:
    _entrepreneur(request)
    try:
        services.set_objection(
            request.user,
            request.POST.get("purpose", ""),
            objected=request.POST.get("objected") == "yes",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Saved"))
    return redirect("privacy:rights")


ROPA_CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@login_required
@never_cache
@require_GET
def ropa_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The record of processing activities, for the DPO (platform admins)."""
    if not request.user.is_superuser and not request.user.has_perm(
        "privacy.view_datasubjectrequest"
    ):
        raise PermissionDenied("DPO only")
    if fmt not in ROPA_CONTENT_TYPES:
        raise Http404("csv, json, xlsx or pdf")
    body = services.export_ropa(fmt, actor=request.user)
    response = HttpResponse(body, content_type=ROPA_CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="ropa.{fmt}"'
    return response


@login_required
@never_cache
@require_GET
def data_tracker(request: HttpRequest) -> HttpResponse:
    """Who accessed my data (and my companies'), and the consents I gave."""
    _entrepreneur(request)
    subjects = tracker.subjects_of(request.user)
    return render(
        request,
        "privacy/tracker.html",
        {
            "accesses": tracker.accesses(request.user),
            "limit": tracker.LIMIT,
            "consents": list(
                Consent.objects.filter(subject_id__in=list(subjects))
                .select_related("agency", "data_service")
                .order_by("-granted_at")
            ),
            "subjects": subjects,
        },
    )


@login_required
@never_cache
@require_GET
def data_tracker_csv(request: HttpRequest) -> HttpResponse:
    _entrepreneur(request)
    lang = "th" if (request.LANGUAGE_CODE or "th").startswith("th") else "en"
    body = tracker.as_csv(tracker.accesses(request.user), lang)
    return _download(body, "text/csv; charset=utf-8", "data-accesses.csv")


@login_required
@never_cache
@require_GET
def data_tracker_pdf(request: HttpRequest) -> HttpResponse:
    _entrepreneur(request)
    return _download(tracker.as_pdf(request.user), "application/pdf", "data-accesses.pdf")


@login_required
@require_POST
def revoke_consent(request: HttpRequest, public_id: str) -> HttpResponse:
    """Withdraw a consent of mine (or my company's); another person's is not found."""
    _entrepreneur(request)
    consent = Consent.objects.filter(
        public_id=public_id, subject_id__in=list(tracker.subjects_of(request.user))
    ).first()
    if consent is None:
        raise Http404("no such consent")
    try:
        exchange_services.revoke_consent(consent, by=request.user)
    except exchange_services.ConsentError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Consent withdrawn: the agency can no longer obtain this data under it"),
        )
    return redirect("privacy:tracker")

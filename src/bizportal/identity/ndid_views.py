"""The NDID sign-in's own pages and the node's callback (see ``contrib/ndid``).

The HTTP exchange with the node happens before any transaction opens; the state of a
request changes only in :mod:`.services`.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from bizportal.core.problems import problem_response
from bizportal.core.thai import validate_citizen_id

from . import services
from .contrib import ndid
from .models import NdidRequest
from .providers import SignInError, enabled

log = logging.getLogger(__name__)

#: How often the waiting page reloads itself (seconds).
POLL_SECONDS = 3


def _enabled() -> None:
    """404 unless NDID is an enabled provider (with its callback key set)."""
    if "ndid" not in enabled() or not settings.NDID_CALLBACK_SECRET:
        raise Http404("NDID sign-in is not enabled")


def _failure(request: HttpRequest, error: SignInError) -> HttpResponse:
    from .views import _failure as failure

    return failure(request, error)


@never_cache
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """``/auth/ndid/``: the citizen ID and the IdP to confirm it; then the node is asked."""
    _enabled()
    try:
        idps = ndid.list_idps()
    except SignInError as error:
        return _failure(request, error)
    errors: dict[str, str] = {}
    pid = idp_id = ""
    if request.method == "POST":
        pid, idp_id, errors = _read_form(request, idps)
        if not errors:
            try:
                return _ask_node(request, pid, idp_id)
            except SignInError as error:
                return _failure(request, error)
    return render(
        request,
        "identity/ndid_start.html",
        {"idps": idps, "errors": errors, "pid": pid, "idp_id": idp_id},
        status=400 if errors else 200,
    )


def _read_form(request: HttpRequest, idps: list[dict[str, Any]]) -> tuple[str, str, dict[str, str]]:
    errors: dict[str, str] = {}
    pid = request.POST.get("citizen_id", "").strip()
    idp_id = request.POST.get("idp_id", "")
    try:
        pid = validate_citizen_id(pid)
    except ValidationError:
        errors["citizen_id"] = _("Enter your 13-digit citizen ID")
    if idp_id not in {str(idp["node_id"]) for idp in idps}:
        errors["idp_id"] = _("Choose the IdP that will confirm who you are")
    return pid, idp_id, errors


def _ask_node(request: HttpRequest, pid: str, idp_id: str) -> HttpResponse:
    reference_id = uuid.uuid4().hex
    answer = ndid.create_request(
        pid=pid,
        idp_id=idp_id,
        reference_id=reference_id,
        callback_url=settings.BASE_URL + reverse("identity:ndid-callback"),
    )
    item = services.open_ndid_request(
        reference_id=reference_id,
        request_id=str(answer["request_id"]),
        pid=pid,
        idp_id=idp_id,
        min_ial=settings.NDID_MIN_IAL,
        min_aal=settings.NDID_MIN_AAL,
    )
    request.session[ndid.SESSION_REQUEST] = str(item.public_id)
    return HttpResponseRedirect(reverse("identity:ndid-wait", args=[item.public_id]))


@never_cache
@require_http_methods(["GET"])
def wait(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """``/auth/ndid/<id>/``: reloads itself until the node has answered."""
    _enabled()
    if request.session.get(ndid.SESSION_REQUEST) != str(public_id):
        return _failure(
            request,
            SignInError(
                _("This sign-in request has expired or is not valid, please start again"),
                code="bad_state",
            ),
        )
    item = NdidRequest.objects.get(public_id=public_id)
    if item.status == NdidRequest.Status.PENDING and item.expires_at <= timezone.now():
        item = services.expire_ndid_request(str(public_id))
    if item.status == NdidRequest.Status.COMPLETED:
        query = urlencode({"ndid": str(public_id)})
        return HttpResponseRedirect(f"{reverse('identity:callback')}?{query}")
    if item.status == NdidRequest.Status.REJECTED:
        return _failure(
            request, SignInError(_("You refused the request at your IdP"), code="ndid_rejected")
        )
    if item.status == NdidRequest.Status.TIMED_OUT:
        return _failure(
            request,
            SignInError(
                _("Your IdP did not answer in time, please start again"), code="ndid_timed_out"
            ),
        )
    return render(
        request,
        "identity/ndid_wait.html",
        {"item": item, "poll_seconds": POLL_SECONDS, "sandbox_idp_url": _sandbox_idp_url(item)},
    )


def _sandbox_idp_url(item: NdidRequest) -> str:
    """Where the sandbox's "IdP app" is, for the demo (only with the embedded node)."""
    sandbox = settings.BASE_URL + "/sandbox/ndid"
    if sandbox != settings.NDID_NODE_URL:
        return ""
    return f"{sandbox}/idp/{item.request_id}/"


@csrf_exempt
@require_POST
def callback(request: HttpRequest) -> HttpResponse:
    """``POST /auth/ndid/callback/``: the node's signed status callback (no CSRF: no
    browser; the signature replaces it)."""
    _enabled()
    body = request.body
    try:
        ndid.verify_signature(request.headers.get(ndid.SIGNATURE_HEADER, ""), body)
    except ndid.SignatureError as error:
        refused = services.NdidCallbackRefused("bad_signature", 401, detail=str(error))
        services.audit_ndid_refusal(refused)
        return problem_response(401, _("The callback's signature does not verify"))
    try:
        payload = json.loads(body)
        if not isinstance(payload, dict) or payload.get("type") != "request_status":
            raise ValueError("not a request status")
    except ValueError:
        refused = services.NdidCallbackRefused("bad_body", 400)
        services.audit_ndid_refusal(refused)
        return problem_response(400, _("The callback is not a request status"))
    try:
        services.record_ndid_callback(payload)
    except services.NdidCallbackRefused as refused:
        return problem_response(
            refused.status, _("Callback refused: %(reason)s") % {"reason": refused.code}
        )
    return HttpResponse(status=204)

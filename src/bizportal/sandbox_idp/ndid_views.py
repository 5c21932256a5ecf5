"""Endpoints of the sandbox NDID node (RP API) and its IdPs' approval page."""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import ndid
from .models import SandboxIdentity, SandboxNdidRequest


def _authorised(request: HttpRequest) -> bool:
    """The RP's token for its node (the RP API is not open to anyone)."""
    expected = f"Bearer {settings.NDID_NODE_TOKEN}".encode()
    return hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected)


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": status, "message": message}}, status=status)


@require_GET
def idp_list(request: HttpRequest) -> JsonResponse:
    """``GET /utility/idp?min_ial=``: the IdPs that can prove at least ``min_ial``."""
    if not _authorised(request):
        return _error(401, "unauthorised")
    items = [
        {"node_id": idp["node_id"], "display_name": idp["display_name"], "max_ial": idp["max_ial"]}
        for idp in ndid.idps_for(request.GET.get("min_ial", ""))
    ]
    return JsonResponse(items, safe=False, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def create_request(request: HttpRequest, namespace: str, identifier: str) -> JsonResponse:
    """``POST /rp/requests/{namespace}/{identifier}``: accepted at once (202), answered
    later by callback."""
    if not _authorised(request):
        return _error(401, "unauthorised")
    try:
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise ndid.BadRequest("the body must be a JSON object")
        item = ndid.create_request(namespace, identifier, body)
    except (ValueError, ndid.BadRequest) as error:
        return _error(400, str(error))
    return JsonResponse({"request_id": item.request_id, "initial_salt": ""}, status=202)


@never_cache
@require_http_methods(["GET", "POST"])
def approve(request: HttpRequest, request_id: str) -> HttpResponse:
    """The IdP's app, played by a page: the person enters the sandbox password of the
    identity asked about and approves or rejects; the node then calls the RP back."""
    item = get_object_or_404(SandboxNdidRequest, request_id=request_id)
    idp = ndid.idp(item.idp_id) or {}
    context = {"item": item, "idp": idp, "failed": False, "sent": None}
    if request.method == "POST" and item.status == SandboxNdidRequest.Status.PENDING:
        approving = "approve" in request.POST
        identity = SandboxIdentity.objects.filter(
            citizen_id=item.identifier, is_active=True
        ).first()
        if approving and (
            identity is None or not identity.check_password(request.POST.get("password", ""))
        ):
            context["failed"] = True
            return render(request, "sandbox_idp/ndid_approve.html", context, status=400)
        if ndid.answer(item, identity, approve=approving):
            item.refresh_from_db()
            context["sent"] = ndid.deliver_callback(item)
    item.refresh_from_db()
    return render(request, "sandbox_idp/ndid_approve.html", context)

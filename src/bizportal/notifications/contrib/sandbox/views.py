"""The sandbox SMS gateway and LINE Messaging API over HTTP, and their pages.

The machine endpoints check their credentials and the request's shape as the real
providers do: the SMS gateway answers problem+json (its own protocol); the LINE
endpoint answers in LINE's error shape (``{"message", "details"}``), because the client
under test must handle LINE's answers. The pages list what was accepted so that the
demo shows the messages "sent", and let an operator play an outage.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bizportal.core import safejson
from bizportal.core.problems import problem_response
from bizportal.notifications.channels import line_link_signature

from . import services
from .models import SandboxLinePush, SandboxOutage, SandboxSms

SMS_TO = re.compile(r"^(?:0[689]\d{8}|\+66[689]\d{8})$")
LINE_USER = re.compile(r"^U[0-9a-f]{32}$")
MAX_BODY = 16 * 1024


def _json_body(request: HttpRequest) -> Any:
    return safejson.loads(request.body, limit=MAX_BODY)


@csrf_exempt
@require_POST
def sms_send(request: HttpRequest) -> HttpResponse:
    """``POST /sandbox/sms/v1/messages``: one SMS, with ``X-Api-Key`` and
    ``Idempotency-Key``; 201 with the message id (200 for a repeated key)."""
    key = request.headers.get("X-Api-Key", "")
    if not key or not hmac.compare_digest(key, settings.SMS_GATEWAY_API_KEY):
        return problem_response(401, _("Missing or wrong X-Api-Key"), type_="unauthorized")
    idempotency = request.headers.get("Idempotency-Key", "").strip()
    if not idempotency or len(idempotency) > 100:
        return problem_response(400, _("Idempotency-Key required (≤100)"))
    try:
        data = _json_body(request)
    except safejson.JsonRefused as error:
        return problem_response(400, _("Unacceptable JSON: %(error)s") % {"error": error})
    if not isinstance(data, dict):
        return problem_response(400, _("The body must be a JSON object"))
    errors = {}
    to, sender, text = data.get("to"), data.get("sender"), data.get("text")
    callback = data.get("callback_url", "")
    if not isinstance(to, str) or not SMS_TO.match(to):
        errors["to"] = _("a Thai mobile number (0XXXXXXXXX or +66...)")
    if not isinstance(sender, str) or not 1 <= len(sender) <= 11:
        errors["sender"] = _("sender name of 1-11 characters")
    if not isinstance(text, str) or not 1 <= len(text) <= 1000:
        errors["text"] = _("text of 1-1000 characters")
    if not isinstance(callback, str) or (
        callback and not callback.startswith(("http://", "https://"))
    ):
        errors["callback_url"] = _("an http(s) URL")
    if errors:
        return problem_response(400, _("Invalid request"), type_="validation", errors=errors)
    try:
        sms, new, lost = services.accept_sms(
            key=idempotency, to=str(to), sender=str(sender), text=str(text), callback_url=callback
        )
    except services.Outage:
        return problem_response(503, _("Gateway outage (sandbox)"))
    if lost:
        return problem_response(503, _("Gateway outage (sandbox)"))
    return JsonResponse(
        {"message_id": sms.message_id, "status": "accepted"}, status=201 if new else 200
    )


def _line_error(status: int, message: str, details: list[dict[str, str]] | None = None) -> Any:
    body: dict[str, Any] = {"message": message}
    if details:
        body["details"] = details
    return JsonResponse(body, status=status)


@csrf_exempt
@require_POST
def line_push(request: HttpRequest) -> HttpResponse:
    """``POST /sandbox/line/v2/bot/message/push`` as LINE's Messaging API takes it."""
    auth = request.headers.get("Authorization", "")
    token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
    if not token or not hmac.compare_digest(token, settings.LINE_CHANNEL_TOKEN):
        return _line_error(
            401,
            "Authentication failed. Confirm that the access token in the authorization "
            "header is valid.",
        )
    retry_key = request.headers.get("X-Line-Retry-Key", "").strip()
    if retry_key and not re.fullmatch(r"[0-9a-fA-F-]{36}", retry_key):
        return _line_error(400, "The value for the 'X-Line-Retry-Key' header is invalid")
    try:
        data = _json_body(request)
    except safejson.JsonRefused:
        return _line_error(400, "The request body has 1 error(s)", [{"message": "invalid JSON"}])
    details = []
    if not isinstance(data, dict):
        data = {}
        details.append({"message": "must be an object", "property": ""})
    to, messages = data.get("to"), data.get("messages")
    if not isinstance(to, str) or not LINE_USER.match(to):
        details.append(
            {"message": "The property, 'to', in the request body is invalid", "property": "to"}
        )
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        details.append({"message": "Size must be between 1 and 5", "property": "messages"})
        messages = []
    texts = []
    for index, item in enumerate(messages):
        ok = (
            isinstance(item, dict)
            and item.get("type") == "text"
            and isinstance(item.get("text"), str)
            and 1 <= len(item["text"]) <= 5000
        )
        if not ok:
            details.append(
                {
                    "message": "must be a text message of 1-5000 characters",
                    "property": f"messages[{index}]",
                }
            )
        else:
            texts.append(item["text"])
    if details:
        return _line_error(400, f"The request body has {len(details)} error(s)", details)
    try:
        push, new, lost = services.accept_line_push(
            retry_key=retry_key, to=str(to), text="\n\n".join(texts)
        )
    except services.Outage:
        return _line_error(500, "Internal server error (sandbox outage)")
    if lost:
        return _line_error(500, "Internal server error (sandbox outage)")
    if not new:
        response = _line_error(409, "The retry key is already accepted")
        response["X-Line-Accepted-Request-Id"] = push.request_id
        return response
    response = JsonResponse(
        {"sentMessages": [{"id": push.request_id[:18], "quoteToken": push.request_id}]}
    )
    response["X-Line-Request-Id"] = push.request_id
    return response


def _page(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, 50).get_page(request.GET.get("page"))


@require_GET
def sms_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "sandbox_messaging/sms.html",
        {
            "page": _page(request, SandboxSms.objects.all()),
            "outage": SandboxOutage.objects.filter(gateway="sms").first(),
            "modes": SandboxOutage.Mode.choices,
        },
    )


@require_GET
def line_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "sandbox_messaging/line.html",
        {
            "page": _page(request, SandboxLinePush.objects.all()),
            "outage": SandboxOutage.objects.filter(gateway="line").first(),
            "modes": SandboxOutage.Mode.choices,
        },
    )


@require_POST
def outage(request: HttpRequest, gateway: str) -> HttpResponse:
    """Make the next N requests to the gateway fail (to watch the portal retry)."""
    mode = request.POST.get("mode", "")
    try:
        count = int(request.POST.get("count", ""))
    except ValueError:
        count = -1
    target = "sandbox_messaging:sms" if gateway == "sms" else "sandbox_messaging:line"
    if (
        gateway not in ("sms", "line")
        or mode not in SandboxOutage.Mode.values
        or not 0 <= count <= 20
    ):
        return render(
            request,
            "sandbox_messaging/outage_error.html",
            {"back": target},
            status=400,
        )
    services.set_outage(gateway, mode, count)
    return redirect(target)


def _safe_return(url: str) -> str:
    host = settings.BASE_URL.split("://", 1)[-1].split("/", 1)[0]
    return url if url and url_has_allowed_host_and_scheme(url, allowed_hosts={host}) else ""


@require_http_methods(["GET", "POST"])
def line_login(request: HttpRequest) -> HttpResponse:
    """The sandbox LINE Login: the person "signs in to LINE" and allows the portal to
    send them messages; LINE answers with their user id, signed with the channel secret."""
    source = request.POST if request.method == "POST" else request.GET
    state = source.get("state", "")[:100]
    redirect_uri = _safe_return(source.get("redirect_uri", ""))
    if not state or not redirect_uri:
        return render(request, "sandbox_messaging/line_login.html", {"error": True}, status=400)
    if request.method == "POST":
        user_id = services.line_user_id()
        query = urlencode(
            {"state": state, "user_id": user_id, "sig": line_link_signature(state, user_id)}
        )
        return redirect(f"{redirect_uri}?{query}")
    return render(
        request,
        "sandbox_messaging/line_login.html",
        {"state": state, "redirect_uri": redirect_uri},
    )

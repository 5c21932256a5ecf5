"""RFC 9457 problem details for the API.

Every API error answers ``application/problem+json`` with a machine-readable ``type``,
a ``title`` and ``detail`` in the request's language (Accept-Language, default Thai) and,
for validation errors, the failing fields in ``errors``. ``type`` never changes with the
language: clients key on it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext, gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .parsers import PayloadTooLarge

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://bizportal.example/problems/"

_TITLES: dict[int, Any] = {
    400: gettext_lazy("Invalid input"),
    401: gettext_lazy("Authentication required"),
    403: gettext_lazy("Forbidden"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    409: gettext_lazy("Conflict with current state"),
    413: gettext_lazy("Payload too large"),
    415: gettext_lazy("Unsupported media type"),
    429: gettext_lazy("Too many requests"),
}


def problem(status_code: int, detail: Any, *, type_: str = "", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (type_ or str(status_code)),
        "title": str(_TITLES.get(status_code, gettext_lazy("Error"))),
        "status": status_code,
        "detail": str(detail),
    }
    body.update(extra)
    return body


def wants_problem(request: HttpRequest) -> bool:
    """Whether an error is answered as problem+json rather than a page: the API and
    machine clients (asking for JSON and not for HTML) get problem details."""
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/api/") or ("json" in accept and "html" not in accept)


def problem_response(
    status_code: int, detail: str, *, type_: str = "", **extra: Any
) -> JsonResponse:
    """A problem+json response for plain Django views (callbacks, health checks)."""
    return JsonResponse(
        problem(status_code, detail, type_=type_, **extra),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # Over DATA_UPLOAD_MAX_MEMORY_SIZE before the JSON parser's own bound applied.
        exc = PayloadTooLarge()
    elif _is_rate_limited(exc):
        # DRF answers a Throttled with Retry-After from its ``wait``.
        throttled = exceptions.Throttled(detail=str(exc), code="rate-limited")
        throttled.wait = exc.retry_after  # type: ignore[attr-defined]
        exc = throttled
    response = exception_handler(exc, context)
    if response is None:
        return None
    if response.status_code == status.HTTP_403_FORBIDDEN and context.get("request") is not None:
        from .errors import denied

        denied(getattr(context["request"], "_request", context["request"]))
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        body = problem(
            status.HTTP_400_BAD_REQUEST,
            gettext("Some fields are not valid"),
            type_="validation",
            errors=data if isinstance(data, dict) else {"non_field_errors": data},
        )
    else:
        detail = data.get("detail", "") if isinstance(data, dict) else str(data)
        code = getattr(getattr(exc, "detail", None), "code", None) or getattr(
            exc, "default_code", ""
        )
        body = problem(response.status_code, str(detail), type_=str(code))
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _is_rate_limited(exc: Exception) -> bool:
    from .ratelimits import RateLimited  # ratelimits answers with problem_response

    return isinstance(exc, RateLimited)

"""Digital ID sign-in (OpenID Connect relying party): login, callback, logout.

The callback does its two HTTP exchanges (token endpoint, civil registry) before any
database transaction opens, then hands the verified claims and the registry record to
:func:`bizportal.identity.services.sign_in_with_digital_id`.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from bizportal.registries.client import RecordNotFound, RegistryUnavailable, fetch_person

from . import services
from .providers import SignInError, get_provider

log = logging.getLogger(__name__)

NEXT_KEY = "identity.next"


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _callback_uri() -> str:
    # From BASE_URL, not the request's Host header: it must equal the registered URI.
    return settings.BASE_URL + reverse("identity:callback")


def _failure(request: HttpRequest, error: SignInError) -> HttpResponse:
    log.info("Digital ID sign-in failed: %s", error.code)
    return render(
        request,
        "identity/error.html",
        {"message": str(error), "code": error.code, "retry_url": reverse("identity:login")},
        status=error.status,
    )


@never_cache
@require_GET
def login(request: HttpRequest) -> HttpResponse:
    """``/auth/login/?next=...``: start the Digital ID round trip."""
    request.session[NEXT_KEY] = _safe_next(request, request.GET.get("next"))
    try:
        return get_provider().start(request, redirect_uri=_callback_uri())
    except SignInError as error:
        return _failure(request, error)


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """``/auth/callback/``: verify the answer, read the registry, sign the person in."""
    next_url = _safe_next(request, request.session.get(NEXT_KEY))
    try:
        claims = get_provider().finish(request)
        try:
            person = fetch_person(str(claims["pid"]), purpose="digital_id_sign_in")
        except ValidationError as error:
            raise SignInError(
                "เลขประจำตัวประชาชนจากดิจิทัลไอดีไม่ถูกต้อง / Digital ID sent an invalid citizen ID",
                code="invalid_pid",
            ) from error
        except RecordNotFound as error:
            raise SignInError(
                "ไม่พบข้อมูลของท่านในทะเบียนราษฎร / Your record was not found in the civil registry",
                code="registry_not_found",
                status=403,
            ) from error
        except RegistryUnavailable as error:
            raise SignInError(str(error), code="registry_unavailable", status=502) from error
        user = services.sign_in_with_digital_id(claims, person)
    except SignInError as error:
        return _failure(request, error)

    request.session.pop(NEXT_KEY, None)
    django_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect(next_url)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """``POST /auth/logout/``: end the portal session and go home."""
    services.record_sign_out(request.user)
    django_logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)

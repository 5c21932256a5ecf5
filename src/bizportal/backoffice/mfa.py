"""The staff second factor: enrol an authenticator app (TOTP), then a code at each
sign-in; until then a staff session reaches nothing but this page.

Why a middleware and not a decorator per view: staff reach the back office, the admin
site and the REST API; a gate in front of all of them cannot be forgotten on a new
view. django-otp's ``OTPMiddleware`` (before this one) says whether the session has a
verified device; a verified code also raises the session's AAL to 2, the same scale
Digital ID sign-ins use (:mod:`bizportal.identity.acting`).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from typing import Any

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from bizportal.core.problems import problem_response, wants_problem
from bizportal.core.security import is_staff_account
from bizportal.identity import services
from bizportal.identity.acting import AAL_SESSION_KEY

#: Paths an unverified staff session may still reach (besides this page and sign-out).
OPEN_PREFIXES = ("/static/", "/i18n/", "/healthz")


def is_verified(user: Any) -> bool:
    return bool(getattr(user, "is_verified", lambda: False)())


class SecondFactorMiddleware:
    """Sends a staff session without a verified second factor to :func:`second_factor`
    (an API call gets 403 problem+json)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if is_staff_account(user) and not is_verified(user) and not self._open(request.path):
            if wants_problem(request):
                return problem_response(
                    403,
                    _("A second factor (authenticator app code) is required first"),
                    type_="second_factor_required",
                )
            return redirect(
                f"{reverse('backoffice:mfa')}?{urlencode({'next': request.get_full_path()})}"
            )
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        return path.startswith(OPEN_PREFIXES) or path in {
            reverse("backoffice:mfa"),
            reverse("backoffice:login"),
            reverse("identity:logout"),
        }


class CodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*[0-9]{3}\s?[0-9]{3}\s*$",
        max_length=12,
        error_messages={
            "required": gettext_lazy("Please enter the 6-digit code from your app"),
            "invalid": gettext_lazy("The code is 6 digits"),
        },
    )


def _next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("backoffice:home")


@never_cache
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """``/backoffice/mfa/``: a code from the authenticator app; the first time, the QR
    code of a new secret to scan, confirmed by its first code."""
    user = request.user
    if not is_staff_account(user):
        return redirect(f"{reverse('backoffice:login')}?{urlencode({'next': request.path})}")
    next_url = _next(request)
    if is_verified(user):
        return HttpResponseRedirect(next_url)
    form = CodeForm(request.POST or None)
    message, status = "", 200
    if request.method == "POST" and form.is_valid():
        outcome, device = services.check_staff_totp(user, form.cleaned_data["code"])  # type: ignore[arg-type]
        if outcome is services.SecondFactor.OK and device is not None:
            request.session.cycle_key()  # more privilege, new session key
            django_otp.login(request, device)
            request.session[AAL_SESSION_KEY] = 2
            messages.success(request, _("Second factor confirmed"))
            return HttpResponseRedirect(next_url)
        if outcome is services.SecondFactor.THROTTLED:
            wait = _throttle_wait(device)
            message = _("Too many wrong codes; wait %(seconds)s seconds and try again") % {
                "seconds": wait
            }
            status = 429
        else:
            message = _("The code is not correct, please try again")
    context: dict[str, Any] = {"form": form, "message": message, "next": next_url}
    if services.staff_totp_device(user) is None:  # type: ignore[arg-type]
        device = services.totp_device_to_enrol(user)  # type: ignore[arg-type]
        secret = base64.b32encode(device.bin_key).decode()
        context.update(
            enrol=True,
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            qr_code=segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=4),
            issuer=settings.OTP_TOTP_ISSUER,
        )
    response = render(request, "backoffice/mfa.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(_throttle_wait(device))
    return response


def _throttle_wait(device: Any) -> int:
    """Seconds until django-otp takes another code from the device."""
    _, data = device.verify_is_allowed() if device is not None else (True, None)
    until = (data or {}).get("locked_until")
    if until is None:
        return 1
    return max(1, math.ceil((until - timezone.now()).total_seconds()))

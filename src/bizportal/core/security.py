"""Session timeouts and the sign-in lockout answer, shared by every app.

Why here: the staff sign-in (back office, admin) and the sandbox Digital ID's sign-in
both lock out through django-axes, and both must answer a locked-out person the same
way; the timeouts apply to every session, staff and public alike. The core sits below
the apps, so it knows users only by the attributes every account has.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from . import audit
from .problems import problem_response, wants_problem

#: Session keys: when the person signed in, and when they last did anything (epoch s).
SIGNED_IN_AT = "security.signed_in_at"
ACTIVE_AT = "security.active_at"
#: The last-activity stamp is written at most this often, so that reading pages does
#: not turn into a session write per request.
ACTIVITY_RESOLUTION = 60


def is_staff_account(user: Any) -> bool:
    """Staff and administrators: a password sign-in here, so a second factor here too.
    Entrepreneurs prove who they are (and their second factor) at Digital ID."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (
            getattr(user, "role", "") == "staff"
            or getattr(user, "is_staff", False)
            or getattr(user, "is_superuser", False)
        )
    )


def mark_signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """``user_logged_in`` receiver: the absolute timeout counts from each sign-in."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN_AT] = now
        request.session[ACTIVE_AT] = now


class SessionTimeoutMiddleware:
    """Ends a signed-in session idle longer than ``SESSION_IDLE_TIMEOUT_STAFF`` (staff)
    or ``SESSION_IDLE_TIMEOUT_PUBLIC`` (everyone else), or older than
    ``SESSION_ABSOLUTE_TIMEOUT`` since sign-in, whatever the activity.

    A page request after the end goes on as signed out (the page asks to sign in and
    comes back); a form post is sent to a start page, since its token belonged to the
    ended session; an API call answers 401 problem+json.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._expired(request, user)
            if expired:
                return self._end(request, user, expired)
        return self.get_response(request)

    def _expired(self, request: HttpRequest, user: Any) -> str:
        session = request.session
        now = int(time.time())
        signed_in_at = session.get(SIGNED_IN_AT)
        active_at = session.get(ACTIVE_AT)
        if not isinstance(signed_in_at, int) or not isinstance(active_at, int):
            # A session from before timeouts existed: count from now.
            session[SIGNED_IN_AT] = session[ACTIVE_AT] = now
            return ""
        idle = (
            settings.SESSION_IDLE_TIMEOUT_STAFF
            if is_staff_account(user)
            else settings.SESSION_IDLE_TIMEOUT_PUBLIC
        )
        if now - signed_in_at > settings.SESSION_ABSOLUTE_TIMEOUT:
            return "absolute"
        if now - active_at > idle:
            return "idle"
        if now - active_at >= ACTIVITY_RESOLUTION:
            session[ACTIVE_AT] = now
        return ""

    def _end(self, request: HttpRequest, user: Any, why: str) -> HttpResponse:
        staff = is_staff_account(user)
        audit.record("session.expired", user, actor=user, reason=why)
        logout(request)
        text = _("Your session has timed out; please sign in again")
        if wants_problem(request):
            return problem_response(401, text, type_="session_expired")
        messages.info(request, text)
        if request.method in ("GET", "HEAD"):
            return self.get_response(request)
        return redirect(reverse("backoffice:home" if staff else "portal:home"), permanent=False)


def _client(request: HttpRequest | None) -> dict[str, str]:
    if request is None:
        return {}
    return {
        "ip_address": str(
            getattr(request, "axes_ip_address", "") or request.META.get("REMOTE_ADDR", "")
        ),
        "path": request.path[:200],
    }


def record_sign_in_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """``user_login_failed`` receiver: every wrong password at a staff or admin sign-in is
    in the audit trail (the password itself never is)."""
    username = str(credentials.get("username") or "")[:150] or "-"
    audit.record(
        "sign_in.failed", ("identity.user", username), actor_label=username, **_client(request)
    )


def record_lockout(
    sender: Any,
    request: HttpRequest | None = None,
    username: str | None = None,
    **kwargs: Any,
) -> None:
    """django-axes' ``user_locked_out`` receiver: the lockout, and each attempt refused
    while it lasts, are in the audit trail."""
    name = str(username or "")[:150] or "-"
    audit.record(
        "sign_in.locked_out", ("identity.user", name), actor_label=name, **_client(request)
    )


def _retry_after(request: HttpRequest) -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    return max(1, math.ceil(cool_off.total_seconds())) if cool_off else 3600


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """django-axes' ``AXES_LOCKOUT_CALLABLE``: 429 with ``Retry-After``, a Thai/English
    page for people and problem+json for API clients."""
    seconds = _retry_after(request)
    minutes = max(1, math.ceil(seconds / 60))
    text = _(
        "Too many failed sign-ins: this account is locked. "
        "Try again in %(minutes)s minutes, or ask an administrator to unlock it."
    ) % {"minutes": minutes}
    response: HttpResponse
    if wants_problem(request):
        response = problem_response(429, text, type_="locked_out", retry_after=seconds)
    else:
        # The sandbox Digital ID frames the page in its own layout (it plays another
        # organisation): it names that layout on the request.
        layout = getattr(request, "lockout_layout", "base.html")
        context = {"minutes": minutes, "text": text, "layout": layout}
        response = render(request, "core/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response

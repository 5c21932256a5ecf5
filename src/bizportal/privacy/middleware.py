"""Ask an entrepreneur to accept the current privacy notices before going on.

Why a middleware: the first page after signing in and the first application are both
reached through many views; asking at one place means no page is missed and a newly
published version is asked for on the very next page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from . import selectors

#: Paths that never wait for acceptance: the notices themselves, signing in and out,
#: machine endpoints, the sandboxes, static files and the back office.
EXEMPT_PREFIXES = (
    "/privacy/",
    "/auth/",
    "/i18n/",
    "/api/",
    "/sandbox/",
    "/static/",
    "/media/",
    "/admin/",
    "/backoffice/",
    "/payments/callback",
    "/healthz",
    "/readyz",
    "/metrics",
)


class NoticeAcceptanceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and getattr(user, "is_entrepreneur", False)
            and not request.path.startswith(EXEMPT_PREFIXES)
            and selectors.pending_notices(user)
        ):
            next_url = request.get_full_path() if request.method == "GET" else "/account/"
            return redirect(f"{reverse('privacy:accept')}?{urlencode({'next': next_url})}")
        return self.get_response(request)

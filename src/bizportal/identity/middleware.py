"""Puts "who is acting, for whom, how strongly signed in" on every signed-in request.

The party chosen is kept in the session; its grounds are checked again here on every
request, so a revoked or expired mandate, or a directorship the registry no longer
lists, stops working at the next click (the person falls back to acting for
themselves and is told why). The session's authenticator assurance (AAL) is put on
the user as ``session_aal`` so services can check it at every guarded action.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .acting import AAL_SESSION_KEY, SESSION_KEY, Acting, grounds
from .models import Party


class ActingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user.session_aal = request.session.get(AAL_SESSION_KEY, 1)
        request.acting = self._acting(request)  # type: ignore[attr-defined]
        return self.get_response(request)

    def _acting(self, request: HttpRequest) -> Acting | None:
        user = getattr(request, "user", None)
        if user is None or not getattr(user, "is_entrepreneur", False) or user.party_id is None:
            return None
        chosen = request.session.get(SESSION_KEY)
        if chosen and chosen != str(user.party.public_id):
            party = Party.objects.filter(public_id=chosen).first()
            acting = grounds(user, party) if party is not None else None
            if acting is not None:
                user.acting = acting
                return acting
            request.session.pop(SESSION_KEY, None)
            messages.warning(
                request,
                _("Your authority to act for them has ended; you now act for yourself"),
            )
        acting = Acting(user, user.party, "self")
        user.acting = acting
        return acting

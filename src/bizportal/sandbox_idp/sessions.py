"""The provider's own browser session, apart from the portal's.

A real Digital ID provider runs on another site, so its sign-in and the portal's are two
sessions that know nothing of each other. Both run in this process here, so the
separation is made explicit instead:

- the provider keeps its session in its own table (:class:`.models.ProviderSession`),
  keyed by its own cookie ``bizportal_idp``, scoped to the provider's path, HttpOnly and
  ``SameSite=Lax``;
- while a provider view runs, ``request.session`` (the portal's session) is replaced by
  a stand-in that refuses every read and write, so provider code cannot consult the
  portal's cookie even by accident, and signing out of one side leaves the other alone.

Why not Django's ``SessionMiddleware`` with other settings: those settings are global,
and the portal's session must keep its own cookie name and path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.exceptions import SessionInterrupted
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers

COOKIE_NAME = "bizportal_idp"

#: How long a provider sign-in lasts without a new password (seconds).
LIFETIME = 8 * 3600


class ProviderSessionStore(DatabaseSessionStore):
    """Django's database session store, on the provider's own table."""

    @classmethod
    def get_model_class(cls) -> Any:
        from .models import ProviderSession

        return ProviderSession


class PortalSessionOffLimits(SessionBase):
    """Stands in for ``request.session`` inside provider views: any use is a bug."""

    def _refuse(self) -> Any:
        raise RuntimeError(
            "The sandbox Digital ID provider must not use the portal's session; "
            "use the provider session passed to the view."
        )

    def _get_session(self, no_load: bool = False) -> Any:
        return self._refuse()

    # SessionBase binds ``_session`` to its own ``_get_session``: rebind it here.
    _session = property(_get_session)

    async def _aget_session(self, no_load: bool = False) -> Any:
        return self._refuse()

    def exists(self, session_key: str) -> bool:
        return bool(self._refuse())

    def create(self) -> None:
        self._refuse()

    def save(self, must_create: bool = False) -> None:
        self._refuse()

    def delete(self, session_key: str | None = None) -> None:
        self._refuse()

    def load(self) -> dict[str, Any]:
        return dict(self._refuse())


def cookie_path() -> str:
    """The provider's URL prefix (``/sandbox/idp/``, ``/sandbox/thaid/``): the browser
    sends the cookie there only, so each flavour has its own sign-ins, as two real
    providers would."""
    from .flavours import current

    return reverse(f"{current().namespace}:discovery").removesuffix(
        ".well-known/openid-configuration"
    )


ProviderView = Callable[..., HttpResponse]


def provider_session(view: ProviderView) -> Callable[..., HttpResponse]:
    """Run ``view(request, idp_session, ...)`` with the provider's session, then write its
    cookie; the portal's session is out of reach meanwhile."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        store = ProviderSessionStore(request.COOKIES.get(COOKIE_NAME))
        portal_session = getattr(request, "session", None)
        request.session = PortalSessionOffLimits()
        try:
            response = view(request, store, *args, **kwargs)
        finally:
            if portal_session is not None:
                request.session = portal_session
            else:
                del request.session
        _write_cookie(request, store, response)
        return response

    return wrapped


def _write_cookie(
    request: HttpRequest, store: ProviderSessionStore, response: HttpResponse
) -> None:
    """What ``SessionMiddleware`` does for the portal, for the provider's cookie."""
    if not store.accessed:
        return
    patch_vary_headers(response, ("Cookie",))
    if store.is_empty():
        if COOKIE_NAME in request.COOKIES:
            response.delete_cookie(COOKIE_NAME, path=cookie_path(), samesite="Lax")
        return
    if not store.modified or response.status_code >= 500:
        return
    try:
        store.save()
    except UpdateError as error:
        raise SessionInterrupted(
            "The provider session was deleted before the request completed."
        ) from error
    response.set_cookie(
        COOKIE_NAME,
        str(store.session_key),
        path=cookie_path(),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )

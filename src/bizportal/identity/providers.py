"""Identity providers: the extension point through which entrepreneurs prove who they are.

A provider plugin turns a browser round trip into verified claims using the names of
Thai Digital ID (``sub``, ``pid``, ``name``, ``name_en``, ``email``, ``ial``, ``aal``,
``acr``, ``amr``, ``iss``, and ``person_kind`` with, for a foreign national,
``passport_no`` and ``nationality``; ``pid`` then only if they have a 13-digit Thai ID).
The built-in plugin ``digital_id`` speaks OpenID Connect to whatever
issuer ``OIDC_ISSUER`` names, so moving from the sandbox to ThaID or an NDID proxy is a
configuration change; a provider with a different protocol is a new plugin under
``identity/contrib/<name>/`` selected by ``IDENTITY_PROVIDER``.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise

from bizportal.core.registry import Registry


class SignInError(Exception):
    """A sign-in that cannot go on. ``str(error)`` is a message for the person (gettext);
    ``code`` is stable for logs and tests; ``status`` is the HTTP status of the error page."""

    def __init__(self, message: str | Promise, *, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class IdentityProvider(Protocol):
    label_th: str
    label_en: str

    def start(
        self,
        request: HttpRequest,
        *,
        redirect_uri: str,
        acr_values: str | None = None,
        prompt: str | None = None,
    ) -> HttpResponse:
        """Send the browser to the provider (keeping state, nonce and PKCE verifier in
        the session). ``acr_values`` asks for an assurance level (e.g.
        ``urn:th:digitalid:aal:2``), ``prompt`` for ``login`` or ``none`` (OIDC Core)."""
        ...

    def finish(self, request: HttpRequest) -> dict[str, Any]:
        """Check the provider's answer on the callback and return verified claims, or
        raise :class:`SignInError` (``insufficient_assurance`` when ``acr_values`` asked
        for more than the provider confirmed). Keeps what ``end_session_url`` and
        ``refresh`` need in the session, never in the claims."""
        ...

    def end_session_url(self, request: HttpRequest, *, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser so the person is signed out at the provider too, or
        None when the provider offers no such endpoint or this session has no sign-in of
        the provider's. Call it before the portal session is flushed."""
        ...

    def refresh(self, request: HttpRequest) -> dict[str, Any]:
        """Fresh claims about the signed-in person, without the browser (a refresh token
        grant, then userinfo); raises :class:`SignInError` if the provider refuses."""
        ...


providers: Registry[IdentityProvider] = Registry("identity provider")


def get_provider(identifier: str | None = None) -> IdentityProvider:
    """The configured provider (``settings.IDENTITY_PROVIDER``) or the one named."""
    return providers[identifier or settings.IDENTITY_PROVIDER]

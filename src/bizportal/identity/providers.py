"""Identity providers: the extension point through which entrepreneurs prove who they are.

A provider plugin turns a browser round trip into verified claims using the names of
Thai Digital ID (``sub``, ``pid``, ``name``, ``name_en``, ``email``, ``ial``, ``aal``,
``acr``, ``iss``). The built-in plugin ``digital_id`` speaks OpenID Connect to whatever
issuer ``OIDC_ISSUER`` names, so moving from the sandbox to ThaID or an NDID proxy is a
configuration change; a provider with a different protocol is a new plugin under
``identity/contrib/<name>/`` selected by ``IDENTITY_PROVIDER``.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from bizportal.core.registry import Registry


class SignInError(Exception):
    """A sign-in that cannot go on. ``str(error)`` is a bilingual message for the person;
    ``code`` is stable for logs and tests; ``status`` is the HTTP status of the error page."""

    def __init__(self, message: str, *, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class IdentityProvider(Protocol):
    label_th: str
    label_en: str

    def start(self, request: HttpRequest, *, redirect_uri: str) -> HttpResponse:
        """Send the browser to the provider (keeping state, nonce and PKCE verifier in
        the session)."""
        ...

    def finish(self, request: HttpRequest) -> dict[str, Any]:
        """Check the provider's answer on the callback and return verified claims, or
        raise :class:`SignInError`."""
        ...


providers: Registry[IdentityProvider] = Registry("identity provider")


def get_provider(identifier: str | None = None) -> IdentityProvider:
    """The configured provider (``settings.IDENTITY_PROVIDER``) or the one named."""
    return providers[identifier or settings.IDENTITY_PROVIDER]

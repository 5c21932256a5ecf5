"""Identity providers: the extension point through which entrepreneurs prove who they are.

A provider plugin turns a browser round trip into verified claims using the names of
Thai Digital ID (``sub``, ``pid``, ``name``, ``name_en``, ``email``, ``ial``, ``aal``,
``acr``, ``amr``, ``iss``, and ``person_kind`` with, for a foreign national,
``passport_no`` and ``nationality``; ``pid`` then only if they have a 13-digit Thai ID).
The built-in plugin ``digital_id`` speaks OpenID Connect to whatever
issuer ``OIDC_ISSUER`` names, so moving from the sandbox to ThaID or an NDID proxy is a
configuration change; a provider with a different protocol is a new plugin under
``identity/contrib/<name>/``. ``IDENTITY_PROVIDERS`` lists the plugins offered side by
side on the sign-in page (``thaid`` speaks OIDC with DOPA's claims); ``IDENTITY_PROVIDER``
is the one old links without a provider name fall back to when only one is enabled.

Whether a provider can be used now is probed (:func:`availability`): a short fetch of
its discovery or health document, believed for ``IDENTITY_PROBE_CACHE_SECONDS``, so a
provider that is down is shown as unavailable while the others keep working.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from django.conf import settings
from django.core.cache import cache
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
    name: str
    label_th: str
    label_en: str

    def probe(self) -> str:
        """Empty when the provider answers now; else a short reason (for logs and tests)."""
        ...

    def assurance(self, claims: dict[str, Any]) -> tuple[str, int]:
        """The IAL (``"2.3"``) and AAL (``2``) the claims ``finish`` returned confirm."""
        ...

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


log = logging.getLogger(__name__)


def get_provider(identifier: str | None = None) -> IdentityProvider:
    """The configured provider (``settings.IDENTITY_PROVIDER``) or the one named."""
    return providers[identifier or settings.IDENTITY_PROVIDER]


def enabled() -> list[str]:
    """The names in ``IDENTITY_PROVIDERS`` that are registered plugins, in order."""
    return [name for name in settings.IDENTITY_PROVIDERS if name in providers]


def probe_url(url: str, headers: dict[str, str] | None = None) -> str:
    """GET ``url`` with the probe timeout: empty if it answers 2xx, else why not."""
    try:
        answer = requests.get(url, headers=headers, timeout=settings.IDENTITY_PROBE_TIMEOUT)
    except requests.RequestException as error:
        return type(error).__name__
    return "" if answer.ok else f"HTTP {answer.status_code}"


@dataclass(frozen=True)
class Availability:
    name: str
    label_th: str
    label_en: str
    available: bool
    reason: str = ""


def _cache_key(name: str) -> str:
    return f"identity:probe:{name}"


def availability(name: str) -> Availability:
    """Whether provider ``name`` answers, from the cache or probed now (short timeout)."""
    provider = providers[name]
    reason = cache.get(_cache_key(name))
    if reason is None:
        reason = provider.probe()
        if reason:
            log.warning("identity provider %s unavailable: %s", name, reason)
        cache.set(_cache_key(name), reason, settings.IDENTITY_PROBE_CACHE_SECONDS)
    return Availability(name, provider.label_th, provider.label_en, not reason, reason)


def forget_availability(name: str) -> None:
    """Probe ``name`` again next time (after a sign-in against it failed, or a switch)."""
    cache.delete(_cache_key(name))

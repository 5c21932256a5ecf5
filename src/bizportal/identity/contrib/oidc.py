"""What every OpenID Connect identity provider plugin shares (authorization code + PKCE
S256 + nonce).

Everything protocol-level is Authlib's Django client: discovery, state in the session,
PKCE, the token request with ``client_secret_basic``, ID token checks (RS256 signature
against the issuer's JWKS, ``iss``, ``aud``, ``azp``, ``exp``, ``nonce``, ``at_hash``),
the refresh-token grant and the RP-initiated logout URL. On top, this base checks that
the discovery document names the configured issuer, keeps the ID token and refresh token
in the portal session (under ``<plugin name>.``) for sign-out and refresh, and lets each
plugin say what differs between providers: its settings, scopes, how its claims map to
the portal's (Digital ID's names) and how its ``acr`` maps to IAL and AAL.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from typing import Any

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from joserfc.errors import JoseError

from bizportal.identity.providers import SignInError, probe_url

log = logging.getLogger(__name__)

TIMEOUT = 10

INSUFFICIENT = _(
    "This service needs a stronger sign-in (AAL2, with a code from your app); please try again"
)


class OidcProvider(ABC):
    """Base of the OpenID Connect plugins; subclasses set the attributes below, say how
    their ``acr`` maps to IAL and AAL (:meth:`assurance`, which has no sensible default:
    a provider whose assurance is guessed could let a weak sign-in through) and may
    override :meth:`map_claims` and :meth:`check_claims`."""

    name = ""
    label_th = ""
    label_en = ""
    scope = "openid"
    #: Names of the settings holding the issuer, client ID and client secret.
    issuer_setting = ""
    client_id_setting = ""
    client_secret_setting = ""
    unavailable_message: str | Promise = ""
    refused_message: str | Promise = ""
    refresh_refused_message: str | Promise = ""
    no_token_message: str | Promise = ""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str, str], DjangoOAuth2App] = {}

    # --- per-provider behaviour -----------------------------------------------------

    def issuer(self) -> str:
        return str(getattr(settings, self.issuer_setting)).rstrip("/")

    def client_id(self) -> str:
        return str(getattr(settings, self.client_id_setting))

    def map_claims(self, claims: dict[str, Any]) -> dict[str, Any]:
        """The provider's claims in the portal's names (Digital ID's); by default as sent."""
        return claims

    def check_claims(self, claims: dict[str, Any]) -> None:
        """Refuse claims the portal cannot key an account on (after :meth:`map_claims`).

        By default every claim set that maps is accepted: the account matching in
        ``identity.services`` refuses one without a citizen ID or passport anyway."""
        return None

    @abstractmethod
    def assurance(self, claims: dict[str, Any]) -> tuple[str, int]:
        """The IAL and AAL the (mapped) claims confirm."""

    def asked_more_than_confirmed(self, acr_values: str, claims: dict[str, Any]) -> bool:
        """Whether the ``acr_values`` asked for more than the claims confirm."""
        return False

    # --- the protocol -----------------------------------------------------------------

    @property
    def session_id_token(self) -> str:
        return f"{self.name}.id_token"

    @property
    def session_refresh_token(self) -> str:
        return f"{self.name}.refresh_token"

    @property
    def session_subject(self) -> str:
        return f"{self.name}.sub"

    def metadata_url(self) -> str:
        return f"{self.issuer()}/.well-known/openid-configuration"

    def probe(self) -> str:
        """Empty when the discovery document answers; else a short reason (for the page)."""
        return probe_url(self.metadata_url())

    def client(self) -> DjangoOAuth2App:
        """An Authlib client for the current settings.

        One per (issuer, client ID, secret), so the discovery document and JWKS are
        fetched once per configuration, and a settings change (tests point the issuer
        at a live server) takes effect at once.
        """
        key = (self.issuer(), self.client_id(), str(getattr(settings, self.client_secret_setting)))
        with self._lock:
            if key not in self._clients:
                oauth = OAuth()
                oauth.register(
                    self.name,
                    client_id=key[1],
                    client_secret=key[2],
                    server_metadata_url=self.metadata_url(),
                    client_kwargs={
                        "scope": self.scope,
                        "code_challenge_method": "S256",
                        "token_endpoint_auth_method": "client_secret_basic",
                        "default_timeout": TIMEOUT,
                    },
                )
                self._clients[key] = oauth.create_client(self.name)
            return self._clients[key]

    def start(
        self,
        request: HttpRequest,
        *,
        redirect_uri: str,
        acr_values: str | None = None,
        prompt: str | None = None,
    ) -> HttpResponse:
        client = self.client()
        params: dict[str, str] = {"ui_locales": get_language() or "th"}
        if acr_values:
            params["acr_values"] = acr_values
        if prompt:
            params["prompt"] = prompt
        try:
            self._check_issuer(client)
            authorization = client.create_authorization_url(redirect_uri, **params)
        except (requests.RequestException, ValueError) as error:
            raise SignInError(
                self.unavailable_message, code="provider_unavailable", status=502
            ) from error
        # What Authlib's authorize_redirect does, plus the acr_values asked for: kept
        # with state, nonce and PKCE verifier, so finish() knows what to insist on.
        client.save_authorize_data(
            request, redirect_uri=redirect_uri, acr_values=acr_values or "", **authorization
        )
        return HttpResponseRedirect(authorization["url"])

    def finish(self, request: HttpRequest) -> dict[str, Any]:
        client = self.client()
        state = request.GET.get("state") or request.POST.get("state")
        asked = client.framework.get_state_data(request.session, state) if state else None
        token = self._token(client, request)
        raw = token.get("userinfo")
        if not raw:
            raise SignInError(self.no_token_message, code="no_id_token")
        claims = self.map_claims(dict(raw))
        self.check_claims(claims)
        if self.asked_more_than_confirmed(str((asked or {}).get("acr_values") or ""), claims):
            raise SignInError(INSUFFICIENT, code="insufficient_assurance", status=403)
        request.session[self.session_id_token] = token["id_token"]
        request.session[self.session_subject] = str(claims["sub"])
        if token.get("refresh_token"):
            request.session[self.session_refresh_token] = token["refresh_token"]
        else:
            request.session.pop(self.session_refresh_token, None)
        return claims

    def _token(self, client: DjangoOAuth2App, request: HttpRequest) -> dict[str, Any]:
        """The token response, every failure turned into a :class:`SignInError`."""
        try:
            return dict(client.authorize_access_token(request))
        except MismatchingStateError as error:
            raise SignInError(
                _("This sign-in request has expired or is not valid, please start again"),
                code="bad_state",
            ) from error
        except OAuthError as error:
            if error.error == "access_denied":
                raise SignInError(
                    _("You cancelled the identity check"), code="access_denied", status=403
                ) from error
            raise SignInError(self.refused_message, code=f"provider_error:{error.error}") from error
        except JoseError as error:
            raise SignInError(
                _("The identity token did not pass verification (signature or claims)"),
                code="invalid_id_token",
            ) from error
        except (requests.RequestException, ValueError) as error:
            raise SignInError(
                self.unavailable_message, code="provider_unavailable", status=502
            ) from error

    def end_session_url(self, request: HttpRequest, *, post_logout_redirect_uri: str) -> str | None:
        """The provider's end-session URL with the ID token of this session as hint.

        None when this session holds no ID token (nothing to sign out of, e.g. staff),
        or when the provider publishes no ``end_session_endpoint`` or cannot be reached:
        signing out of the portal must never fail because of the provider. The ``state``
        Authlib adds is not checked on the way back: by then the portal session that
        could remember it has ended, and the landing page acts on nothing.
        """
        hint = request.session.get(self.session_id_token)
        if not hint:
            return None
        client = self.client()
        try:
            metadata = client.load_server_metadata()
        except (requests.RequestException, ValueError):
            log.warning("%s discovery failed; signing out of the portal only", self.name)
            return None
        if not metadata.get("end_session_endpoint"):
            return None
        logout = client.create_logout_url(
            post_logout_redirect_uri=post_logout_redirect_uri,
            id_token_hint=hint,
            client_id=self.client_id(),
        )
        return str(logout["url"])

    def refresh(self, request: HttpRequest) -> dict[str, Any]:
        """Use the refresh token (single use: the new one replaces it in the session),
        then read userinfo with the new access token.

        The userinfo ``sub`` must be the ID token's (OIDC Core §5.3.2), or the answer is
        about someone else. On a refusal the refresh token is dropped from the session:
        the provider has revoked it (or its whole family) and it will not work again.
        """
        refused = self.refresh_refused_message
        refresh_token = request.session.get(self.session_refresh_token)
        if not refresh_token:
            raise SignInError(refused, code="no_refresh_token", status=401)
        client = self.client()
        try:
            token = client.fetch_access_token(
                grant_type="refresh_token", refresh_token=refresh_token
            )
            if token.get("refresh_token"):
                request.session[self.session_refresh_token] = token["refresh_token"]
            info = self.map_claims(dict(client.userinfo(token=token)))
        except OAuthError as error:
            request.session.pop(self.session_refresh_token, None)
            raise SignInError(refused, code=f"refresh_refused:{error.error}", status=401) from error
        except requests.HTTPError as error:
            raise SignInError(refused, code="userinfo_refused", status=401) from error
        except (requests.RequestException, ValueError) as error:
            raise SignInError(
                self.unavailable_message, code="provider_unavailable", status=502
            ) from error
        if str(info.get("sub", "")) != request.session.get(self.session_subject):
            request.session.pop(self.session_refresh_token, None)
            raise SignInError(refused, code="subject_mismatch", status=401)
        return info

    def _check_issuer(self, client: DjangoOAuth2App) -> None:
        """OIDC Discovery §4.3: the document's issuer must be the one we asked."""
        metadata = client.load_server_metadata()
        if str(metadata.get("issuer", "")).rstrip("/") != self.issuer():
            raise ValueError(f"issuer in discovery document does not match {self.issuer_setting}")

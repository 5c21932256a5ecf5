"""Thai Digital ID over OpenID Connect (authorization code + PKCE S256 + nonce).

Everything protocol-level is Authlib's Django client: discovery, state in the session,
PKCE, the token request with ``client_secret_basic``, ID token checks (RS256 signature
against the issuer's JWKS, ``iss``, ``aud``, ``azp``, ``exp``, ``nonce``, ``at_hash``),
the refresh-token grant and the RP-initiated logout URL. This plugin adds what Digital
ID needs on top: the issuer named in the discovery document must be the configured one;
``pid`` is required unless the person is a foreign national (``person_kind:
"foreign"``); a sign-in that asked for AAL2 must come back at AAL2; and the ID token
and refresh token are kept in the portal session (under the keys below) for sign-out
and refresh.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from joserfc.errors import JoseError

from bizportal.identity.providers import SignInError, providers

log = logging.getLogger(__name__)

SCOPE = "openid pid profile email"
TIMEOUT = 10

#: Portal-session keys of this plugin. The tokens stay out of the claims, which the
#: portal stores and audits; they are credentials, and live only as long as the session.
SESSION_ID_TOKEN = "digital_id.id_token"  # noqa: S105 - a session key, not a secret
SESSION_REFRESH_TOKEN = "digital_id.refresh_token"  # noqa: S105 - a session key
SESSION_SUBJECT = "digital_id.sub"

UNAVAILABLE = _("Digital ID is not available at the moment, please try again later")
REFRESH_REFUSED = _("Digital ID no longer confirms this sign-in, please sign in again")

_AAL_IN_ACR = re.compile(r"(?:^|:)aal:([0-9]+)$")


def _aal_of(acr: str) -> int:
    """The AAL an ``acr`` value names (``urn:th:digitalid:ial:2.1:aal:2`` → 2), else 0."""
    match = _AAL_IN_ACR.search(acr or "")
    return int(match.group(1)) if match else 0


def requested_aal(acr_values: str | None) -> int:
    """The highest AAL that space-separated ``acr_values`` ask for (0: none)."""
    return max((_aal_of(value) for value in (acr_values or "").split()), default=0)


def confirmed_aal(claims: dict[str, Any]) -> int:
    """The AAL the ID token confirms. When both ``aal`` and ``acr`` are present the lower
    counts: a provider contradicting itself gets the benefit of no doubt."""
    levels = []
    if str(claims.get("aal", "")).isdigit():
        levels.append(int(claims["aal"]))
    if claims.get("acr"):
        levels.append(_aal_of(str(claims["acr"])))
    return min(levels, default=0)


@providers.register("digital_id")
class DigitalIdProvider:
    label_th = "ดิจิทัลไอดี"
    label_en = "Digital ID"
    name = "digital_id"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str, str], DjangoOAuth2App] = {}

    def client(self) -> DjangoOAuth2App:
        """An Authlib client for the current settings.

        One per (issuer, client ID, secret), so the discovery document and JWKS are
        fetched once per configuration, and a settings change (tests point the issuer
        at a live server) takes effect at once.
        """
        key = (
            settings.OIDC_ISSUER.rstrip("/"),
            settings.OIDC_CLIENT_ID,
            settings.OIDC_CLIENT_SECRET,
        )
        with self._lock:
            if key not in self._clients:
                oauth = OAuth()
                oauth.register(
                    self.name,
                    client_id=key[1],
                    client_secret=key[2],
                    server_metadata_url=f"{key[0]}/.well-known/openid-configuration",
                    client_kwargs={
                        "scope": SCOPE,
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
            raise SignInError(UNAVAILABLE, code="provider_unavailable", status=502) from error
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
        try:
            token = client.authorize_access_token(request)
        except MismatchingStateError as error:
            raise SignInError(
                _("This sign-in request has expired or is not valid, please start again"),
                code="bad_state",
            ) from error
        except OAuthError as error:
            if error.error == "access_denied":
                raise SignInError(
                    _("You cancelled the identity check"),
                    code="access_denied",
                    status=403,
                ) from error
            raise SignInError(
                _("Digital ID did not confirm this sign-in"),
                code=f"provider_error:{error.error}",
            ) from error
        except JoseError as error:
            raise SignInError(
                _("The identity token did not pass verification (signature or claims)"),
                code="invalid_id_token",
            ) from error
        except (requests.RequestException, ValueError) as error:
            raise SignInError(UNAVAILABLE, code="provider_unavailable", status=502) from error

        claims = token.get("userinfo")
        if not claims:
            raise SignInError(
                _("Digital ID sent no identity token"),
                code="no_id_token",
            )
        claims = dict(claims)
        if claims.get("person_kind") != "foreign" and not claims.get("pid"):
            raise SignInError(
                _("Digital ID did not send a citizen ID"),
                code="missing_pid",
            )
        wanted = requested_aal((asked or {}).get("acr_values"))
        if wanted and confirmed_aal(claims) < wanted:
            raise SignInError(
                _(
                    "This service needs a stronger sign-in (AAL2, with a code from your app); "
                    "please try again"
                ),
                code="insufficient_assurance",
                status=403,
            )
        request.session[SESSION_ID_TOKEN] = token["id_token"]
        request.session[SESSION_SUBJECT] = str(claims["sub"])
        if token.get("refresh_token"):
            request.session[SESSION_REFRESH_TOKEN] = token["refresh_token"]
        else:
            request.session.pop(SESSION_REFRESH_TOKEN, None)
        return claims

    def end_session_url(self, request: HttpRequest, *, post_logout_redirect_uri: str) -> str | None:
        """The provider's end-session URL with the ID token of this session as hint.

        None when this session holds no ID token (nothing to sign out of, e.g. staff),
        or when the provider publishes no ``end_session_endpoint`` or cannot be reached:
        signing out of the portal must never fail because of the provider. The ``state``
        Authlib adds is not checked on the way back: by then the portal session that
        could remember it has ended, and the landing page acts on nothing.
        """
        hint = request.session.get(SESSION_ID_TOKEN)
        if not hint:
            return None
        client = self.client()
        try:
            metadata = client.load_server_metadata()
        except (requests.RequestException, ValueError):
            log.warning("Digital ID discovery failed; signing out of the portal only")
            return None
        if not metadata.get("end_session_endpoint"):
            return None
        logout = client.create_logout_url(
            post_logout_redirect_uri=post_logout_redirect_uri,
            id_token_hint=hint,
            client_id=settings.OIDC_CLIENT_ID,
        )
        return str(logout["url"])

    def refresh(self, request: HttpRequest) -> dict[str, Any]:
        """Use the refresh token (single use: the new one replaces it in the session),
        then read userinfo with the new access token.

        The userinfo ``sub`` must be the ID token's (OIDC Core §5.3.2), or the answer is
        about someone else. On a refusal the refresh token is dropped from the session:
        the provider has revoked it (or its whole family) and it will not work again.
        """
        refresh_token = request.session.get(SESSION_REFRESH_TOKEN)
        if not refresh_token:
            raise SignInError(REFRESH_REFUSED, code="no_refresh_token", status=401)
        client = self.client()
        try:
            token = client.fetch_access_token(
                grant_type="refresh_token", refresh_token=refresh_token
            )
            if token.get("refresh_token"):
                request.session[SESSION_REFRESH_TOKEN] = token["refresh_token"]
            info = dict(client.userinfo(token=token))
        except OAuthError as error:
            request.session.pop(SESSION_REFRESH_TOKEN, None)
            raise SignInError(
                REFRESH_REFUSED, code=f"refresh_refused:{error.error}", status=401
            ) from error
        except requests.HTTPError as error:
            raise SignInError(REFRESH_REFUSED, code="userinfo_refused", status=401) from error
        except (requests.RequestException, ValueError) as error:
            raise SignInError(UNAVAILABLE, code="provider_unavailable", status=502) from error
        if str(info.get("sub", "")) != request.session.get(SESSION_SUBJECT):
            request.session.pop(SESSION_REFRESH_TOKEN, None)
            raise SignInError(REFRESH_REFUSED, code="subject_mismatch", status=401)
        return info

    @staticmethod
    def _check_issuer(client: DjangoOAuth2App) -> None:
        """OIDC Discovery §4.3: the document's issuer must be the one we asked."""
        metadata = client.load_server_metadata()
        if str(metadata.get("issuer", "")).rstrip("/") != settings.OIDC_ISSUER.rstrip("/"):
            raise ValueError("issuer in discovery document does not match OIDC_ISSUER")

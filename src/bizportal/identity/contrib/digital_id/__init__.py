"""Thai Digital ID over OpenID Connect (authorization code + PKCE S256 + nonce).

Everything protocol-level is Authlib's Django client: discovery, state in the session,
PKCE, the token request with ``client_secret_basic``, and ID token checks (RS256 signature
against the issuer's JWKS, ``iss``, ``aud``, ``azp``, ``exp``, ``nonce``, ``at_hash``).
This plugin adds what Digital ID needs on top: the ``pid`` claim is required and the
issuer named in the discovery document must be the configured one.
"""

from __future__ import annotations

import threading
from typing import Any

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from joserfc.errors import JoseError

from bizportal.identity.providers import SignInError, providers

SCOPE = "openid pid profile email"
TIMEOUT = 10

UNAVAILABLE = (
    "ระบบยืนยันตัวตนดิจิทัลไอดีไม่ตอบสนอง โปรดลองใหม่ภายหลัง / "
    "Digital ID is not available at the moment, please try again later"
)


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

    def start(self, request: HttpRequest, *, redirect_uri: str) -> HttpResponse:
        client = self.client()
        try:
            self._check_issuer(client)
            return client.authorize_redirect(
                request, redirect_uri, ui_locales=get_language() or "th"
            )
        except (requests.RequestException, ValueError) as error:
            raise SignInError(UNAVAILABLE, code="provider_unavailable", status=502) from error

    def finish(self, request: HttpRequest) -> dict[str, Any]:
        client = self.client()
        try:
            token = client.authorize_access_token(request)
        except MismatchingStateError as error:
            raise SignInError(
                "คำขอเข้าสู่ระบบหมดอายุหรือไม่ถูกต้อง โปรดเริ่มใหม่ / "
                "This sign-in request has expired or is not valid, please start again",
                code="bad_state",
            ) from error
        except OAuthError as error:
            if error.error == "access_denied":
                raise SignInError(
                    "ท่านยกเลิกการยืนยันตัวตน / You cancelled the identity check",
                    code="access_denied",
                    status=403,
                ) from error
            raise SignInError(
                "ดิจิทัลไอดีไม่ยืนยันการเข้าสู่ระบบนี้ / Digital ID did not confirm this sign-in",
                code=f"provider_error:{error.error}",
            ) from error
        except JoseError as error:
            raise SignInError(
                "ข้อมูลยืนยันตัวตนที่ได้รับไม่ถูกต้อง (ลายมือชื่อหรือข้อมูลไม่ผ่านการตรวจสอบ) / "
                "The identity token did not pass verification (signature or claims)",
                code="invalid_id_token",
            ) from error
        except (requests.RequestException, ValueError) as error:
            raise SignInError(UNAVAILABLE, code="provider_unavailable", status=502) from error

        claims = token.get("userinfo")
        if not claims:
            raise SignInError(
                "ดิจิทัลไอดีไม่ได้ส่งข้อมูลยืนยันตัวตน / Digital ID sent no identity token",
                code="no_id_token",
            )
        claims = dict(claims)
        if not claims.get("pid"):
            raise SignInError(
                "ดิจิทัลไอดีไม่ได้ส่งเลขประจำตัวประชาชน / Digital ID did not send a citizen ID",
                code="missing_pid",
            )
        return claims

    @staticmethod
    def _check_issuer(client: DjangoOAuth2App) -> None:
        """OIDC Discovery §4.3: the document's issuer must be the one we asked."""
        metadata = client.load_server_metadata()
        if str(metadata.get("issuer", "")).rstrip("/") != settings.OIDC_ISSUER.rstrip("/"):
            raise ValueError("issuer in discovery document does not match OIDC_ISSUER")

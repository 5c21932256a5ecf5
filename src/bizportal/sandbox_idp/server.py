"""Authlib wiring for the sandbox provider: the registered client, the code grant with
mandatory PKCE S256, the refresh-token grant with rotation, the OpenID Connect
extension, the bearer-token validator, and the check of an ``id_token_hint``.

The protocol itself (parameter checks, client authentication, error responses, ID
token encoding) is Authlib's; this module only connects it to our tables and settings.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import Any

from authlib.integrations.django_oauth2 import (
    AuthorizationServer,
    BearerTokenValidator,
    ResourceProtector,
)
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from django.conf import settings
from django.urls import reverse
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from . import keys, services
from .flavours import current
from .models import AccessToken, AuthorizationCode, SandboxIdentity

ID_TOKEN_LIFETIME = 600
ACCESS_TOKEN_LIFETIME = 600


def issuer() -> str:
    """This provider's issuer identifier, derived from ``BASE_URL`` at request time."""
    discovery = reverse(f"{current().namespace}:discovery")
    path = discovery.removesuffix("/.well-known/openid-configuration")
    return settings.BASE_URL + path


def portal_redirect_uri() -> str:
    return settings.BASE_URL + reverse("identity:callback")


def portal_post_logout_redirect_uri() -> str:
    """Where the portal asks to land after RP-initiated logout: its home page."""
    return settings.BASE_URL + "/"


@dataclass(frozen=True)
class RegisteredClient:
    """The one relying party registered here: the portal, as configured in settings.

    Read from settings on every request, so tests (and operators) that change
    ``BASE_URL`` or the client secret take effect without a restart.
    """

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    id_token_signed_response_alg: str = "RS256"  # noqa: S105 - an algorithm name

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        allowed = [s for s in (scope or "").split() if s in current().scopes]
        return " ".join(allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_post_logout_redirect_uri(self, uri: str) -> bool:
        """Exact match, like redirect URIs: anything looser makes an open redirector."""
        return uri in self.post_logout_redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret.encode(), self.client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


def registered_client() -> RegisteredClient:
    flavour = current()
    return RegisteredClient(
        client_id=getattr(settings, flavour.client_id_setting),
        client_secret=getattr(settings, flavour.client_secret_setting),
        redirect_uris=(portal_redirect_uri(),),
        post_logout_redirect_uris=(portal_post_logout_redirect_uri(),),
    )


def private_signing_key() -> RSAKey:
    """Indirection so a test can make the provider sign with a rogue key."""
    return keys.signing_key()


class SandboxAuthorizationServer(AuthorizationServer):
    def __init__(self) -> None:
        super().__init__(client_model=None, token_model=AccessToken)

    def load_config(self, config: dict[str, Any]) -> None:
        super().load_config(
            {
                "scopes_supported": list(services.SUPPORTED_SCOPES),
                "token_expires_in": {
                    "authorization_code": ACCESS_TOKEN_LIFETIME,
                    "refresh_token": ACCESS_TOKEN_LIFETIME,
                },
                "refresh_token_generator": True,
                **config,
            }
        )

    def query_client(self, client_id: str) -> RegisteredClient | None:
        client = registered_client()
        if client_id and hmac.compare_digest(str(client_id).encode(), client.client_id.encode()):
            return client
        return None

    def save_token(self, token: dict[str, Any], request: Any) -> AccessToken:
        if request.refresh_token is not None:  # the refresh-token grant
            return services.save_refreshed_token(
                token, client_id=request.client.client_id, parent=request.refresh_token
            )
        return services.save_token(
            token, client_id=request.client.client_id, code=request.authorization_code
        )


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code: str, request: Any) -> AuthorizationCode:
        payload = request.payload.data
        session = request.sandbox_session  # set by the authorize view
        return services.issue_code(
            code,
            client_id=request.client.client_id,
            identity=request.user,
            # Only what the request carried: the token request must then repeat it.
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope,
            nonce=payload.get("nonce", ""),
            code_challenge=payload["code_challenge"],
            code_challenge_method=payload["code_challenge_method"],
            auth_time=session["auth_time"],
            aal=session["aal"],
            sid=session.get("sid", ""),
        )

    def query_authorization_code(
        self, code: str, client: RegisteredClient
    ) -> AuthorizationCode | None:
        item = (
            AuthorizationCode.objects.select_related("identity")
            .filter(code=code, client_id=client.client_id)
            .first()
        )
        if item is None or item.is_expired():
            return None
        if item.used_at is not None:
            services.revoke_tokens_of_replayed_code(item)
            return None
        return item

    def authenticate_user(self, authorization_code: AuthorizationCode) -> SandboxIdentity | None:
        # Claim the code here, after every check (client, redirect URI, PKCE) passed
        # and before any token exists, so a lost race leaves nothing behind.
        if not services.redeem_code(authorization_code):
            raise InvalidGrantError("The authorization code has already been used.")
        identity = authorization_code.identity
        return identity if identity.is_active else None

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Kept (marked used) rather than deleted, so a replay can be recognised."""


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """``grant_type=refresh_token`` with rotation: each refresh token works once.

    Authlib checks the client (authentication, then ``check_client``: a token only works
    for the client it was issued to) and the scope; we add rotation and replay
    detection (RFC 9700 §4.14.2), and keep the AAL of the sign-in on the new token.
    """

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> AccessToken | None:
        item = (
            AccessToken.objects.select_related("identity")
            .filter(refresh_token=refresh_token)
            .first()
        )
        if item is None:
            return None
        if item.refresh_rotated_at is not None:
            services.revoke_family(item, reason="refresh_token_replayed")
            return None
        if item.revoked or item.is_refresh_expired():
            return None
        return item

    def authenticate_user(self, refresh_token: AccessToken) -> SandboxIdentity:
        # Claim the refresh token before a new one exists (as codes are claimed), so of
        # two requests racing with it, one wins and the other revokes the family.
        if not services.rotate_refresh_token(refresh_token):
            raise InvalidGrantError("The refresh token has already been used.")
        if not refresh_token.identity.is_active:
            raise InvalidGrantError("The person can no longer sign in.")
        return refresh_token.identity

    def revoke_old_credential(self, refresh_token: AccessToken) -> None:
        """Already done in ``authenticate_user``. The old access token stays valid until
        it expires (at most ``ACCESS_TOKEN_LIFETIME``), so a request in flight with it
        does not fail."""


class RequireS256(CodeChallenge):
    """PKCE is mandatory here for every client, confidential ones included, and only
    S256 is accepted (RFC 9700 §2.1.1): Authlib's stock extension requires it only
    for public clients and also accepts ``plain``."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge' (S256).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class OpenIDConnect(OpenIDCode):
    DEFAULT_EXPIRES_IN = ID_TOKEN_LIFETIME

    def resolve_client_private_key(self, client: RegisteredClient) -> RSAKey:
        return private_signing_key()

    def get_client_algorithm(self, client: RegisteredClient) -> str:
        return "RS256"

    def get_encode_header(self, client: RegisteredClient) -> dict[str, str]:
        return {"alg": "RS256", "kid": private_signing_key().kid or "", "typ": "JWT"}

    def get_client_claims(self, client: RegisteredClient) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": issuer(),
            "aud": [client.client_id],
            "azp": client.client_id,
            "iat": now,
            "exp": now + ID_TOKEN_LIFETIME,
        }

    def get_authorization_code_claims(
        self, authorization_code: AuthorizationCode
    ) -> dict[str, Any]:
        claims = super().get_authorization_code_claims(authorization_code)
        claims["aal"] = authorization_code.aal
        if authorization_code.sid:
            claims["sid"] = authorization_code.sid
        return claims

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return AuthorizationCode.objects.filter(
            client_id=request.payload.client_id, nonce=nonce
        ).exists()

    def generate_user_info(self, user: SandboxIdentity, scope: str) -> dict[str, Any]:
        return services.claims_for(user, scope)


def build_server() -> SandboxAuthorizationServer:
    server = SandboxAuthorizationServer()
    server.register_grant(
        AuthorizationCodeGrant, [RequireS256(required=True), OpenIDConnect(require_nonce=True)]
    )
    server.register_grant(RefreshTokenGrant)
    return server


class InvalidHintError(ValueError):
    """An ``id_token_hint`` we did not issue to our client; ``str()`` says why (for logs)."""


def verify_id_token_hint(hint: str, *, client_id: str = "") -> dict[str, Any]:
    """The claims of an ID token this provider signed for the registered client.

    Checked: our RS256 signature (with the real key, whatever ``private_signing_key``
    currently returns), ``iss``, ``aud`` (our client, and ``client_id`` if the request
    named one) and a ``sub``. Not checked: ``exp``. RP-Initiated Logout §2 asks the
    provider to accept an expired ID token as a hint, since a person may sign out long
    after signing in.
    """
    try:
        token = jwt.decode(hint, keys.signing_key(), algorithms=["RS256"])
    except (JoseError, ValueError, TypeError) as error:
        raise InvalidHintError(f"not a token signed by this provider: {error}") from error
    claims = dict(token.claims)
    client = registered_client()
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else list(audience or [])
    if claims.get("iss") != issuer():
        raise InvalidHintError("issued by someone else")
    if client.client_id not in audiences:
        raise InvalidHintError("not issued to the registered client")
    if client_id and client_id != client.client_id:
        raise InvalidHintError("client_id does not match the token's audience")
    if not claims.get("sub"):
        raise InvalidHintError("no subject")
    return claims


class _Validator(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> AccessToken | None:
        return (
            AccessToken.objects.select_related("identity").filter(access_token=token_string).first()
        )


server = build_server()
require_oauth = ResourceProtector()
require_oauth.register_token_validator(_Validator(AccessToken))

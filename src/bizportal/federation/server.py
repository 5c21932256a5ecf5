"""Authlib wiring for the portal's authorisation server: our clients table, client
authentication with ``private_key_jwt`` (RFC 7523 client assertions), and the
client-credentials grant for system users with RFC 9396 ``authorization_details``
naming the company.

The protocol (parameter checks, assertion verification, error responses) is Authlib's;
this module connects it to our tables and adds the system-user rules.
"""

from __future__ import annotations

import json
import time
from typing import Any

from authlib.integrations.django_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    AccessDeniedError,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from django.urls import reverse
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from bizportal.identity.acting import grounds
from bizportal.identity.models import Party

from . import keys, services
from .models import TOKEN_EXCHANGE, AuthorizationCode, FederatedClient, SystemUserApproval

AUTH_METHOD = "private_key_jwt"


def token_endpoint() -> str:
    return services.issuer() + reverse("federation:token")


class PrivateKeyJWT(JWTBearerClientAssertion):
    """``private_key_jwt``: the client signs a short JWT with its private key; we check
    it against the public keys registered for the client, once per ``jti``."""

    CLIENT_AUTH_METHOD = AUTH_METHOD

    def get_audiences(self) -> list[str]:
        return [token_endpoint(), services.issuer()]

    def validate_jti(self, claims: Any, jti: str) -> bool:
        return services.use_assertion(str(claims["sub"]), jti, claims.get("exp"))

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> Any:
        """As Authlib's, but only the asymmetric algorithms a client may register
        (joserfc's default list would also take HS256, and not PS256)."""
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=list(keys.CLIENT_ALGORITHMS))
        except JoseError as error:
            raise InvalidClientError(description=error.description) from error
        self.verify_claims(token.claims)
        return token.claims

    def resolve_client_public_key(self, client: FederatedClient) -> KeySet:
        return KeySet.import_key_set(client.jwks or {"keys": []})  # type: ignore[arg-type]


class PortalAuthorizationServer(AuthorizationServer):
    def __init__(self) -> None:
        super().__init__(client_model=FederatedClient, token_model=None)

    def query_client(self, client_id: str) -> FederatedClient | None:
        return (
            FederatedClient.objects.select_related("system_user", "vendor")
            .filter(client_id=str(client_id), active=True)
            .first()
        )

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """A person's token becomes our signed JWT (stored, revocable); machine tokens
        are made whole in their grant."""
        code = getattr(request, "authorization_code", None)
        if code is not None:
            token["access_token"] = services.issue_person_token(
                request.client, request.user, code, token.get("scope", "")
            )
            token.pop("refresh_token", None)

    def handle_error_response(self, request: Any, error: OAuth2Error) -> Any:
        client = getattr(request, "client", None)
        form = getattr(getattr(request, "payload", None), "data", {}) or {}
        services.refused(
            "federation.token_refused",
            getattr(client, "client_id", "") or str(form.get("client_id", ""))[:80],
            f"{error.error}: {error.description}",
            grant_type=str(form.get("grant_type", ""))[:80],
        )
        return super().handle_error_response(request, error)


def requested_company(raw: str) -> Party:
    """The company named in ``authorization_details`` (RFC 9396): exactly one entry of
    our type, with the company's 13-digit registration number as ``party``."""
    try:
        details = json.loads(raw or "")
    except ValueError:
        raise InvalidRequestError("'authorization_details' must be a JSON array.") from None
    ours = [
        d
        for d in (details if isinstance(details, list) else [])
        if isinstance(d, dict) and d.get("type") == services.AUTHORIZATION_DETAILS_TYPE
    ]
    if len(ours) != 1 or not isinstance(ours[0].get("party"), str):
        raise InvalidRequestError(
            f"Send one authorization_details entry of type {services.AUTHORIZATION_DETAILS_TYPE}"
            " naming the company as 'party'."
        )
    company = Party.objects.filter(key=ours[0]["party"].strip(), kind=Party.Kind.JURISTIC).first()
    if company is None:
        raise AccessDeniedError("No approval of this system by this company is in force.")
    return company


class SystemUserGrant(grants.ClientCredentialsGrant):
    """``client_credentials`` for a vendor system acting for one company: a token only
    while the company's approval is in force, carrying the approved rights."""

    TOKEN_ENDPOINT_AUTH_METHODS = [AUTH_METHOD]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        form = self.request.payload.data
        company = requested_company(str(form.get("authorization_details", "")))
        approval = (
            SystemUserApproval.objects.select_related("client__system_user", "company")
            .filter(client=self.request.client, company=company, revoked_at__isnull=True)
            .first()
        )
        through = None
        if approval is None:
            # The company may have approved a firm (its accountants) that approved this
            # system: the system then acts for the firm's client within both.
            through = services.firm_grant(self.request.client, company)
            if through is None:
                raise AccessDeniedError("No approval of this system by this company is in force.")
            approval = through.approval
        self.request.approval = approval  # type: ignore[attr-defined]
        self.request.through = through  # type: ignore[attr-defined]

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        scope = self.request.client.get_allowed_scope(self.request.payload.scope or "applications")
        token = services.issue_machine_token(
            self.request.approval,  # type: ignore[attr-defined]
            scope or "applications",
            through=self.request.through,  # type: ignore[attr-defined]
        )
        return 200, token, self.TOKEN_RESPONSE_HEADER


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    """An agency service signs a person in: the code carries whom they act for."""

    TOKEN_ENDPOINT_AUTH_METHODS = [AUTH_METHOD]

    def save_authorization_code(self, code: str, request: Any) -> Any:
        return services.issue_code(
            code,
            client=request.client,
            user=request.user,
            acting=request.act_for,  # set by the authorize view
            payload=request.payload.data,
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope or "",
            aal=request.session_aal,
        )

    def query_authorization_code(self, code: str, client: FederatedClient) -> Any:
        item = (
            AuthorizationCode.objects.select_related("user", "party")
            .filter(code=code, client=client)
            .first()
        )
        if item is None or item.is_expired() or item.used_at is not None:
            return None
        return item

    def authenticate_user(self, authorization_code: Any) -> Any:
        if not services.redeem_code(authorization_code):
            raise InvalidGrantError("The authorization code has already been used.")
        user = authorization_code.user
        return user if user.is_active else None

    def delete_authorization_code(self, authorization_code: Any) -> None:
        """Kept, marked used, so a replay is recognised."""


class InvalidSubjectToken(OAuth2Error):
    """The subject token is expired, replayed, revoked, unknown or another client's.

    RFC 8693 §2.2.2: "if either the subject_token or actor_token are invalid for any
    reason, or are unacceptable based on policy ... the error parameter MUST be the
    invalid_request error code"; the description says which it was."""

    error = "invalid_request"


class InvalidTargetError(OAuth2Error):
    """RFC 8693 §2.2.2: a ``resource`` or ``audience`` we do not issue tokens for."""

    error = "invalid_target"


class TokenExchangeGrant(grants.BaseGrant, grants.TokenEndpointMixin):  # type: ignore[misc]
    """RFC 8693 token exchange: an agency service (``private_key_jwt``) trades the
    person's sign-in access token, once, for a short API token that names the service
    as the actor (``act``) and acts for the party the person chose at sign-in, on
    grounds re-checked now (a mandate revoked since sign-in ends it here)."""

    GRANT_TYPE = TOKEN_EXCHANGE
    TOKEN_ENDPOINT_AUTH_METHODS = [AUTH_METHOD]

    def validate_token_request(self) -> None:
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError(
                "Only an agency service may exchange a person's token (token exchange)."
            )
        self.request.client = client
        data = self.request.payload.data
        for name in ("subject_token", "subject_token_type"):
            if not data.get(name):
                raise InvalidRequestError(f"Missing '{name}'.")
        if data["subject_token_type"] != services.ACCESS_TOKEN_TYPE:
            raise InvalidRequestError(
                f"'subject_token_type' must be {services.ACCESS_TOKEN_TYPE}: the access"
                " token the portal issued to this client when the person signed in."
            )
        if data.get("actor_token") or data.get("actor_token_type"):
            raise InvalidRequestError(
                "'actor_token' is not accepted: the authenticated client is the actor."
            )
        requested_type = data.get("requested_token_type")
        if requested_type and requested_type != services.ACCESS_TOKEN_TYPE:
            raise InvalidRequestError(f"Only {services.ACCESS_TOKEN_TYPE} can be issued.")
        self._validate_target()
        try:
            subject = services.subject_of(str(data["subject_token"]), client)
        except services.InvalidToken as error:
            raise InvalidSubjectToken(f"The subject token is not accepted: {error}.") from None
        assert subject.party is not None  # subject_of: a sign-in token names the party
        acting = grounds(subject.user, subject.party)
        if acting is None:
            raise InvalidSubjectToken(
                "The person may no longer act for the party chosen at sign-in."
            )
        self.request.subject = subject  # type: ignore[attr-defined]
        self.request.acting = acting  # type: ignore[attr-defined]
        self.request.exchanged_scope = self._narrowed_scope(subject.scope)  # type: ignore[attr-defined]

    def _validate_target(self) -> None:
        """``resource`` and ``audience`` (each may repeat) can only name the portal API."""
        api = services.api_audience()
        datalist = self.request.payload.datalist
        for name in ("resource", "audience"):
            for value in datalist.get(name, []):
                if str(value).rstrip("/") != api.rstrip("/"):
                    raise InvalidTargetError(f"Tokens are issued only for the portal API ({api}).")

    def _narrowed_scope(self, granted: str) -> str:
        """The scope asked for (default: all the person granted), never beyond what the
        subject token had, and only the API's scopes."""
        have = set(granted.split())
        asked = (self.request.payload.scope or "").split()
        if asked and not set(asked) <= have:
            raise InvalidScopeError("The scope may only narrow what the subject token has.")
        scope = [s for s in (asked or sorted(have)) if s in services.API_SCOPES]
        if not scope:
            raise InvalidScopeError(
                "The person did not grant the 'applications' scope at sign-in: the API needs it."
            )
        return " ".join(scope)

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        request: Any = self.request
        try:
            token = services.exchange_token(
                request.subject, request.acting, request.exchanged_scope
            )
        except services.AlreadyExchanged:
            raise InvalidSubjectToken(
                "The subject token is not accepted: it was already exchanged (replay)."
            ) from None
        return 200, token, self.TOKEN_RESPONSE_HEADER


class RequireS256(CodeChallenge):
    """PKCE for every client, S256 only (RFC 9700 §2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE is required: send an S256 'code_challenge'.")
        super().validate_code_challenge(grant, redirect_uri)


class OpenIDConnect(OpenIDCode):
    """ID tokens signed with the portal's key, with whom the person acts for."""

    DEFAULT_EXPIRES_IN = 600

    def resolve_client_private_key(self, client: FederatedClient) -> Any:
        return keys.signing_key()

    def get_client_algorithm(self, client: FederatedClient) -> str:
        return "RS256"

    def get_encode_header(self, client: FederatedClient) -> dict[str, str]:
        return {"alg": "RS256", "kid": keys.signing_key().kid or "", "typ": "JWT"}

    def get_client_claims(self, client: FederatedClient) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": services.issuer(),
            "aud": [client.client_id],
            "azp": client.client_id,
            "iat": now,
            "exp": now + self.DEFAULT_EXPIRES_IN,
        }

    def get_authorization_code_claims(self, authorization_code: Any) -> dict[str, Any]:
        claims = super().get_authorization_code_claims(authorization_code)
        code = authorization_code
        claims.update(
            services.person_claims(code.user, code.party, code.basis, code.mandate_id, code.aal)
        )
        return claims

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return AuthorizationCode.objects.filter(
            client__client_id=request.payload.client_id, nonce=nonce
        ).exists()

    def generate_user_info(self, user: Any, scope: str) -> dict[str, Any]:
        return {"sub": str(user.public_id)}


def build_server() -> PortalAuthorizationServer:
    server = PortalAuthorizationServer()
    server.register_client_auth_method(AUTH_METHOD, PrivateKeyJWT())
    server.register_grant(SystemUserGrant)
    server.register_grant(TokenExchangeGrant)
    server.register_grant(
        AuthorizationCodeGrant, [RequireS256(required=True), OpenIDConnect(require_nonce=True)]
    )
    return server


server = build_server()
